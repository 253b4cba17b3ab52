"""The integer mixture frequencies: valid tables, folded impossible residuals, and code lengths that match them."""
import numpy as np
import pytest

from rc_plugin import grids
from rc_plugin.mixture import FREQ_TOTAL, frequencies, support, symbol_bits
from rc_plugin.tables import load_tables


def _mixture(rng, n):
    weight = rng.integers(1, 6000, (grids.K, n)).astype(np.int32)
    mean = rng.integers(-200, 200, (grids.K, n)).astype(np.int32)
    logscale = rng.integers(grids.LOGSCALE_MIN, grids.LOGSCALE_MAX + 1, (grids.K, n)).astype(np.int32)
    return weight, mean, logscale


@pytest.mark.parametrize("lo, hi", [(-40, 35), (-3, 0), (0, 1), (7, 7)])
def test_tables_are_valid_and_fold_what_cannot_occur(lo, hi):
    rng = np.random.default_rng(abs(lo) * 100 + hi)
    n = 500
    weight, mean, logscale = _mixture(rng, n)
    xl = rng.integers(0, 256, n)
    xl[:50] = rng.integers(0, 4, 50)  # near black and near white: the support is cut
    xl[50:100] = rng.integers(252, 256, 50)
    floor, ceil = support(xl, lo, hi)
    folded = frequencies(load_tables(), weight, mean, logscale, lo, hi, floor, ceil)
    plain = frequencies(load_tables(), weight, mean, logscale, lo, hi, np.full(n, lo), np.full(n, hi))
    for freq in (folded, plain):
        assert freq.shape == (n, hi - lo + 1)
        assert np.all(freq.sum(axis=1) == FREQ_TOTAL) and freq.min() >= 1
    real = floor <= ceil  # some x_l leave no residual in lo..hi: no pixel of a tile with this range has them
    folded, plain, floor, ceil = folded[real], plain[real], floor[real], ceil[real]
    symbol = np.arange(lo, hi + 1)[None, :]
    impossible = (symbol < floor[:, None]) | (symbol > ceil[:, None])
    assert np.all(folded[impossible] == 1)
    possible = ~impossible
    assert np.all(folded[possible] >= plain[possible])  # the possible symbols only gain
    untouched = (floor == lo) & (ceil == hi)
    assert np.array_equal(folded[untouched], plain[untouched])


def test_symbol_bits_are_the_code_length_of_the_tables():
    rng = np.random.default_rng(7)
    n, lo, hi = 400, -25, 30
    weight, mean, logscale = _mixture(rng, n)
    xl = rng.integers(0, 256, n)
    xl[:80] = rng.integers(0, 3, 80)
    floor, ceil = support(xl, lo, hi)
    symbols = np.clip(rng.integers(lo, hi + 1, n), floor, ceil)
    freq = frequencies(load_tables(), weight, mean, logscale, lo, hi, floor, ceil)
    expected = -np.log2(freq[np.arange(n), symbols - lo] / FREQ_TOTAL).sum()
    bits = symbol_bits(load_tables(), weight, mean, logscale, symbols, lo, hi, floor, ceil)
    assert bits == pytest.approx(expected, rel=1e-9)

