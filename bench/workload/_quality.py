"""Text sharpness: SSIM of grey pictures, for comparing what the technician
sees with what is on the customer's screen."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ssim"]


def ssim(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    """Mean SSIM of two grey pictures of one size over non-overlapping 8x8
    windows (the constants of Wang et al. 2004, for 0-255 levels).

    Written here rather than taken from scikit-image, which would bring in
    scipy for one function; non-overlapping windows keep it to a few lines of
    numpy, fast enough for whole text regions.
    """
    height, width = (a.shape[0] // 8) * 8, (a.shape[1] // 8) * 8
    blocks = [
        np.asarray(m, np.float64)[:height, :width].reshape(
            height // 8, 8, width // 8, 8
        )
        for m in (a, b)
    ]
    mean_a, mean_b = (m.mean(axis=(1, 3)) for m in blocks)
    var_a, var_b = (m.var(axis=(1, 3)) for m in blocks)
    covariance = (blocks[0] * blocks[1]).mean(axis=(1, 3)) - mean_a * mean_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    index = ((2 * mean_a * mean_b + c1) * (2 * covariance + c2)) / (
        (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(index.mean())
