"""Inference shortcuts for the per-token layers of a decoding step.

In a generation loop each layer runs once per token on a tiny batch, where
the torch backend's per-operation dispatch costs more than the arithmetic.
These functions compute exactly what the layer's `call` computes, with
PyTorch's own functions on torch (float32 only), and call the layer's `call`
everywhere else.
"""

import keras


def _torch_float32(layer):
    return (
        keras.config.backend() == "torch"
        and layer.compute_dtype == "float32"
        and layer.variable_dtype == "float32"
    )


def _fusable_embedding(layer):
    return _torch_float32(layer) and not getattr(layer, "lora_enabled", False)


def _plain_kernel(layer):
    # A Dense whose `kernel` is the float32 matrix it multiplies by.
    return (
        _torch_float32(layer)
        and not getattr(layer, "lora_enabled", False)
        and getattr(layer, "quantization_mode", None) is None
    )


def _fusable_dense(layer):
    return (
        _plain_kernel(layer)
        and layer.activation is keras.activations.linear
        and layer.use_bias
    )


def embed(layer, token_ids):
    """`keras.layers.Embedding.call` at inference."""
    if _fusable_embedding(layer):
        import torch

        return torch.nn.functional.embedding(
            token_ids.long(), layer.embeddings.value
        )
    return layer.call(token_ids)


def dense(layer, inputs):
    """`keras.layers.Dense.call` at inference, for a 2D input."""
    if _fusable_dense(layer):
        import torch

        return torch.addmm(layer.bias.value, inputs, layer.kernel.value)
    return layer.call(inputs)


def frozen_embed(layer):
    """`embed` as a function of the token ids with the table read once (for
    a decoding loop, in which it does not change), or `None` where `embed`
    has no torch shortcut."""
    if not _fusable_embedding(layer):
        return None
    import torch

    table = layer.embeddings.value.detach()

    def embed(token_ids):
        # PyTorch looks up int32 ids as they are (a cast costs a call).
        if token_ids.dtype not in (torch.int32, torch.int64):
            token_ids = token_ids.long()
        return torch.embedding(table, token_ids)

    return embed


def frozen_dense(layer, banned=(), banned_value=None):
    """`dense` as a function of the inputs with the weights read once, or
    `None` where `dense` has no torch shortcut.

    With `banned` column indices, the outputs in those columns are
    `banned_value`, as `ban_index` would set them, at no cost per call:
    their kernel columns are zeroed and their biases set to the value once,
    here (equal for finite inputs).
    """
    if not _fusable_dense(layer):
        return None
    import torch

    bias = layer.bias.value.detach()
    kernel = frozen_kernel(layer)
    if banned:
        bias, kernel = bias.clone(), kernel.clone()
        banned = list(banned)
        bias[banned] = banned_value
        kernel[:, banned] = 0.0
    return lambda inputs: torch.addmm(bias, inputs, kernel)


def frozen_kernel(layer):
    """The kernel of a `keras.layers.Dense`, read once as a PyTorch matrix
    (for a decoding loop that applies the layer's bias and activation
    itself), or `None` where it is not a plain float32 matrix on torch."""
    if not _plain_kernel(layer):
        return None
    return layer.kernel.value.detach().contiguous()


def frozen_decoding_step(
    embedding, decoder, head, banned=(), banned_value=None
):
    """`(embed, step, dense)`: the frozen shortcuts of a decoding step's
    `Embedding`, decoder (its `frozen_step()`) and `Dense` head (with
    `banned` logits, see `frozen_dense`), or `None` where any of them has
    none."""
    functions = (
        frozen_embed(embedding),
        decoder.frozen_step(),
        frozen_dense(head, banned, banned_value),
    )
    return None if any(f is None for f in functions) else functions


def ban_index(logits, index, value):
    """Sets `logits[:, index]` to `value` in a new tensor (or, on torch, in
    the fresh `logits` a layer has just returned, without a copy)."""
    if keras.config.backend() == "torch":
        logits[:, index] = value
        return logits
    vocabulary_size = keras.ops.shape(logits)[-1]
    banned = keras.ops.arange(vocabulary_size) == index
    return keras.ops.where(banned[None, :], value, logits)
