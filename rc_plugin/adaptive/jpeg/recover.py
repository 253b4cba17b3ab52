"""The JPEG an image's pixels came from, recovered from the pixels alone (encoder only; docs/models.md, "Photos that
went through JPEG"). Once an image (`detect`): whether its pixels look decoded from a JPEG, where the JPEG's block
grid lies, its sampling and its steps. Then each tile (`recover_tile`): the tile as the window of a JPEG of its own
whose MCU grid is the image's, that JPEG's planes (the tile's, its unknown rows and columns above and to the left
repeated from the edge), and each block's coefficients that reproduce the tile's samples exactly where they can be
found. What is not found is left to the JPEG tile's residual; nothing here decides what bytes mean.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...format.jpeg_bits import JPEG_420, JPEG_422, JPEG_440, JPEG_444, JPEG_GREY, JPEG_SAMPLINGS
from .blocks import quantise
from .inverse import component_samples, component_shape, idct, plane, upsample
from .planes import forward_dct, reachable, subsampled_chroma, to_blocks, ycc_planes
from .quant_tables import estimate_steps, standard_quality, standard_tables

#: The grid is looked for in the image's first DETECT_SIDE rows and columns: at the right offset the blocks' DCT
#: values lie nearer whole numbers than at the 63 others (the mean distance at least GRID_MARGIN below the next
#: offset's; about 0.25 everywhere in a photo that never went through JPEG).
DETECT_SIDE, GRID_MARGIN = 264, 0.01
#: An image of fewer rows or columns is not looked at (too few blocks to tell a grid), nor one with fewer whole
#: blocks of pixels whose planes are known.
DETECT_MIN_SIDE, DETECT_MIN_BLOCKS = 32, 16
#: The steps are estimated from the first TABLE_SIDE rows and columns (blocks of pixels with an exact (Y, Cb, Cr)
#: and no channel at 0 or 255): the standard tables at the quality found (or tried best), or as found, or all 1,
#: whichever gives back the most of those luma blocks by rounding alone; the image is taken for a decoded JPEG where
#: that is at least ROUNDED_SHARE of them (decoded JPEGs: half or more).
TABLE_SIDE, ROUNDED_SHARE = 768, 0.15
#: The steps are estimated from the blocks of at least TEXTURE distinct sample values, where there are
#: TEXTURED_BLOCKS of them: a smooth block's samples round alike, and its DCT values lie far off the steps' multiples
#: (its DC up to 4), a textured one's within about 0.3.
TEXTURE, TEXTURED_BLOCKS, ESTIMATE_BLOCKS = 24, 256, 2048  # (at most ESTIMATE_BLOCKS of them)
#: Where the steps found are no standard quality's, each quality's tables are tried on the first STANDARD_TRIAL_BLOCKS
#: luma blocks, and the best is a candidate (a small or flat image shows too few steps to find them).
STANDARD_TRIAL_BLOCKS = 256
#: A subsampled chroma's coefficients are corrected by their decoding's error, solved back through the upsampling
#: in CORRECTION_ROUNDS Landweber steps, at most CHROMA_CORRECTIONS times (on the JPEG-decoded set's 4:2:0 photos 5
#: steps did as well as 30, and a third of the wrong samples went).
CHROMA_CORRECTIONS, CORRECTION_ROUNDS = 6, 5


class Grid(NamedTuple):
    """What the tiles of an image decoded from a JPEG share (tiles start on the image's MCU grid's phase, as the
    tile side is a multiple of 16): the sampling, where a tile's first row and column lie in the first MCU row and
    column of its JPEG, and each component's steps."""

    sampling: int
    top: int
    left: int
    tables: list[np.ndarray]


class Recovered(NamedTuple):
    """A tile's JPEG: each component's quantised coefficients (down, across, 8, 8), and the JPEG's size."""

    coefficients: list[np.ndarray]
    height: int
    width: int


def _grid_offset(y_plane: np.ndarray, good: np.ndarray) -> tuple[int, int] | None:
    """(rows, columns) from the plane's corner to its first whole 8x8 block of the JPEG's grid, where one stands out
    (blocks of good pixels only: a clamped pixel's luma is a guess)."""
    distance = np.empty((8, 8))
    for oy in range(8):
        for ox in range(8):
            blocks = _whole_blocks(y_plane, oy, ox)[_whole_blocks(good, oy, ox).all(axis=(1, 2))]
            distance[oy, ox] = _integer_distance(forward_dct(blocks))
    order = np.argsort(distance, axis=None)
    if distance.flat[order[1]] - distance.flat[order[0]] < GRID_MARGIN:
        return None
    return tuple(int(v) for v in np.unravel_index(order[0], (8, 8)))


def _integer_distance(values: np.ndarray) -> float:
    """How far DCT values lie from whole numbers, on average (about 0.25 off a JPEG's grid; 0.5 where there are
    none)."""
    return float(np.abs(values - np.round(values)).mean()) if values.size else 0.5


def _steps(blocks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """estimate_steps from the blocks' (n, 8, 8) DCT values, of the textured blocks where there are enough."""
    ordered = np.sort(blocks.reshape(len(blocks), 64), axis=1)
    textured = 1 + np.count_nonzero(np.diff(ordered, axis=1), axis=1) >= TEXTURE
    return estimate_steps((values[textured] if textured.sum() >= TEXTURED_BLOCKS else values)[:ESTIMATE_BLOCKS])


def _chroma_fit(cb_plane: np.ndarray, sampling: int, top: int, left: int, table: np.ndarray | None,
                side: int = DETECT_SIDE) -> tuple[float, np.ndarray]:
    """(share, steps): how much of the Cb samples (side x side from the first whole MCU at top, left) a chroma of
    this sampling, its block DCTs rounded to the steps (the given, or else estimated from it), decodes back to
    exactly."""
    h, v = JPEG_SAMPLINGS[sampling]
    r0, c0 = (8 * v - top) % (8 * v), (8 * h - left) % (8 * h)
    region = cb_plane[r0 : r0 + side, c0 : c0 + side]
    region = region[: region.shape[0] // (8 * v) * 8 * v, : region.shape[1] // (8 * h) * 8 * h]
    chroma = region if sampling == JPEG_444 else subsampled_chroma(region, h, v)
    values = forward_dct(to_blocks(chroma))
    if table is None:
        table = _steps(np.round(to_blocks(chroma)).reshape(-1, 8, 8), values.reshape(-1, 8, 8))
    decoded = upsample(plane(np.round(values / table).astype(np.int64), table), h, v)
    return float(np.mean(decoded == region)), table


def _sampling(cb_plane: np.ndarray, oy: int, ox: int, table: np.ndarray | None) -> tuple[int, int, int, np.ndarray]:
    """(sampling, top, left, chroma steps): of 4:4:4 and each subsampling at each MCU phase its axes allow (chroma
    samples pair alike in both, but its blocks fall 4 samples apart), the one whose chroma reproduces the most of
    the Cb samples (_chroma_fit; the first of them where they tie: 4:2:0, then 4:4:4)."""
    best = (-1.0, JPEG_444, 0, 0, table)
    for sampling in (JPEG_420, JPEG_444, JPEG_422, JPEG_440):
        h, v = JPEG_SAMPLINGS[sampling]
        for top in range((8 - oy) % 8, 8 * v, 8):
            for left in range((8 - ox) % 8, 8 * h, 8):
                share, steps = _chroma_fit(cb_plane, sampling, top, left, table)
                if share > best[0]:
                    best = (share, sampling, top, left, steps)
    return best[1:]


def _whole_blocks(plane: np.ndarray, oy: int, ox: int) -> np.ndarray:
    """The plane's whole 8x8 blocks from (oy, ox), as (n, 8, 8)."""
    h, w = (plane.shape[0] - oy) // 8 * 8, (plane.shape[1] - ox) // 8 * 8
    return to_blocks(plane[oy : oy + h, ox : ox + w]).reshape(-1, 8, 8)


def detect(image: np.ndarray) -> Grid | None:
    """The grid, sampling and steps of the JPEG that image (H, W, 1 or 3) uint8 was decoded from, or None where it
    does not look decoded from one."""
    sample = image[:TABLE_SIDE, :TABLE_SIDE]
    colour = image.shape[2] == 3
    if min(image.shape[:2]) < DETECT_MIN_SIDE:
        return None
    if colour:
        *planes, found = ycc_planes(sample)
        if not reachable(sample[:DETECT_SIDE, :DETECT_SIDE], found[:DETECT_SIDE, :DETECT_SIDE]):
            return None
        good = found & ~np.any((sample == 0) | (sample == 255), axis=-1)  # where the planes are the decoder's
    else:
        planes, good = [np.asarray(sample[..., 0], np.int64)], np.ones(sample.shape[:2], bool)
    offset = _grid_offset(planes[0][:DETECT_SIDE, :DETECT_SIDE], good[:DETECT_SIDE, :DETECT_SIDE])
    if offset is None:
        return None
    oy, ox = offset
    luma = _whole_blocks(planes[0], oy, ox)[_whole_blocks(good, oy, ox).all(axis=(1, 2))]
    if len(luma) < DETECT_MIN_BLOCKS:
        return None
    values = forward_dct(luma)
    table = _steps(luma, values)

    def rounded(steps: np.ndarray, n: int = len(luma)) -> float:
        """The share of the first n luma blocks that rounding alone gives back under these steps."""
        return float(np.all(idct(np.round(values[:n] / steps).astype(np.int64), steps) == luma[:n], axis=(1, 2)).mean())

    quality = standard_quality(table)
    if quality is None:  # the steps found fit no quality well: the quality whose tables round back the most blocks
        quality = max(range(1, 101), key=lambda q: rounded(standard_tables(q)[0], STANDARD_TRIAL_BLOCKS))
    candidates = [list(standard_tables(quality)), [table], [np.ones_like(table)]]
    shares = [rounded(t[0]) for t in candidates]
    tables = candidates[int(np.argmax(shares))]  # the first of the best: the standard tables where they tie
    if max(shares) < ROUNDED_SHARE:
        return None
    if not colour:
        return Grid(JPEG_GREY, (8 - oy) % 8, (8 - ox) % 8, tables[:1])
    sampling, top, left, chroma = _sampling(planes[1], oy, ox, tables[1] if len(tables) > 1 else None)
    if len(tables) == 1:  # the steps found in the first samples, from as many as the luma's, or the luma's own:
        candidates = [chroma, _chroma_fit(planes[1], sampling, top, left, None, TABLE_SIDE)[1], tables[0]]
        shares = [_chroma_fit(planes[1], sampling, top, left, steps, TABLE_SIDE)[0] for steps in candidates]
        chroma = candidates[int(np.argmax(shares))]  # whichever decodes the most of the chroma
    return Grid(sampling, top, left, [tables[0], chroma, chroma])


def _virtual(plane: np.ndarray, grid: Grid, down: int, across: int) -> np.ndarray:
    """A tile's plane as its JPEG's: grid.top rows above and grid.left columns to the left, and whole blocks below and
    to the right, all repeated from the edge."""
    pad = ((grid.top, 8 * down - grid.top - plane.shape[0]), (grid.left, 8 * across - grid.left - plane.shape[1]))
    return np.pad(plane, pad, mode="edge")


def _quantise_loosely(samples: np.ndarray, table: np.ndarray, known: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """quantise's coefficients for the blocks (n, 8, 8), and where they do not reproduce every known sample, those of
    a second try that need only reproduce the exact ones (the samples of clamped pixels being guesses), if found."""
    k, found = quantise(samples, table, known)
    retry = np.flatnonzero(~found & np.any(known & ~exact, axis=(1, 2)))
    if retry.size:
        again, found_again = quantise(samples[retry], table, exact[retry])
        k[retry[found_again]] = again[found_again]
    return k


def _subsampled_blocks(chroma: np.ndarray, table: np.ndarray, grid: Grid, factors: tuple[int, int], down: int,
                       across: int, height: int, width: int) -> np.ndarray:
    """The (n, 8, 8) coefficients of a subsampled chroma component whose decoding (upsampled as the decoder does)
    reproduces the tile's samples `chroma` (th, tw) as far as found: the plane solved back through the upsampling and
    rounded in the DCT domain, then corrected by the decoding's own error solved back the same way while that
    leaves fewer samples wrong."""
    h, v = factors
    full = _virtual(chroma, grid, down * v, across * h)
    k = np.round(forward_dct(to_blocks(subsampled_chroma(full, h, v)).reshape(-1, 8, 8)) / table).astype(np.int64)

    def error(k: np.ndarray) -> np.ndarray:
        decoded = component_samples(k.reshape(down, across, 8, 8), table, factors, 1, height, width)
        out = np.zeros(full.shape)
        out[grid.top : height, grid.left : width] = chroma - decoded[grid.top :, grid.left :]
        return out

    e = error(k)
    wrong = np.count_nonzero(e)
    for _ in range(CHROMA_CORRECTIONS):
        if not wrong:
            break
        step = np.round(forward_dct(to_blocks(subsampled_chroma(e, h, v, CORRECTION_ROUNDS)).reshape(-1, 8, 8) + 128)
                        / table)
        trial = k + step.astype(np.int64)
        e_trial = error(trial)
        wrong_trial = np.count_nonzero(e_trial)
        if wrong_trial >= wrong:
            break
        k, e, wrong = trial, e_trial, wrong_trial
    return k


def recover_tile(tile: np.ndarray, grid: Grid) -> Recovered:
    """The JPEG of tile (h, w, 1 or 3) uint8 whose window at (grid.top, grid.left) it is, as far as it is found."""
    th, tw = tile.shape[:2]
    height, width = grid.top + th, grid.left + tw
    factors = JPEG_SAMPLINGS[grid.sampling]
    planes = ycc_planes(tile)[:3] if tile.shape[2] == 3 else (np.asarray(tile[..., 0], np.int64),)
    down, across = component_shape(height, width, factors, 0)
    inside = np.pad(np.ones((th, tw), bool), ((grid.top, 8 * down - height), (grid.left, 8 * across - width)))
    known = to_blocks(inside).reshape(-1, 8, 8)  # the tile's own samples: what the blocks must reproduce
    if tile.shape[2] == 3:  # a pixel with a channel at 0 or 255 has several (Y, Cb, Cr); its plane values are a guess
        clamped = np.any((tile == 0) | (tile == 255), axis=-1)
        exact = known & ~to_blocks(_virtual(clamped, grid, down, across)).reshape(-1, 8, 8)
    else:
        exact = known
    luma = to_blocks(_virtual(planes[0], grid, down, across)).reshape(-1, 8, 8)
    coefficients = [_quantise_loosely(luma, grid.tables[0], known, exact).reshape(down, across, 8, 8)]
    down, across = component_shape(height, width, factors, 1)
    for chroma, table in zip(planes[1:], grid.tables[1:]):
        if grid.sampling == JPEG_444:
            samples = to_blocks(_virtual(chroma, grid, down, across)).reshape(-1, 8, 8)
            k = _quantise_loosely(samples, table, known, exact)
        else:
            k = _subsampled_blocks(chroma, table, grid, factors, down, across, height, width)
        coefficients.append(k.reshape(down, across, 8, 8))
    return Recovered(coefficients, height, width)
