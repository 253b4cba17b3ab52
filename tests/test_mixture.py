"""The integer mixture frequencies: valid tables, folded impossible residuals, and code lengths that match them."""
import numpy as np
import pytest

from rc_plugin.format import grids
from rc_plugin.mixture.logistic_mixture import (
    FREQ_TOTAL,
    bucket_frequencies,
    bucket_width,
    support,
    symbol_bits,
    value_frequencies,
)
from rc_plugin.mixture.released import current


def _mixture(rng, n):
    weight = rng.integers(1, 6000, (grids.K, n)).astype(np.int32)
    mean = rng.integers(-200, 200, (grids.K, n)).astype(np.int32)
    logscale = rng.integers(grids.LOGSCALE_MIN, grids.LOGSCALE_MAX + 1, (grids.K, n)).astype(np.int32)
    return weight, mean, logscale


def _two_step_bits(weight, mean, logscale, symbols, lo, hi, floor, ceil):
    """Bits per symbol as the coder spends them: the bucket, then the value within it."""
    tables = current().tables
    size = hi - lo + 1
    width = bucket_width(size)
    rows = np.arange(len(symbols))
    offset = symbols - lo
    buckets = bucket_frequencies(tables, weight, mean, logscale, lo, size, width, floor, ceil)
    bits = -np.log2(buckets[rows, offset // width] / FREQ_TOTAL)
    if width > 1:
        values = value_frequencies(tables, weight, mean, logscale, lo + offset // width * width, width, floor, ceil)
        bits -= np.log2(values[rows, offset % width] / FREQ_TOTAL)
        for table in (buckets, values):
            assert np.all(table.sum(axis=1) == FREQ_TOTAL) and table.min() >= 1
    return bits


def test_bucket_width():
    assert [bucket_width(s) for s in (1, 2, 16)] == [1, 1, 1]
    assert [bucket_width(s) for s in (17, 64, 150, 511)] == [4, 8, 16, 16]


@pytest.mark.parametrize("lo, hi", [(-40, 35), (-3, 0), (0, 1), (-200, 255)])
def test_two_steps_code_what_the_mixture_says_and_fold_what_cannot_occur(lo, hi):
    rng = np.random.default_rng(abs(lo) * 1000 + hi)
    n = 600
    weight, mean, logscale = _mixture(rng, n)
    xl = rng.integers(0, 256, n)
    xl[:60] = rng.integers(0, 4, 60)  # near black and near white: the support is cut
    xl[60:120] = rng.integers(252, 256, 60)
    floor, ceil = support(xl, lo, hi)
    real = floor <= ceil  # other x_l leave no residual in lo..hi: no pixel of a tile with this range has them
    weight, mean, logscale, floor, ceil = weight[:, real], mean[:, real], logscale[:, real], floor[real], ceil[real]
    # residuals where the mixture puts its mass (far in a tail, beyond the tables' 16 bits, the two steps
    # may pay for the tail twice, where the whole-range table pays once)
    heaviest = mean[np.argmax(weight, axis=0), np.arange(len(floor))]
    symbols = np.clip(heaviest // 8 + rng.integers(-2, 3, len(floor)), floor, ceil)
    coded = _two_step_bits(weight, mean, logscale, symbols, lo, hi, floor, ceil)
    measured = symbol_bits(current().tables, weight, mean, logscale, symbols, lo, hi, floor, ceil)
    # the same probabilities up to rounding in the last of 24 bits
    assert coded.sum() == pytest.approx(measured, rel=1e-3, abs=0.05)
    # a residual that cannot occur costs about the full 24 bits, whatever the mixture says
    impossible = np.nonzero((floor > lo) | (ceil < hi))[0]
    outside = np.where(floor[impossible] > lo, floor[impossible] - 1, ceil[impossible] + 1)
    sub = (weight[:, impossible], mean[:, impossible], logscale[:, impossible])
    assert np.all(_two_step_bits(*sub, outside, lo, hi, floor[impossible], ceil[impossible]) > 23)


def test_a_bucket_without_mass_is_uniform():
    weight = np.full((grids.K, 1), 6000, np.int32)
    mean = np.zeros((grids.K, 1), np.int32)
    logscale = np.full((grids.K, 1), grids.LOGSCALE_MIN, np.int32)  # all mass at 0, far from the bucket
    freq = value_frequencies(current().tables, weight, mean, logscale, np.array([80]), 8, np.array([-255]), np.array([255]))
    assert freq.sum() == FREQ_TOTAL and freq.max() - freq.min() <= 1
