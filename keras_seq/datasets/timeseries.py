"""Classic univariate and multivariate time series.

| name | what | steps | source |
|---|---|---|---|
| `"airline_passengers"` | monthly airline passengers, 1949–1960 (Box & Jenkins) | 144 | J. Brownlee's Datasets repository |
| `"sunspots"` | yearly sunspot activity, 1700–2008 | 309 | statsmodels |
| `"co2_weekly"` | weekly Mauna Loa CO2 (ppm), 1958–2001, with gaps | 2,284 | statsmodels |
| `"seattle_weather"` | NOAA Seattle daily weather, 2012–2015: precipitation, max and min temperature, wind | 1,461 | vega-datasets |
| `"sf_temps"` | San Francisco hourly temperatures (°F), 2010 | 8,759 | vega-datasets |

All are public domain (NOAA, SIDC) or classic textbook series.
"""  # noqa: E501

import collections
import csv
import io

import numpy as np

from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.utils.argument_validation import check_choice

_STATSMODELS = (
    "https://raw.githubusercontent.com/statsmodels/statsmodels/main/"
    "statsmodels/datasets/"
)
_VEGA = "https://raw.githubusercontent.com/vega/vega-datasets/main/data/"

# Each series: its file, the column of the time stamps, the value columns.
_SERIES = {
    "airline_passengers": (
        DataFile(
            "timeseries/airline-passengers.csv",
            "https://raw.githubusercontent.com/jbrownlee/Datasets/master/"
            "airline-passengers.csv",
            "29a86cac504338c7c5607e721396e4bda240ca61785ffcac9ed1af4088199d42",
        ),
        "Month",
        ["Passengers"],
    ),
    "sunspots": (
        DataFile(
            "timeseries/statsmodels_sunspots.csv",
            _STATSMODELS + "sunspots/sunspots.csv",
            "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b",
        ),
        "YEAR",
        ["SUNACTIVITY"],
    ),
    "co2_weekly": (
        DataFile(
            "timeseries/statsmodels_co2_weekly.csv",
            _STATSMODELS + "co2/co2.csv",
            "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f",
        ),
        "date",
        ["co2"],
    ),
    "seattle_weather": (
        DataFile(
            "timeseries/vega_seattle-weather.csv",
            _VEGA + "seattle-weather.csv",
            "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b",
        ),
        "date",
        ["precipitation", "temp_max", "temp_min", "wind"],
    ),
    "sf_temps": (
        DataFile(
            "timeseries/vega_sf-temps.csv",
            _VEGA + "sf-temps.csv",
            "3f91699707cfed43ef551394bebef4c2ebe5505157b9be7bff9558eea2fbaaec",
        ),
        "date",
        ["temp"],
    ),
}
NAMES = tuple(_SERIES)

Series = collections.namedtuple(
    "Series", ["name", "times", "values", "columns"]
)
Series.__doc__ = """A time series.

Fields:
    name: the series' name, e.g. `"airline_passengers"`.
    times: numpy string array `(steps,)`, the time stamps as written in
        the source file.
    values: float32 array `(steps, len(columns))`; missing values are NaN.
    columns: the names of the value columns.
"""


def load_series(name, path=None, cache_dir=None):
    """Loads one series, in time order.

    Args:
        name: str. One of `"airline_passengers"`, `"sunspots"`,
            `"co2_weekly"`, `"seattle_weather"`, `"sf_temps"`.
        path: optional local copy: the CSV file, or a data directory
            holding it under `timeseries/`. Defaults to `KERAS_SEQ_DATA_DIR`,
            then the Keras cache, then a download.
        cache_dir: where downloads are kept. Defaults to
            `~/.keras/datasets/keras_seq`.

    Returns:
        A `Series`. Windows for training come from
        `keras.utils.timeseries_dataset_from_array(series.values, ...)`.

    Example:

    ```python
    import keras_seq

    series = keras_seq.datasets.timeseries.load_series("airline_passengers")
    series.values.shape  # (144, 1)
    ```
    """
    name = check_choice("name", name, NAMES)
    data_file, time_column, value_columns = _SERIES[name]
    content = read_data_file(data_file, path, cache_dir).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(content)))
    times = np.array([row[time_column] for row in rows])
    values = np.array(
        [
            [
                float(row[column]) if row[column] else np.nan
                for column in value_columns
            ]
            for row in rows
        ],
        "float32",
    )
    return Series(name, times, values, list(value_columns))
