"""Shared type aliases for arrays (shapes are given in each docstring)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

__all__ = ["FloatArray", "BoolArray", "IntArray"]
