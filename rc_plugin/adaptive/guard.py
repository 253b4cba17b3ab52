"""The encoder's choice of record for a tile coded without a lossy layer: the smallest of what fits the tile.

Photos go to the adaptive coder alone. A tile of few colours (palette photos, masks, text) is tried as a palette
and its index plane, coded by the index coder and, where that is not already small, by the adaptive coder; a tile
of many colours and many exact repeats (screenshots, plots, drawings, and photos with flat sky or paper) by the
adaptive coder, and by the index coder where a rough estimate says it may win. Both are tried as generic rows
(PNG's filters under LZMA, which copy long exact repeats no pixel model sees) where those may win. The smallest
record is kept, so no such tile is ever much larger than a good general-purpose coder makes it.

Encoder only: the decoder never imports this module. The thresholds decide which candidates are tried, never what
bytes mean; docs/models.md ("Every image") has what they cost and save.
"""
from __future__ import annotations

import functools
import lzma
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from ..format.alpha import encode_alpha
from ..format.bitstream import ADAPTIVE_ORDERS, ADAPTIVE_PRESETS, PLANE_ADAPTIVE, PLANE_GENERIC, PLANE_INDEXED
from ..format.records import (MIXER_IDS, PLANE_MAX_COLOURS, AdaptiveTile, GenericTile, LearnedTile, LearnedTunedTile,
                              PaletteTile, TunedTile)
from ..options import DEFAULT_EFFORT
from .palette import pack_palette

Record = AdaptiveTile | GenericTile | PaletteTile
#: A tile of many colours is a photo unless at least this share of its pixels repeats the pixel to its left or
#: above exactly.
DRAWING_REPEATS = 0.3
#: ... measured over every REPEAT_ROW_STEP-th row, enough to tell a drawing from a photo at a tenth of the cost.
REPEAT_ROW_STEP = 4
#: Without that, the index coder is tried on palettes of at most this many colours (colour) or grey levels.
PALETTE_PHOTO_COLOURS, FEW_GREY_LEVELS = 256, 64
#: With few colours, the adaptive coder is tried after the index coder where that took more than this many bits
#: per pixel.
ADAPTIVE_AFTER_BITS = 1.0
#: With more, the index coder is tried after the adaptive coder where the tile has at least this many pixels per
#: colour, and a new colour's rough cost, (1 - repeats) log2(colours) bits a pixel, is below this factor of the
#: adaptive coder's size: on screenshots and plots it is far below; on the photo tiles with flat sky or paper of
#: val and dev it was 1.04 to 2.2, where the index coder won once in 50 tiles and took 2 to 4 times as long.
INDEX_PIXELS_PER_COLOUR = 8
INDEX_TRY_RATIO = 1.0
#: A colour tile's channel order (ADAPTIVE_ORDERS) is the one in which its first ORDER_SAMPLE_ROWS rows code smallest.
ORDER_SAMPLE_ROWS = 64
#: A preset with secondary estimation (format 12) decodes about a quarter slower than one without, so it is kept only
#: where it makes the tile at least this share smaller than the best without (docs/models.md, "Secondary estimation").
SSE_MIN_SAVING = 1 / 256
#: A learned tile (format 16) keeps it where it saves this share: beside the network it adds about 19 % to decoding,
#: not 30 % (docs/models.md, "Secondary estimation of the learned mixer's mixture").
LEARNED_SSE_MIN_SAVING = 1 / 1024
#: The column of ADAPTIVE_PRESETS that says secondary estimation and its kind, and each preset without it: its twin
#: with it of format 12's kind and of format 17's (the neighbours' pattern), both of which the default effort tries
#: for its best preset (the second since the coder's loops lost their reference counts: docs/models.md, "The
#: neighbours' pattern at the default"); a learned tile's mixture is tried with the first, at effort 3 with both.
SSE = 3


def _twins(kind: int) -> dict[int, int]:
    """Each preset without secondary estimation, and its twin with it of this kind."""
    return {p: next(q for q, other in enumerate(ADAPTIVE_PRESETS) if other[:SSE] == preset[:SSE] and other[SSE] == kind)
            for p, preset in enumerate(ADAPTIVE_PRESETS) if not preset[SSE]}


SSE_PRESET, PATTERN_SSE_PRESET = _twins(1), _twins(2)
#: The released mixers that effort 3 tries beside the one the options name, in its best preset and order, per tile: the
#: large mixer fine-tuned on photos downscaled as val's were beside the large one (docs/models.md, "A second large
#: mixer").
MIXER_ALTERNATES = {MIXER_IDS["large"]: (MIXER_IDS["large-downscaled"],)}
#: At effort 2 with threads to spare (an image of fewer tiles than threads), the twin coded before the best preset is
#: known: the grid preset's, which most one-tile photos decoded from JPEG keep, so that it runs on a thread the others
#: leave idle. Only when time: the candidates, and so the bytes, are the same.
AHEAD_PRESET = SSE_PRESET[max(SSE_PRESET)]
#: Generic rows are tried with few colours, or where LZMA's fastest preset comes within this factor of the best record
#: (DEFLATE, the guess before, was 10 times LZMA's size on ramps, and missed them; docs/models.md, "The bias prior").
GENERIC_TRY_RATIO = 1.5
# a palette of at most the limit's colours fits the byte-sized index planes (the adaptive coder's, generic rows')
assert max(PALETTE_PHOTO_COLOURS, FEW_GREY_LEVELS) <= PLANE_MAX_COLOURS[PLANE_ADAPTIVE]


def _size(record: Record) -> int:
    return len(record.pack())


def _named(record: AdaptiveTile) -> tuple[int, int]:
    """The preset and channel order an adaptive coder's record was coded with (0, 0 for an adaptive tile)."""
    return getattr(record, "preset", 0), getattr(record, "order", 0)


def _kept(records: list[AdaptiveTile], saving: float) -> list[AdaptiveTile]:
    """The records without secondary estimation, and those with it (slower to decode) at least `saving` smaller."""
    with_sse = [bool(ADAPTIVE_PRESETS[_named(r)[0]][SSE]) for r in records]
    without = min(_size(r) for r, sse in zip(records, with_sse) if not sse)
    return [r for r, sse in zip(records, with_sse) if not sse or _size(r) <= without * (1 - saving)]


def _without_sse(preset: int) -> int:
    """The preset without secondary estimation that `preset` is (or is a twin of): what a learned tile may name."""
    return next((p for p, row in enumerate(ADAPTIVE_PRESETS) if row[:SSE] == ADAPTIVE_PRESETS[preset][:SSE]), preset)


def palette_and_indices(colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (n, C) colours of an (h, w, C) uint8 plane in the order of their RGB values (R first), and its (h, w)
    indices into them. In that order the packed palette's differences are mostly zero in R and small in G, and
    similar colours share an index's high bits (on the non-photo set it measured 4.8 % smaller than ordering by
    luminance, docs/models.md)."""
    h, w, c = colour.shape
    keys, inverse = np.unique(_keys(colour), return_inverse=True)
    colours = (keys[:, None] >> np.array([16, 8, 0] if c == 3 else [0])) & 0xFF
    return colours.astype(np.uint8), inverse.reshape(h, w)


def _keys(colour: np.ndarray) -> np.ndarray:
    """One integer per pixel of an (h, w, C) uint8 plane, C <= 3."""
    flat = colour.reshape(-1, colour.shape[2]).astype(np.int64)
    return flat[:, 0] if colour.shape[2] == 1 else (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]


def repeat_share(colour: np.ndarray, step: int = 1) -> float:
    """The share of pixels of an (h, w, C) plane equal to their left or upper neighbour, over every step-th row."""
    rows = colour[1::step]
    same = np.all(rows[:, 1:] == rows[:, :-1], axis=2) | np.all(rows[:, 1:] == colour[0:-1:step, 1:], axis=2)
    return float(same.mean()) if same.size else 1.0


def more_colours_than(colour: np.ndarray, limit: int) -> bool:
    """Whether a sample of the plane's pixels already has more than limit colours (photos do at once)."""
    flat = colour.reshape(-1, 1, colour.shape[2])
    return len(np.unique(_keys(flat[:: max(1, len(flat) // 4096)]))) > limit


def code_lossless_tile(pixels: np.ndarray, channels: int, indices_of_a_palette: bool = False, mixer: int = 0,
                       workers: int = 1, effort: int = DEFAULT_EFFORT) -> Record:
    """The smallest record found for pixels ((h, w, C) with alpha last, if any) without a lossy layer; a P image's
    plane (indices_of_a_palette) is told apart as colours are, not as grey levels: its values are not levels.
    mixer: a learned mixer's id (0: none), tried beside the adaptive coder alone on the colour. Which other records
    are tried is decided by the sizes of the records without the mixer and the coder's other presets and channel
    orders (tuned tiles), so those only ever add candidates: no tile is larger with them than without. workers:
    threads that code the adaptive coder's candidates side by side (the compiled loop releases the GIL). effort
    (rc_plugin.options.EFFORTS) decides which presets and orders are tried: at 1 none (format 9's coder alone), at 2
    every preset without secondary estimation in the order ORDER_SAMPLE_ROWS choose and the best of them with it (of
    both kinds), at 3 every preset in every order. Each level's candidates include the level below's, so a higher
    effort writes no larger tile, but where it finds a preset without secondary estimation within SSE_MIN_SAVING of
    one with it.
    """
    from . import plane_coder as adaptive, indexed, mixers  # numba loads at the first tile

    def adaptive_records() -> list[AdaptiveTile]:
        """The adaptive coder's records of the colour: an adaptive tile; above effort 1 a tuned one for each preset
        without secondary estimation in each channel order tried (but the adaptive tile's preset and order), at
        effort 2 the order whose first rows code smallest, and the best of them again with secondary estimation of
        both kinds; at effort 3 every preset with it too. A preset with it is kept only where it saves
        SSE_MIN_SAVING. Then (with a mixer) the learned one, and where the smallest so far is tuned, the learned one
        in its order with its preset (the twin without secondary estimation, if it has it): a learned tuned tile
        (format 13); at effort 3 also in effort 2's choice (the best in the sampled order), so that no tile grows with
        effort. Above effort 1 the smallest learned record again with secondary estimation (format 16), at effort 3 of
        both kinds (format 18), and with the MIXER_ALTERNATES in its preset and order, with and without; one with it
        is kept where it saves LEARNED_SSE_MIN_SAVING against the best learned one without."""
        with ThreadPoolExecutor(workers) as pool:
            sizes = []
            in_orders = channels == 3 and not indices_of_a_palette
            learning = mixer and not indices_of_a_palette
            if in_orders and (effort == 2 or effort == 3 and learning):  # the short samples first, the rest meanwhile
                sample = colour[:ORDER_SAMPLE_ROWS]
                sizes = [pool.submit(lambda k: len(adaptive.encode_plane(sample[..., ADAPTIVE_ORDERS[k]])), k)
                         for k in range(len(ADAPTIVE_ORDERS))]
            plain = pool.submit(adaptive.encode_plane, colour)
            learned = pool.submit(adaptive.encode_plane, colour, mixers.load(mixer)) if learning else None
            sampled = [min(range(len(sizes)), key=lambda k: sizes[k].result())] if sizes else [0]
            if effort == 1:
                orders = []
            elif effort == 2:
                orders = sampled
            else:  # every order at effort 3; a grey plane or palette indices have one
                orders = list(range(len(ADAPTIVE_ORDERS) if in_orders else 1))
            presets = [p for p in range(len(ADAPTIVE_PRESETS)) if effort == 3 or not ADAPTIVE_PRESETS[p][SSE]]
            tuned = [(p, k, pool.submit(adaptive.encode_plane, in_order(k), preset=p))
                     for k in orders for p in presets if p or k]
            ahead = {}  # with threads to spare, the twin most photos decoded from JPEG keep starts on the idle one
            if effort == 2 and workers > 1 and AHEAD_PRESET in SSE_PRESET.values():
                ahead[AHEAD_PRESET] = pool.submit(adaptive.encode_plane, in_order(orders[0]), preset=AHEAD_PRESET)
            records = [AdaptiveTile(plain.result(), alpha)]
            records += [TunedTile(t.result(), alpha, p, k) for p, k, t in tuned]
            best = min(records, key=_size)
            p, k = _named(best)
            if effort == 2 and p in SSE_PRESET:  # the best preset again, with secondary estimation of both kinds
                twins = (SSE_PRESET[p], PATTERN_SSE_PRESET[p])
                coded = [ahead.get(q) or pool.submit(adaptive.encode_plane, in_order(k), preset=q) for q in twins]
                records += [TunedTile(c.result(), alpha, q, k) for q, c in zip(twins, coded)]
            records = _kept(records, SSE_MIN_SAVING)
            if not learning:
                return records
            # the mixer again in the smallest record's order with its preset (the twin without secondary estimation),
            # and at effort 3 in effort 2's best too, so that no tile grows with effort
            smallest = [min(records, key=_size)]
            if effort == 3:
                smallest.append(min((r for r in records if _named(r) == (0, 0) or _named(r)[1] == sampled[0]
                                     and not ADAPTIVE_PRESETS[_named(r)[0]][SSE]), key=_size))
            wanted = dict.fromkeys((_without_sse(_named(r)[0]), _named(r)[1]) for r in smallest)
            tuned = [(p, k, pool.submit(adaptive.encode_plane, in_order(k), mixers.load(mixer), preset=p))
                     for p, k in wanted if p or k]
            learned_records = [LearnedTunedTile(t.result(), alpha, mixer, p, k) for p, k, t in tuned]
            learned_records.append(LearnedTile(learned.result(), alpha, mixer))
            if effort > 1:  # the smallest again with secondary estimation of its mixture (format 16), at effort 3
                # of both kinds (18), and the mixers tried beside this one, in its preset and order, with and without
                p, k = _named(min(learned_records, key=_size))
                alternates = MIXER_ALTERNATES.get(mixer, ()) if effort == 3 else ()
                kinds = (SSE_PRESET, PATTERN_SSE_PRESET) if effort == 3 else (SSE_PRESET,)
                twins = [(m, p) for m in alternates] + [(m, twin[p]) for m in (mixer, *alternates) for twin in kinds]
                coded = [(m, q, pool.submit(adaptive.encode_plane, in_order(k), mixers.load(m), preset=q))
                         for m, q in twins]
                learned_records += [LearnedTunedTile(t.result(), alpha, m, q, k) if q or k else
                                    LearnedTile(t.result(), alpha, m) for m, q, t in coded]
                learned_records = _kept(learned_records, LEARNED_SSE_MIN_SAVING)
            return records + learned_records

    def in_order(k: int) -> np.ndarray:
        return colour[..., ADAPTIVE_ORDERS[k]] if k else colour

    colour = np.ascontiguousarray(pixels[..., :channels])
    alpha = encode_alpha(pixels[..., -1]) if pixels.shape[2] in (2, 4) else b""
    h, w = colour.shape[:2]
    repeats = repeat_share(colour, REPEAT_ROW_STEP)
    limit = PALETTE_PHOTO_COLOURS if channels == 3 or indices_of_a_palette else FEW_GREY_LEVELS
    if repeats < DRAWING_REPEATS and more_colours_than(colour, limit):  # a photo: the adaptive coder alone
        return min(adaptive_records(), key=lambda record: len(record.pack()))  # the plain one on a tie
    colours, indices = palette_and_indices(colour)
    n = len(colours)
    best: Record | None = None
    bar = 0  # the smallest record's size without the mixer: what the trials below are measured against

    def keep(*records: Record) -> None:
        nonlocal best, bar
        for record in records:
            size = len(record.pack())
            if best is None or size < len(best.pack()):
                best = record
            if not isinstance(record, (LearnedTile, TunedTile)) and (not bar or size < bar):
                bar = size

    @functools.cache
    def packed() -> bytes:
        return pack_palette(colours)

    def palette_tile(plane: int, stream: bytes) -> PaletteTile:
        return PaletteTile(plane, n, packed(), stream, alpha)

    if n <= limit:  # few colours: the index coder first, the adaptive coder where that is not already small
        keep(palette_tile(PLANE_INDEXED, indexed.encode_indices(indices, n)))
        if 8 * bar > ADAPTIVE_AFTER_BITS * h * w:
            keep(*adaptive_records())  # and over the indices (limit <= 256 colours)
            keep(palette_tile(PLANE_ADAPTIVE, adaptive.encode_plane(indices.astype(np.uint8)[..., None])))
    else:  # many colours and many repeats: the index coder where its rough cost comes near the adaptive coder's
        keep(*adaptive_records())
        rough = (1 - repeats) * np.log2(n) * h * w / 8
        if n * INDEX_PIXELS_PER_COLOUR <= h * w and rough < INDEX_TRY_RATIO * bar:
            keep(palette_tile(PLANE_INDEXED, indexed.encode_indices(indices, n)))
    rows = _generic_rows(colour, indices, n, palette_tile, alpha, bar, always=n <= limit)
    if rows is not None:
        keep(rows)
    return best


def _generic_rows(colour: np.ndarray, indices: np.ndarray, n: int, palette_tile: Callable[[int, bytes], PaletteTile],
                  alpha: bytes, bar: int, always: bool = False) -> Record | None:
    """Generic rows of the index plane of n colours where it fits in bytes, else of the colour: where `always`, or
    their LZMA at its fastest comes within GENERIC_TRY_RATIO of bar (the smallest record's size so far); else None."""
    from . import generic

    as_indices = n <= PLANE_MAX_COLOURS[PLANE_GENERIC]
    rows = generic.filter_rows(indices.astype(np.uint8)[..., None] if as_indices else colour)
    if not always and len(lzma.compress(rows, preset=0)) >= GENERIC_TRY_RATIO * bar:
        return None
    stream = generic.compress_rows(rows)
    return palette_tile(PLANE_GENERIC, stream) if as_indices else GenericTile(stream, alpha)


def code_residual_tile(residual: np.ndarray, channels: int) -> Record:
    """The record of a JPEG tile's residual (h, w, C) uint8 (rc_plugin.adaptive.jpeg.encode): mostly zeros and a few
    small differences modulo 256, which the index coder codes best of the records (-1 is 255 to the adaptive coder,
    whose smooth model cost 10 to 30 times as much on every residual measured; docs/models.md, "The JPEG tile");
    generic rows where their fast DEFLATE comes within GENERIC_TRY_RATIO of it, and the records code_lossless_tile
    tries where the residual has more colours than a palette holds."""
    from . import indexed  # numba loads at the first tile

    colour = np.ascontiguousarray(residual[..., :channels])
    colours, indices = palette_and_indices(colour)
    n = len(colours)
    if n > PLANE_MAX_COLOURS[PLANE_INDEXED]:
        return code_lossless_tile(colour, channels, effort=1)
    packed = pack_palette(colours)

    def palette_tile(plane: int, stream: bytes) -> PaletteTile:
        return PaletteTile(plane, n, packed, stream, b"")

    best: Record = palette_tile(PLANE_INDEXED, indexed.encode_indices(indices, n))
    rows = _generic_rows(colour, indices, n, palette_tile, b"", _size(best))
    return best if rows is None else min(best, rows, key=_size)
