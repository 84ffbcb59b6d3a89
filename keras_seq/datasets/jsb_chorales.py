"""JSB chorales: 382 Bach chorales as piano rolls (Boulanger-Lewandowski 2012).

The JSON release of C.-Z. A. Huang's JSB-Chorales-dataset, with the
train/valid/test split of Boulanger-Lewandowski et al. (229/76/77 chorales),
read as JSON (never pickle). Each time step lists the MIDI pitches heard,
between 21 and 108. Bach's chorales are in the public domain.

Reference:
    Boulanger-Lewandowski, Bengio and Vincent, "Modeling Temporal
    Dependencies in High-Dimensional Sequences", ICML 2012
    (https://arxiv.org/abs/1206.6392).
"""

import json

import numpy as np

from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.utils.argument_validation import check_choice

_REPOSITORY = (
    "https://raw.githubusercontent.com/czhuang/JSB-Chorales-dataset/master/"
)
RESOLUTIONS = {
    "quarter": DataFile(
        "music/jsb-chorales-quarter.json",
        _REPOSITORY + "jsb-chorales-quarter.json",
        "2db9329f1881a1d3f49703ec556bf1d6f84b4f6c1d702c156536e93cf31e1c91",
    ),
    "16th": DataFile(
        "music/jsb-chorales-16th.json",
        _REPOSITORY + "jsb-chorales-16th.json",
        "8730aca7b64e7d29493733d1cf19fad4a5b351d8f1845e57dac27728104fd39f",
    ),
}
LOWEST_PITCH = 21  # A0, piano-roll column 0
NUM_PITCHES = 88  # A0 to C8


def to_piano_roll(chorale):
    """Turns a list of time steps (lists of MIDI pitches) into a piano roll.

    Returns:
        A float32 array of shape `(time_steps, 88)`: 1 where pitch
        `LOWEST_PITCH + column` sounds.
    """
    roll = np.zeros((len(chorale), NUM_PITCHES), "float32")
    for step, pitches in enumerate(chorale):
        for pitch in pitches:
            column = int(pitch) - LOWEST_PITCH
            if not 0 <= column < NUM_PITCHES:
                raise ValueError(
                    f"Received an invalid pitch {pitch!r} at time step "
                    f"{step}: expected a MIDI pitch from {LOWEST_PITCH} to "
                    f"{LOWEST_PITCH + NUM_PITCHES - 1}."
                )
            roll[step, column] = 1.0
    return roll


def load_data(resolution="quarter", path=None, cache_dir=None):
    """Loads the chorales as piano rolls, in the published split.

    Args:
        resolution: str. `"quarter"` (one step per quarter note, the
            resolution of Boulanger-Lewandowski et al.) or `"16th"`.
        path: optional local copy: the JSON file, or a data directory
            holding it as `music/jsb-chorales-quarter.json` (or `-16th`).
            Defaults to `KERAS_SEQ_DATA_DIR`, then the Keras cache, then a
            download.
        cache_dir: where downloads are kept. Defaults to
            `~/.keras/datasets/keras_seq`.

    Returns:
        `(train, validation, test)`: lists of 229, 76 and 77 float32 piano
        rolls of shape `(time_steps, 88)`, of varying lengths.

    Example:

    ```python
    import keras_seq

    train, validation, test = keras_seq.datasets.jsb_chorales.load_data()
    train[0].shape  # (time_steps, 88)
    ```
    """
    resolution = check_choice("resolution", resolution, tuple(RESOLUTIONS))
    content = read_data_file(RESOLUTIONS[resolution], path, cache_dir)
    splits = json.loads(content.decode("utf-8"))
    return tuple(
        [to_piano_roll(chorale) for chorale in splits[split]]
        for split in ("train", "valid", "test")
    )
