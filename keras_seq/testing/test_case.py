"""TestCase: the shared checks behind every keras_seq test.

Works under pytest on all three backends and needs no TensorFlow: it uses
`absl.testing.parameterized` (a Keras dependency), `keras` and `numpy` only.
`run_layer_test` and `run_model_saving_test` make a layer's test short and
thorough, in the manner of KerasHub's test helpers.
"""

import inspect
import os
import shutil
import tempfile
import unittest

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops
from keras import tree


def to_numpy(structure):
    """Converts every tensor in a nested structure to a numpy array.

    Lists become tuples, so that a structure compares equal to the same
    structure reloaded from a file (which may return lists for tuples).
    """
    return tree.lists_to_tuples(
        tree.map_structure(
            lambda x: None if x is None else ops.convert_to_numpy(x),
            structure,
        )
    )


def _symbolic_inputs(input_data):
    """`keras.Input`s with the dtypes and shapes (batch free) of the data.

    Each input is named after its path in `input_data` (its dict key), which
    is how a functional model matches a dict of inputs.
    """
    leaves = [
        keras.Input(
            shape=np.shape(x)[1:],
            dtype=_dtype_name(x),
            name="_".join(str(p) for p in path) or None,
        )
        for path, x in tree.flatten_with_path(input_data)
    ]
    return tree.pack_sequence_as(input_data, leaves)


def _dtype_name(x):
    return keras.backend.standardize_dtype(np.asarray(x).dtype)


def _as_call_arguments(cls, input_data):
    """A dict of call arguments: a lone tensor is the first call argument."""
    if isinstance(input_data, dict):
        return input_data
    first_argument = list(inspect.signature(cls.call).parameters)[1]
    return {first_argument: input_data}


def _accepts(function, argument):
    return argument in inspect.signature(function).parameters


class _LayerTrainer(keras.Model):
    """Fits one layer, minimising the mean square of all its outputs.

    This loss gives every weight that influences any output a gradient, so a
    weight that does not change after a step is one the layer never uses.
    """

    def __init__(self, layer, call_kwargs):
        # TensorFlow scope names may not start with "_", as the default
        # name derived from this class would.
        super().__init__(name="layer_trainer")
        self.layer = layer
        self.call_kwargs = call_kwargs

    def call(self, inputs, training=None):
        kwargs = dict(self.call_kwargs)
        if _accepts(self.layer.call, "training"):
            kwargs["training"] = training
        return self.layer(**inputs, **kwargs)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        losses = [
            ops.mean(ops.square(ops.cast(t, "float32")))
            for t in tree.flatten(y_pred)
            if t is not None
            and "float" in keras.backend.standardize_dtype(t.dtype)
        ]
        return ops.sum(ops.stack(losses))


class TestCase(parameterized.TestCase):
    """Base class of keras_seq tests: fixed seeds and shared checks."""

    def setUp(self):
        super().setUp()
        keras.backend.clear_session()
        keras.utils.set_random_seed(1337)

    @staticmethod
    def shared_data_dir():
        """Where the real datasets are: `KERAS_SEQ_DATA_DIR`, else the
        `shared/data` folder beside the repository checkout."""
        repository = os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        )
        return os.environ.get("KERAS_SEQ_DATA_DIR") or os.path.join(
            os.path.dirname(repository), "shared", "data"
        )

    def get_data_dir(self):
        """The real data directory; skips the test only where it is absent."""
        path = self.shared_data_dir()
        if not os.path.isdir(path):
            raise unittest.SkipTest(f"the shared datasets are not at {path}")
        return path

    def get_temp_dir(self):
        """Returns a temporary directory removed when the test ends."""
        path = tempfile.mkdtemp(prefix="keras_seq_test_")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    def run_dataset_integrity_test(self, load, data_files, **load_kwargs):
        """Checks that a loader refuses corrupted and missing files.

        For each file in `data_files`, a data directory is made with real
        copies of all of them from `get_data_dir()`, then:
        1. that file is corrupted (one byte appended): `load(path=...)`
           must raise a `ValueError` and write nothing to its cache;
        2. that file is removed: `load` must raise a `FileNotFoundError`
           naming it.

        Args:
            load: the loader, called as `load(path=..., cache_dir=...,
                **load_kwargs)`.
            data_files: the `DataFile`s the call reads.
            **load_kwargs: other arguments of `load`.
        """
        source = self.get_data_dir()
        for data_file in data_files:
            directory = self.get_temp_dir()
            for other in data_files:
                relative = os.path.join(*other.relative_path.split("/"))
                os.makedirs(
                    os.path.dirname(os.path.join(directory, relative)),
                    exist_ok=True,
                )
                shutil.copyfile(
                    os.path.join(source, relative),
                    os.path.join(directory, relative),
                )
            target = os.path.join(
                directory, *data_file.relative_path.split("/")
            )
            with open(target, "ab") as file:
                file.write(b"\n")
            cache = self.get_temp_dir()
            with self.assertRaisesRegex(
                ValueError, "Checksum mismatch|corrupted"
            ):
                load(path=directory, cache_dir=cache, **load_kwargs)
            self.assertEqual(os.listdir(cache), [], "files left in the cache")
            os.remove(target)
            with self.assertRaisesRegex(
                FileNotFoundError, data_file.relative_path
            ):
                load(path=directory, cache_dir=cache, **load_kwargs)

    def assertAllClose(self, expected, actual, atol=1e-6, rtol=1e-6, msg=None):
        """Checks that two nested structures of tensors are elementwise close.

        Tolerances follow `numpy.testing.assert_allclose`:
        `|actual - expected| <= atol + rtol * |expected|`.
        """
        expected = to_numpy(expected)
        actual = to_numpy(actual)
        tree.assert_same_structure(expected, actual)
        for e, a in zip(tree.flatten(expected), tree.flatten(actual)):
            np.testing.assert_allclose(
                a, e, atol=atol, rtol=rtol, err_msg=msg or ""
            )

    def assertAllEqual(self, expected, actual, msg=None):
        """Checks that two nested structures of tensors are exactly equal."""
        expected = to_numpy(expected)
        actual = to_numpy(actual)
        tree.assert_same_structure(expected, actual)
        for e, a in zip(tree.flatten(expected), tree.flatten(actual)):
            np.testing.assert_array_equal(a, e, err_msg=msg or "")

    def assertShapes(self, structure, expected_shapes, msg=None):
        """Checks the shapes of a nested structure of tensors.

        `expected_shapes` mirrors `structure` with a shape tuple in place of
        each tensor. `None` in an expected shape matches any size.
        """
        actual = [tuple(t.shape) for t in tree.flatten(structure)]
        expected = []
        tree.map_shape_structure(expected.append, expected_shapes)
        self.assertEqual(
            len(actual),
            len(expected),
            msg or f"Expected {len(expected)} outputs, got {len(actual)}.",
        )
        for got, want in zip(actual, expected):
            self.assertEqual(len(got), len(want), msg or f"{got} vs {want}")
            for g, w in zip(got, want):
                if w is not None:
                    self.assertEqual(g, w, msg or f"shape {got} != {want}")

    def run_layer_test(
        self,
        cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        call_kwargs=None,
        expected_output_dtype=None,
        expected_num_trainable_weights=None,
        run_training_check=True,
    ):
        """Runs the checks every keras_seq layer must pass.

        1. Config: `get_config()` records every constructor argument under its
           own name, and `from_config` and Keras (de)serialization rebuild an
           identical layer.
        2. Eager call on `input_data`: output shapes, dtype, finite values.
        3. Symbolic call on `keras.Input`s: the same shapes, batch size free.
        4. One `fit` step that changes every trainable weight.

        Args:
            cls: the layer class.
            init_kwargs: dict of constructor arguments.
            input_data: a tensor, or a dict of tensors passed as keyword
                arguments to the layer (for layers with several inputs).
            expected_output_shape: the output shape, or a structure of shapes
                mirroring the outputs.
            call_kwargs: dict of non-tensor call arguments (such as
                `return_attention_scores=True`).
            expected_output_dtype: the dtype of floating outputs. Defaults to
                the layer's compute dtype.
            expected_num_trainable_weights: if given, checked.
            run_training_check: whether to run the `fit` step.
        """
        call_kwargs = call_kwargs or {}
        input_data = _as_call_arguments(cls, input_data)

        # 1. Config round trip.
        layer = cls(**init_kwargs)
        config = layer.get_config()
        for key, value in init_kwargs.items():
            self.assertIn(
                key, config, f"`get_config()` does not record `{key}`."
            )
            if isinstance(value, (bool, int, float, str, type(None))) and (
                key != "dtype"
            ):
                self.assertEqual(config[key], value, f"config[{key!r}]")
        self.assertEqual(cls.from_config(config).get_config(), config)
        serialized = keras.saving.serialize_keras_object(layer)
        revived = keras.saving.deserialize_keras_object(serialized)
        self.assertIsInstance(revived, cls)
        self.assertEqual(revived.get_config(), config)

        # 2. Eager call.
        outputs = layer(**input_data, **call_kwargs)
        self.assertShapes(outputs, expected_output_shape)
        dtype = expected_output_dtype or layer.compute_dtype
        for output in tree.flatten(outputs):
            output_dtype = keras.backend.standardize_dtype(output.dtype)
            if "float" in output_dtype:
                self.assertEqual(output_dtype, dtype)
                self.assertTrue(
                    np.all(np.isfinite(ops.convert_to_numpy(output))),
                    "The layer returned non-finite values.",
                )
        if expected_num_trainable_weights is not None:
            self.assertLen(
                layer.trainable_weights, expected_num_trainable_weights
            )

        # 3. Symbolic call, with a free batch size.
        symbolic_layer = cls(**init_kwargs)
        symbolic_outputs = symbolic_layer(
            **_symbolic_inputs(input_data), **call_kwargs
        )
        symbolic_shapes = tree.map_shape_structure(
            lambda shape: (None, *shape[1:]), expected_output_shape
        )
        self.assertShapes(symbolic_outputs, symbolic_shapes)

        # 4. One training step changes every trainable weight.
        if run_training_check:
            self._run_training_check(cls, init_kwargs, input_data, call_kwargs)

    def _run_training_check(self, cls, init_kwargs, input_data, call_kwargs):
        layer = cls(**init_kwargs)
        model = _LayerTrainer(layer, call_kwargs)
        model(input_data)
        self.assertNotEmpty(
            layer.trainable_weights, "The layer has no trainable weights."
        )
        before = [ops.convert_to_numpy(w) for w in layer.trainable_weights]
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01))
        batch_size = len(tree.flatten(input_data)[0])
        history = model.fit(
            input_data, batch_size=batch_size, epochs=1, verbose=0
        )
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        unchanged = [
            weight.path
            for weight, old in zip(layer.trainable_weights, before)
            if np.array_equal(ops.convert_to_numpy(weight), old)
        ]
        self.assertEmpty(
            unchanged, f"A fit step left these weights unchanged: {unchanged}"
        )

    def run_parity_test(
        self, layer, reference, input_data, call_kwargs=None, atol=1e-5
    ):
        """Checks that `layer` computes what `reference` computes.

        Both layers get `reference`'s weights; their outputs and the
        gradients of a loss over every output (the mean square, as in
        `run_layer_test`) must agree within `atol`, relative to the
        gradients' scale. The gradients come from one SGD step with learning
        rate 1 on each, so the check runs the real training path of every
        backend.

        Args:
            layer: the layer under test.
            reference: a layer of the same structure (same weight shapes, in
                the same order).
            input_data: the inputs: a tensor, or a dict of tensors passed as
                keyword arguments to the layers.
            call_kwargs: dict of non-tensor call arguments.
            atol: absolute tolerance, on outputs and on gradients scaled to
                their largest magnitude.
        """
        call_kwargs = call_kwargs or {}
        input_data = _as_call_arguments(type(layer), input_data)
        models = [_LayerTrainer(x, call_kwargs) for x in (reference, layer)]
        for model in models:
            model(input_data)
        layer.set_weights(reference.get_weights())
        self.assertAllClose(
            models[0](input_data), models[1](input_data), atol, atol
        )
        gradients = []
        for model in models:
            before = [
                ops.convert_to_numpy(w) for w in model.layer.trainable_weights
            ]
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
            batch_size = len(tree.flatten(input_data)[0])
            model.fit(input_data, batch_size=batch_size, epochs=1, verbose=0)
            gradients.append(
                [
                    old - ops.convert_to_numpy(w)
                    for w, old in zip(model.layer.trainable_weights, before)
                ]
            )
        scale = max(float(np.abs(g).max()) for g in gradients[0]) or 1.0
        for weight, expected, actual in zip(
            reference.trainable_weights, *gradients
        ):
            self.assertAllClose(
                expected / scale,
                actual / scale,
                atol,
                atol,
                msg=f"The gradients of {weight.path} differ.",
            )

    def run_frozen_next_test(self, model, prompt, cache, indices):
        """Checks `model.frozen_next()`, the decoding shortcut.

        On torch it must exist; on every backend, where it exists, it must
        give the logits and hidden outputs of `model.next` at each of
        `indices`, starting from `cache`, and the same final cache.
        """
        frozen = model.frozen_next()
        if keras.config.backend() == "torch":
            self.assertIsNotNone(frozen, "the torch shortcut must apply")
        elif frozen is None:
            return
        frozen_cache = cache
        for index in indices:
            logits, hidden, cache = model.next(prompt, cache, index)
            frozen_logits, frozen_hidden, frozen_cache = frozen(
                prompt, frozen_cache, index
            )
            self.assertAllClose(logits, frozen_logits)
            self.assertAllClose(hidden, frozen_hidden)
        self.assertAllClose(cache, frozen_cache)

    def run_model_saving_test(
        self,
        cls,
        init_kwargs,
        input_data,
        call_kwargs=None,
        atol=1e-6,
        rtol=1e-6,
    ):
        """Saves to `.keras`, loads in safe mode, and compares outputs.

        `cls` may be a `keras.Model` subclass, which is saved as it is, or a
        layer, which is saved inside a functional model built around it. The
        reloaded model must be of the same class and give the same outputs.

        Args:
            cls: the model or layer class.
            init_kwargs: dict of constructor arguments.
            input_data: the inputs: a tensor, or a dict of tensors passed as
                keyword arguments to a layer.
            call_kwargs: dict of non-tensor call arguments for a layer.
            atol: absolute tolerance of the output comparison.
            rtol: relative tolerance of the output comparison.
        """
        call_kwargs = call_kwargs or {}
        instance = cls(**init_kwargs)
        if isinstance(instance, keras.Model):
            model = instance
        else:
            input_data = _as_call_arguments(cls, input_data)
            inputs = _symbolic_inputs(input_data)
            model = keras.Model(inputs, instance(**inputs, **call_kwargs))
        expected = model(input_data)

        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path, safe_mode=True)

        self.assertIsInstance(restored, type(model))
        if not isinstance(instance, keras.Model):
            self.assertTrue(
                any(isinstance(layer, cls) for layer in restored.layers),
                f"The reloaded model holds no {cls.__name__}.",
            )
        self.assertAllClose(expected, restored(input_data), atol, rtol)
        return restored
