"""Quantised coefficients that reproduce blocks' samples exactly under the JPEG tile's inverse DCT (encoder only):
rounding, corrections, and a search for the blocks those leave. A block partly outside the tile is matched on its
known samples alone (the others are the decoder's own business: they fall outside the tile's window)."""
from __future__ import annotations

import numba
import numpy as np

from ...jitcache import shipped
from .inverse import idct, idct_block
from .planes import _DCT, forward_dct

#: Blocks not found by rounding and CORRECTIONS corrections are searched, each by at most SEARCH_TRIES single moves,
#: then pairs of moves among the PAIR_CANDIDATES best matches (docs/models.md, "The JPEG tile": at quality 90 and up
#: rounding finds under half the luma blocks, the search most of the rest).
CORRECTIONS, SEARCH_TRIES, PAIR_CANDIDATES = 6, 200, 10
#: The DCT as a 64 x 64 matrix: basis[u v, x y] = DCT[u, x] DCT[v, y].
_BASIS = np.ascontiguousarray(np.einsum("ux,vy->uvxy", _DCT, _DCT).reshape(64, 64))


def _exact(k: np.ndarray, table: np.ndarray, samples: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.all((idct(k, table) == samples) | ~known, axis=(-2, -1))


def quantise(samples: np.ndarray, table: np.ndarray, known: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, found): quantised coefficients of blocks (n, 8, 8) whose idct gives their known samples
    (known: (n, 8, 8) bool, default all) exactly, where found: the DCT rounded to the steps, then the error's own
    rounded DCT added up to CORRECTIONS times, then search_blocks."""
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
    left = np.flatnonzero(~found)
    if left.size:
        k[left], found[left] = _searched(k[left], samples[left], known[left], table)
    return k, found


def _searched(blocks: np.ndarray, target: np.ndarray, known: np.ndarray,
              table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """search_blocks on blocks (n, 8, 8) of coefficients: (the coefficients after it, found per block)."""
    flat = np.array(blocks, np.int64).reshape(-1, 64)  # a copy, searched in place
    found = np.zeros(len(flat), np.bool_)
    search_blocks(flat, np.ascontiguousarray(target, np.int64).reshape(-1, 64),
                  np.ascontiguousarray(known, np.bool_).reshape(-1, 64),
                  np.ascontiguousarray(table, np.int64).reshape(64), _BASIS, SEARCH_TRIES, PAIR_CANDIDATES, found)
    return flat.reshape(-1, 8, 8), found


@numba.njit(cache=True, inline="always")
def _error(blocks, k, target, known, table, trial):
    """The sum of squares of block k's known samples' error, its error left in trial[k] (samples - decoded)."""
    idct_block(blocks, table, trial, k)
    squares = 0
    for i in range(64):
        trial[k, i] = (target[k, i] - trial[k, i]) if known[k, i] else 0
        squares += trial[k, i] * trial[k, i]
    return squares


@numba.njit(cache=True, inline="always")
def _matches(error, k, basis, table):
    """How strongly each coefficient's basis (in its steps) matches block k's error."""
    match = np.zeros(64, np.float64)
    for f in range(64):
        acc = 0.0
        for i in range(64):
            acc += basis[f, i] * error[k, i]
        match[f] = acc / table[f]
    return match


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def search_blocks(blocks, target, known, table, basis, tries, pairs, found):
    """For each block (n, 64) of coefficients, in place: single +-1 moves of the coefficient whose basis best matches
    the known samples' error (of the 16 best, the first that lowers its sum of squares), while one does, at most
    `tries`; then, if the error is not gone, every pair of +-1 moves among the `pairs` best matches, the first that
    reproduces the block kept. found[k]: whether block k now reproduces its known samples."""
    error = np.empty_like(target)
    for k in range(blocks.shape[0]):
        squares, n = _error(blocks, k, target, known, table, error), 0
        while squares > 0 and n < tries:
            match = _matches(error, k, basis, table)
            order = np.argsort(-np.abs(match), kind="mergesort")
            moved = False
            for f in order[:16]:
                step = 1 if match[f] > 0 else -1
                blocks[k, f] += step
                saved = error[k].copy()
                trial, n = _error(blocks, k, target, known, table, error), n + 1
                if trial < squares:
                    squares, moved = trial, True
                    break
                blocks[k, f] -= step
                error[k] = saved
            if not moved:
                break
        if squares == 0:
            found[k] = True
            continue
        best = np.argsort(-np.abs(_matches(error, k, basis, table)), kind="mergesort")[:pairs]
        for i in range(pairs):
            for j in range(i + 1, pairs):
                for sa in (1, -1):
                    for sb in (1, -1):
                        if found[k]:
                            break
                        blocks[k, best[i]] += sa
                        blocks[k, best[j]] += sb
                        if _error(blocks, k, target, known, table, error) == 0:
                            found[k] = True
                        else:
                            blocks[k, best[i]] -= sa
                            blocks[k, best[j]] -= sb
        if not found[k]:
            _error(blocks, k, target, known, table, error)


def search_block(block: np.ndarray, target: np.ndarray, table: np.ndarray,
                 known: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """(coefficients, found) for one (8, 8) block (search_blocks)."""
    known = np.ones((8, 8), bool) if known is None else known
    blocks, found = _searched(block[None], target[None], known[None], table)
    return blocks[0], bool(found[0])
