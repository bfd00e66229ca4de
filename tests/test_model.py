"""The shared model's small helpers."""

import math

import numpy as np
import pandas as pd

from pyxl.common.model import is_missing


def test_missing_cells_are_the_ways_pandas_says_empty_and_nothing_else():
    for empty in (None, math.nan, np.nan, pd.NaT, pd.NA, np.float64("nan")):
        assert is_missing(empty), empty
    for present in ("", "无", 0, 0.0, False, [], ["区财政局"], pd.Timestamp("2025-07-05"), np.int64(3)):
        assert not is_missing(present), present
