"""Quantised coefficients that reproduce blocks' samples exactly under the JPEG tile's inverse DCT (encoder only):
rounding, corrections, and a search where few blocks are left. A block partly outside the tile is matched on its
known samples alone (the others are the decoder's own business: they fall outside the tile's window)."""
from __future__ import annotations

import numpy as np

from .inverse import idct
from .planes import forward_dct

#: Blocks not found by rounding and CORRECTIONS corrections are searched where they are at most SEARCH_SHARE of all,
#: each by at most SEARCH_TRIES single moves.
CORRECTIONS, SEARCH_SHARE, SEARCH_TRIES = 6, 0.5, 200


def _exact(k: np.ndarray, table: np.ndarray, samples: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.all((idct(k, table) == samples) | ~known, axis=(-2, -1))


def quantise(samples: np.ndarray, table: np.ndarray, known: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, found): quantised coefficients of blocks (n, 8, 8) whose idct gives their known samples
    (known: (n, 8, 8) bool, default all) exactly, where found: the DCT rounded to the steps, then the error's own
    rounded DCT added up to CORRECTIONS times, then (where few blocks are left) single +-1 moves of the coefficients
    that best match the error, kept while its sum of squares falls, and pairs of moves among the ten best matches."""
    known = np.ones(samples.shape, bool) if known is None else known
    k = np.round(forward_dct(samples) / table).astype(np.int64)
    found = _exact(k, table, samples, known)
    for _ in range(CORRECTIONS):
        bad = ~found
        if not bad.any():
            break
        error = (samples[bad] - idct(k[bad], table)) * known[bad]
        k[bad] += np.round(forward_dct(error + 128) / table).astype(np.int64)
        found[bad] = _exact(k[bad], table, samples[bad], known[bad])
    if (~found).mean() <= SEARCH_SHARE:
        for i in np.flatnonzero(~found):
            k[i], found[i] = search_block(k[i], samples[i], table, known[i])
    return k, found


def search_block(block: np.ndarray, target: np.ndarray, table: np.ndarray,
                 known: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """(coefficients, found) for one block by single +-1 moves along the error's DCT, then pairs of moves."""
    known = np.ones(target.shape, bool) if known is None else known
    block = block.copy()
    error = (target - idct(block, table)) * known
    squares, n = int((error ** 2).sum()), 0
    while squares and n < SEARCH_TRIES:
        match = forward_dct(error + 128) / table
        for f in np.argsort(-np.abs(match).ravel())[:16]:
            step = 1 if match.flat[f] > 0 else -1
            block.flat[f] += step
            trial, n = (target - idct(block, table)) * known, n + 1
            if int((trial ** 2).sum()) < squares:
                error, squares = trial, int((trial ** 2).sum())
                break
            block.flat[f] -= step
        else:
            break
    if squares == 0:
        return block, True
    best = np.argsort(-np.abs(forward_dct(error + 128) / table).ravel())[:10]
    moves = [(a, sa, b, sb) for i, a in enumerate(best) for b in best[i + 1:] for sa in (1, -1) for sb in (1, -1)]
    trials = np.repeat(block[None], len(moves), axis=0)
    for t, (a, sa, b, sb) in enumerate(moves):
        trials[t].flat[a] += sa
        trials[t].flat[b] += sb
    exact = _exact(trials, table, target, known)
    return (trials[np.argmax(exact)], True) if exact.any() else (block, False)
