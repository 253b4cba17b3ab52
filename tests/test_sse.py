"""Secondary estimation's counting (rc_plugin.adaptive.sse.learn, format 12): a coded value's interval lo..hi of the
logistic's CDF adds to each bin UNIT times the share of the interval that bin covers, rounded down, in every
table's context, and a histogram past LIMIT is halved. The compiled code and its Python source both equal that
definition, written out plainly here, on intervals inside one bin, across two, across many, on the bins' edges and
over the whole CDF, so a faster rewrite of the counting cannot change a file's bytes unnoticed."""
import numpy as np
import pytest

from rc_plugin.adaptive import sse
from rc_plugin.adaptive.logistic import TOTAL

EDGE = TOTAL // sse.BINS


def reference(bins: np.ndarray, totals: np.ndarray, ctx: np.ndarray, lo: int, hi: int) -> None:
    """The definition, a division per bin: bin j gets UNIT times the overlap of lo..hi * BINS with j..j + 1 * TOTAL,
    floor-divided by (hi - lo) * BINS."""
    a0, a1 = lo * sse.BINS, hi * sse.BINS
    for j in range(sse.BINS):
        overlap = min(a1, (j + 1) * TOTAL) - max(a0, j * TOTAL)
        if overlap > 0:
            add = sse.UNIT * overlap // (a1 - a0)
            for t in range(sse.TABLES):
                bins[t, ctx[t], j] += add
                totals[t, ctx[t]] += add
    for t in range(sse.TABLES):
        if totals[t, ctx[t]] > sse.LIMIT:
            bins[t, ctx[t]] = (bins[t, ctx[t]] + 1) >> 1
            totals[t, ctx[t]] = bins[t, ctx[t]].sum()


def intervals() -> list[tuple[int, int]]:
    """Inside one bin, on and across its edges, across two and many bins, the whole CDF, and seeded random ones."""
    fixed = [(0, 1), (5, 6), (EDGE - 1, EDGE), (EDGE - 1, EDGE + 1), (EDGE, 2 * EDGE), (EDGE + 3, 2 * EDGE - 3),
             (EDGE - 7, 3 * EDGE + 7), (0, TOTAL), (TOTAL - 1, TOTAL), (1, TOTAL - 1), (3 * EDGE, 11 * EDGE + 1)]
    rng = np.random.default_rng(12)
    draws = [tuple(sorted(rng.choice(TOTAL + 1, 2, replace=False))) for _ in range(300)]
    narrow = [(int(lo), int(lo) + int(w)) for lo, w in zip(rng.integers(0, TOTAL - 64, 300), rng.integers(1, 64, 300))]
    return fixed + [(int(a), int(b)) for a, b in draws] + narrow


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_learn_counts_each_bins_share(compiled):
    learn = sse.learn if compiled else sse.learn.py_func
    bins, totals = sse.new_state(3, 1)
    want_bins, want_totals = bins.copy(), totals.copy()
    ctx = np.array([4, 17][: sse.TABLES], np.int64)
    halved = 0
    for lo, hi in intervals() * 3:  # some 1,800 values: past LIMIT (about 1,000 values) once
        before = want_totals[:, ctx].copy()
        learn(bins, totals, ctx, lo, hi)
        reference(want_bins, want_totals, ctx, lo, hi)
        halved += int(np.any(want_totals[0, ctx[0]] < before[0]))
        assert np.array_equal(bins, want_bins) and np.array_equal(totals, want_totals), (lo, hi)
    assert halved > 0  # the run reached LIMIT, so the halving was checked too


def pattern_reference(img: np.ndarray, y: int, x: int, c: int) -> int:
    """The neighbours' pattern (format 17) written out: the coded channel less the first coded one (but for the
    first), W, N, NW and NE of it, a missing neighbour the one beside it (W for the top row's N, NW and NE; N for the
    left column's W and NW), and W - NW, N - NW, NE - N clamped to +-STEP, in base 2 STEP + 1."""
    h, w, _ = img.shape
    plane = img[..., c].astype(np.int64) - (img[..., 0].astype(np.int64) if c else 0)
    if y == 0:
        return (sse.STEP * (2 * sse.STEP + 1) + sse.STEP) * (2 * sse.STEP + 1) + sse.STEP
    n, ne = plane[y - 1, x], plane[y - 1, min(x + 1, w - 1)]
    wv, nw = (plane[y, x - 1], plane[y - 1, x - 1]) if x else (n, n)
    digits = [int(np.clip(d, -sse.STEP, sse.STEP)) + sse.STEP for d in (wv - nw, n - nw, ne - n)]
    return (digits[0] * (2 * sse.STEP + 1) + digits[1]) * (2 * sse.STEP + 1) + digits[2]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_pattern_reads_only_decoded_neighbours(compiled):
    """pattern() equals its definition at every subpixel of a small image (its edges included) of small differences,
    with 0 and 255 here and there so that they reach past the clamp both ways; and it reads no subpixel the decoder
    has not decoded yet: values at and after the subpixel (raster order, channel by channel) changed leave it alone."""
    pattern = sse.pattern if compiled else sse.pattern.py_func
    rng = np.random.default_rng(17)
    img = (128 + rng.integers(-2, 3, (8, 10, 3))).astype(np.uint8)
    img[rng.random(img.shape) < 0.05] = 0
    img[rng.random(img.shape) < 0.05] = 255
    seen = set()
    for y in range(img.shape[0]):
        for x in range(img.shape[1]):
            for c in range(3):
                want = pattern_reference(img, y, x, c)
                assert pattern(img, y, x, c) == want, (y, x, c)
                seen.add(want)
                later = img.copy().reshape(-1)
                start = (y * img.shape[1] + x) * 3 + c
                later[start:] = rng.integers(0, 256, later.size - start)
                assert pattern(later.reshape(img.shape), y, x, c) == want, (y, x, c)
    assert len(seen) > 60 and max(seen) < sse.PATTERNS
