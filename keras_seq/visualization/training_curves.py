"""Training curves: the loss and metric plots of every application.

Drawn with matplotlib's object-oriented API (`matplotlib.figure.Figure`), so
plotting never changes the process's pyplot backend or state.
"""

from keras_seq.utils.file_utils import atomic_save_figure


def _as_dict(history):
    """The `{metric: [value per epoch]}` dict of a History or a dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(
            "Received an invalid type for argument `history`: expected the "
            "`keras.callbacks.History` returned by `fit` or its `.history` "
            f"dict, got {type(history).__name__}."
        )
    if not logs or not all(
        isinstance(values, (list, tuple)) and values for values in logs.values()
    ):
        raise ValueError(
            "Received an invalid value for argument `history`: expected at "
            "least one metric with one value per epoch, got "
            f"{ {name: values for name, values in logs.items()} }."
        )
    return logs


def plot_history(history, path=None, metrics=None, title=None):
    """Plots training and validation curves, one panel per metric.

    Each panel shows a metric (`"loss"`, `"accuracy"`, ...) per epoch for
    the training data and, when `fit` had validation data, its `val_`
    counterpart.

    Args:
        history: the `keras.callbacks.History` returned by `model.fit`, or
            its `.history` dict.
        path: optional. Where to write the figure as a PNG; the file is
            written atomically (complete or not at all).
        metrics: optional list of metric names to plot. Defaults to every
            metric that is not a `val_` metric, loss first.
        title: optional. A title above the panels.

    Returns:
        The `matplotlib.figure.Figure` (a notebook displays it inline).

    Example:

    ```python
    import numpy as np
    import keras_seq

    images = np.random.randint(0, 256, (64, 28, 28), dtype="uint8")
    labels = np.random.randint(0, 10, (64,))
    model = keras_seq.applications.RowClassifier(units=8)
    history = model.fit(images, labels, validation_split=0.25, epochs=2)
    figure = keras_seq.visualization.plot_history(history)
    ```
    """
    from matplotlib.figure import Figure

    logs = _as_dict(history)
    if metrics is None:
        metrics = [name for name in logs if not name.startswith("val_")]
        metrics.sort(key=lambda name: name != "loss")
    unknown = [name for name in metrics if name not in logs]
    if unknown or not metrics:
        raise ValueError(
            "Received an invalid value for argument `metrics`: expected "
            f"names among {sorted(logs)}, got {metrics}."
        )
    figure = Figure(figsize=(4 * len(metrics), 3.2), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for axis, name in zip(axes, metrics):
        epochs = range(1, len(logs[name]) + 1)
        axis.plot(epochs, logs[name], label="train")
        if f"val_{name}" in logs:
            axis.plot(epochs, logs[f"val_{name}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    if path is not None:
        atomic_save_figure(figure, path)
    return figure
