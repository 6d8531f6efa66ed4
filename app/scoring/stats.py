"""Robust trend statistics, written out so every number can be recomputed by hand:
Theil–Sen slope, and the Mann–Kendall test with a variance correction for day-to-day
carry-over (serial correlation), which would otherwise make noise look like a trend."""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The median of the slopes between every pair of points with different x."""
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    return median(slopes) if slopes else 0.0


def clip_outliers(
    xs: Sequence[float], ys: Sequence[float], slope: float, k: float = 3.0
) -> list[float]:
    """Hampel-style: pull points further than k robust standard deviations (1.4826 × MAD)
    from the Theil–Sen line back to that distance, so one unusual day cannot make a trend."""
    intercept = median(y - slope * x for x, y in zip(xs, ys, strict=True))
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    centre = median(residuals)
    spread = 1.4826 * median(abs(r - centre) for r in residuals)
    if spread == 0:
        return list(ys)
    limit = k * spread
    return [
        intercept + slope * x + max(centre - limit, min(centre + limit, r))
        for x, r in zip(xs, residuals, strict=True)
    ]


def _normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def lag1_autocorrelation(xs: Sequence[float], residuals: Sequence[float]) -> float:
    """Lag-1 autocorrelation of residuals, using only pairs of consecutive days."""
    pairs = [(residuals[i], residuals[i + 1]) for i in range(len(xs) - 1) if xs[i + 1] - xs[i] == 1]
    if len(pairs) < 3:
        return 0.0
    mean = sum(residuals) / len(residuals)
    var = sum((r - mean) ** 2 for r in residuals) / len(residuals)
    if var == 0:
        return 0.0
    cov = sum((a - mean) * (b - mean) for a, b in pairs) / len(pairs)
    raw = cov / var
    # The plain estimate is biased low in short series (about -(1 + 3ρ)/n); undo it.
    n = len(residuals)
    corrected = (raw * n + 1) / (n - 3) if n > 3 else raw
    return max(-0.99, min(0.99, corrected))


@dataclass(frozen=True)
class MannKendall:
    s: int
    variance: float
    z: float
    p_value: float
    correction: float  # n/n*: how much carry-over inflated the variance (1 = none)


def mann_kendall(xs: Sequence[float], ys: Sequence[float], slope: float) -> MannKendall:
    """Two-sided Mann–Kendall test on ys ordered by xs, with the Yue–Wang (2004) effective
    sample size correction computed from the lag-1 autocorrelation of the detrended series."""
    n = len(ys)
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            diff = ys[j] - ys[i]
            s += (diff > 0) - (diff < 0)
    ties = Counter(ys).values()
    variance = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    residuals = [y - slope * x for x, y in zip(xs, ys, strict=True)]
    r1 = max(0.0, lag1_autocorrelation(xs, residuals))
    correction = 1 + 2 * sum((1 - k / n) * r1**k for k in range(1, n))
    variance *= correction
    if variance <= 0:
        return MannKendall(s, 0.0, 0.0, 1.0, correction)
    z = (s - 1) / math.sqrt(variance) if s > 0 else (s + 1) / math.sqrt(variance) if s < 0 else 0.0
    return MannKendall(s, variance, z, min(1.0, 2 * _normal_sf(abs(z))), correction)
