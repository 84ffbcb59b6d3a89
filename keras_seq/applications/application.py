"""What every keras_seq application model shares."""

import keras
from keras import ops

from keras_seq import decoding
from keras_seq.applications.vocabulary import OOV_ID
from keras_seq.applications.vocabulary import PAD_ID
from keras_seq.applications.vocabulary import START_ID
from keras_seq.decoding.logits_processing import BANNED_LOGIT
from keras_seq.losses import TokenCrossentropy
from keras_seq.utils import fast_layers

# Padding, unknown words and the start token are never generated.
NEVER_GENERATED = (PAD_ID, OOV_ID, START_ID)


class ApplicationMixin:
    """Config and compile plumbing for the application models.

    An application is compiled with its own defaults on construction and
    overrides `compile`; Keras then leaves restoring the compile settings of
    a loaded `.keras` file to the model (`compile_from_config`). Its config
    holds plain values and Keras-serialized objects (a dtype policy, an
    activation, a sampler), which `from_config` deserializes.
    """

    def compile(self, *args, jit_compile="auto", **kwargs):
        # Keras saves `jit_compile` resolved for the backend that saved the
        # model: True on JAX and TensorFlow. A file saved there and loaded
        # on torch would then train and predict under `torch.compile`
        # (slow to start, and not Keras's default on torch). The config
        # keeps what was asked for, so "auto" is resolved where it loads.
        self.requested_jit_compile = jit_compile
        super().compile(*args, jit_compile=jit_compile, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None and hasattr(self, "requested_jit_compile"):
            config["jit_compile"] = self.requested_jit_compile
        return config

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def application_config(self, **config):
        """`config` plus the settings every `keras.Model` has."""
        return {
            **config,
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.saving.serialize_keras_object(self.dtype_policy),
        }

    @classmethod
    def from_config(cls, config):
        config = {
            key: (
                keras.saving.deserialize_keras_object(value)
                if isinstance(value, dict) and "class_name" in value
                else value
            )
            for key, value in config.items()
        }
        return cls(**config)


class TokenDecoderMixin:
    """One decoding step for the models that write text from an encoding.

    `Seq2SeqTranslator` and `ImageCaptioner` have a `target_embedding`, a
    `decoder` (a `RecurrentStack`, or an `AttentionDecoder` when
    `attention` is set) and a `head`, and keep in the generation cache the
    decoder `"state"` and, with attention, the `"encoder_outputs"`, their
    `"encoder_keys"` and optionally an `"encoder_mask"`.

    The model names, as `context_key`, the entry of the generation context
    that `encode` reads.
    """

    context_key = None

    def compile_with_defaults(
        self, optimizer, loss, metrics, clipnorm, **kwargs
    ):
        """`keras.Model.compile` where `"auto"` means: Adam (learning rate
        1e-3, gradient norm clipped at `clipnorm`), cross-entropy from
        logits averaged over the real tokens the sample weights mark, and
        accuracy over those tokens."""
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3, clipnorm=clipnorm)
        if loss == "auto":
            loss = TokenCrossentropy(reduction="mean_with_sample_weight")
        if metrics == "auto":
            metrics = [keras.metrics.SparseCategoricalAccuracy("accuracy")]
        kwargs.setdefault("weighted_metrics", metrics)
        ApplicationMixin.compile(self, optimizer=optimizer, loss=loss, **kwargs)

    def prefill(self, tokens, context):
        """The decoder state after reading `tokens`, for the input that
        `context[context_key]` holds."""
        cache = self.encode(context[self.context_key])
        if self.attention is not None:
            cache["encoder_keys"] = self.decoder.compute_keys(
                cache["encoder_outputs"]
            )
        for index in range(1, ops.shape(tokens)[1] + 1):
            _, _, cache = self.next(tokens, cache, index)
        return cache

    def next(self, prompt, cache, index):
        """Reads `prompt[:, index - 1]`; returns logits for `index`."""

        def dense(hidden):
            logits = fast_layers.dense(self.head, hidden)
            for banned in NEVER_GENERATED:
                logits = fast_layers.ban_index(logits, banned, BANNED_LOGIT)
            return logits

        return self._next(
            lambda tokens: fast_layers.embed(self.target_embedding, tokens),
            self.decoder.step,
            dense,
            prompt,
            cache,
            index,
        )

    def frozen_next(self):
        """`next` with the weights read once, for a torch decoding loop.

        Returns a function computing what `next` computes, or `None` where
        a layer has no torch shortcut (other backends, other dtypes).
        """
        # The frozen head bans what is never generated itself, at no cost
        # per token.
        functions = fast_layers.frozen_decoding_step(
            self.target_embedding,
            self.decoder,
            self.head,
            banned=NEVER_GENERATED,
            banned_value=BANNED_LOGIT,
        )
        if functions is None:
            return None
        return lambda *args: self._next(*functions, *args)

    def _next(self, embed, step, dense, prompt, cache, index):
        # `next`, from functions for the embedding, the decoder's `step`
        # and the head (which bans the tokens never generated).
        embedded = embed(prompt[:, index - 1])
        if self.attention is None:
            hidden, state = step(embedded, cache["state"])
        else:
            hidden, state, _ = step(
                embedded,
                cache["state"],
                cache["encoder_outputs"],
                cache.get("encoder_mask"),
                encoder_keys=cache["encoder_keys"],
            )
        return dense(hidden), hidden, {**cache, "state": state}

    def _get_sampler(self, sampler, kwargs):
        """The sampler to use: `sampler`, else the model's, built with the
        sampler arguments popped from `kwargs`."""
        names = ("num_beams", "length_penalty", "num_results", "temperature")
        names += ("k", "p")
        sampler_kwargs = {n: kwargs.pop(n) for n in names if n in kwargs}
        return decoding.get_sampler(
            self.sampler if sampler is None else sampler, **sampler_kwargs
        )
