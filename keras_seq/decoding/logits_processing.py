"""Constraints applied to next-token logits before a sampler chooses.

Both work on the fixed-size token buffer of the generation loop, with the
current position `index` as a tensor, so they compile inside
`keras.ops.while_loop` on every backend and apply to every sampler alike.
"""

from keras import ops

# Added to a banned token's logit. Finite, so that softmax and top-k stay
# well defined even if every token of a row were banned.
BANNED_LOGIT = -1e9


def ban_token_before(logits, token_id, generated, min_length):
    """Bans `token_id` in rows that have generated fewer than `min_length`.

    Args:
        logits: float tensor `(batch_size, vocabulary_size)`.
        token_id: int, the token to ban (the end token).
        generated: int tensor `(batch_size,)`, how many tokens each row has
            generated before this step.
        min_length: int, the fewest generated tokens before `token_id`.

    Returns:
        The logits with `token_id` set to `BANNED_LOGIT` where banned.
    """
    vocabulary_size = ops.shape(logits)[-1]
    is_token = ops.arange(vocabulary_size) == token_id
    too_short = generated < min_length
    banned = ops.logical_and(too_short[:, None], is_token[None, :])
    return ops.where(banned, ops.cast(BANNED_LOGIT, logits.dtype), logits)


def ban_repeated_ngrams(logits, tokens, index, ngram_size):
    """Bans every token that would repeat an n-gram already in `tokens`.

    The candidate n-gram at `index` is the last `ngram_size - 1` tokens
    followed by the new token. Every earlier occurrence of those
    `ngram_size - 1` tokens, ending before `index`, bans the token that
    followed it.

    Args:
        logits: float tensor `(batch_size, vocabulary_size)`.
        tokens: int tensor `(batch_size, length)`, the generation buffer;
            positions from `index` on are ignored.
        index: int scalar tensor, the position being generated.
        ngram_size: int, the n-gram length `n >= 1`.

    Returns:
        The logits with banned tokens set to `BANNED_LOGIT`.
    """
    batch_size, vocabulary_size = ops.shape(logits)
    length = ops.shape(tokens)[1]
    context = ngram_size - 1
    num_windows = length - context
    index = ops.cast(index, "int32")
    # Window `j` covers tokens[j : j + context] and is followed by
    # tokens[j + context]; it counts only if that follower precedes `index`.
    positions = ops.arange(num_windows, dtype="int32")
    valid = positions + context < index
    if context > 0:
        start = ops.maximum(index - context, 0)
        suffix = ops.slice(tokens, [0, start], [batch_size, context])
        matches = valid[None, :]
        for offset in range(context):
            window = tokens[:, offset : offset + num_windows]
            same = window == suffix[:, offset : offset + 1]
            matches = ops.logical_and(matches, same)
        matches = ops.logical_and(matches, index >= context)
    else:
        matches = ops.broadcast_to(valid[None, :], (batch_size, num_windows))
    followers = tokens[:, context:]
    rows = ops.broadcast_to(
        ops.arange(batch_size, dtype="int32")[:, None],
        (batch_size, num_windows),
    )
    indices = ops.stack(
        [ops.reshape(rows, [-1]), ops.reshape(followers, [-1])], axis=1
    )
    counts = ops.scatter(
        ops.cast(indices, "int32"),
        ops.reshape(ops.cast(matches, "float32"), [-1]),
        (batch_size, vocabulary_size),
    )
    return ops.where(counts > 0, ops.cast(BANNED_LOGIT, logits.dtype), logits)
