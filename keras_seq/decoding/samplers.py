"""Samplers: KerasHub's, by name, and a beam search that finishes hypotheses.

Greedy, random (temperature), top-k and top-p sampling are KerasHub's
samplers, used as they are: keras_seq's generation loop asks them for
`compute_probabilities` and `get_next_token` at every step. `BeamSearch` is
keras_seq's own: KerasHub's `BeamSampler` keeps extending a beam after its
end token and has no length penalty, so it cannot return a correctly ranked
n-best list.
"""

import keras
import keras_hub
from keras import ops
from keras import tree

from keras_seq.utils.argument_validation import check_positive_int

# Scores of hypotheses that do not exist (unused beams, an empty n-best
# slot). Finite so that arithmetic on them stays finite.
MISSING_SCORE = -1e9


@keras.saving.register_keras_serializable(package="keras_seq")
class BeamSearch(keras_hub.samplers.Sampler):
    """Beam search with a length penalty, finished hypotheses and n-best.

    At every step each of the `num_beams` live hypotheses is extended by
    every token; the best `2 * num_beams` extensions are split into those
    that end (the end token, or the last position of the buffer) and those
    that go on. Ended hypotheses join a pool of the `num_beams` best finished
    ones, ranked by their length-normalised score

        score = log P(tokens) / ((5 + length) / 6) ** length_penalty

    (Wu et al., 2016, GNMT), where `length` counts the generated tokens,
    the end token included. The best `num_beams` extensions that go on become
    the new live beams. A sequence stops early once no live beam can reach
    the score of the worst hypothesis in its full pool, so the result is the
    exact n-best list of a search this wide. With a beam at least as wide as
    the number of possible prefixes it is an exhaustive search.

    Used through `keras_seq.decoding.generate(..., sampler=BeamSearch(...))`
    or `sampler="beam"`, which also applies `min_length` and
    `no_repeat_ngram_size`. As a KerasHub sampler (called with the KerasHub
    arguments) it returns the best sequence's token buffer.

    Args:
        num_beams: int. The number of live hypotheses kept at each step.
            Defaults to `4`.
        length_penalty: float. The exponent `alpha` of the GNMT length
            penalty: `0.0` ranks by total log-probability, which favours
            short outputs; larger values favour longer ones. Defaults to
            `0.6`.
        num_results: int. How many of the best finished hypotheses to
            return, at most `num_beams`. Defaults to `1`.
        temperature: float. Divides the logits before the softmax. Defaults
            to `1.0`.

    Example:

    ```python
    import keras_seq

    sampler = keras_seq.decoding.BeamSearch(num_beams=4, num_results=2)
    sampler.num_results  # 2
    ```

    Reference:
    - [Wu et al., 2016](https://arxiv.org/abs/1609.08144) (length penalty)
    """

    def __init__(
        self,
        num_beams=4,
        length_penalty=0.6,
        num_results=1,
        temperature=1.0,
        **kwargs,
    ):
        super().__init__(temperature=temperature, **kwargs)
        self.num_beams = check_positive_int("num_beams", num_beams)
        self.num_results = check_positive_int("num_results", num_results)
        if self.num_results > self.num_beams:
            raise ValueError(
                "Received an invalid value for argument `num_results`: "
                f"expected at most `num_beams` ({self.num_beams}), got "
                f"{num_results}."
            )
        self.length_penalty = float(length_penalty)

    def length_normalizer(self, length):
        """The GNMT divisor `((5 + length) / 6) ** length_penalty`."""
        length = ops.cast(length, "float32")
        return ops.power((5.0 + length) / 6.0, self.length_penalty)

    def search(
        self,
        next,
        prompt,
        cache,
        index,
        mask,
        prompt_lengths,
        end_token_id=None,
        model=None,
        ragged=True,
    ):
        """Runs the search over a token buffer.

        Args:
            next: the generation contract, `next(prompt, cache, index) ->
                (logits, hidden, cache)`, called on `batch_size * num_beams`
                rows.
            prompt: int tensor `(batch_size, length)`, the token buffer.
            cache: the state after reading `prompt[:, :index - 1]`, a
                structure of `(batch_size, ...)` tensors.
            index: int, the first position to generate.
            mask: bool tensor `(batch_size, length)`, `True` at prompt
                positions, which are kept as they are.
            prompt_lengths: int tensor `(batch_size,)`.
            end_token_id: optional int; a hypothesis that produces it ends.
            model: the model whose variables `next` reads (needed on JAX).
            ragged: bool. Whether some prompts are longer than `index`;
                `False` skips keeping their tokens.

        Returns:
            A dict: `"token_ids"` `(batch_size, num_results, length)`, and
            `"lengths"` and `"scores"` `(batch_size, num_results)`.
        """
        beams = self.num_beams
        batch_size, length = ops.shape(prompt)

        def repeat(x):
            return ops.repeat(x, beams, axis=0)

        def split(x):
            return ops.reshape(x, (-1, beams) + tuple(ops.shape(x)[1:]))

        def gather(x, indices):
            # x: (batch, n, ...), indices: (batch, m) -> (batch, m, ...).
            for axis in range(2, len(ops.shape(x))):
                indices = ops.expand_dims(indices, axis)
            return ops.take_along_axis(x, indices, axis=1)

        if keras.config.backend() == "torch":
            return self._search_eagerly(
                next, prompt, cache, index, mask, prompt_lengths, end_token_id
            )
        mask = ops.cast(mask, "bool")
        alive_tokens = repeat(prompt)
        alive_mask = repeat(mask)
        cache = tree.map_structure(repeat, cache)
        alive_log_probs = ops.concatenate(
            [
                ops.zeros((batch_size, 1)),
                ops.full((batch_size, beams - 1), MISSING_SCORE),
            ],
            axis=1,
        )
        finished_tokens = ops.zeros((batch_size, beams, length), prompt.dtype)
        finished_scores = ops.full((batch_size, beams), MISSING_SCORE)
        finished_lengths = ops.zeros((batch_size, beams), "int32")
        prompt_lengths = ops.cast(prompt_lengths, "int32")
        positions = ops.arange(length, dtype="int32")
        index = ops.convert_to_tensor(index, "int32")
        num_candidates = beams if end_token_id is None else 2 * beams
        # Row offsets of each batch entry's beams in the merged rows.
        offsets = ops.arange(batch_size, dtype="int32")[:, None] * beams
        # Each row generates at most as many tokens as the longest prompt
        # leaves room for.
        max_new = length - ops.max(prompt_lengths)
        limits = prompt_lengths + max_new

        def cond(alive_tokens, alive_log_probs, cache, index, *finished):
            if end_token_id is None:
                # Every hypothesis runs to its last position.
                return ops.convert_to_tensor(True)
            finished_scores = finished[1]
            worst = ops.min(finished_scores, axis=1)
            best = ops.max(alive_log_probs, axis=1)
            # Live beams only lose log-probability; their best outcome is at
            # the length of either end of the range still open to them.
            bound = ops.maximum(
                best / self.length_normalizer(index + 1 - prompt_lengths),
                best / self.length_normalizer(max_new),
            )
            return ops.logical_not(ops.all(worst >= bound))

        def body(alive_tokens, alive_log_probs, cache, index, *finished):
            finished_tokens, finished_scores, finished_lengths = finished
            previous_cache = cache
            logits, _, cache = next(alive_tokens, cache, index)
            vocabulary_size = ops.shape(logits)[-1]
            logits = ops.cast(logits, "float32")
            if self.temperature != 1.0:
                logits = logits / self.temperature
            log_probs = ops.log_softmax(logits, axis=-1)
            if ragged:
                # A longer prompt's tokens are kept, with probability one.
                forced = alive_mask[:, index]
                forced_token = alive_tokens[:, index]
                is_forced_token = ops.equal(
                    ops.arange(vocabulary_size)[None, :], forced_token[:, None]
                )
                log_probs = ops.where(
                    forced[:, None],
                    ops.where(is_forced_token, 0.0, MISSING_SCORE),
                    log_probs,
                )
            totals = alive_log_probs[:, :, None] + split(log_probs)
            totals = ops.reshape(totals, (batch_size, beams * vocabulary_size))
            # Without an end token no extension ends early, so the best
            # `beams` are the next live beams; with one, up to `beams` of the
            # best `2 * beams` may end, and the rest still fill the beam.
            values, flat_indices = ops.top_k(totals, k=num_candidates)
            source_beams = flat_indices // vocabulary_size
            new_tokens = ops.cast(flat_indices % vocabulary_size, prompt.dtype)
            if end_token_id is None:
                ends = ops.zeros(ops.shape(values), "bool")
            else:
                ends = new_tokens == end_token_id
                if ragged:
                    candidate_forced = gather(split(forced), source_beams)
                    ends = ops.logical_and(
                        ends, ops.logical_not(candidate_forced)
                    )
                ends = ops.logical_and(ends, (index < limits)[:, None])
            last = (index + 1 >= limits)[:, None]
            finishing = ops.logical_and(
                ops.logical_or(ends, last), (index < limits)[:, None]
            )

            def add_finished(
                finished_tokens, finished_scores, finished_lengths
            ):
                # The pool of finished hypotheses keeps its `beams` best.
                candidates = gather(split(alive_tokens), source_beams)
                candidates = ops.where(
                    positions[None, None, :] == index,
                    new_tokens[:, :, None],
                    candidates,
                )
                generated = index + 1 - prompt_lengths[:, None]
                scores = ops.where(
                    finishing,
                    values / self.length_normalizer(generated),
                    MISSING_SCORE,
                )
                scores = ops.concatenate([finished_scores, scores], axis=1)
                scores, kept = ops.top_k(scores, k=beams)
                tokens = ops.concatenate([finished_tokens, candidates], axis=1)
                lengths = ops.concatenate(
                    [
                        finished_lengths,
                        ops.broadcast_to(
                            ops.cast(index + 1, "int32"), ops.shape(values)
                        ),
                    ],
                    axis=1,
                )
                return gather(tokens, kept), scores, gather(lengths, kept)

            # Most steps end no hypothesis: skip the pool update then.
            finished = ops.cond(
                ops.any(finishing),
                lambda: add_finished(*finished),
                lambda: tuple(finished),
            )

            # The best `beams` extensions that did not end stay alive.
            alive_values = ops.where(
                ops.logical_or(ends, last), MISSING_SCORE, values
            )
            if num_candidates == beams:
                alive_log_probs, alive_indices = alive_values, None
                alive_beams, alive_new_tokens = source_beams, new_tokens
            else:
                alive_log_probs, alive_indices = ops.top_k(
                    alive_values, k=beams
                )
                alive_beams = ops.take_along_axis(
                    source_beams, alive_indices, axis=1
                )
                alive_new_tokens = ops.take_along_axis(
                    new_tokens, alive_indices, axis=1
                )
            # One gather of merged rows per tensor.
            rows = ops.reshape(alive_beams + offsets, (-1,))
            alive_tokens = ops.take(alive_tokens, rows, axis=0)
            alive_tokens = ops.slice_update(
                alive_tokens, [0, index], ops.reshape(alive_new_tokens, (-1, 1))
            )
            cache = _reorder(
                cache, previous_cache, lambda x: ops.take(x, rows, axis=0)
            )
            return (
                alive_tokens,
                alive_log_probs,
                cache,
                index + 1,
                *finished,
            )

        outputs = self.run_loop(
            cond,
            body,
            loop_vars=(
                alive_tokens,
                alive_log_probs,
                cache,
                index,
                finished_tokens,
                finished_scores,
                finished_lengths,
            ),
            maximum_iterations=length - index,
            model=model,
        )
        finished_tokens, finished_scores, finished_lengths = outputs[4:]
        n = self.num_results
        return {
            "token_ids": finished_tokens[:, :n],
            "scores": finished_scores[:, :n],
            "lengths": finished_lengths[:, :n],
        }

    def _search_eagerly(
        self, next, prompt, cache, index, mask, prompt_lengths, end_token_id
    ):
        """`search` as a Python loop of PyTorch operations, for torch.

        The same algorithm as the compiled search, step for step; on torch's
        eager execution, Keras's per-operation dispatch would cost more than
        the search's arithmetic.
        """
        import torch

        beams = self.num_beams
        batch_size, length = prompt.shape

        def split(x):
            return x.reshape((-1, beams) + tuple(x.shape[1:]))

        def gather(x, indices):
            # x: (batch, n, ...), indices: (batch, m) -> (batch, m, ...).
            shape = tuple(indices.shape) + tuple(x.shape[2:])
            indices = indices.reshape(
                tuple(indices.shape) + (1,) * (x.dim() - 2)
            )
            return torch.gather(x, 1, indices.expand(shape))

        def normalizer(length):
            return ((5.0 + length) / 6.0) ** self.length_penalty

        mask = mask.bool()
        ragged = bool((mask[:, index:]).any())
        alive_tokens = prompt.repeat_interleave(beams, dim=0)
        alive_mask = mask.repeat_interleave(beams, dim=0)
        cache = tree.map_structure(
            lambda x: x.repeat_interleave(beams, 0), cache
        )
        # Every new tensor on the prompt's device (a GPU's, say).
        device = prompt.device
        alive_log_probs = torch.full(
            (batch_size, beams), MISSING_SCORE, device=device
        )
        alive_log_probs[:, 0] = 0.0
        finished_tokens = prompt.new_zeros((batch_size, beams, length))
        finished_scores = torch.full(
            (batch_size, beams), MISSING_SCORE, device=device
        )
        finished_lengths = torch.zeros(
            (batch_size, beams), dtype=torch.int32, device=device
        )
        prompt_lengths = prompt_lengths.to(device=device, dtype=torch.int32)
        max_new = length - int(prompt_lengths.max())
        limits = prompt_lengths + max_new
        # Before the first row's last step, and without an end token, no
        # hypothesis can end: those steps skip the bookkeeping of endings.
        first_last_step = int(limits.min()) - 1
        num_candidates = beams if end_token_id is None else 2 * beams
        # Row offsets of each batch entry's beams in the merged rows (none
        # for one entry: an addition per step fewer).
        offsets = None
        if batch_size > 1:
            offsets = torch.arange(batch_size, device=device)[:, None] * beams
        for i in range(index, length):
            if end_token_id is not None:
                worst = finished_scores.min(dim=1).values
                best = alive_log_probs.max(dim=1).values
                bound = torch.maximum(
                    best / normalizer(i + 1 - prompt_lengths),
                    best / normalizer(max_new),
                )
                if bool((worst >= bound).all()):
                    break
            previous_cache = cache
            logits, _, cache = next(alive_tokens, cache, i)
            logits = logits.float()
            if self.temperature != 1.0:
                logits = logits / self.temperature
            log_probs = torch.log_softmax(logits, dim=-1)
            vocabulary_size = log_probs.shape[-1]
            if ragged:
                forced = alive_mask[:, i]
                kept = torch.full_like(log_probs, MISSING_SCORE)
                kept.scatter_(1, alive_tokens[:, i : i + 1].long(), 0.0)
                log_probs = torch.where(forced[:, None], kept, log_probs)
            # (batch * beams, vocabulary) + (batch * beams, 1).
            totals = log_probs + alive_log_probs.reshape(-1, 1)
            values, flat_indices = torch.topk(
                totals.reshape(batch_size, -1), num_candidates
            )
            source_beams = torch.div(
                flat_indices, vocabulary_size, rounding_mode="floor"
            )
            # int64: assigning to the token buffers casts them.
            new_tokens = flat_indices % vocabulary_size
            if end_token_id is None and i < first_last_step:
                # Nothing ends: the best `beams` extensions stay alive.
                alive_log_probs = values
                alive_beams, alive_new_tokens = source_beams, new_tokens
            else:
                in_range = (i < limits)[:, None]
                last = (i + 1 >= limits)[:, None]
                if end_token_id is None:
                    ends = torch.zeros_like(in_range).expand(values.shape)
                else:
                    ends = (new_tokens == end_token_id) & in_range
                    if ragged:
                        ends &= ~gather(split(forced), source_beams)
                finishing = (ends | last) & in_range
                if bool(finishing.any()):
                    candidates = gather(split(alive_tokens), source_beams)
                    candidates[:, :, i] = new_tokens
                    generated = (i + 1 - prompt_lengths)[:, None]
                    scores = torch.where(
                        finishing, values / normalizer(generated), MISSING_SCORE
                    )
                    scores = torch.cat([finished_scores, scores], dim=1)
                    finished_scores, kept = torch.topk(scores, beams)
                    finished_tokens = gather(
                        torch.cat([finished_tokens, candidates], dim=1), kept
                    )
                    candidate_lengths = torch.full_like(
                        finished_lengths[:, :1], i + 1
                    ).expand(values.shape)
                    finished_lengths = gather(
                        torch.cat([finished_lengths, candidate_lengths], dim=1),
                        kept,
                    )
                alive_values = torch.where(ends | last, MISSING_SCORE, values)
                if num_candidates == beams:
                    alive_log_probs = alive_values
                    alive_beams, alive_new_tokens = source_beams, new_tokens
                else:
                    alive_log_probs, alive = torch.topk(alive_values, beams)
                    alive_beams = torch.gather(source_beams, 1, alive)
                    alive_new_tokens = torch.gather(new_tokens, 1, alive)
            rows = alive_beams if offsets is None else alive_beams + offsets
            rows = rows.reshape(-1)
            alive_tokens = alive_tokens.index_select(0, rows)
            alive_tokens[:, i] = alive_new_tokens.reshape(-1)
            cache = _reorder_eagerly(cache, previous_cache, rows)
        n = self.num_results
        return {
            "token_ids": finished_tokens[:, :n],
            "scores": finished_scores[:, :n],
            "lengths": finished_lengths[:, :n],
        }

    def __call__(
        self,
        next,
        prompt,
        cache=None,
        index=0,
        mask=None,
        stop_token_ids=None,
        hidden_states=None,
        model=None,
    ):
        # The KerasHub sampler contract: return the best token buffer.
        if mask is None:
            mask = ops.zeros_like(prompt, dtype="bool")
        prompt_lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
        end_token_id = None
        if stop_token_ids is not None:
            if len(stop_token_ids) != 1:
                raise ValueError(
                    "Received an invalid value for argument `stop_token_ids`: "
                    "BeamSearch expects one end token, got "
                    f"{stop_token_ids!r}."
                )
            end_token_id = stop_token_ids[0]
        results = self.search(
            next,
            prompt,
            () if cache is None else cache,
            index,
            mask,
            prompt_lengths,
            end_token_id=end_token_id,
            model=model,
        )
        return results["token_ids"][:, 0]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_beams": self.num_beams,
                "length_penalty": self.length_penalty,
                "num_results": self.num_results,
            }
        )
        return config


def _reorder(cache, previous_cache, take):
    """The rows of the beams that survive a step, `take(x)`, of each tensor
    of `cache` that `next` changed.

    A tensor that `next` passed through unchanged (the encoder outputs, say)
    is the same object as in `previous_cache`: it has held the same rows for
    every beam of a sequence since the search repeated it, so gathering it
    would copy each row onto an equal one. It is kept as it is.
    """
    return tree.map_structure(
        lambda new, old: new if new is old else take(new),
        cache,
        previous_cache,
    )


def _reorder_eagerly(cache, previous_cache, rows):
    """`_reorder` for torch's eager search, taking `rows` of each changed
    tensor: a direct recursion over dicts, lists and tuples that stops at
    whatever `next` passed through unchanged."""
    if cache is previous_cache:
        return cache
    if isinstance(cache, dict):
        return {
            k: _reorder_eagerly(v, previous_cache[k], rows)
            for k, v in cache.items()
        }
    if isinstance(cache, (list, tuple)):
        return type(cache)(
            [
                _reorder_eagerly(new, old, rows)
                for new, old in zip(cache, previous_cache)
            ]
        )
    return cache.index_select(0, rows)


SAMPLERS = {
    "greedy": keras_hub.samplers.GreedySampler,
    "random": keras_hub.samplers.RandomSampler,
    "top_k": keras_hub.samplers.TopKSampler,
    "top_p": keras_hub.samplers.TopPSampler,
    "beam": BeamSearch,
}


def get_sampler(identifier, **kwargs):
    """Returns a sampler from a name, or the sampler instance it is given.

    Names: `"greedy"`, `"random"` (temperature sampling), `"top_k"`,
    `"top_p"` (KerasHub's `GreedySampler`, `RandomSampler`, `TopKSampler`,
    `TopPSampler`) and `"beam"` (`keras_seq.decoding.BeamSearch`).

    Args:
        identifier: a name above, or a `keras_hub.samplers.Sampler` instance,
            returned as it is.
        **kwargs: constructor arguments for a sampler given by name, such as
            `temperature`, `seed`, `k`, `p` or `num_beams`.

    Example:

    ```python
    import keras_seq

    sampler = keras_seq.decoding.get_sampler("top_k", k=10, temperature=0.8)
    sampler.k  # 10
    ```
    """
    if isinstance(identifier, keras_hub.samplers.Sampler):
        if kwargs:
            raise ValueError(
                "Sampler arguments "
                f"({', '.join(sorted(kwargs))}) apply to a sampler given by "
                f"name, but `sampler` is the instance {identifier!r}: set "
                "them when creating it."
            )
        return identifier
    if not isinstance(identifier, str) or identifier.lower() not in SAMPLERS:
        expected = ", ".join(repr(name) for name in SAMPLERS)
        raise ValueError(
            "Received an invalid value for argument `sampler`: expected one of "
            f"{expected} or a `keras_hub.samplers.Sampler` instance, got "
            f"{identifier!r}."
        )
    cls = SAMPLERS[identifier.lower()]
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise TypeError(
            f"Received invalid arguments for the {identifier!r} sampler "
            f"({cls.__name__}): {error}"
        ) from None
