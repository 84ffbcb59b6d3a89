"""ImageCaptioner: a CNN encoder and an attention RNN decoder.

Show, Attend and Tell (Xu et al., 2015): a convolutional network turns the
image into a grid of feature vectors, and a recurrent decoder writes the
caption one word at a time, attending over the grid at every step (soft
attention). The encoder is any `keras.applications` backbone (from scratch,
ImageNet weights or a weights file), any Keras model that outputs a feature
map, or a small CNN for small images. Text goes in and comes out, and
generation runs the compiled loop of `keras_seq.decoding`, beam search
included.
"""

import os

import keras
import numpy as np
from keras import ops

from keras_seq import decoding
from keras_seq.applications.application import ApplicationMixin
from keras_seq.applications.application import TokenDecoderMixin
from keras_seq.applications.vocabulary import END_ID
from keras_seq.applications.vocabulary import OOV_TOKEN
from keras_seq.applications.vocabulary import PAD_ID
from keras_seq.applications.vocabulary import START_ID
from keras_seq.applications.vocabulary import Tokenizers
from keras_seq.applications.vocabulary import build_vocabulary
from keras_seq.applications.vocabulary import check_vocabulary
from keras_seq.applications.vocabulary import detokenize
from keras_seq.applications.vocabulary import pad_ids
from keras_seq.layers import AttentionDecoder
from keras_seq.layers.recurrent_stack import CELL_STATE_NAMES
from keras_seq.metrics.captioning import caption_groups
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_finite_batch
from keras_seq.utils.argument_validation import check_image_size
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import check_texts
from keras_seq.utils.argument_validation import invalid_argument
from keras_seq.utils.file_utils import atomic_save_figure
from keras_seq.utils.random_utils import numpy_generator

# name: (the `keras.applications` constructor, the preprocessing it needs
# on [0, 255] RGB pixels; MobileNetV3 and EfficientNet include theirs).
ENCODERS = {
    "mobilenet_v3_small": ("MobileNetV3Small", None),
    "efficientnet_b0": ("EfficientNetB0", None),
    "resnet50": ("ResNet50", "caffe"),
}
# ImageNet channel means, BGR, of the "caffe" preprocessing.
_CAFFE_MEANS = (103.939, 116.779, 123.68)


def small_cnn(dtype=None, name="small_cnn"):
    """The encoder of `encoder=None`: three convolution blocks, for small
    images trained from scratch. Each block halves the height and width."""
    layers = [keras.layers.Rescaling(1.0 / 255.0, dtype=dtype)]
    for filters in (32, 64, 96):
        layers += [
            keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=False, dtype=dtype
            ),
            # Momentum 0.9: the moving variance must fall from 1 to the
            # small variance of mostly black images within an epoch.
            keras.layers.BatchNormalization(momentum=0.9, dtype=dtype),
            keras.layers.ReLU(dtype=dtype),
            keras.layers.MaxPooling2D(dtype=dtype),
        ]
    return keras.Sequential(layers, name=name)


@keras.saving.register_keras_serializable(package="keras_seq")
class ImageCaptioner(ApplicationMixin, TokenDecoderMixin, keras.Model):
    """Writes captions for images: a CNN encoder and an attention decoder.

    The encoder turns an image into a feature map; its `h x w` feature
    vectors, projected to `units`, are the positions the decoder attends
    over. The decoder (an LSTM or GRU) starts from a `tanh` layer of the
    mean feature vector, reads the previous word and, at every step,
    attends over the whole map (soft attention) before predicting the next
    word (Xu et al., 2015).

    Encoders:
    - `"mobilenet_v3_small"`, `"efficientnet_b0"` or `"resnet50"`: the
      `keras.applications` backbone without its classifier, with its own
      preprocessing. `encoder_weights=None` trains it from scratch,
      `"imagenet"` downloads the official weights (Keras verifies their
      hash), and a path loads a weights file.
    - a `keras.Model` taking `(batch_size, height, width, 3)` float pixels
      in `[0, 255]` and returning a feature map `(batch_size, h, w,
      channels)` (or `(batch_size, positions, channels)`).
    - `None`: a small CNN (three convolution, batch normalization and
      pooling blocks) trained from scratch, for small images such as
      digits.

    Images: `fit`, `caption` and `evaluate` take a uint8 or float array
    `(batch_size, height, width, channels)` with pixel values in `[0, 255]`,
    a list of such arrays, or a list of image file paths. One channel
    (grayscale, also `(height, width)` arrays) is repeated into RGB; other
    channel counts than 1 and 3 are an error. Images of another size are
    resized to `image_size` (bilinear), so the aspect ratio is not kept.
    An unreadable or corrupted file is an error naming it.

    Vocabulary: word level, lowercased, read by KerasHub's
    `WordPieceTokenizer` (ids 0 to 3 are `"[PAD]"`, `"[UNK]"`, `"[START]"`
    and `"[END]"`). Give `vocabulary`, or leave it `None` and call
    `adapt(captions)`; `fit` on caption strings adapts a model that has no
    vocabulary yet. Words outside the vocabulary become `"[UNK]"` in
    training and are never generated. The vocabulary, the encoder's name
    and the image size are in the config, so a `.keras` file holds
    everything `caption` needs.

    Training: `fit(images, captions)` takes one caption per image (a list
    of str) or several (a list of lists of str: every caption is a training
    pair with its image). Teacher forcing; the loss is cross-entropy
    averaged over real caption tokens, plus, with
    `attention_regularization > 0`, the "doubly stochastic" penalty
    `mean((1 - sum_t alpha_t)^2)` that asks the decoder to have looked at
    every position by the end of the caption. Adam (learning rate 1e-3,
    gradient norm clipped at 5.0); `compile()` overrides.

    Args:
        vocabulary: list of str, or None (see above). Defaults to `None`.
        encoder: str, `keras.Model` or None. Defaults to
            `"mobilenet_v3_small"`.
        encoder_weights: None, `"imagenet"` or a weights file path, for a
            named encoder (a path also works for a `keras.Model`). Defaults
            to `None`.
        encoder_trainable: bool or None. Whether training updates the
            encoder. Defaults to `None`: trainable when it starts without
            weights, frozen when it starts from `encoder_weights`.
        image_size: int or `(height, width)`. Defaults to `224`.
        cell: str. `"lstm"` or `"gru"`. Defaults to `"lstm"`.
        units: int. The decoder state size and the projected feature size.
            Defaults to `256`.
        embedding_dim: int. The word embedding size. Defaults to `256`.
        attention: str. `"bahdanau"` (additive score, as Xu et al.) or
            `"luong"`. Defaults to `"bahdanau"`.
        dropout: float. Dropout on the features, the embeddings and before
            the output layer, in training. Defaults to `0.0`.
        attention_regularization: float. The weight of the doubly
            stochastic penalty (Xu et al. use 1.0). Defaults to `0.0`.
        position_embedding: bool. Add a learned vector per feature-map
            position to the projected features, so that attention can
            address places ("the next digit to the right") as well as
            contents. Defaults to `True`.
        max_caption_length: int. Words trained on and generated at most.
            Defaults to `32`.
        sampler: str or `keras_hub.samplers.Sampler`. The default sampler
            of `caption`. Defaults to `"greedy"`.
        name: str. Defaults to `"image_captioner"`.
        **kwargs: other arguments of `keras.Model`, such as `dtype`.

    Example:

    ```python
    import numpy as np
    import keras_seq

    images = np.random.randint(0, 256, (4, 32, 64, 3), "uint8")
    captions = ["a dark image", "a bright image", "noise", "more noise"]
    model = keras_seq.applications.ImageCaptioner(
        encoder=None, image_size=(32, 64), units=32, embedding_dim=16
    )
    model.fit(images, captions, batch_size=2, epochs=1)  # adapts first
    model.caption(images[:1], sampler="beam", num_beams=3)
    ```

    Reference:
    - [Xu et al., 2015](https://arxiv.org/abs/1502.03044)
    """

    context_key = "images"

    def __init__(
        self,
        vocabulary=None,
        encoder="mobilenet_v3_small",
        encoder_weights=None,
        encoder_trainable=None,
        image_size=224,
        cell="lstm",
        units=256,
        embedding_dim=256,
        attention="bahdanau",
        dropout=0.0,
        attention_regularization=0.0,
        position_embedding=True,
        max_caption_length=32,
        sampler="greedy",
        name="image_captioner",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.image_size = check_image_size(image_size, allow_int=True)
        self.cell = check_choice("cell", cell, ("lstm", "gru"))
        self.units = check_positive_int("units", units)
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.attention = check_choice(
            "attention", attention, ("bahdanau", "luong")
        )
        self.dropout = check_rate("dropout", dropout)
        if not (
            isinstance(attention_regularization, (int, float))
            and not isinstance(attention_regularization, bool)
            and attention_regularization >= 0
        ):
            raise invalid_argument(
                "attention_regularization",
                attention_regularization,
                "a float >= 0",
            )
        self.attention_regularization = float(attention_regularization)
        self.position_embedding = bool(position_embedding)
        self.max_caption_length = check_positive_int(
            "max_caption_length", max_caption_length
        )
        self.sampler = decoding.get_sampler(sampler)
        self._tokenizers = Tokenizers()

        # === Encoder ===
        dtype = self.dtype_policy
        self.encoder_name, self.encoder = self._make_encoder(
            encoder, encoder_weights
        )
        if encoder_trainable is None:
            encoder_trainable = encoder_weights is None
        self.encoder_trainable = bool(encoder_trainable)
        self.encoder.trainable = self.encoder_trainable
        self.feature_projection = keras.layers.Dense(
            self.units, dtype=dtype, name="feature_projection"
        )
        self.feature_dropout = keras.layers.Dropout(
            self.dropout, dtype=dtype, name="feature_dropout"
        )
        self.bridges = [
            keras.layers.Dense(
                self.units, activation="tanh", dtype=dtype, name=f"init_{s}"
            )
            for s in CELL_STATE_NAMES[self.cell]
        ]
        # === Decoder ===
        self.decoder = AttentionDecoder(
            self.cell,
            self.units,
            attention=self.attention,
            dtype=dtype,
            name="decoder",
        )
        self.embedding_dropout = keras.layers.Dropout(
            self.dropout, dtype=dtype, name="embedding_dropout"
        )
        self.output_dropout = keras.layers.Dropout(
            self.dropout, dtype=dtype, name="output_dropout"
        )
        self.vocabulary = None
        if vocabulary is not None:
            self._set_vocabulary(check_vocabulary("vocabulary", vocabulary))
        self.compile()

    # === Encoder ===

    def _make_encoder(self, encoder, weights):
        """`(name, model)`: the name is `None` for a `keras.Model`."""
        shape = (*self.image_size, 3)
        if isinstance(encoder, keras.Model):
            if weights not in (None, "imagenet"):
                _load_weights(encoder, weights)
            elif weights == "imagenet":
                raise ValueError(
                    "Received `encoder_weights='imagenet'` with an encoder "
                    "model: load its weights yourself, or pass a weights "
                    "file path."
                )
            return None, encoder
        if encoder is None:
            if weights is not None:
                raise ValueError(
                    "Received `encoder_weights` with `encoder=None`: the "
                    "small CNN always starts from scratch (got "
                    f"{weights!r})."
                )
            model = small_cnn(dtype=self.dtype_policy)
            model.build((None, *shape))
            return None, model
        if not isinstance(encoder, str) or encoder not in ENCODERS:
            raise invalid_argument(
                "encoder",
                encoder,
                f"one of {sorted(ENCODERS)}, a keras.Model or None",
            )
        if weights is not None and not isinstance(weights, (str, os.PathLike)):
            raise invalid_argument(
                "encoder_weights", weights, "None, 'imagenet' or a file path"
            )
        constructor = getattr(keras.applications, ENCODERS[encoder][0])
        model = constructor(
            include_top=False,
            weights="imagenet" if weights == "imagenet" else None,
            input_shape=shape,
        )
        if weights not in (None, "imagenet"):
            _load_weights(model, weights)
        return encoder, model

    def encode(self, images, training=None):
        """Reads images `(batch_size, height, width, 3)` (or 1 channel),
        pixels in `[0, 255]`, resized to `image_size` if they differ.

        Returns:
            A dict: `"encoder_outputs"`, the projected features `(batch_size,
        positions, units)`, and `"state"`, the decoder's initial state.
        """
        x = ops.cast(images, self.compute_dtype)
        if x.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        if tuple(x.shape[1:3]) != self.image_size:
            x = ops.image.resize(x, self.image_size)
        if self.encoder_name and ENCODERS[self.encoder_name][1] == "caffe":
            x = x[..., ::-1] - ops.convert_to_tensor(_CAFFE_MEANS, x.dtype)
        features = self.encoder(x, training=training and self.encoder_trainable)
        if len(features.shape) == 4:
            features = ops.reshape(
                features,
                (-1, features.shape[1] * features.shape[2], features.shape[3]),
            )
        features = self.feature_projection(features)
        if self.position_embedding:
            features = features + self.positions
        features = self.feature_dropout(features, training=training)
        mean = ops.mean(features, axis=1)
        state = [[bridge(mean) for bridge in self.bridges]]
        return {"encoder_outputs": features, "state": state}

    @property
    def feature_grid(self):
        """`(h, w)` of the encoder's feature map (its attention grid), or
        `(positions, 1)` for an encoder that returns a sequence."""
        shape = self.encoder.compute_output_shape((1, *self.image_size, 3))
        if len(shape) == 4:
            return tuple(shape[1:3])
        return (shape[1], 1)

    # === Vocabulary ===

    def _set_vocabulary(self, vocabulary):
        if self.vocabulary is not None:
            raise ValueError(
                "This ImageCaptioner already has a vocabulary: create a new "
                "model to use another one."
            )
        self.vocabulary = vocabulary
        dtype = self.dtype_policy
        self.target_embedding = keras.layers.Embedding(
            len(vocabulary), self.embedding_dim, dtype=dtype, name="embedding"
        )
        self.head = keras.layers.Dense(
            len(vocabulary), dtype="float32", name="logits"
        )
        self.build(
            {
                "images": (None, *self.image_size, 3),
                "caption_ids": (None, None),
            }
        )

    def adapt(self, captions, vocabulary_size=10000):
        """Learns the word vocabulary from training captions.

        Args:
            captions: list of str, or list of lists of str.
            vocabulary_size: int. The most entries, the four reserved
                tokens included; the most frequent words are kept.
        """
        texts = _flatten_captions(captions)
        self._set_vocabulary(
            build_vocabulary(texts, vocabulary_size, "word", lowercase=True)
        )

    def _check_has_vocabulary(self):
        if self.vocabulary is None:
            raise ValueError(
                "This ImageCaptioner has no vocabulary yet: pass "
                "`vocabulary=` when creating it, call `adapt(captions)`, or "
                "`fit` it on caption strings (which adapts it)."
            )

    def _tokenizer(self):
        if "caption" not in self._tokenizers.by_side:
            import keras_hub

            self._tokenizers.by_side["caption"] = (
                keras_hub.tokenizers.WordPieceTokenizer(
                    vocabulary=self.vocabulary,
                    lowercase=True,
                    strip_accents=False,
                    oov_token=OOV_TOKEN,
                    dtype="int32",
                )
            )
        return self._tokenizers.by_side["caption"]

    def tokenize(self, captions):
        """Token ids of each caption (no start or end token), truncated to
        `max_caption_length`."""
        self._check_has_vocabulary()
        captions = check_texts("captions", captions, allow_empty=True)
        if not captions:
            return []
        ids = self._tokenizer()(captions)
        ids = ids.to_list() if hasattr(ids, "to_list") else ids
        return [[int(i) for i in row[: self.max_caption_length]] for row in ids]

    def detokenize(self, ids):
        """Text of token ids; stops at `"[END]"`, skips padding and start."""
        self._check_has_vocabulary()
        tokens = []
        for i in np.asarray(ids).ravel().tolist():
            if i == END_ID:
                break
            if i not in (PAD_ID, START_ID):
                tokens.append(self.vocabulary[i])
        return detokenize(tokens)

    # === Images ===

    def preprocess_images(self, images):
        """Images as a uint8 or float32 array `(n, *image_size, 3)`.

        Takes an array `(n, height, width, channels)` (or `(n, height,
        width)`), a list of arrays, or a list of file paths; see the class
        documentation for what is converted and what is an error.
        """
        from keras_seq.datasets.captions import load_images

        if isinstance(images, (str, os.PathLike)):
            images = [images]
        if isinstance(images, (list, tuple)):
            if not images:
                raise ValueError(
                    "Received an empty list of `images`: expected at least "
                    "one image."
                )
            if all(isinstance(i, (str, os.PathLike)) for i in images):
                return load_images(images, self.image_size, name="images")
            images = [self._as_image_array(image) for image in images]
            return np.stack([self._resize(image) for image in images])
        array = self._as_image_array(images, batched=True)
        if array.shape[1:3] != self.image_size:
            array = np.stack([self._resize(image) for image in array])
        return array

    def _as_image_array(self, images, batched=False):
        if not hasattr(images, "shape") or not hasattr(images, "dtype"):
            raise TypeError(
                "Received an invalid type for argument `images`: expected an "
                "array (batch_size, height, width, channels), a list of "
                f"arrays or a list of file paths, got {type(images).__name__}."
            )
        array = np.asarray(ops.convert_to_numpy(images))
        if array.dtype.kind not in "uif" or array.dtype == bool:
            raise TypeError(
                "Received `images` of dtype "
                f"{array.dtype}: expected uint8 or float pixels in [0, 255]."
            )
        rank = 4 if batched else 3
        if array.ndim == rank - 1:
            array = array[..., None]
        if array.ndim != rank or array.shape[-1] not in (1, 3):
            expected = "(batch_size, height, width, channels)"
            if not batched:
                expected = "(height, width, channels)"
            raise ValueError(
                f"Received `images` of shape {array.shape}: expected {expected}"
                " with 1 (grayscale) or 3 (RGB) channels."
            )
        if array.shape[-1] == 1:
            array = np.repeat(array, 3, axis=-1)
        if array.dtype != np.uint8:
            array = array.astype("float32")
            check_finite_batch("images", array)
        return array

    def _resize(self, image):
        if image.shape[:2] == self.image_size:
            return image
        resized = ops.image.resize(
            image.astype("float32"), self.image_size, interpolation="bilinear"
        )
        resized = np.asarray(ops.convert_to_numpy(resized))
        if image.dtype == np.uint8:
            return np.clip(np.rint(resized), 0, 255).astype("uint8")
        return resized

    # === Training ===

    def make_dataset(
        self, images, captions, batch_size=32, shuffle=True, seed=None
    ):
        """Batches `(images, captions)` pairs for teacher-forced training.

        Args:
            images: images, as the class documentation describes; or a
                `tf.data.Dataset` of unbatched `(image, caption)` pairs (an
                image tensor `(height, width, channels)` and a string), with
                `captions=None`: it is tokenized and batched in the
                pipeline, images resized to `image_size`.
            captions: one str per image, or one list of str per image.
            batch_size: int. Pairs per batch.
            shuffle: bool. Reshuffle the pairs every epoch.
            seed: optional int, for the shuffling.

        Returns:
            A `tf.data.Dataset` (which `fit` reads on every backend) of
            `({"images", "caption_ids"}, labels, weights)` batches: the
            images as preprocessed, the ids padded to a multiple of 8
            tokens, weights 1 on real caption tokens and 0 on padding.
        """
        import tensorflow as tf

        self._check_has_vocabulary()
        batch_size = check_positive_int("batch_size", batch_size)
        if isinstance(images, tf.data.Dataset):
            if captions is not None:
                raise ValueError(
                    "Received a `tf.data.Dataset` and `captions`: the "
                    "dataset must yield `(image, caption)` pairs itself."
                )
            return self._pipeline(images, batch_size, shuffle, seed)
        pixels = self.preprocess_images(images)
        groups = caption_groups(captions, len(pixels), "captions")
        image_index, caption_ids = [], []
        for index, group in enumerate(groups):
            for ids in self.tokenize(group):
                image_index.append(index)
                caption_ids.append(ids)
        image_index = np.array(image_index)
        rng = numpy_generator(seed)
        num_batches = -(-len(image_index) // batch_size)

        def generate():
            order = np.arange(len(image_index))
            if shuffle:
                order = rng.permutation(order)
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                tokens = pad_ids(
                    [[START_ID, *caption_ids[i], END_ID] for i in rows],
                    extra=1,
                )
                inputs = {
                    "images": pixels[image_index[rows]],
                    "caption_ids": tokens[:, :-1],
                }
                labels = tokens[:, 1:]
                yield inputs, labels, (labels != PAD_ID).astype("float32")

        ids = tf.TensorSpec((None, None), tf.int32)
        signature = (
            {
                "images": tf.TensorSpec(
                    (None, *self.image_size, 3), tf.as_dtype(pixels.dtype)
                ),
                "caption_ids": ids,
            },
            ids,
            tf.TensorSpec((None, None), tf.float32),
        )
        dataset = tf.data.Dataset.from_generator(
            generate, output_signature=signature
        )
        dataset = dataset.apply(
            tf.data.experimental.assert_cardinality(num_batches)
        )
        return dataset.prefetch(2)

    def _pipeline(self, pairs, batch_size, shuffle, seed):
        """Tokenizes and batches a dataset of `(image, caption)` pairs."""
        import tensorflow as tf

        spec = pairs.element_spec
        if not (
            isinstance(spec, tuple)
            and len(spec) == 2
            and spec[0].shape.rank == 3
            and spec[0].shape[-1] in (1, 3)
            and spec[1].dtype == tf.string
            and spec[1].shape.rank == 0
        ):
            raise ValueError(
                "Received a `tf.data.Dataset` whose elements are "
                f"{spec}: expected unbatched `(image, caption)` pairs, an "
                "image `(height, width, 1 or 3)` and a scalar string."
            )
        tokenizer = self._tokenizer()
        length = self.max_caption_length
        height, width = self.image_size

        def prepare(image, caption):
            image = tf.cast(image, tf.float32)
            image = tf.image.resize(image, (height, width))
            if image.shape[-1] == 1:
                image = tf.tile(image, (1, 1, 3))
            ids = tokenizer(caption)[:length]
            ids = tf.concat([[START_ID], ids, [END_ID]], axis=0)
            return image, ids

        def split(images, ids):
            # Padded to a multiple of 8 input tokens, plus the shift.
            padding = -(tf.shape(ids)[1] - 1) % 8
            ids = tf.pad(ids, [[0, 0], [0, padding]])
            labels = ids[:, 1:]
            weights = tf.cast(tf.not_equal(labels, PAD_ID), tf.float32)
            return (
                {"images": images, "caption_ids": ids[:, :-1]},
                labels,
                (weights),
            )

        if shuffle:
            pairs = pairs.shuffle(1024, seed=seed)
        dataset = pairs.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.padded_batch(
            batch_size, padded_shapes=([height, width, 3], [None])
        )
        return dataset.map(split).prefetch(2)

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        validation_data=None,
        shuffle=True,
        seed=None,
        **kwargs,
    ):
        """`keras.Model.fit`, also taking images and caption strings.

        With caption strings as `y` (one per image, or a list per image),
        `x` may be an array, a list of arrays or a list of image paths, and
        `validation_data` an `(images, captions)` tuple; `x` may also be a
        `tf.data.Dataset` of unbatched `(image, caption)` pairs. They go
        through `make_dataset` (`batch_size` defaults to 32). A model without a
        vocabulary first adapts to the training captions (and says so).
        Anything else is passed to `keras.Model.fit` as it is.
        """
        if y is None and _is_caption_pipeline(x):
            self._check_has_vocabulary()
            x = self.make_dataset(x, None, batch_size or 32, shuffle, seed)
            batch_size, shuffle = None, False
        if _is_captions(y):
            if self.vocabulary is None:
                self.adapt(y)
                print(
                    f"ImageCaptioner: learned a vocabulary of "
                    f"{len(self.vocabulary):,} tokens from the training "
                    "captions (`adapt`)."
                )
            x = self.make_dataset(x, y, batch_size or 32, shuffle, seed)
            y, batch_size, shuffle = None, None, False
        if (
            isinstance(validation_data, (list, tuple))
            and len(validation_data) == 2
            and _is_captions(validation_data[1])
        ):
            validation_data = self.make_dataset(
                *validation_data, batch_size or 32, shuffle=False
            )
        self._check_has_vocabulary()
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.evaluate`, also taking images and captions."""
        if _is_captions(y):
            x = self.make_dataset(x, y, batch_size or 32, shuffle=False)
            y, batch_size = None, None
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    # === Model ===

    def build(self, input_shape):
        self._check_has_vocabulary()
        images_shape = tuple(input_shape["images"])
        self.encoder.build(images_shape)
        shape = self.encoder.compute_output_shape(images_shape)
        positions = (shape[0], None, shape[-1])
        self.feature_projection.build(positions)
        if self.position_embedding:
            num_positions = self.feature_grid[0] * self.feature_grid[1]
            self.positions = self.add_weight(
                shape=(num_positions, self.units),
                initializer=keras.initializers.RandomNormal(stddev=0.02),
                name="position_embedding",
            )
        for bridge in self.bridges:
            bridge.build((None, self.units))
        embedded = (None, None, self.embedding_dim)
        self.target_embedding.build(tuple(input_shape["caption_ids"]))
        self.decoder.build(embedded, (None, None, self.units))
        self.head.build((None, None, self.units))
        self.built = True

    def call(self, inputs, training=None, return_attention_scores=False):
        encoded = self.encode(inputs["images"], training=training)
        caption_ids = ops.convert_to_tensor(inputs["caption_ids"], "int32")
        mask = ops.not_equal(caption_ids, PAD_ID)
        x = self.target_embedding(caption_ids)
        x = self.embedding_dropout(x, training=training)
        x, scores = self.decoder(
            x,
            encoded["encoder_outputs"],
            initial_state=encoded["state"],
            target_mask=mask,
            training=training,
            return_attention_scores=True,
        )
        if training and self.attention_regularization:
            # (1 - sum over real steps of the attention)^2 at every position.
            steps = ops.cast(mask, scores.dtype)[:, :, None]
            coverage = ops.sum(scores * steps, axis=1)
            self.add_loss(
                self.attention_regularization
                * ops.mean(ops.square(1.0 - coverage))
            )
        logits = self.head(self.output_dropout(x, training=training))
        if return_attention_scores:
            return logits, scores
        return logits

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; `"auto"` keeps each default.

        Args:
            optimizer: `"auto"` (Adam, learning rate 1e-3, gradient norm
                clipped at 5.0), or any optimizer.
            loss: `"auto"` (sparse categorical cross-entropy from logits,
                averaged over real caption tokens), or any loss.
            metrics: `"auto"` (token accuracy over real caption tokens), or
                any weighted metrics.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        self.compile_with_defaults(
            optimizer, loss, metrics, clipnorm=5.0, **kwargs
        )

    # === The generation contract ===

    def attention_scores(self, token_ids, context):
        """Attention `(batch_size, length, positions)`: row `t` is the
        attention of the step that reads `token_ids[:, t]`."""
        _, scores = self(
            {"images": context["images"], "caption_ids": token_ids},
            return_attention_scores=True,
        )
        return scores

    # === Captioning ===

    def caption(
        self,
        images,
        sampler=None,
        max_length=None,
        batch_size=64,
        seed=None,
        **kwargs,
    ):
        """Writes a caption for each image.

        Args:
            images: an image `(height, width, channels)`, an array of them,
                a list of arrays, or image file path(s).
            sampler: optional sampler name (`"greedy"`, `"beam"`, ...) or
                instance; the model's `sampler` by default.
            max_length: optional int. Words generated at most; defaults to
                `max_caption_length`.
            batch_size: int. Images captioned together.
            seed: optional int, for reproducible sampling.
            **kwargs: sampler arguments (`num_beams`, `length_penalty`,
                `temperature`, ...) and options of
                `keras_seq.decoding.generate`.

        Returns:
            A str for one image (a 3-D array or one path), else a list of
            str (empty for no images); with `num_results > 1`, a list of
            captions per image.
        """
        self._check_has_vocabulary()
        single = isinstance(images, (str, os.PathLike)) or (
            hasattr(images, "ndim") and images.ndim == 3
        )
        if single and hasattr(images, "ndim"):
            images = images[None]
        batch_size = check_positive_int("batch_size", batch_size)
        if max_length is None:
            max_length = self.max_caption_length
        max_length = check_positive_int("max_length", max_length)
        sampler = self._get_sampler(sampler, kwargs)
        if isinstance(images, (list, tuple)) and not images:
            return []  # As for an empty array of images.
        pixels = self.preprocess_images(images)
        captions = []
        for start in range(0, len(pixels), batch_size):
            outputs = self._generate(
                pixels[start : start + batch_size],
                sampler,
                max_length,
                seed,
                kwargs,
            )
            for tokens in outputs["token_ids"]:
                if tokens.ndim == 2:
                    captions.append([self.detokenize(t) for t in tokens])
                else:
                    captions.append(self.detokenize(tokens))
        return captions[0] if single else captions

    def _generate(self, pixels, sampler, max_length, seed, options):
        return decoding.generate(
            self,
            np.full((len(pixels), 1), START_ID, "int32"),
            max_length,
            context={"images": pixels},
            sampler=sampler,
            seed=seed,
            end_token_id=END_ID,
            pad_token_id=PAD_ID,
            **options,
        )

    def plot_attention(
        self, image, path=None, sampler="greedy", columns=5, **kwargs
    ):
        """Overlays the attention of each generated word on the image.

        The first panel shows the image and its caption; then one panel per
        word (the end token included), with the attention of the step that
        produced it upsampled over the image.

        Args:
            image: one image (array or file path).
            path: optional. Where to write the figure as a PNG, atomically.
            sampler: the sampler of the caption. Defaults to `"greedy"`.
            columns: int. Panels per row. Defaults to `5`.
            **kwargs: other arguments of `caption`.

        Returns:
            The `matplotlib.figure.Figure`.
        """
        from matplotlib.figure import Figure

        self._check_has_vocabulary()
        columns = check_positive_int("columns", columns)
        if hasattr(image, "ndim") and image.ndim == 3:
            image = image[None]
        pixels = self.preprocess_images(image)
        if len(pixels) != 1:
            raise ValueError(
                f"Received {len(pixels)} images: `plot_attention` draws "
                "one image."
            )
        sampler = self._get_sampler(sampler, kwargs)
        max_length = kwargs.pop("max_length", None) or self.max_caption_length
        outputs = self._generate(
            pixels,
            sampler,
            max_length,
            None,
            {**kwargs, "return_attention": True},
        )
        tokens = np.asarray(outputs["token_ids"][0]).reshape(-1)
        scores = np.asarray(outputs["attention"][0])
        scores = scores.reshape((-1,) + scores.shape[-2:])[0]
        words = []
        for token in tokens[1:].tolist():
            if token == PAD_ID:
                break
            words.append(token)
            if token == END_ID:
                break
        grid = self.feature_grid
        panels = len(words) + 1
        rows = -(-panels // columns)
        figure = Figure(
            figsize=(2.2 * min(columns, panels), 2.2 * rows),
            layout="constrained",
        )
        axes = np.atleast_1d(figure.subplots(rows, min(columns, panels)))
        axes = axes.ravel()
        shown = (
            pixels[0].astype("uint8")
            if pixels.dtype == np.uint8
            else (np.clip(pixels[0], 0, 255).astype("uint8"))
        )
        height, width = self.image_size
        axes[0].imshow(shown)
        axes[0].set_title(self.detokenize(tokens), fontsize=8, wrap=True)
        for axis, token, weights in zip(axes[1:], words, scores):
            axis.imshow(shown)
            axis.imshow(
                weights[: grid[0] * grid[1]].reshape(grid),
                cmap="gray",
                alpha=0.6,
                extent=(0, width, height, 0),
                interpolation="bilinear",
            )
            axis.set_title(self.vocabulary[token], fontsize=9)
        for axis in axes:
            axis.axis("off")
        if path is not None:
            atomic_save_figure(figure, path)
        return figure

    # === Saving ===

    def get_config(self):
        encoder = self.encoder_name
        if encoder is None and self.encoder.name != "small_cnn":
            encoder = keras.saving.serialize_keras_object(self.encoder)
        return self.application_config(
            vocabulary=self.vocabulary,
            encoder=encoder,
            # The trained weights, the encoder's included, are in the file.
            encoder_weights=None,
            encoder_trainable=self.encoder_trainable,
            image_size=list(self.image_size),
            cell=self.cell,
            units=self.units,
            embedding_dim=self.embedding_dim,
            attention=self.attention,
            dropout=self.dropout,
            attention_regularization=self.attention_regularization,
            position_embedding=self.position_embedding,
            max_caption_length=self.max_caption_length,
            sampler=keras.saving.serialize_keras_object(self.sampler),
        )


def evaluate_captions(
    model, images, references, sampler="greedy", batch_size=64, **kwargs
):
    """Captions `images` and scores them against all their references.

    Args:
        model: an `ImageCaptioner`.
        images: the images (see `ImageCaptioner`).
        references: one str or one list of str per image.
        sampler: the decoding sampler. Defaults to `"greedy"`.
        batch_size: int. Images captioned together.
        **kwargs: other arguments of `model.caption`, such as `num_beams`.

    Returns:
        A dict: `"bleu_1"` to `"bleu_4"` (in `[0, 1]`), `"cider_d"`,
        `"exact_match"` (the fraction of captions equal, word for word, to
        one of their references), `"num_images"`, `"seconds"` and
        `"examples"` (the first five `(references, caption)` pairs).
    """
    import time

    from keras_seq.metrics import caption_bleu
    from keras_seq.metrics import caption_words
    from keras_seq.metrics import cider_d

    start = time.perf_counter()
    pixels = model.preprocess_images(images)
    references = caption_groups(references, len(pixels))
    captions = model.caption(
        pixels, sampler=sampler, batch_size=batch_size, **kwargs
    )
    seconds = time.perf_counter() - start
    results = caption_bleu(captions, references)
    results["cider_d"] = cider_d(captions, references)[0]
    results["exact_match"] = float(
        np.mean(
            [
                caption_words(caption)
                in [caption_words(text) for text in group]
                for caption, group in zip(captions, references)
            ]
        )
    )
    results["num_images"] = len(captions)
    results["seconds"] = seconds
    results["examples"] = list(zip(references[:5], captions[:5]))
    return results


def _load_weights(model, path):
    if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
        raise invalid_argument(
            "encoder_weights", path, "None, 'imagenet' or an existing file"
        )
    model.load_weights(path)


def _is_captions(y):
    if isinstance(y, str):
        return True
    if isinstance(y, np.ndarray):
        return (
            y.dtype.kind in "UO" and y.size > 0 and isinstance(y.flat[0], str)
        )
    return (
        isinstance(y, (list, tuple))
        and bool(y)
        and isinstance(y[0], (str, list, tuple))
        and (not isinstance(y[0], (list, tuple)) or bool(y[0]))
        and isinstance(y[0] if isinstance(y[0], str) else y[0][0], str)
    )


def _is_caption_pipeline(x):
    """Whether `x` is a `tf.data.Dataset` of `(image, caption)` pairs."""
    spec = getattr(x, "element_spec", None)
    return (
        isinstance(spec, tuple)
        and len(spec) == 2
        and getattr(spec[1], "dtype", None) is not None
        and spec[1].dtype.name == "string"
    )


def _flatten_captions(captions):
    if isinstance(captions, str):
        captions = [captions]
    texts = []
    for group in captions:
        if isinstance(group, str):
            texts.append(group)
        else:
            texts.extend(check_texts("captions", group, allow_empty=True))
    return check_texts("captions", texts)
