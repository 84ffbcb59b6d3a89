"""What every keras_seq application model shares."""

import keras


class ApplicationMixin:
    """Config and compile plumbing for the application models.

    An application is compiled with its own defaults on construction and
    overrides `compile`; Keras then leaves restoring the compile settings of
    a loaded `.keras` file to the model (`compile_from_config`). Its config
    holds plain values and Keras-serialized objects (a dtype policy, an
    activation, a sampler), which `from_config` deserializes.
    """

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
