"""Pictures of predicted video frames: a strip figure and an animated GIF."""

import io

import numpy as np

from keras_seq.utils.file_utils import atomic_save_figure
from keras_seq.utils.file_utils import atomic_write_bytes


def _as_frames(name, frames):
    """`(frames, height, width[, channels])` uint8 or [0, 1] floats ->
    uint8 `(frames, height, width, channels)`."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected "
            "frames of shape (frames, height, width[, 1 or 3]), got shape "
            f"{frames.shape}."
        )
    if frames.dtype != np.uint8:
        frames = np.clip(np.nan_to_num(frames) * 255.0, 0, 255).round()
    return frames.astype("uint8")


def _check_sizes(context, truth, prediction):
    if context.shape[1:] != truth.shape[1:] or (
        prediction is not None and prediction.shape != truth.shape
    ):
        shapes = [context.shape, truth.shape]
        if prediction is not None:
            shapes.append(prediction.shape)
        raise ValueError(
            "Received frames of different sizes: `context`, `truth` and "
            "`prediction` must have frames of one shape, and as many "
            f"predicted frames as true ones; got shapes {shapes}."
        )


def plot_frames(context, truth, prediction=None, path=None, title=None):
    """Draws one sequence as a strip: context | truth | prediction.

    Args:
        context: `(frames, height, width[, channels])`, the past frames,
            uint8 or float in `[0, 1]`.
        truth: the true future frames, same layout.
        prediction: optional predicted frames, as many as `truth`.
        path: optional. Where to write the figure as a PNG, atomically.
        title: optional title.

    Returns:
        The `matplotlib.figure.Figure`: one row of context frames, one of
        the true future, one of the prediction.

    Example:

    ```python
    import numpy as np
    import keras_seq

    frames = np.random.rand(20, 64, 64, 1)
    figure = keras_seq.visualization.plot_frames(
        frames[:10], frames[10:], prediction=frames[10:]
    )
    ```
    """
    from matplotlib.figure import Figure

    context = _as_frames("context", context)
    truth = _as_frames("truth", truth)
    rows = [("context", context), ("truth", truth)]
    if prediction is not None:
        prediction = _as_frames("prediction", prediction)
        rows.append(("prediction", prediction))
    _check_sizes(context, truth, prediction)
    columns = max(len(frames) for _, frames in rows)
    figure = Figure(
        figsize=(1.1 * columns, 1.25 * len(rows) + 0.3), layout="constrained"
    )
    axes = figure.subplots(len(rows), columns, squeeze=False)
    for row, (label, frames) in enumerate(rows):
        for column in range(columns):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column >= len(frames):
                axis.set_axis_off()
                continue
            image = frames[column]
            if image.shape[-1] == 1:
                axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
            else:
                axis.imshow(image)
            # Context frames are t-9 ... t0, future ones t+1, t+2, ...
            if label == "context":
                horizon = column - len(frames) + 1
            else:
                horizon = column + 1
            axis.set_title(f"t{horizon:+d}" if horizon else "t0", fontsize=7)
            if column == 0:
                axis.set_ylabel(label)
    if title:
        figure.suptitle(title)
    if path is not None:
        atomic_save_figure(figure, path)
    return figure


def save_frames_gif(path, context, truth, prediction, scale=2, duration=200):
    """Writes an animated GIF: the true video beside the predicted one.

    Both panels show the context frames first; then the left panel goes on
    with the true future, the right one with the prediction.

    Args:
        path: where to write the GIF, atomically.
        context, truth, prediction: frames as `plot_frames` takes them.
        scale: int. Each pixel becomes `scale x scale` pixels. Defaults to 2.
        duration: int. Milliseconds per frame. Defaults to 200.

    Returns:
        The number of frames in the animation.
    """
    from PIL import Image

    context = _as_frames("context", context)
    truth = _as_frames("truth", truth)
    prediction = _as_frames("prediction", prediction)
    _check_sizes(context, truth, prediction)
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(
            "Received an invalid value for argument `scale`: expected a "
            f"positive int, got {scale!r}."
        )
    left = np.concatenate([context, truth])
    right = np.concatenate([context, prediction])
    gap = np.full((*left.shape[:2], 4, left.shape[-1]), 128, "uint8")
    panels = np.concatenate([left, gap, right], axis=2)
    panels = panels.repeat(scale, axis=1).repeat(scale, axis=2)
    mode = "L" if panels.shape[-1] == 1 else "RGB"
    images = [
        Image.fromarray(panel.squeeze(-1) if mode == "L" else panel)
        for panel in panels
    ]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=duration,
        loop=0,
    )
    atomic_write_bytes(path, buffer.getvalue())
    return len(images)
