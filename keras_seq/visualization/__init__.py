"""Pictures of what the models learned: training curves, video frames, and
the HTML report that gathers them."""

from keras_seq.visualization.frames import plot_frames
from keras_seq.visualization.frames import save_frames_gif
from keras_seq.visualization.report import Report
from keras_seq.visualization.training_curves import plot_history

__all__ = ["Report", "plot_frames", "plot_history", "save_frames_gif"]
