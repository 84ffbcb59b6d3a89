"""Argument checks that raise the same clear errors everywhere.

Every public constructor and call in keras_seq validates its arguments at the
boundary with these helpers, so that a user reads one sentence naming the
argument, the value received and what was expected — never a stack trace
from deep inside a backend.
"""

import numbers


def _describe(value):
    if isinstance(value, str):
        return repr(value)
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a tensor of shape {tuple(shape)}"
    return f"{value!r} (of type {type(value).__name__})"


def invalid_argument(name, value, expected):
    """Returns a `ValueError` naming `name`, `value` and what was expected."""
    return ValueError(
        f"Received an invalid value for argument `{name}`: expected "
        f"{expected}, got {_describe(value)}."
    )


def check_positive_int(name, value):
    """Checks that `value` is a positive integer (not a bool) and returns it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"positive integer, got {_describe(value)}."
        )
    if value <= 0:
        raise invalid_argument(name, value, "a positive integer")
    return int(value)


def check_non_negative_int(name, value):
    """Checks that `value` is an integer `>= 0` (not a bool) and returns it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"non-negative integer, got {_describe(value)}."
        )
    if value < 0:
        raise invalid_argument(name, value, "a non-negative integer")
    return int(value)


def check_positive_number(name, value):
    """Checks that `value` is a real number `> 0` (not a bool) and returns
    it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"positive number, got {_describe(value)}."
        )
    if not value > 0:  # NaN too
        raise invalid_argument(name, value, "a positive number")
    return float(value)


def check_finite_batch(name, array):
    """Checks a batch given to a model: at least one example, and no NaN or
    infinity among its (floating-point) values."""
    import numpy as np

    array = np.asarray(array)
    if array.ndim and len(array) == 0:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected at "
            f"least one example, got an empty batch of shape {array.shape}."
        )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected "
            f"finite values, got {array[where]} at index {where}."
        )


def check_optional_positive_int(name, value):
    """Like `check_positive_int`, but `None` is allowed and passed through."""
    if value is None:
        return None
    return check_positive_int(name, value)


def check_rate(name, value):
    """Checks a dropout-style rate in `[0, 1)` and returns it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"float in [0, 1), got {_describe(value)}."
        )
    if not 0.0 <= value < 1.0:
        raise invalid_argument(name, value, "a float in [0, 1)")
    return float(value)


def check_choice(name, value, choices):
    """Checks that `value` is one of the strings in `choices` and returns it.

    The comparison ignores case, so `"LSTM"` selects `"lstm"`.
    """
    expected = "one of " + ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected "
            f"{expected}, got {_describe(value)}."
        )
    normalized = value.lower()
    if normalized not in choices:
        raise invalid_argument(name, value, expected)
    return normalized


def check_rank(name, tensor, rank, description):
    """Checks the static rank of `tensor`; `description` names the axes."""
    shape = getattr(tensor, "shape", None)
    if shape is None:
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"tensor of rank {rank} {description}, got {_describe(tensor)}."
        )
    check_shape_rank(name, shape, rank, description)


def check_shape_rank(name, shape, rank, description):
    """Checks the rank of a static `shape`; `description` names the axes."""
    if len(shape) != rank:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected a "
            f"tensor of rank {rank} {description}, got a tensor of shape "
            f"{tuple(shape)} (rank {len(shape)})."
        )


def check_text_pairs(first_name, first, second_name, second):
    """Checks two lists of texts of the same, non-zero length (sources and
    targets, say) and returns them as lists of str."""
    first = check_texts(first_name, first, allow_empty=True)
    second = check_texts(second_name, second, allow_empty=True)
    if len(first) != len(second) or not first:
        raise ValueError(
            f"Received `{first_name}` and `{second_name}` of lengths "
            f"{len(first)} and {len(second)}: expected the same, non-zero "
            "number of sentences."
        )
    return first, second


def check_texts(name, texts, allow_empty=False):
    """Checks that `texts` is a str or a list, tuple or array of str, and
    returns it as a list of str.

    An empty list is an error unless `allow_empty` (for calls that map a
    batch of texts to a batch of results, where no texts give none).
    """
    if isinstance(texts, str):
        return [texts]
    if getattr(texts, "dtype", None) is not None and texts.dtype.kind in "UO":
        texts = texts.tolist()
    if isinstance(texts, (list, tuple)) and all(
        isinstance(t, str) for t in texts
    ):
        if not texts and not allow_empty:
            raise ValueError(
                f"Received an invalid value for argument `{name}`: expected "
                f"a string or a non-empty list of strings, got an empty "
                f"{type(texts).__name__}."
            )
        return list(texts)
    received = type(texts).__name__
    if isinstance(texts, (list, tuple)):
        odd = next(t for t in texts if not isinstance(t, str))
        received += f" holding {type(odd).__name__}"
    raise TypeError(
        f"Received an invalid type for argument `{name}`: expected a string "
        f"or a list of strings, got {received}."
    )


def check_image_size(image_size, allow_int=False, allow_none=False):
    """`(height, width)` of positive ints, as a tuple; with `allow_int`, an
    int `n` means `(n, n)`; with `allow_none`, `None` passes through."""
    if allow_none and image_size is None:
        return None
    if allow_int and isinstance(image_size, int):
        if not isinstance(image_size, bool):
            image_size = (image_size, image_size)
    if not (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(
            isinstance(side, int) and not isinstance(side, bool) and side > 0
            for side in image_size
        )
    ):
        expected = "`(height, width)`"
        if allow_int:
            expected = "a positive int or " + expected
        if allow_none:
            expected = "`None` or " + expected
        raise invalid_argument("image_size", image_size, expected)
    return tuple(image_size)
