"""VideoFramePredictor: a ConvLSTM encoder–forecaster for next frames.

Shi et al. (2015), "Convolutional LSTM Network: A Machine Learning Approach
for Precipitation Nowcasting" (https://arxiv.org/abs/1506.04214): an encoder
of stacked ConvLSTM layers reads the past frames, a forecaster of the same
shape starts from the encoder's states and unrolls into the future, and a
1 x 1 convolution over all the forecaster's hidden states draws each
predicted frame.
"""

import keras
import numpy as np
from keras import ops

from keras_seq.applications.application import ApplicationMixin
from keras_seq.metrics.video import frame_mse
from keras_seq.metrics.video import frame_scores
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_non_negative_int
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import invalid_argument
from keras_seq.utils.compile_utils import compile_function
from keras_seq.utils.random_utils import numpy_generator


def space_to_depth(frames, patch_size):
    """`(..., H, W, C)` -> `(..., H / p, W / p, p * p * C)`, patch by patch."""
    if patch_size == 1:
        return frames
    height, width, channels = frames.shape[-3:]
    lead = tuple(ops.shape(frames)[:-3])
    p = patch_size
    x = ops.reshape(frames, (-1, height // p, p, width // p, p, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (*lead, height // p, width // p, p * p * channels))


def depth_to_space(patches, patch_size):
    """The inverse of `space_to_depth`."""
    if patch_size == 1:
        return patches
    rows, columns, depth = patches.shape[-3:]
    lead = tuple(ops.shape(patches)[:-3])
    p = patch_size
    channels = depth // (p * p)
    x = ops.reshape(patches, (-1, rows, columns, p, p, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (*lead, rows * p, columns * p, channels))


def conv_lstm_step(layer, inputs, state):
    """One step of a `keras.layers.ConvLSTM2D` with its own weights.

    The same arithmetic as the layer's cell (gates in the order input,
    forget, candidate, output; sigmoid gates, tanh activation), with two
    convolutions instead of the cell's eight.
    """
    cell = layer.cell
    # Outside the layer's `call`, nothing casts the float32 variables to a
    # mixed-precision compute dtype: cast them here, as Keras would.
    dtype = layer.compute_dtype
    hidden, carry = state
    inputs = ops.cast(inputs, dtype)
    gates = ops.conv(inputs, ops.cast(cell.kernel, dtype), padding=cell.padding)
    recurrent = ops.conv(
        hidden, ops.cast(cell.recurrent_kernel, dtype), padding="same"
    )
    gates = ops.add(gates, recurrent)
    if cell.use_bias:
        gates = ops.add(gates, ops.cast(cell.bias, dtype))
    i, f, c, o = ops.split(gates, 4, axis=-1)
    i = cell.recurrent_activation(i)
    f = cell.recurrent_activation(f)
    o = cell.recurrent_activation(o)
    carry = ops.add(ops.multiply(f, carry), i * cell.activation(c))
    hidden = o * cell.activation(carry)
    return hidden, (hidden, carry)


def _check_frames(frames, frame_shape, name, min_frames=1, rescale=True):
    """Checks array-like frames at the boundary.

    Returns float32 frames: uint8 ones divided by 255 (or left as they are
    without `rescale`), float ones checked to be finite.
    """
    if isinstance(frames, (list, tuple)):
        frames = np.asarray(frames)
    if not hasattr(frames, "shape") or not hasattr(frames, "dtype"):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected an "
            f"array of frames, got {type(frames).__name__}."
        )
    if not isinstance(frames, np.ndarray):
        frames = np.asarray(ops.convert_to_numpy(frames))
    expected = f"(batch_size, frames, {', '.join(map(str, frame_shape))})"
    if frames.ndim != 5 or tuple(frames.shape[2:]) != tuple(frame_shape):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected "
            f"frames of shape {expected}, got shape {frames.shape}."
        )
    if frames.shape[1] < min_frames:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected at "
            f"least {min_frames} frames per sequence, got {frames.shape[1]}."
        )
    if frames.dtype == np.uint8:
        return frames.astype("float32") / 255.0 if rescale else frames
    if not np.issubdtype(frames.dtype, np.floating):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected uint8 "
            "frames in [0, 255] or float frames in [0, 1], got dtype "
            f"{frames.dtype}."
        )
    if not np.all(np.isfinite(frames)):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: the frames "
            "contain NaN or infinite values."
        )
    return frames.astype("float32")


@keras.saving.register_keras_serializable(package="keras_seq")
class VideoFramePredictor(ApplicationMixin, keras.Model):
    """Predicts the next frames of a video from the past ones (ConvLSTM).

    The encoder–forecaster of Shi et al. (2015). Each frame is first cut
    into `patch_size x patch_size` patches stacked along the channels (a
    64 x 64 x 1 frame becomes 16 x 16 x 16 with `patch_size=4`, as in the
    paper's Moving MNIST experiment), so that the convolutions see a wide
    neighbourhood at a low cost. The encoder, `num_layers` stacked
    `keras.layers.ConvLSTM2D`, reads the context frames; the forecaster, a
    second stack, starts from the encoder's final states; a 1 x 1
    convolution over the concatenated hidden states of all its layers draws
    the next frame. Unlike the paper's forecaster, which has no input, this
    one reads the previous frame: the true one during training (teacher
    forcing), its own prediction when it rolls out, and, with scheduled
    sampling, its own prediction with a probability that grows during
    training (Bengio et al. 2015).

    The model takes whole sequences `(batch, frames, height, width,
    channels)`: the first `num_context_frames` are the context, the
    others the frames to predict. Training (`fit(sequences)`) predicts the
    rest of each sequence; called outside training (`predict`,
    `evaluate`), the model sees the context only and rolls out as many
    frames as follow it, feeding back its own predictions.
    `predict_frames(context, num_frames)` rolls out from any number of
    context frames.

    Frames are uint8 in `[0, 255]` (divided by 255) or float in `[0, 1]`;
    predictions are float in `[0, 1]` with the default sigmoid output.

    The model is compiled on construction: Adam (learning rate 1e-3,
    gradient norm clipped at 1.0), binary cross-entropy with the sigmoid
    output (mean squared error with a linear one) and `frame_mse`, the
    squared error summed over each frame's pixels; `compile(loss="mse")`
    trains on the mean squared error instead.

    Args:
        frame_shape: tuple `(height, width, channels)`. Defaults to
            `(64, 64, 1)` (Moving MNIST).
        filters: int. Feature maps of each ConvLSTM layer. Defaults to `64`.
        num_layers: int. ConvLSTM layers in the encoder and in the
            forecaster. Defaults to `3`.
        kernel_size: int. Size of the ConvLSTM kernels. Defaults to `3`.
        patch_size: int dividing the height and width. Defaults to `4`.
        num_context_frames: int. How many frames of each training sequence
            are context. Defaults to `10`.
        output_activation: `"sigmoid"` (frames in `[0, 1]`) or `"linear"`.
            Defaults to `"sigmoid"`.
        scheduled_sampling_steps: int. `0` (the default) trains with
            teacher forcing only; `n > 0` feeds the forecaster its own
            (gradient-stopped) prediction instead of the true frame with a
            probability that rises linearly from 0 to 1 over the first `n`
            training steps.
        name: str. Defaults to `"video_frame_predictor"`.
        **kwargs: other keyword arguments of `keras.Model`, such as `dtype`.

    Example:

    ```python
    import keras_seq

    train, validation, test = keras_seq.datasets.moving_mnist.load_data(
        num_train=32, num_validation=8, num_test=8
    )
    model = keras_seq.applications.VideoFramePredictor(
        filters=16, num_layers=1
    )
    model.fit(train, epochs=1, batch_size=16)
    future = model.predict_frames(test[:, :10], num_frames=10)
    future.shape  # (8, 10, 64, 64, 1)
    ```
    """

    def __init__(
        self,
        frame_shape=(64, 64, 1),
        filters=64,
        num_layers=3,
        kernel_size=3,
        patch_size=4,
        num_context_frames=10,
        output_activation="sigmoid",
        scheduled_sampling_steps=0,
        name="video_frame_predictor",
        **kwargs,
    ):
        if not (
            isinstance(frame_shape, (tuple, list))
            and len(frame_shape) == 3
            and all(
                isinstance(size, int) and not isinstance(size, bool)
                for size in frame_shape
            )
            and min(frame_shape) > 0
        ):
            raise invalid_argument(
                "frame_shape",
                frame_shape,
                "`(height, width, channels)` of positive integers",
            )
        check_positive_int("filters", filters)
        check_positive_int("num_layers", num_layers)
        check_positive_int("kernel_size", kernel_size)
        check_positive_int("patch_size", patch_size)
        height, width, channels = frame_shape
        if height % patch_size or width % patch_size:
            raise invalid_argument(
                "patch_size",
                patch_size,
                f"a divisor of the frame height and width ({height}, {width})",
            )
        check_positive_int("num_context_frames", num_context_frames)
        check_choice(
            "output_activation", output_activation, ("sigmoid", "linear")
        )
        check_non_negative_int(
            "scheduled_sampling_steps", scheduled_sampling_steps
        )
        super().__init__(name=name, **kwargs)

        # === Layers ===
        def conv_lstm(role, index):
            return keras.layers.ConvLSTM2D(
                filters,
                kernel_size,
                padding="same",
                return_sequences=True,
                dtype=self.dtype_policy,
                name=f"{role}_{index}",
            )

        self.encoder_layers = [
            conv_lstm("encoder", i) for i in range(num_layers)
        ]
        self.forecaster_layers = [
            conv_lstm("forecaster", i) for i in range(num_layers)
        ]
        self.head = keras.layers.Conv2D(
            patch_size * patch_size * channels,
            1,
            dtype=self.dtype_policy,
            name="head",
        )

        # === Config ===
        self.frame_shape = tuple(frame_shape)
        self.filters = filters
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.patch_size = patch_size
        self.num_context_frames = num_context_frames
        self.output_activation = output_activation
        self.scheduled_sampling_steps = scheduled_sampling_steps
        self.seed_generator = keras.random.SeedGenerator(0)
        # Training steps taken with scheduled sampling.
        self.sampling_step = self.add_weight(
            shape=(),
            initializer="zeros",
            trainable=False,
            name="sampling_step",
        )
        self._rollout_functions = {}
        # Built for the shortest sequence `call` takes, a shape it can run:
        # TensorFlow's SavedModel traces the model on its build shape, and a
        # roll-out needs to know how many frames it has.
        self.build((None, num_context_frames + 1, *self.frame_shape))
        self.compile()

    def build(self, input_shape):
        height, width, channels = self.frame_shape
        p = self.patch_size
        grid = (height // p, width // p)
        depth = p * p * channels
        for layers in (self.encoder_layers, self.forecaster_layers):
            for layer in layers:
                layer.build((None, None, *grid, depth))
                depth = self.filters
            depth = p * p * channels
        self.head.build((None, *grid, self.filters * self.num_layers))
        self.built = True

    # === Model ===

    def encode(self, context):
        """The encoder's final `(hidden, carry)` per layer, for patches
        `(batch, frames, rows, columns, depth)`."""
        batch_size = ops.shape(context)[0]
        rows, columns = context.shape[2:4]
        zeros = ops.zeros(
            (batch_size, rows, columns, self.filters), self.compute_dtype
        )
        states = [(zeros, zeros) for _ in self.encoder_layers]
        for index in range(context.shape[1]):
            x = context[:, index]
            for layer_index, layer in enumerate(self.encoder_layers):
                x, states[layer_index] = conv_lstm_step(
                    layer, x, states[layer_index]
                )
        return states

    def forecast(self, previous, states):
        """One forecaster step: the next frame's patches (after the output
        activation) and the new states, from the previous frame's."""
        x, hidden, new_states = previous, [], []
        for layer, state in zip(self.forecaster_layers, states):
            x, state = conv_lstm_step(layer, x, state)
            hidden.append(x)
            new_states.append(state)
        outputs = self.head(ops.concatenate(hidden, axis=-1))
        if self.output_activation == "sigmoid":
            outputs = ops.sigmoid(outputs)
        return outputs, new_states

    def rollout(self, context, num_frames, truth=None, training=False):
        """Predicts `num_frames` frames after `context` (both as patches).

        With `truth` (the true future patches) and `training`, the
        forecaster reads the true previous frame (teacher forcing), or with
        scheduled sampling sometimes its own prediction.
        """
        states = self.encode(context)
        previous = context[:, -1]
        probability = None
        if training and truth is not None and self.scheduled_sampling_steps:
            # The model counts its own training steps: the optimizer's
            # counter is not among the variables a compiled JAX step sees.
            step = self.sampling_step.value
            probability = ops.minimum(step / self.scheduled_sampling_steps, 1)
            self.sampling_step.assign(step + 1.0)
        outputs = []
        for index in range(num_frames):
            prediction, states = self.forecast(previous, states)
            outputs.append(prediction)
            if not training or truth is None:
                previous = prediction
            elif probability is None:
                previous = truth[:, index]
            else:
                batch_size = ops.shape(prediction)[0]
                draw = keras.random.uniform(
                    (batch_size, 1, 1, 1), seed=self.seed_generator
                )
                previous = ops.where(
                    draw < probability,
                    ops.stop_gradient(prediction),
                    truth[:, index],
                )
        return ops.stack(outputs, axis=1)

    def call(self, inputs, training=None):
        frames = ops.convert_to_tensor(inputs)
        if "int" in str(frames.dtype):
            frames = ops.cast(frames, self.compute_dtype) / 255.0
        if frames.shape[1] is None:
            raise ValueError(
                "Received sequences with an unknown number of frames "
                f"(shape {frames.shape}): the roll-out is unrolled over the "
                "frames, so a `tf.data.Dataset` must declare how many it "
                "has, e.g. `tf.TensorSpec((None, 20, 64, 64, 1))`."
            )
        num_frames = frames.shape[1] - self.num_context_frames
        if num_frames < 1:
            raise ValueError(
                f"Received sequences of {frames.shape[1]} frames: expected "
                f"more than num_context_frames={self.num_context_frames}, "
                "the frames after them being the ones to predict."
            )
        patches = space_to_depth(frames, self.patch_size)
        context = patches[:, : self.num_context_frames]
        truth = patches[:, self.num_context_frames :]
        outputs = self.rollout(context, num_frames, truth, bool(training))
        return depth_to_space(outputs, self.patch_size)

    # === Training and inference ===

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; `"auto"` keeps each default.

        Args:
            optimizer: `"auto"` (Adam, learning rate 1e-3, gradient norm
                clipped at 1.0) or any optimizer.
            loss: `"auto"` (binary cross-entropy with the sigmoid output,
                mean squared error with the linear one) or any loss, e.g.
                `"mse"`.
            metrics: `"auto"` (`frame_mse`) or any metrics.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3, clipnorm=1.0)
        if loss == "auto":
            loss = (
                keras.losses.BinaryCrossentropy()
                if self.output_activation == "sigmoid"
                else keras.losses.MeanSquaredError()
            )
        if metrics == "auto":
            metrics = [keras.metrics.MeanMetricWrapper(frame_mse, "frame_mse")]
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, **kwargs
        )

    def make_dataset(self, sequences, batch_size=16, shuffle=True, seed=None):
        """Batches whole sequences as `(sequences, future frames)` pairs.

        Args:
            sequences: `(num_sequences, frames, height, width, channels)`,
                uint8 or float (see the class documentation), with more
                than `num_context_frames` frames.
            batch_size: int. Sequences per batch.
            shuffle: bool. Reshuffle the sequences every epoch.
            seed: optional int, for the shuffling.

        Returns:
            A `keras.utils.PyDataset` (no TensorFlow needed), reshuffled
            after every epoch. The sequences stay in their dtype until a
            batch is drawn, so uint8 data takes a quarter of the memory.
        """
        batch_size = check_positive_int("batch_size", batch_size)
        frames = self._check_sequences(sequences, "sequences", rescale=False)
        return _SequenceBatches(
            frames, batch_size, self.num_context_frames, shuffle, seed
        )

    def _check_sequences(self, sequences, name, rescale=True):
        """Checks whole sequences (context and future); uint8 ones stay
        uint8 without `rescale`."""
        frames = _check_frames(
            sequences,
            self.frame_shape,
            name,
            self.num_context_frames + 1,
            rescale,
        )
        if (
            self.output_activation == "sigmoid"
            and frames.dtype != np.uint8
            and (frames.min() < 0.0 or frames.max() > 1.0)
        ):
            raise ValueError(
                f"Received an invalid value for argument `{name}`: float "
                "frames must lie in [0, 1] for the sigmoid output, got "
                f"values in [{frames.min()}, {frames.max()}]. Pass uint8 "
                "frames, or divide by 255."
            )
        return frames

    def _as_dataset(self, data, name, batch_size, shuffle, seed=None):
        """Arrays of sequences -> `make_dataset`; a `tf.data.Dataset` or
        `PyDataset` unchanged."""
        if hasattr(data, "element_spec") or isinstance(
            data, keras.utils.PyDataset
        ):
            return data
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        frames = self._check_sequences(data, name, rescale=False)
        return self.make_dataset(frames, batch_size or 16, shuffle, seed)

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
        """`keras.Model.fit` on whole sequences.

        `x` is an array of sequences (the targets are their frames after the
        context; `y` must be `None`), or anything `keras.Model.fit` takes,
        such as a `tf.data.Dataset` of `(sequences, future frames)` pairs.
        `validation_data` may be an array of sequences too.
        """
        if y is None:
            x = self._as_dataset(x, "x", batch_size, shuffle, seed)
            batch_size, shuffle = None, False
        if validation_data is not None:
            validation_data = self._as_dataset(
                validation_data, "validation_data", batch_size, False
            )
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.evaluate` of the roll-outs from the context (also on
        arrays of whole sequences)."""
        if y is None:
            x = self._as_dataset(x, "x", batch_size, shuffle=False)
            batch_size = None
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    def predict_frames(self, context, num_frames=10, batch_size=32):
        """Rolls out `num_frames` frames after each context, feeding back
        its own predictions.

        Args:
            context: `(batch, frames, height, width, channels)`, any number
                (at least 1) of past frames, uint8 in `[0, 255]` or float in
                `[0, 1]`.
            num_frames: int. Frames to predict. Defaults to `10`.
            batch_size: int. Sequences per computation.

        Returns:
            NumPy array `(batch, num_frames, height, width, channels)`.
        """
        num_frames = check_positive_int("num_frames", num_frames)
        batch_size = check_positive_int("batch_size", batch_size)
        context = _check_frames(context, self.frame_shape, "context")
        function = self._rollout_functions.get(num_frames)
        if function is None:

            def rollout(frames):
                patches = space_to_depth(frames, self.patch_size)
                outputs = self.rollout(patches, num_frames)
                return depth_to_space(outputs, self.patch_size)

            function = compile_function(rollout, self)
            self._rollout_functions[num_frames] = function
        outputs = [
            ops.convert_to_numpy(function(context[i : i + batch_size]))
            for i in range(0, len(context), batch_size)
        ]
        return np.concatenate(outputs)

    def get_config(self):
        return self.application_config(
            frame_shape=self.frame_shape,
            filters=self.filters,
            num_layers=self.num_layers,
            kernel_size=self.kernel_size,
            patch_size=self.patch_size,
            num_context_frames=self.num_context_frames,
            output_activation=self.output_activation,
            scheduled_sampling_steps=self.scheduled_sampling_steps,
        )


def evaluate_frames(model, sequences, num_context_frames=None, batch_size=32):
    """Scores `model`'s roll-outs and the copy-last-frame baseline.

    Args:
        model: a `VideoFramePredictor` (or any model with `predict_frames`).
        sequences: `(num_sequences, frames, height, width, channels)`.
        num_context_frames: int. Context frames; the others are predicted.
            Defaults to the model's `num_context_frames`.
        batch_size: int.

    Returns:
        `{"model": scores, "copy_last_frame": scores}`, each as
        `keras_seq.metrics.frame_scores` returns them (MSE per frame summed
        over pixels, SSIM and PSNR per horizon, and their means).
    """
    if num_context_frames is None:
        num_context_frames = model.num_context_frames
    num_context_frames = check_positive_int(
        "num_context_frames", num_context_frames
    )
    frames = _check_frames(
        sequences, model.frame_shape, "sequences", num_context_frames + 1
    )
    context = frames[:, :num_context_frames]
    truth = frames[:, num_context_frames:]
    predictions = model.predict_frames(
        context, truth.shape[1], batch_size=batch_size
    )
    copies = np.repeat(context[:, -1:], truth.shape[1], axis=1)
    return {
        "model": frame_scores(truth, predictions),
        "copy_last_frame": frame_scores(truth, copies),
    }


class _SequenceBatches(keras.utils.PyDataset):
    """`(sequences, future frames)` batches of an array of sequences."""

    def __init__(self, frames, batch_size, num_context_frames, shuffle, seed):
        super().__init__()
        self.frames = frames
        self.batch_size = batch_size
        self.num_context_frames = num_context_frames
        self.shuffle = shuffle
        self.rng = numpy_generator(seed)
        self.order = np.arange(len(frames))
        self.on_epoch_end()

    def __len__(self):
        return -(-len(self.frames) // self.batch_size)

    def __getitem__(self, index):
        start = index * self.batch_size
        batch = self.frames[
            np.sort(self.order[start : start + self.batch_size])
        ]
        if batch.dtype == np.uint8:
            batch = batch.astype("float32") / 255.0
        return batch, batch[:, self.num_context_frames :]

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self.rng.permutation(len(self.frames))
