"""Ready models, each trained with `fit` and used in one call."""

from keras_seq.applications.row_classifier import RowClassifier

__all__ = ["RowClassifier"]
