import os

import numpy as np
from PIL import Image

from keras_seq.testing import TestCase
from keras_seq.visualization import plot_history


class PlotHistoryTest(TestCase):
    def setUp(self):
        super().setUp()
        self.history = {
            "accuracy": [0.5, 0.7, 0.8],
            "loss": [1.2, 0.8, 0.5],
            "val_accuracy": [0.45, 0.6, 0.7],
            "val_loss": [1.3, 1.0, 0.9],
        }

    def test_one_panel_per_metric_with_validation_curves(self):
        figure = plot_history(self.history)
        titles = [axis.get_title() for axis in figure.axes]
        self.assertEqual(titles, ["loss", "accuracy"])
        for axis in figure.axes:
            labels = [line.get_label() for line in axis.get_lines()]
            self.assertEqual(labels, ["train", "validation"])
        loss_line = figure.axes[0].get_lines()[0]
        self.assertAllClose(
            np.asarray(loss_line.get_ydata()), np.array(self.history["loss"])
        )
        self.assertAllEqual(np.asarray(loss_line.get_xdata()), np.arange(1, 4))

    def test_writes_a_png(self):
        path = os.path.join(self.get_temp_dir(), "curves", "history.png")
        plot_history(self.history, path, metrics=["loss"], title="t")
        with Image.open(path) as image:
            self.assertEqual(image.format, "PNG")
            self.assertEqual(image.size, (400, 320))
        self.assertEqual(os.listdir(os.path.dirname(path)), ["history.png"])

    def test_accepts_a_keras_history(self):
        class History:
            history = {"loss": [1.0, 0.5]}

        figure = plot_history(History())
        self.assertEqual(len(figure.axes), 1)
        self.assertEqual(len(figure.axes[0].get_lines()), 1)

    def test_bad_input(self):
        with self.assertRaisesRegex(TypeError, "`history`.*got list"):
            plot_history([1.0, 0.5])
        with self.assertRaisesRegex(ValueError, "`history`"):
            plot_history({"loss": []})
        with self.assertRaisesRegex(ValueError, "`metrics`.*'mae'"):
            plot_history(self.history, metrics=["mae"])
