"""Which device Keras computes on."""

import keras


def uses_gpu():
    """Whether Keras's backend runs its computations on a GPU.

    JAX: its default backend is a GPU. TensorFlow: it sees a GPU (it places
    operations there when it does). torch: `False`; keras_seq's torch paths
    look at each tensor's device instead.
    """
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() == "gpu"
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    return False
