"""RowClassifier: an image classifier that reads one pixel row per time step.

The example of the recurrent-network tutorials this package grew from: an
MNIST digit is a sequence of 28 rows of 28 pixels, and a recurrent network
reads it top to bottom before a dense layer names the digit.
"""

import inspect
import os

import keras
import numpy as np

from keras_seq.applications.application import ApplicationMixin
from keras_seq.layers import RandomAffine
from keras_seq.layers import RecurrentStack
from keras_seq.utils.argument_validation import check_finite_batch
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import invalid_argument

# Training-time augmentation with `augmentation=True`: small random affine
# changes of the image, as fractions of its height and width (translation,
# zoom) or of a full turn (rotation).
AUGMENTATION_TRANSLATION = 0.08  # about 2 pixels on 28 x 28
AUGMENTATION_ROTATION = 0.03  # about 11 degrees
AUGMENTATION_ZOOM = 0.1

# The signatures whose `x` (and `validation_data`) are checked up front: on
# JAX, an error raised inside a compiled step leaves the model unusable.
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)
_EVALUATE_SIGNATURE = inspect.signature(keras.Model.evaluate)
_PREDICT_SIGNATURE = inspect.signature(keras.Model.predict)


def _image_shape(input_shape):
    """Checks `input_shape` and returns it as `(rows, columns)`."""
    shape = input_shape
    if isinstance(shape, (tuple, list)) and len(shape) == 3 and shape[2] == 1:
        shape = shape[:2]
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or not all(
            isinstance(size, int) and not isinstance(size, bool) and size > 0
            for size in shape
        )
    ):
        raise invalid_argument(
            "input_shape",
            input_shape,
            "`(rows, columns)` or `(rows, columns, 1)` of positive integers",
        )
    return tuple(shape)


def _check_images(images, image_shape, name="images"):
    """Checks that `images` are `(batch, rows, columns[, 1])` numbers."""
    try:
        shape = tuple(images.shape)
    except ValueError:
        # A TensorFlow trace relaxed to an unknown rank, after the inputs
        # were checked at the boundary.
        return
    rows, columns = image_shape
    if not (
        len(shape) in (3, 4)
        and shape[1:3] == (rows, columns)
        and (len(shape) == 3 or shape[3] == 1)
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected "
            f"images of shape (batch_size, {rows}, {columns}) or "
            f"(batch_size, {rows}, {columns}, 1) (one channel), got shape "
            f"{shape}."
        )
    dtype = str(getattr(images, "dtype", ""))
    if not any(kind in dtype for kind in ("int", "float")):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected "
            f"uint8 or float pixel values, got dtype {dtype}."
        )


def _check_source(data, image_shape, name):
    """Checks the images of a `fit`/`evaluate`/`predict` data source.

    Arrays and tensors are checked directly, a `tf.data.Dataset` through its
    `element_spec`; other sources (generators, `PyDataset`) are checked when
    the model is called on their first batch.
    """
    if isinstance(data, (tuple, list)) and data:
        data = data[0]  # (images, labels[, sample_weights])
    spec = getattr(data, "element_spec", None)
    if spec is not None:
        name = f"{name} (a tf.data.Dataset)"
        data = spec[0] if isinstance(spec, (tuple, list)) else spec
    if getattr(data, "shape", None) is not None:
        _check_images(data, image_shape, name)
    if isinstance(data, np.ndarray):
        check_finite_batch(name, data)


@keras.saving.register_keras_serializable(package="keras_seq")
class RowClassifier(ApplicationMixin, keras.Model):
    """Classifies images by reading their rows as a sequence.

    Each row of an image of shape `(rows, columns)` is one time step of a
    recurrent network (`RecurrentStack`); the last output, after optional
    dropout, goes through a dense layer with one unit per class. Images go
    in raw, as `(batch_size, rows, columns)` or
    `(batch_size, rows, columns, 1)`, uint8 or float, with pixel values in
    `[0, 255]`: the model rescales them to `[0, 1]` itself, so `predict`
    takes the images as they are loaded.

    The model is compiled on construction with sparse categorical
    cross-entropy, Adam with gradient clipping (norm 1.0) and accuracy;
    `compile()` with other arguments overrides any of them (`"auto"` keeps
    the default).

    Args:
        input_shape: tuple. The image shape, `(rows, columns)` or
            `(rows, columns, 1)`. Defaults to `(28, 28)` (MNIST).
        num_classes: int. The number of classes. Defaults to `10`.
        cell: str. The recurrent layer: `"lstm"`, `"gru"` or
            `"simple_rnn"`. Defaults to `"lstm"`.
        units: int. The state size of each recurrent layer (of each
            direction, when bidirectional). Defaults to `128`.
        num_layers: int. How many recurrent layers are stacked. Defaults to
            `1`.
        bidirectional: bool. Whether the rows are also read bottom to top.
            Defaults to `False`.
        dropout: float. Dropout rate between recurrent layers and before
            the classifier, during training. Defaults to `0.0`.
        augmentation: bool. Whether training applies small random shifts,
            rotations and zooms to the images (inference never does).
            Defaults to `False`.
        classifier_activation: the activation of the last layer, a name or a
            callable; `None` returns logits (the default loss then takes
            them as logits). Defaults to `"softmax"`.
        weights: `None` (random initialization) or the path of a
            `.weights.h5` file saved from a model of the same configuration.
            Defaults to `None`.
        name: str. The model name. Defaults to `"row_classifier"`.
        **kwargs: other keyword arguments of `keras.Model`, such as `dtype`.

    Example:

    ```python
    import keras_seq

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        keras_seq.datasets.mnist.load_data()
    )
    model = keras_seq.applications.RowClassifier(cell="gru", units=64)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=2)
    probabilities = model.predict(x_test[:8])  # (8, 10)
    ```
    """

    def __init__(
        self,
        input_shape=(28, 28),
        num_classes=10,
        cell="lstm",
        units=128,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        augmentation=False,
        classifier_activation="softmax",
        weights=None,
        name="row_classifier",
        **kwargs,
    ):
        image_shape = _image_shape(input_shape)
        check_positive_int("num_classes", num_classes)
        check_rate("dropout", dropout)
        if not isinstance(augmentation, bool):
            raise TypeError(
                "Received an invalid type for argument `augmentation`: "
                f"expected a bool, got {augmentation!r}."
            )
        if weights is not None and not (
            isinstance(weights, (str, os.PathLike))
            and os.fspath(weights).endswith(".weights.h5")
        ):
            raise invalid_argument(
                "weights",
                weights,
                "`None` or the path of a `.weights.h5` file (keras_seq "
                "publishes no pretrained RowClassifier weights)",
            )
        if weights is not None and not os.path.isfile(weights):
            raise FileNotFoundError(
                f"Received `weights={weights!r}`, but there is no such file."
            )
        dtype = kwargs.pop("dtype", None)

        # === Layers ===
        rescaling = keras.layers.Rescaling(
            1 / 255.0, dtype=dtype, name="rescaling"
        )
        random_affine = None
        if augmentation:
            random_affine = RandomAffine(
                rotation=AUGMENTATION_ROTATION,
                translation=AUGMENTATION_TRANSLATION,
                zoom=AUGMENTATION_ZOOM,
                dtype=dtype,
                name="random_affine",
            )
        recurrent_stack = RecurrentStack(
            cell,
            units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            return_sequences=False,
            dtype=dtype,
            name="recurrent_stack",
        )
        classifier_dropout = keras.layers.Dropout(
            dropout, dtype=dtype, name="classifier_dropout"
        )
        classifier = keras.layers.Dense(
            num_classes,
            activation=classifier_activation,
            dtype=dtype,
            name="predictions",
        )

        # === Functional Model ===
        images = keras.Input(image_shape, name="images")
        x = rescaling(images)  # (batch, rows, columns), in [0, 1]
        if random_affine is not None:
            x = random_affine(x)  # only during training
        x = recurrent_stack(x)  # (batch, units or 2 * units)
        x = classifier_dropout(x)
        outputs = classifier(x)  # (batch, num_classes)
        super().__init__(images, outputs, name=name, **kwargs)
        if dtype is not None:
            # A functional model ignores `dtype`; its layers have it, and
            # the model's policy goes into its config.
            self.dtype_policy = dtype
        # `call` checks the images itself, and accepts a channel axis.
        self.input_spec = None

        # === Config ===
        self.image_shape = image_shape
        self.input_shape_argument = tuple(input_shape)
        self.num_classes = num_classes
        self.cell = recurrent_stack.cell
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.augmentation = augmentation
        self.classifier_activation = classifier_activation
        self.compile()
        if weights is not None:
            self.load_weights(weights)

    def call(self, inputs, training=None, mask=None):
        _check_images(inputs, self.image_shape)
        # (batch, rows, columns): also for a trace of unknown rank.
        inputs = keras.ops.reshape(inputs, (-1, *self.image_shape))
        # Calling the model directly is inference: Keras's random
        # augmentation layers would otherwise default to training mode.
        training = False if training is None else training
        return super().call(inputs, training=training, mask=mask)

    def fit(self, *args, **kwargs):
        arguments = _FIT_SIGNATURE.bind_partial(self, *args, **kwargs).arguments
        _check_source(arguments.get("x"), self.image_shape, "x")
        if arguments.get("validation_data") is not None:
            _check_source(
                arguments["validation_data"],
                self.image_shape,
                "validation_data",
            )
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        arguments = _EVALUATE_SIGNATURE.bind_partial(self, *args, **kwargs)
        _check_source(arguments.arguments.get("x"), self.image_shape, "x")
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        arguments = _PREDICT_SIGNATURE.bind_partial(self, *args, **kwargs)
        _check_source(arguments.arguments.get("x"), self.image_shape, "x")
        return super().predict(*args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; `"auto"` keeps each default.

        Args:
            optimizer: `"auto"` (Adam, learning rate 1e-3, gradient norm
                clipped at 1.0), or any optimizer `keras.Model.compile`
                accepts.
            loss: `"auto"` (sparse categorical cross-entropy, from logits
                when `classifier_activation` is `None`), or any loss.
            metrics: `"auto"` (accuracy), or any metrics.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3, clipnorm=1.0)
        if loss == "auto":
            from_logits = self.classifier_activation in (None, "linear")
            loss = keras.losses.SparseCategoricalCrossentropy(
                from_logits=from_logits
            )
        if metrics == "auto":
            metrics = [keras.metrics.SparseCategoricalAccuracy("accuracy")]
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, **kwargs
        )

    def get_config(self):
        activation = self.classifier_activation
        if callable(activation):
            activation = keras.activations.serialize(activation)
        return self.application_config(
            input_shape=self.input_shape_argument,
            num_classes=self.num_classes,
            cell=self.cell,
            units=self.units,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            augmentation=self.augmentation,
            classifier_activation=activation,
        )
