"""Pictures of what the models learned: training curves, and more to come."""

from keras_seq.visualization.training_curves import plot_history

__all__ = ["plot_history"]
