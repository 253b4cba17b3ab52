"""A decoded JPEG's steps from its blocks' DCT values (encoder only): each frequency's step where the values cluster
on its multiples, and libjpeg's standard tables where the steps found are one quality's."""
from __future__ import annotations

import numpy as np

#: A step q >= LARGE_MIN is taken for a frequency where all but OUTLIERS of its DCT values lie within
#: LARGE_TOLERANCE of q's multiples, and it misses at most MISSED of those of 2 or more in size beyond the fewest any
#: such q misses (estimate_steps); a smaller q >= 2 where at least MIN_VALUES of them quantise to non-zero at q and
#: the share of those within min(TOLERANCE, q / 4) of q's multiples exceeds what chance gives by FIT.
LARGE_MIN, LARGE_TOLERANCE, OUTLIERS, MISSED = 4, 1.0, 0.01, 0.05
MIN_VALUES, TOLERANCE, FIT = 20, 0.6, 0.3
#: The example tables of the JPEG standard (Annex K), row-major, which libjpeg scales by a quality 1..100: most JPEGs'
#: steps. Where the luma steps found above 1 are one quality's, the steps not found (too few values) and the
#: chroma's are taken from that quality's tables.
STANDARD_LUMA = (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17,
                 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78,
                 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
STANDARD_CHROMA = (17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
                   47, 66, 99, 99, 99, 99, 99, 99) + (99,) * 32
#: A quality is taken where at least this many luma steps above 1 found are its, and this share of them divide its.
STANDARD_MIN_FOUND, STANDARD_SHARE = 6, 0.8


def standard_tables(quality: int) -> tuple[np.ndarray, np.ndarray]:
    """libjpeg's luma and chroma steps at a quality 1..100 (baseline: at most 255)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(np.clip((np.array(t, np.int64).reshape(8, 8) * scale + 50) // 100, 1, 255)
                 for t in (STANDARD_LUMA, STANDARD_CHROMA))


def standard_quality(luma: np.ndarray) -> int | None:
    """The quality whose standard luma steps are most often the steps found above 1 (1: not found, or 1; 255: a
    frequency nearly always 0), if at least STANDARD_MIN_FOUND are and at least STANDARD_SHARE of them divide its
    steps (a step found from few values may be a divisor of the true one)."""
    found = (luma > 1) & (luma < 255)
    best, best_matches = None, STANDARD_MIN_FOUND - 1
    for quality in range(1, 101):
        standard = standard_tables(quality)[0][found]
        matches = int(np.sum(standard == luma[found]))
        if matches > best_matches and np.mean(standard % luma[found] == 0) >= STANDARD_SHARE:
            best, best_matches = quality, matches
    return best


def estimate_steps(values: np.ndarray) -> np.ndarray:
    """Each frequency's step from the blocks' float DCT values (n, 8, 8): the largest q >= LARGE_MIN on whose
    multiples all values but OUTLIERS of them lie within LARGE_TOLERANCE (the noise of the pixels' rounding is about
    0.3 in a textured block; in a flat one the samples round alike, and its DC may be 4 off), and that misses at most
    MISSED of the non-zero values more than the q >= LARGE_MIN that misses fewest (so a multiple of the true step,
    which fits as long as the frequency's non-zero values are rare, is not taken for it); or else the q in
    2..LARGE_MIN - 1 on whose multiples the values that quantise to non-zero lie best above chance (FIT); or else 1.
    A frequency that is nearly always 0 takes a large step, which its few non-zero values fit or leave to the
    residual (a step of 1 would code the noise). A step that divides the true one still decodes exactly (its
    coefficients are multiples); one that does not leaves those blocks to the search and the residual."""
    table = np.ones((8, 8), np.int64)
    steps = np.arange(255, LARGE_MIN - 1, -1)
    for a in range(8):
        for b in range(8):
            v = values[:, a, b]
            far = v[np.abs(v) >= LARGE_TOLERANCE]  # a value nearer 0 lies within the tolerance of every step's 0
            off = np.count_nonzero(np.abs(far[None, :] - steps[:, None] * np.round(far[None, :] / steps[:, None]))
                                   >= LARGE_TOLERANCE, axis=1)
            allowed = off.min() + OUTLIERS * v.size + MISSED * np.count_nonzero(np.abs(v) >= 2)
            fitting = np.flatnonzero((off <= allowed) & (off <= OUTLIERS * v.size))
            if fitting.size:
                table[a, b] = steps[fitting[0]]
                continue
            best, best_fit = 1, FIT
            for q in range(2, LARGE_MIN):
                big = v[np.abs(v) >= q / 2]
                if big.size < MIN_VALUES:
                    break
                tol = min(TOLERANCE, q / 4)
                fit = float(np.mean(np.abs(big - q * np.round(big / q)) < tol)) - 2 * tol / q
                if fit > best_fit:
                    best, best_fit = q, fit
            table[a, b] = best
    return table
