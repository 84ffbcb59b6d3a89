"""Frame-prediction metrics: per-frame MSE, SSIM and PSNR, per horizon.

The conventions are those of the video-prediction tables (Shi et al. 2015,
Wang et al. 2017): frames hold values in `[0, 1]`; the MSE of a frame is the
*sum* of squared errors over its pixels (and channels), averaged over
frames; SSIM is Wang et al. (2004)'s, with an 11 x 11 Gaussian window
(sigma 1.5), `K1 = 0.01`, `K2 = 0.03` and a dynamic range of 1, as
`tf.image.ssim` computes it; PSNR is `10 log10(1 / mean squared error)` in
decibels.

They are written with `keras.ops`, so they run on every backend, and are
computed batch by batch on NumPy inputs.
"""

import math

import keras
import numpy as np
from keras import ops

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
# The smallest mean squared error PSNR uses, so that a perfect frame scores
# 100 dB rather than infinity.
PSNR_MIN_MSE = 1e-10


def _check_pair(y_true, y_pred, min_rank):
    """Same shapes (where known: symbolic shapes may hold `None`), of rank
    at least `min_rank`."""
    true_shape = tuple(getattr(y_true, "shape", np.shape(y_true)))
    pred_shape = tuple(getattr(y_pred, "shape", np.shape(y_pred)))
    if len(true_shape) < min_rank:
        raise ValueError(
            "Received an invalid value for argument `y_true`: expected "
            f"frames of rank at least {min_rank} (..., height, width, "
            f"channels), got shape {true_shape}."
        )
    if len(true_shape) != len(pred_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(true_shape, pred_shape)
    ):
        raise ValueError(
            "Received an invalid value for argument `y_pred`: expected the "
            f"shape of `y_true`, {true_shape}, got {pred_shape}."
        )


@keras.saving.register_keras_serializable(package="keras_seq")
def frame_mse(y_true, y_pred):
    """Squared error summed over each frame's pixels, averaged over frames.

    For `(batch, frames, height, width, channels)` values in `[0, 1]`;
    returns one value per sequence. As a Keras metric (`metrics=
    [keras_seq.metrics.frame_mse]`), it is averaged over sequences.
    """
    _check_pair(y_true, y_pred, 4)
    error = ops.square(ops.subtract(y_true, y_pred))
    return ops.mean(ops.sum(error, axis=(-3, -2, -1)), axis=-1)


def _gaussian_window(channels):
    offsets = np.arange(SSIM_WINDOW) - (SSIM_WINDOW - 1) / 2
    weights = np.exp(-(offsets**2) / (2 * SSIM_SIGMA**2))
    weights /= weights.sum()
    window = np.outer(weights, weights)[:, :, None, None]
    return np.tile(window, (1, 1, channels, 1)).astype("float32")


def frame_ssim(y_true, y_pred):
    """SSIM of each frame, averaged over its pixels and channels.

    Args:
        y_true, y_pred: `(..., height, width, channels)` values in
            `[0, 1]`; height and width at least 11.

    Returns:
        The SSIM per frame, shape `(...)`.
    """
    _check_pair(y_true, y_pred, 3)
    y_true = ops.convert_to_tensor(y_true, "float32")
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    shape = ops.shape(y_true)
    height, width, channels = shape[-3:]
    if height < SSIM_WINDOW or width < SSIM_WINDOW:
        raise ValueError(
            "Received frames of size "
            f"{height} x {width}: SSIM needs frames of at least "
            f"{SSIM_WINDOW} x {SSIM_WINDOW} pixels."
        )
    window = ops.convert_to_tensor(_gaussian_window(channels))

    def blur(x):
        x = ops.reshape(x, (-1, height, width, channels))
        return ops.depthwise_conv(x, window, padding="valid")

    mean_true, mean_pred = blur(y_true), blur(y_pred)
    variance_true = blur(y_true * y_true) - mean_true**2
    variance_pred = blur(y_pred * y_pred) - mean_pred**2
    covariance = blur(y_true * y_pred) - mean_true * mean_pred
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    luminance = (2 * mean_true * mean_pred + c1) / (
        mean_true**2 + mean_pred**2 + c1
    )
    structure = (2 * covariance + c2) / (variance_true + variance_pred + c2)
    ssim = ops.mean(luminance * structure, axis=(1, 2, 3))
    return ops.reshape(ssim, shape[:-3])


def frame_psnr(y_true, y_pred):
    """PSNR of each frame in dB, for values in `[0, 1]`; shape `(...)`."""
    _check_pair(y_true, y_pred, 3)
    error = ops.square(ops.subtract(y_true, y_pred))
    mse = ops.maximum(ops.mean(error, axis=(-3, -2, -1)), PSNR_MIN_MSE)
    return -10.0 * ops.log(mse) / math.log(10.0)


def _check_frames(name, frames):
    frames = np.asarray(frames)
    if frames.ndim != 5:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected "
            "frames of shape (batch_size, frames, height, width, channels), "
            f"got shape {frames.shape}."
        )
    if frames.dtype == np.uint8:
        return frames.astype("float32") / 255.0
    if not np.issubdtype(frames.dtype, np.floating):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected uint8 "
            f"or float frames, got dtype {frames.dtype}."
        )
    return frames.astype("float32")


def frame_scores(y_true, y_pred, batch_size=64):
    """MSE, SSIM and PSNR per horizon, averaged over sequences.

    Args:
        y_true, y_pred: `(num_sequences, num_frames, height, width,
            channels)`, float values in `[0, 1]` or uint8 values in
            `[0, 255]` (divided by 255).
        batch_size: int. Sequences per computation.

    Returns:
        A dict of lists of `num_frames` floats, one per horizon (the first
        predicted frame first): `"mse"` (per frame, summed over pixels),
        `"ssim"` and `"psnr"`; and their means over horizons,
        `"mean_mse"`, `"mean_ssim"` and `"mean_psnr"`.
    """
    y_true = _check_frames("y_true", y_true)
    y_pred = _check_frames("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Received `y_true` and `y_pred` of different shapes: "
            f"{y_true.shape} and {y_pred.shape}."
        )
    totals = {"mse": 0.0, "ssim": 0.0, "psnr": 0.0}
    for start in range(0, len(y_true), batch_size):
        true = y_true[start : start + batch_size]
        pred = y_pred[start : start + batch_size]
        error = np.square(true - pred)
        totals["mse"] += error.sum(axis=(2, 3, 4)).sum(axis=0)
        for key, function in (("ssim", frame_ssim), ("psnr", frame_psnr)):
            values = ops.convert_to_numpy(function(true, pred))
            totals[key] += values.sum(axis=0)
    scores = {}
    for key, total in totals.items():
        per_horizon = np.asarray(total, "float64") / len(y_true)
        scores[key] = [float(value) for value in per_horizon]
        scores[f"mean_{key}"] = float(per_horizon.mean())
    return scores
