"""The generation engine: one compiled decoding loop per model and sampler.

A model takes part by implementing two methods:

- `prefill(tokens, context)`: the state after reading `tokens`, an int tensor
  `(batch_size, index - 1)` (possibly of length zero), for generation
  conditioned on `context` (encoder inputs; `None` for a language model).
  The state is any structure of `(batch_size, ...)` tensors.
- `next(prompt, state, index) -> (logits, hidden, state)`: reads the token
  `prompt[:, index - 1]`, returns the logits `(batch_size, vocabulary_size)`
  for position `index`, the hidden output and the new state. This is the
  contract of KerasHub's samplers, with the recurrent state as the cache.
  `next` returns new tensors for what it changes, never updating one in
  place, and what it does not change as it was given: beam search reorders
  only the tensors `next` changed (the others, such as encoder outputs, are
  the same for every beam of a sequence).

`generate` runs the loop inside `keras.ops.while_loop` and compiles it: with
XLA through `tf.function(jit_compile=True)` on TensorFlow and `jax.jit` on
JAX. On torch the token-by-token samplers run as a plain Python loop under
`torch.no_grad()`, and keras_seq's recurrent layers step with PyTorch's fused
cell functions. A model may also implement `frozen_next()`, returning its
`next` for one generation with what no token changes done once (or `None`):
on torch, the weights read once; on JAX and TensorFlow it is called inside
the compiled function, before the loop, so what it computes from the weights
is computed once per call. On torch `generate` and `generate_stream` both
use it, and a model whose `frozen_next()` returns `None` is announced once
(its Keras layers then run on every token, several times slower). The
compiled function is cached per model, sampler, options and shapes, and
reused. On JAX on a CPU, a batch of 16 rows or more runs the model on two
halves of its rows, which XLA steps at once on two threads (`_row_halves`).
"""

import functools
import warnings
import weakref

import keras
import keras_hub
import numpy as np
from keras import ops
from keras import tree

from keras_seq.decoding.logits_processing import ban_repeated_ngrams
from keras_seq.decoding.logits_processing import ban_token_before
from keras_seq.decoding.samplers import BeamSearch
from keras_seq.decoding.samplers import get_sampler
from keras_seq.utils.argument_validation import check_non_negative_int
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_positive_number
from keras_seq.utils.argument_validation import invalid_argument
from keras_seq.utils.compile_utils import compile_function
from keras_seq.utils.devices import uses_gpu

# model -> {key: (sampler, function)}; entries go when the model does.
_COMPILED = weakref.WeakKeyDictionary()
# model -> {key: sampler}: the samplers of torch's streams, which compile
# nothing (see `generate_stream`).
_SAMPLERS = weakref.WeakKeyDictionary()
# The models announced to decode without their `frozen_next` shortcut.
_ANNOUNCED = weakref.WeakSet()
# The most tokens `generate` makes after a prompt: its output buffer holds
# them all (a million int32 per row is 4 MB).
MAX_LENGTH = 1_000_000
# The fewest rows that JAX's compiled loop on a CPU decodes as two halves
# (see `_row_halves`).
MIN_ROWS_TO_HALVE = 16


@functools.cache
def _is_float32(dtype):
    # Once per dtype object, not once per token of torch's eager loop.
    return keras.backend.standardize_dtype(dtype) == "float32"


def _check_model(model, return_attention):
    for method in ("prefill", "next"):
        if not callable(getattr(model, method, None)):
            raise TypeError(
                "Received an invalid value for argument `model`: expected a "
                "model implementing `prefill(tokens, context)` and "
                "`next(prompt, state, index)`, got "
                f"{type(model).__name__}, which lacks `{method}`."
            )
    if return_attention and not callable(
        getattr(model, "attention_scores", None)
    ):
        raise ValueError(
            "Received `return_attention=True`, but "
            f"{type(model).__name__} has no attention: only models with an "
            "`attention_scores(token_ids, context)` method return attention "
            "weights."
        )


def _prepare_prompt(prompt, prompt_mask):
    """Returns `(tokens, mask)` as numpy arrays, checking both."""
    if (
        isinstance(prompt, (list, tuple))
        and prompt
        and all(isinstance(row, (list, tuple, np.ndarray)) for row in prompt)
    ):
        # Ragged rows: pad on the right and mask.
        width = max(len(row) for row in prompt)
        tokens = np.zeros((len(prompt), width), "int32")
        mask = np.zeros((len(prompt), width), bool)
        for i, row in enumerate(prompt):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = True
        if prompt_mask is not None:
            raise ValueError(
                "Received both a ragged `prompt` (a list of token lists) and "
                "`prompt_mask`; pass one or the other."
            )
    else:
        tokens = np.asarray(ops.convert_to_numpy(prompt))
        if tokens.ndim != 2 or not np.issubdtype(tokens.dtype, np.integer):
            raise ValueError(
                "Received an invalid value for argument `prompt`: expected "
                "integer token ids of shape (batch_size, prompt_length), got "
                f"an array of shape {tokens.shape} and dtype {tokens.dtype}."
            )
        if prompt_mask is None:
            mask = np.ones(tokens.shape, bool)
        else:
            mask = np.asarray(ops.convert_to_numpy(prompt_mask)).astype(bool)
            if mask.shape != tokens.shape:
                raise ValueError(
                    "Received an invalid value for argument `prompt_mask`: "
                    f"expected the shape of `prompt`, {tokens.shape}, got "
                    f"{mask.shape}."
                )
    lengths = mask.sum(axis=1)
    if tokens.shape[0] == 0 or tokens.shape[1] == 0 or lengths.min() == 0:
        raise ValueError(
            "Received an empty prompt: generation needs at least one token "
            "per sequence to start from (a start token, or the first "
            "character or word of the text)."
        )
    positions = np.arange(mask.shape[1])
    if not np.array_equal(mask, positions[None, :] < lengths[:, None]):
        raise ValueError(
            "Received an invalid value for argument `prompt_mask`: the "
            "prompt tokens of each row must come first (True), followed only "
            "by padding (False)."
        )
    return tokens.astype("int32"), mask


def _sampler_key(identifier, kwargs):
    if isinstance(identifier, str):
        return ("name", identifier.lower(), tuple(sorted(kwargs.items())))
    # Instances of one class with one config behave alike: they share the
    # compiled function (and the random state of the first one seen).
    config = keras.saving.serialize_keras_object(identifier)
    return ("instance", repr(config))


def _structure_key(structure):
    """The shapes and dtypes of a structure of tensors, as a cache key."""
    if structure is None:
        return None
    return repr(
        tree.map_structure(
            lambda x: (tuple(ops.shape(x)), str(getattr(x, "dtype", None))),
            structure,
        )
    )


def _as_tensors(context):
    """The context's arrays as tensors (a torch model, run eagerly, gets
    them as such too)."""
    if context is None:
        return None
    return tree.map_structure(ops.convert_to_tensor, context)


def _reset_seed(sampler, seed):
    for variable in sampler.variables:
        variable.assign(ops.convert_to_tensor([seed, 0], variable.dtype))


def _decode(model, sampler, options, start, tokens, mask, lengths, context):
    """The whole generation, traced once per compiled function."""
    end_token_id = options["end_token_id"]
    min_length = options["min_length"]
    ngram_size = options["no_repeat_ngram_size"]
    pad_token_id = options["pad_token_id"]

    if isinstance(sampler, BeamSearch):
        loop = "beam_search"
    elif type(sampler).__call__ is not keras_hub.samplers.Sampler.__call__:
        # A sampler with its own loop (KerasHub's BeamSampler, ...).
        loop = "sampler"
    elif keras.config.backend() == "torch":
        loop = "eager"
    else:
        loop = "compiled"
    # A model may offer its `next` with what no token changes done once for
    # this generation (see `frozen_next`); here, outside the loop.
    model_next = _frozen_next(model)
    state = model.prefill(tokens[:, : start - 1], context)
    batch_size = ops.shape(tokens)[0]
    if loop == "compiled" and _halves_rows(batch_size):
        model_next, state = _row_halves(model_next, state, batch_size)

    def next(prompt, cache, index):
        logits, hidden, state = model_next(prompt, cache["state"], index)
        if not _is_float32(logits.dtype):
            logits = ops.cast(logits, "float32")
        if min_length and end_token_id is not None:
            generated = index - cache["prompt_lengths"]
            logits = ban_token_before(
                logits, end_token_id, generated, min_length
            )
        if ngram_size:
            logits = ban_repeated_ngrams(logits, prompt, index, ngram_size)
        return logits, hidden, {**cache, "state": state}

    # Each row generates at most `max_length` tokens after its own prompt.
    limits = lengths + options["max_length"]
    cache = {"state": state, "prompt_lengths": lengths}
    outputs = {}
    if loop == "beam_search":
        results = sampler.search(
            next,
            tokens,
            cache,
            start,
            mask,
            lengths,
            end_token_id=end_token_id,
            model=model,
            ragged=options["ragged"],
        )
        token_ids = results["token_ids"]
        outputs["scores"] = results["scores"]
        batch_size, num_results, length = ops.shape(token_ids)
        positions = ops.arange(length, dtype="int32")
        padding_mask = positions[None, None, :] < results["lengths"][..., None]
        token_ids = ops.where(padding_mask, token_ids, pad_token_id)
        if num_results == 1:
            token_ids = token_ids[:, 0]
            padding_mask = padding_mask[:, 0]
            outputs["scores"] = outputs["scores"][:, 0]
    else:
        if loop == "sampler":
            stop = None if end_token_id is None else (end_token_id,)
            token_ids = sampler(
                next,
                tokens,
                cache,
                index=start,
                mask=mask,
                stop_token_ids=stop,
                model=model,
            )
        elif loop == "eager":
            token_ids = _sample_eagerly(
                next, sampler, tokens, cache, start, mask, limits, end_token_id
            )
        else:
            token_ids = _sample(
                next,
                sampler,
                tokens,
                cache,
                start,
                mask,
                limits,
                end_token_id,
                model,
            )
        positions = ops.arange(ops.shape(token_ids)[1], dtype="int32")
        padding_mask = positions[None, :] < limits[:, None]
        if end_token_id is not None:
            is_end = ops.logical_and(
                token_ids == end_token_id, ops.logical_not(mask)
            )
            ends_before = ops.cumsum(ops.cast(is_end, "int32"), axis=1)
            ends_before = ends_before - ops.cast(is_end, "int32")
            padding_mask = ops.logical_and(padding_mask, ends_before == 0)
        token_ids = ops.where(padding_mask, token_ids, pad_token_id)
    outputs["token_ids"] = token_ids
    outputs["padding_mask"] = padding_mask
    if options["return_attention"]:
        outputs["attention"] = _attention(model, token_ids, context)
    return outputs


def _halves_rows(batch_size):
    """Whether keras_seq's compiled loop for token-by-token samplers runs the
    model on two halves of the rows: on JAX on a CPU, from
    `MIN_ROWS_TO_HALVE` rows.

    Only that loop: beam search reorders rows across the batch, and a
    sampler with its own loop may read every row's hidden output. Not on
    TensorFlow: its XLA, given the same halves, decoded no faster
    (`_row_halves` has the figures).
    """
    return (
        keras.config.backend() == "jax"
        and batch_size >= MIN_ROWS_TO_HALVE
        and not uses_gpu()
    )


def _row_halves(model_next, state, batch_size):
    """`model_next` run on each half of the rows, with its own state.

    The rows of a batch decode independently. Split in two, each half's
    steps form a chain of their own from one token to the next, and XLA's
    CPU runtime runs the two chains at once, on two threads, where it runs
    the matrix products of one mid-sized batch on one. The logits of the
    halves are joined for the sampler, so sampling reads the same logits,
    and the same random stream, as for the whole batch.

    Greedy decoding of 200 tokens with an LSTM(256) character model
    (`TextGenerator`, 65 tokens) on this project's 2-core CPU, µs per token,
    halves against whole, best of 8 interleaved calls: JAX 81-95 / 110-115 at
    16 rows, 165-171 / 193-194 at 32, 285-309 / 304-311 at 64, 492-494 /
    531-543 at 128; TensorFlow 114-153 / 107-114 at 16 and 528-684 /
    506-597 at 128, so not there. The default translator (GRU(256) with
    attention, 4,000 words), whose step is mostly its large logits product,
    decodes within 4% of the whole batch either way.

    Returns:
        `(next, state)`: the step over halves and the state split in two.
    """
    half = batch_size // 2
    state = (
        tree.map_structure(lambda x: None if x is None else x[:half], state),
        tree.map_structure(lambda x: None if x is None else x[half:], state),
    )

    def next(prompt, halves, index):
        first = model_next(prompt[:half], halves[0], index)
        second = model_next(prompt[half:], halves[1], index)
        logits = ops.concatenate([first[0], second[0]], axis=0)
        hidden = first[1]
        if hidden is not None:  # A model may return no hidden output.
            hidden = ops.concatenate([hidden, second[1]], axis=0)
        return logits, hidden, (first[2], second[2])

    return next, state


def _frozen_next(model):
    """`model.frozen_next()` where the model has that shortcut and it
    applies, else `model.next`.

    On torch the shortcut is what keeps a decoding step from calling the
    Keras layers (and reading their variables) on every token: a model that
    has `frozen_next` but gets `None` from it is announced, once.
    """
    if not hasattr(model, "frozen_next"):
        return model.next
    frozen = model.frozen_next()
    if frozen is not None:
        return frozen
    if keras.config.backend() == "torch" and model not in _ANNOUNCED:
        _ANNOUNCED.add(model)
        warnings.warn(
            f"{type(model).__name__} {model.name!r} has no torch decoding "
            "shortcut (its `frozen_next()` returned None), so generation "
            "calls its Keras layers on every token, which is slower. The "
            "shortcut needs float32 layers without LoRA or quantization, "
            "and LSTM, GRU (reset_after=True) or SimpleRNN cells with their "
            "default activations and biases, in a unidirectional stack.",
            stacklevel=2,
        )
    return model.next


def _attention(model, token_ids, context):
    """The model's attention over `context` for each row of `token_ids`.

    The models keras_seq decodes with attention compute it from the decoder
    state alone (see `AttentionDecoder`), so one teacher-forced pass over
    the finished tokens gives exactly the weights of each generation step,
    for every sampler, without carrying them through the loop.
    """
    if len(ops.shape(token_ids)) == 2:
        return model.attention_scores(token_ids, context)
    batch_size, num_results, length = ops.shape(token_ids)
    context = tree.map_structure(
        lambda x: ops.repeat(x, num_results, axis=0), context
    )
    scores = model.attention_scores(
        ops.reshape(token_ids, (batch_size * num_results, length)), context
    )
    return ops.reshape(
        scores, (batch_size, num_results) + tuple(ops.shape(scores)[1:])
    )


def _sample_eagerly(
    next, sampler, tokens, cache, start, mask, limits, end_token_id
):
    """`_sample` as a plain Python loop, for torch's eager execution.

    The same steps, with a Python integer position (so reading and writing
    the buffer are cheap views) and the forced-token selection only where a
    longer prompt still has tokens. Greedy search takes the arg-max of the
    logits directly: the softmax does not change it.
    """
    import torch

    tokens = tokens.clone()
    greedy = type(sampler) is keras_hub.samplers.GreedySampler
    prompt_columns = ops.convert_to_numpy(ops.any(mask, axis=0))
    # The loop ends at the last row's limit, with no per-step check of the
    # limits unless they differ (the check cost 35 µs a step on the CPU, a
    # fifth of an LSTM(256) character model's greedy step).
    last_limit = int(limits.max())
    stop = min(tokens.shape[1], last_limit)
    uneven_limits = bool((limits < last_limit).any())
    done = torch.zeros(tokens.shape[0], dtype=torch.bool, device=tokens.device)
    for index in range(start, stop):
        logits, _, cache = next(tokens, cache, index)
        if greedy:
            token = torch.argmax(logits, dim=-1)
        else:
            token = sampler.get_next_token(
                sampler.compute_probabilities(logits)
            )
        forced = mask[:, index] if prompt_columns[index] else None
        if forced is not None:
            token = torch.where(forced, tokens[:, index], token)
        # The assignment casts the token to the buffer's dtype.
        tokens[:, index] = token
        if end_token_id is not None:
            ended = token == end_token_id
            if forced is not None:
                ended &= ~forced
            done |= ended
            if uneven_limits:
                done |= limits <= index + 1
            if bool(done.all()):
                break
    return tokens


def _sample(
    next, sampler, tokens, cache, start, mask, limits, end_token_id, model
):
    """The loop for token-by-token samplers: greedy, random, top-k, top-p."""
    batch_size = ops.shape(tokens)[0]
    length = ops.shape(tokens)[1]

    def cond(tokens, cache, index, done):
        return ops.logical_not(ops.all(done))

    def body(tokens, cache, index, done):
        logits, _, cache = next(tokens, cache, index)
        probabilities = sampler.compute_probabilities(logits)
        token = ops.cast(sampler.get_next_token(probabilities), tokens.dtype)
        forced = mask[:, index]
        token = ops.where(forced, tokens[:, index], token)
        tokens = ops.slice_update(tokens, [0, index], token[:, None])
        done = ops.logical_or(done, limits <= index + 1)
        if end_token_id is not None:
            ended = ops.logical_and(
                token == end_token_id, ops.logical_not(forced)
            )
            done = ops.logical_or(done, ended)
        return tokens, cache, index + 1, done

    done = ops.zeros((batch_size,), "bool")
    index = ops.convert_to_tensor(start, "int32")
    tokens, *_ = sampler.run_loop(
        cond,
        body,
        loop_vars=(tokens, cache, index, done),
        maximum_iterations=length - start,
        model=model,
    )
    return tokens


def _cached(model, key, sampler, sampler_kwargs, build):
    """Returns `(sampler, function)` for `key`, building them once."""
    compiled = _COMPILED.setdefault(model, {})
    if key not in compiled:
        instance = get_sampler(sampler, **sampler_kwargs)
        function = compile_function(
            build(instance), model, state_variables=instance.variables
        )
        compiled[key] = (instance, function)
    return compiled[key]


def _cached_sampler(model, key, sampler, sampler_kwargs):
    """The sampler instance for `key`, made once, without a function."""
    samplers = _SAMPLERS.setdefault(model, {})
    if key not in samplers:
        samplers[key] = get_sampler(sampler, **sampler_kwargs)
    return samplers[key]


def compiled_functions(model):
    """The number of generation functions compiled and cached for `model`."""
    return len(_COMPILED.get(model, {}))


def _check_options(end_token_id, pad_token_id, min_length, seed):
    pad_token_id = check_non_negative_int("pad_token_id", pad_token_id)
    min_length = check_non_negative_int("min_length", min_length)
    if end_token_id is not None:
        end_token_id = check_non_negative_int("end_token_id", end_token_id)
    elif min_length:
        raise ValueError(
            f"Received `min_length={min_length}` without `end_token_id`: "
            "`min_length` bans the end token, so it needs one."
        )
    if seed is not None:
        seed = check_non_negative_int("seed", seed)
    return end_token_id, pad_token_id, min_length, seed


def _sampler_kwargs(sampler, temperature):
    if temperature is None:
        return {}
    if not isinstance(sampler, str):
        raise ValueError(
            "Received `temperature` with a sampler instance: set the "
            "temperature when creating the sampler instead."
        )
    return {"temperature": check_positive_number("temperature", temperature)}


def generate(
    model,
    prompt,
    max_length,
    *,
    prompt_mask=None,
    context=None,
    sampler="greedy",
    temperature=None,
    seed=None,
    end_token_id=None,
    pad_token_id=0,
    min_length=0,
    no_repeat_ngram_size=0,
    return_attention=False,
):
    """Generates up to `max_length` tokens after each prompt.

    The loop is compiled once for each model, sampler, option set and shape
    and reused on later calls (see the module docstring for the contract a
    model implements).

    Args:
        model: a model implementing `prefill` and `next`, such as
            `keras_seq.applications.TextGenerator`.
        prompt: int array `(batch_size, prompt_length)` of token ids, or a
            list of token-id lists of different lengths. Every prompt needs
            at least one token.
        max_length: int. The most tokens to generate after the prompt, at
            most `MAX_LENGTH` (1,000,000).
        prompt_mask: optional bool array shaped like `prompt`, `True` at
            prompt tokens, which must come first in each row.
        context: what the model conditions on (for example encoder inputs),
            passed to `model.prefill`; `None` for a language model.
        sampler: a sampler name (`"greedy"`, `"random"`, `"top_k"`,
            `"top_p"`, `"beam"`) or a `keras_hub.samplers.Sampler` instance,
            such as `keras_seq.decoding.BeamSearch(num_beams=4)`.
        temperature: optional float, for a sampler given by name.
        seed: optional int. With a seed, the same call gives the same tokens
            on the same backend; without one, every call draws anew.
        end_token_id: optional int. A sequence stops at this token; later
            positions hold `pad_token_id` and are `False` in the padding
            mask. Generation stops when every sequence has ended.
        pad_token_id: int. The token after a sequence's end. Defaults to
            `0`.
        min_length: int. The end token is banned until a sequence has
            generated this many tokens. Defaults to `0`.
        no_repeat_ngram_size: int. When positive, no n-gram of this size
            occurs twice in a sequence (prompt included). Defaults to `0`.
        return_attention: bool. Also return the attention weights of each
            position over the context, for models with an
            `attention_scores(token_ids, context)` method; they are computed
            by one teacher-forced pass over the generated tokens.

    Returns:
        A dict of numpy arrays: `"token_ids"` `(batch_size, prompt_length +
        max_length)` and its boolean `"padding_mask"`, `True` at the prompt
        and generated tokens (up to and including the end token). Beam
        search adds `"scores"`, the length-normalised log-probabilities;
        with `num_results > 1` it returns `num_results` hypotheses per
        sequence, best first: `(batch_size, num_results, length)` and
        `(batch_size, num_results)`. `return_attention=True` adds
        `"attention"`.

    Example:

    ```python
    import numpy as np
    import keras_seq

    model = keras_seq.applications.TextGenerator(
        vocabulary=list("abc "), units=16, embedding_dim=8
    )
    prompt = np.array([[1, 2], [3, 1]], "int32")
    outputs = keras_seq.decoding.generate(model, prompt, max_length=5)
    outputs["token_ids"].shape  # (2, 7)
    ```
    """
    return_attention = bool(return_attention)
    _check_model(model, return_attention)
    max_length = check_positive_int("max_length", max_length)
    if max_length > MAX_LENGTH:
        raise invalid_argument(
            "max_length",
            max_length,
            f"at most {MAX_LENGTH:,} tokens (`generate` holds every token "
            "in one buffer; `generate_stream` yields them one at a time)",
        )
    end_token_id, pad_token_id, min_length, seed = _check_options(
        end_token_id, pad_token_id, min_length, seed
    )
    ngram_size = check_non_negative_int(
        "no_repeat_ngram_size", no_repeat_ngram_size
    )
    tokens, mask = _prepare_prompt(prompt, prompt_mask)
    lengths = mask.sum(axis=1).astype("int32")
    start = int(lengths.min())
    padding = np.full((tokens.shape[0], max_length), pad_token_id, "int32")
    tokens = np.concatenate([tokens, padding], axis=1)
    mask = np.concatenate([mask, np.zeros(padding.shape, bool)], axis=1)
    if ngram_size > tokens.shape[1]:
        ngram_size = 0  # No n-gram that long fits: nothing to ban.
    sampler_kwargs = _sampler_kwargs(sampler, temperature)
    options = {
        "max_length": max_length,
        "ragged": bool(lengths.min() != lengths.max()),
        "end_token_id": end_token_id,
        "pad_token_id": pad_token_id,
        "min_length": min_length,
        "no_repeat_ngram_size": ngram_size,
        "return_attention": return_attention,
    }
    key = (
        "generate",
        _sampler_key(sampler, sampler_kwargs),
        tuple(sorted(options.items())),
        tokens.shape,
        start,
        _structure_key(context),
    )

    def build(instance):
        def run(tokens, mask, lengths, context):
            return _decode(
                model, instance, options, start, tokens, mask, lengths, context
            )

        return run

    instance, function = _cached(model, key, sampler, sampler_kwargs, build)
    if seed is not None:
        _reset_seed(instance, seed)
    outputs = function(
        ops.convert_to_tensor(tokens),
        ops.convert_to_tensor(mask),
        ops.convert_to_tensor(lengths),
        _as_tensors(context),
    )
    return tree.map_structure(ops.convert_to_numpy, outputs)


def generate_stream(
    model,
    prompt,
    max_length,
    *,
    context=None,
    sampler="greedy",
    temperature=None,
    seed=None,
    end_token_id=None,
):
    """Yields generated tokens one position at a time.

    The prompt is read once, when this is called (the arguments are checked
    then too); then each step runs one compiled function that advances the
    recurrent state by one token and samples the next, so the first tokens
    arrive before the last are computed. Greedy streams give the tokens of
    `generate`; a sampled stream draws from the same distributions, with
    its own random numbers.

    Args:
        model: a model implementing `prefill` and `next`.
        prompt: int array `(batch_size, prompt_length)`, every row a full
            prompt (for prompts of different lengths, use `generate`).
        max_length: int. The most tokens to yield.
        context: what the model conditions on, passed to `model.prefill`.
        sampler: a token-by-token sampler: `"greedy"`, `"random"`,
            `"top_k"`, `"top_p"` or such an instance. Beam search needs the
            whole search before it knows any token: use `generate`.
        temperature: optional float, for a sampler given by name.
        seed: optional int, for reproducible sampling.
        end_token_id: optional int. The stream ends once every sequence has
            produced it; sequences that ended earlier yield `pad` token `0`.

    Returns:
        An iterator of int numpy arrays `(batch_size,)`, one per generated
        position.
    """
    _check_model(model, False)
    max_length = check_positive_int("max_length", max_length)
    end_token_id, _, _, seed = _check_options(end_token_id, 0, 0, seed)
    tokens, _ = _prepare_prompt(prompt, None)
    sampler_kwargs = _sampler_kwargs(sampler, temperature)
    if isinstance(sampler, BeamSearch) or (
        isinstance(sampler, str) and sampler.lower() == "beam"
    ):
        raise ValueError(
            "Received `sampler='beam'` in `generate_stream`: beam search "
            "knows no token until the whole search ends. Use `generate`."
        )
    batch_size = tokens.shape[0]
    # torch runs the step eagerly (see `compile_function`).
    eager = keras.config.backend() == "torch"

    def build_prefill(instance):
        def run(tokens, context):
            return model.prefill(tokens, context)

        return run

    def build_step(instance, model_next=model.next):
        def run(last_token, state):
            logits, _, state = model_next(last_token, state, 1)
            logits = ops.cast(logits, "float32")
            if eager and type(instance) is keras_hub.samplers.GreedySampler:
                # As the eager `generate` loop picks: the arg-max of the
                # logits, which the softmax does not change.
                token = ops.argmax(logits, axis=-1)
            else:
                probabilities = instance.compute_probabilities(logits)
                token = instance.get_next_token(probabilities)
            return ops.cast(token, "int32")[:, None], state

        return run

    context_key = _structure_key(context)
    sampler_key = _sampler_key(sampler, sampler_kwargs)
    step_key = ("stream", sampler_key, batch_size, context_key)
    if eager:
        # Nothing to compile on torch: this stream's step reads the weights
        # as they are now, once (`frozen_next`), not on every token. Only
        # the sampler (its random state) is kept from stream to stream.
        instance = _cached_sampler(model, step_key, sampler, sampler_kwargs)
        step = compile_function(
            build_step(instance, _frozen_next(model)), model
        )
    else:
        instance, step = _cached(
            model, step_key, sampler, sampler_kwargs, build_step
        )
    _, prefill = _cached(
        model,
        ("prefill", sampler_key, tokens.shape, context_key),
        instance,
        {},
        build_prefill,
    )
    if seed is not None:
        _reset_seed(instance, seed)
    state = prefill(ops.convert_to_tensor(tokens[:, :-1]), _as_tensors(context))
    last_token = ops.convert_to_tensor(tokens[:, -1:])
    return _stream(step, last_token, state, max_length, end_token_id)


def _stream(step, last_token, state, max_length, end_token_id):
    """The token generator of `generate_stream`, from the prompt's state."""
    done = np.zeros(last_token.shape[0], bool)
    for _ in range(max_length):
        last_token, state = step(last_token, state)
        token = ops.convert_to_numpy(last_token)[:, 0]
        token = np.where(done, 0, token)
        yield token
        if end_token_id is not None:
            done |= token == end_token_id
            if done.all():
                return
