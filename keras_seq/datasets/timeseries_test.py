import numpy as np

from keras_seq.datasets import timeseries
from keras_seq.testing import TestCase

# name: (steps, columns, first time stamp, first values)
EXPECTED = {
    "airline_passengers": (144, ["Passengers"], "1949-01", [112.0]),
    "sunspots": (309, ["SUNACTIVITY"], "1700", [5.0]),
    "co2_weekly": (2284, ["co2"], "19580329", [316.1]),
    "seattle_weather": (
        1461,
        ["precipitation", "temp_max", "temp_min", "wind"],
        "2012/01/01",
        [0.0, 12.8, 5.0, 4.7],
    ),
    "sf_temps": (8759, ["temp"], "2010/01/01 00:00:00", [47.8]),
}


class TimeseriesTest(TestCase):
    def test_every_series(self):
        self.assertEqual(set(timeseries.NAMES), set(EXPECTED))
        for name, (steps, columns, first_time, first) in EXPECTED.items():
            series = timeseries.load_series(name, path=self.get_data_dir())
            self.assertEqual(series.name, name)
            self.assertEqual(series.values.shape, (steps, len(columns)))
            self.assertEqual(series.values.dtype, np.float32)
            self.assertEqual(series.columns, columns)
            self.assertEqual(series.times[0], first_time)
            self.assertAllClose(series.values[0], np.array(first, "float32"))

    def test_gaps_are_nan(self):
        series = timeseries.load_series("co2_weekly", path=self.get_data_dir())
        gaps = np.isnan(series.values[:, 0])
        self.assertEqual(int(gaps.sum()), 59)
        self.assertBetween(float(np.nanmean(series.values)), 330.0, 350.0)

    def test_corrupted_and_missing_copies(self):
        for name in ("airline_passengers", "seattle_weather"):
            self.run_dataset_integrity_test(
                timeseries.load_series,
                [timeseries._SERIES[name][0]],
                name=name,
            )

    def test_invalid_name(self):
        with self.assertRaisesRegex(ValueError, "`name`.*'airline'"):
            timeseries.load_series("airline")
