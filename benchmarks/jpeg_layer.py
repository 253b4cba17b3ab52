"""Probe for a JPEG layer: photos that went through JPEG still hold the JPEG they came from.

    python -m benchmarks.jpeg_layer exact FILE.jpg ...         # jpeg_baseline's integer decoder against Pillow's
    python -m benchmarks.jpeg_layer trace DIR ... [--limit N]  # which PNGs carry an 8x8 JPEG grid, at which offset
    python -m benchmarks.jpeg_layer recover                    # the JPEG-decoded set: its luma coefficients from pixels
    python -m benchmarks.jpeg_layer blocks                     # ... the planes from the pixels, blocks from the planes
    python -m benchmarks.jpeg_layer chroma                     # ... 4:2:0 chroma from its upsampled samples
    python -m benchmarks.jpeg_layer pixels DIR [--limit N]     # luma blocks from the pixels alone (no source at hand)

A PNG made by decoding a JPEG is the JPEG decoder's output: every 8x8 block of each YCbCr plane is an inverse DCT of
quantised coefficients, so the coefficients, a few bits a pixel, describe the whole image. The lossless coders see
only the pixels: on the JPEG-decoded set (benchmarks.jpeg_set) rcl and JPEG XL e9 spend 2-8 times the source
JPEG's bits, and on the manga scans 4-6 times an estimate of theirs (docs/models.md, "Photos that went through
JPEG"). A JPEG layer would code the coefficients and have the decoder re-derive the pixels exactly, as the paper's
lossy layer does with HEVC, with the residual coded where the re-derivation differs.

This probe measures the two things that needs:
- the decoder: benchmarks/jpeg_baseline.py turns a baseline JPEG's quantised coefficients into the pixels Pillow's
  libjpeg-turbo gives, in integer arithmetic only (`exact` checks it on any files);
- the encoder's side: how much of the JPEG comes back from the pixels alone (`trace`: the grid and the steps;
  `recover`: luma coefficients by the float forward DCT, divided by the step and rounded, against the file's, and
  what the coefficients would cost; `blocks`: the planes from the pixels, exact blocks from the planes; `chroma`:
  subsampled chroma from its upsampled samples).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import numba
import numpy as np
from PIL import Image

from rc_plugin.adaptive.jpeg.inverse import _shifted as shifted
from rc_plugin.adaptive.jpeg.blocks import search_block as _search_block
from rc_plugin.adaptive.jpeg.planes import _DCT, forward_dct, to_blocks

from .jpeg_baseline import ZIGZAG, Jpeg, decode, fix16, idct, plane, read_baseline, upsample, ycc_to_rgb

#: The codec name JPEG XL e9's rows carry in benchmarks/out/five_sets.json.
E9_NAME = "JPEG XL lossless, effort 9"




def luma_dct(rgb: np.ndarray, oy: int = 0, ox: int = 0) -> np.ndarray:
    """The float (orthonormal, which is JPEG's scaling) DCT of the pixels' luma in the whole 8x8 blocks of the grid
    starting at (oy, ox): (blocks down, blocks across, 8, 8)."""
    rgb = np.asarray(rgb, np.float64)
    y = rgb if rgb.ndim == 2 else rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    y = y[oy:, ox:]
    h, w = y.shape[0] // 8 * 8, y.shape[1] // 8 * 8
    blocks = to_blocks(y[:h, :w]) - 128
    return np.einsum("ux,...xy,vy->...uv", _DCT, blocks, _DCT)


#: The low frequencies whose steps trace() estimates, and the tolerance of a coefficient on a step's multiple (the
#: pixels' rounding moves a luma coefficient by about 0.3).
TRACE_FREQUENCIES = [(a, b) for a in range(5) for b in range(5) if 0 < a + b <= 4]
TRACE_TOLERANCE = 0.6


def step_fit(values: np.ndarray) -> tuple[float, int]:
    """(fit, q): the step q in 3..60 on whose multiples most of the values lie, counting those of at least q / 2 in
    magnitude, as the share within TRACE_TOLERANCE above what chance gives (2 TOLERANCE / q)."""
    best = (0.0, 0)
    for q in range(3, 61):
        big = values[np.abs(values) >= q / 2]
        if big.size < 50:
            break
        fit = float(np.mean(np.abs(big - q * np.round(big / q)) < TRACE_TOLERANCE)) - 2 * TRACE_TOLERANCE / q
        if fit > best[0]:
            best = (fit, q)
    return best


def trace(rgb: np.ndarray) -> tuple[float, tuple[int, int], list[int]]:
    """How strongly the pixels' luma lies on a quantiser's steps, at the best of the 64 grid offsets: (the mean fit
    over TRACE_FREQUENCIES, (oy, ox), their steps). A JPEG of steps of 3 or more shows 0.2-0.8; an image that never
    went through JPEG, or whose JPEG was resized since, about 0.01-0.03; steps of 1-2 (quality 95 and up) escape it."""
    rgb = np.asarray(rgb)[:512, :512]
    best = (-1.0, (0, 0), [])
    for oy in range(8):
        for ox in range(8):
            k = luma_dct(rgb, oy, ox)
            fits = [step_fit(k[:, :, a, b].ravel()) for a, b in TRACE_FREQUENCIES]
            strength = float(np.mean([f for f, _ in fits]))
            if strength > best[0]:
                best = (strength, (oy, ox), [q for _, q in fits])
    return best


def _sources() -> Iterator[tuple[str, Path, tuple[int, int, int, int] | None, Jpeg | ValueError]]:
    """The JPEG-decoded set's photos: name, source file, crop box (None: whole), and the source read by
    read_baseline, or why it could not be."""
    from . import jpeg_set

    train = Path(__file__).resolve().parents[2] / "shared" / "data" / "train"
    for pick in jpeg_set.draw(train):
        try:
            jpeg = read_baseline((train / pick.file).read_bytes())
        except ValueError as exc:
            jpeg = exc
        yield pick.name, train / pick.file, pick.box, jpeg


def _entropy_bits(values: np.ndarray) -> float:
    """Order-0 entropy of the values, in bits, times their count."""
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def coefficient_bits(jpeg: Jpeg, by0: int, bx0: int, by1: int, bx1: int) -> float:
    """An estimate of what the coefficients of luma blocks by0..by1 x bx0..bx1 and of the chroma blocks under them
    cost: the order-0 entropy of each component's values at each of the 64 frequencies (a context-modelling coder
    does better; JPEG's Huffman codes of runs and sizes about as well)."""
    hmax, vmax = max(c.h for c in jpeg.components), max(c.v for c in jpeg.components)
    bits = 0.0
    for comp, coefs in zip(jpeg.components, jpeg.coefficients):
        y0, y1 = by0 * comp.v // vmax, -(-by1 * comp.v // vmax)
        x0, x1 = bx0 * comp.h // hmax, -(-bx1 * comp.h // hmax)
        blocks = coefs[y0:y1, x0:x1].reshape(-1, 64)
        bits += sum(_entropy_bits(blocks[:, f]) for f in range(64))
    return bits


#: Zigzag positions' bands for the context model below: DC, then 2, 3, 4, 5, 13 and 36 AC positions.
_BANDS = np.array([0] + [1] * 2 + [2] * 3 + [3] * 4 + [4] * 5 + [5] * 13 + [6] * 36, np.int64)


@numba.njit(cache=True)
def _adaptive_bits(bit: int, counts: np.ndarray) -> float:
    """-log2 of bit's probability from counts (0s, 1s) plus 0.4 each, then bit counted."""
    p = (counts[bit] + 0.4) / (counts[0] + counts[1] + 0.8)
    counts[bit] += 1
    return -np.log2(p)


@numba.njit(cache=True)
def _bucket(a: int) -> int:
    """A magnitude's context: 0, 1, 2, 3-4, 5-8, 9-16, more."""
    if a <= 2:
        return a
    return 3 if a <= 4 else (4 if a <= 8 else (5 if a <= 16 else 6))


@numba.njit(cache=True)
def _context_bits(k: np.ndarray, bands: np.ndarray) -> float:
    """Ideal code length of one component's blocks (down, across, 64 in zigzag order) under a small adaptive model:
    per block, before each AC position whether any non-zero follows (by the position and how far the left and upper
    blocks reach); each coefficient's being non-zero (by its band, the left and upper blocks' magnitude there and the
    block's non-zero count so far; DC as the difference from the mean of its neighbours' DCs); its sign (by the
    neighbours' signs there); its magnitude's bit length in unary (by band and neighbours), the bits below the
    leading one as they are."""
    down, across = k.shape[0], k.shape[1]
    zero = np.zeros((2, 7, 7, 8, 2))
    sign = np.zeros((64, 3, 2))
    size = np.zeros((7, 7, 16, 2))
    more = np.zeros((64, 8, 2))
    bits = 0.0
    for y in range(down):
        for x in range(across):
            last, reach = -1, 0
            for z in range(64):
                if k[y, x, z] != 0:
                    last = z
                if x > 0 and k[y, x - 1, z] != 0:
                    reach = max(reach, z)
                if y > 0 and k[y - 1, x, z] != 0:
                    reach = max(reach, z)
            reach = min(reach // 8, 7)
            count = 0
            for z in range(64):
                v = k[y, x, z]
                if z > 0:
                    follows = 1 if last >= z else 0
                    bits += _adaptive_bits(follows, more[z, reach])
                    if not follows:
                        break
                    a = (abs(k[y, x - 1, z]) if x > 0 else 0) + (abs(k[y - 1, x, z]) if y > 0 else 0)
                else:
                    left = k[y, x - 1, 0] if x > 0 else (k[y - 1, x, 0] if y > 0 else 0)
                    up = k[y - 1, x, 0] if y > 0 else left
                    v -= (left + up) // 2
                    a = abs(left - up)
                near, band = _bucket(a), bands[z]
                nonzero = 1 if v != 0 else 0
                bits += _adaptive_bits(nonzero, zero[1 if z == 0 else 0, band, near, min(count, 7)])
                if not nonzero:
                    continue
                count += 1
                state = 1
                if z > 0:
                    t = (np.sign(k[y, x - 1, z]) if x > 0 else 0) + (np.sign(k[y - 1, x, z]) if y > 0 else 0)
                    state = 0 if t < 0 else (1 if t == 0 else 2)
                bits += _adaptive_bits(1 if v < 0 else 0, sign[z, state])
                m, length = abs(v) - 1, 0
                while (m >> length) > 0:
                    length += 1
                for i in range(min(length, 15) + 1):
                    longer = 1 if length > i else 0
                    bits += _adaptive_bits(longer, size[band, near, i])
                    if not longer:
                        break
                bits += max(length - 1, 0)
    return bits


def context_bits(jpeg: Jpeg) -> float:
    """What a simple adaptive context coder of the coefficients would spend on the whole JPEG (_context_bits), in
    bits: a first measure of the coefficient coder a JPEG layer needs."""
    total = 0.0
    for coefs in jpeg.coefficients:
        zigzag = coefs.reshape(coefs.shape[0], coefs.shape[1], 64)[:, :, ZIGZAG]
        total += _context_bits(np.ascontiguousarray(zigzag), _BANDS)
    return total


def _cropped(jpeg: Jpeg, by0: int, bx0: int, by1: int, bx1: int) -> Jpeg:
    """The JPEG's whole MCUs that cover luma blocks by0..by1 x bx0..bx1, as a JPEG of their own."""
    hmax, vmax = max(c.h for c in jpeg.components), max(c.v for c in jpeg.components)
    my0, mx0, my1, mx1 = by0 // vmax, bx0 // hmax, -(-by1 // vmax), -(-bx1 // hmax)
    coefs = [c[my0 * comp.v : my1 * comp.v, mx0 * comp.h : mx1 * comp.h]
             for comp, c in zip(jpeg.components, jpeg.coefficients)]
    return Jpeg(jpeg.components, jpeg.tables, coefs, 8 * vmax * (my1 - my0), 8 * hmax * (mx1 - mx0))


def recover_report() -> None:
    """For each photo of the JPEG-decoded set whose source is a baseline JPEG: its luma coefficients from its pixels
    (the crop's whole blocks of the source's grid, the source's table), against the source's own; and what the
    coefficients of those blocks would cost (coefficient_bits, order 0; context_bits, over the MCUs that cover them)
    against rcl's and JPEG XL e9's bits for the photo in benchmarks/out/five_sets.json, where that has it, all in bits
    per pixel."""
    import json

    from .compare import OUT

    sizes = {}
    if (OUT / "five_sets.json").exists():
        for row in json.loads((OUT / "five_sets.json").read_text())["rows"]:
            if row["set"] == "jpeg":
                sizes.setdefault(row["image"], {})[row["codec"]] = 3 * row["bpsp"]
    print("| image | sampling | luma steps (first 4) | coefficients recovered | whole blocks recovered | coefficients, "
          "order 0 | coefficients, context model | rcl (default) | JPEG XL e9 |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name, path, box, jpeg in _sources():
        if isinstance(jpeg, ValueError):
            print(f"| {name} | {jpeg} | | | |")
            continue
        pixels = np.asarray(Image.open(path).convert("RGB"))
        left, top, right, bottom = box or (0, 0, jpeg.width, jpeg.height)
        bx0, by0, bx1, by1 = -(-left // 8), -(-top // 8), right // 8, bottom // 8
        lum = jpeg.components[0]
        k = luma_dct(pixels[8 * by0 : 8 * by1, 8 * bx0 : 8 * bx1])
        table = jpeg.tables[lum.table]
        estimate = np.round(k / table).astype(np.int64)
        truth = jpeg.coefficients[0][by0:by1, bx0:bx1]
        same = estimate == truth
        order0 = coefficient_bits(jpeg, by0, bx0, by1, bx1) / (64 * (by1 - by0) * (bx1 - bx0))
        crop = _cropped(jpeg, by0, bx0, by1, bx1)
        modelled = context_bits(crop) / (crop.height * crop.width)
        theirs = sizes.get(name, {})
        rcl, jxl = theirs.get("rcl (e2)", theirs.get("rcl", float("nan"))), theirs.get(E9_NAME, float("nan"))
        print(f"| {name} | {'x'.join(f'{c.h}{c.v}' for c in jpeg.components)} | {table[0, :4].tolist()} | "
              f"{same.mean():.4f} | {same.all(axis=(2, 3)).mean():.3f} | {order0:.3f} | {modelled:.3f} | {rcl:.3f} | "
              f"{jxl:.3f} |",
              flush=True)


def coefficients_for(samples: np.ndarray, table: np.ndarray, search: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Quantised coefficients whose inverse DCT (idct) gives exactly the blocks' samples (n, 8, 8), where found:
    (coefficients, found per block). First the forward DCT divided by the steps and rounded; then, for the blocks
    that differ, the difference's own rounded DCT added, a few times; then (search), block by block, single +-1
    moves of the coefficients whose basis best matches the samples' error, kept while its sum of squares falls,
    and last every pair of +-1 moves among the ten best matches, kept where one reproduces the block."""
    k = np.round(forward_dct(samples) / table).astype(np.int64)
    found = np.all(idct(k, table) == samples, axis=(1, 2))
    for _ in range(6):
        bad = ~found
        if not bad.any():
            break
        k[bad] += np.round(forward_dct(samples[bad] - idct(k[bad], table) + 128) / table).astype(np.int64)
        found[bad] = np.all(idct(k[bad], table) == samples[bad], axis=(1, 2))
    for i in np.flatnonzero(~found) if search else ():
        k[i], found[i] = _search_block(k[i], samples[i], table)
    return k, found


def unique_ycc(rgb: np.ndarray) -> tuple[float, float]:
    """(share of pixels, share of those with no channel at 0 or 255) whose RGB one integer (y, cb, cr) alone gives
    under ycc_to_rgb, searched within 3 of the float inverse's cb, cr: where one does, the decoder's planes at full
    resolution are the pixels' own."""
    rgb = np.asarray(rgb, np.int64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    cb0 = np.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128).astype(np.int64)
    cr0 = np.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128).astype(np.int64)
    count = np.zeros(r.shape, np.int64)
    for dcb in range(-3, 4):
        for dcr in range(-3, 4):
            cb, cr = np.clip(cb0 + dcb, 0, 255), np.clip(cr0 + dcr, 0, 255)
            for y in range(256):
                count += np.all(ycc_to_rgb(np.full(r.shape, y), cb, cr) == rgb, axis=-1)
    inside = ~np.any((rgb == 0) | (rgb == 255), axis=-1)
    return float(np.mean(count == 1)), float(np.mean(count[inside] == 1))


def luma_from_pixels(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decoder's luma plane as far as the pixels fix it: for each pixel the y of the first (y, cb, cr) within 2 of
    the float inverse's cb, cr that gives its RGB exactly, and how many do (0: none found, y is -1; more than 1: the
    first is a guess, which the blocks would have to settle). A pixel with a channel at 0 or 255 may have its
    decoder's triple outside that window (the clamp moved the float inverse), so even one found is a guess there."""
    rgb = np.asarray(rgb, np.int64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    cb0 = np.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128).astype(np.int64)
    cr0 = np.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128).astype(np.int64)
    luma, count = np.full(r.shape, -1, np.int64), np.zeros(r.shape, np.int64)
    for dcb in range(-2, 3):
        for dcr in range(-2, 3):
            cb, cr = np.clip(cb0 + dcb, 0, 255), np.clip(cr0 + dcr, 0, 255)
            from_green = g - ((-fix16(0.34414) * (cb - 128) - fix16(0.71414) * (cr - 128) + 32768) >> 16)
            for dy in (-1, 0, 1):
                y = np.clip(from_green + dy, 0, 255)
                exact = np.all(ycc_to_rgb(y, cb, cr) == rgb, axis=-1) & (y == from_green + dy)
                luma = np.where(exact & (count == 0), y, luma)
                count += exact
    return luma, count


def estimate_table(coefs: np.ndarray) -> np.ndarray:
    """A quantisation table from blocks' float DCTs (n, 8, 8): each AC frequency's step_fit where it fits (else 1),
    the DC's step 1..16 on whose multiples most DCs lie within 0.05."""
    table = np.ones((8, 8), np.int64)
    for a in range(8):
        for b in range(8):
            if a or b:
                fit, q = step_fit(coefs[:, a, b])
                table[a, b] = q if fit > 0.3 else 1
    dc = coefs[:, 0, 0]
    table[0, 0] = max(range(1, 17), key=lambda q: np.mean(np.abs(dc / q - np.round(dc / q)) < 0.05))
    return table


def pixels_report(folder: Path, limit: int) -> None:
    """End to end from the pixels alone, for images whose source is not at hand (the manga scans): the grid by trace,
    the luma plane by luma_from_pixels, the steps by estimate_table, then the luma blocks coefficients_for reproduces
    exactly (the first 512x512, blocks whose every pixel fixed some y)."""
    print("| image | trace | pixels with one (y, cb, cr) / several | luma steps (first 4) | luma blocks exact | "
          "luma coefficients, order 0, bits/pixel |")
    print("|---|---:|---:|---|---:|---:|")
    for f in sorted(folder.glob("*.png"))[: limit or None]:
        rgb = np.asarray(Image.open(f).convert("RGB"))[:512, :512]
        strength, (oy, ox), _ = trace(rgb)
        luma, count = luma_from_pixels(rgb)
        h, w = (rgb.shape[0] - oy) // 8 * 8, (rgb.shape[1] - ox) // 8 * 8

        def blocks(a: np.ndarray) -> np.ndarray:
            return to_blocks(a[oy : oy + h, ox : ox + w]).reshape(-1, 8, 8)

        usable = np.all(blocks(count) >= 1, axis=(1, 2))
        samples = blocks(luma)[usable]
        table = estimate_table(forward_dct(samples))
        k, found = coefficients_for(samples, table)
        order0 = sum(_entropy_bits(k[:, a, b]) for a in range(8) for b in range(8)) / (64 * len(k))
        print(f"| {f.name} | {strength:.2f} at {(oy, ox)} | {np.mean(count == 1):.3f} / {np.mean(count > 1):.3f} | "
              f"{table[0, :4].tolist()} | {found.mean():.3f} of {usable.sum()} | {order0:.2f} |", flush=True)


def _upsample_real(c: np.ndarray) -> np.ndarray:
    """upsample(c, 2, 2) without its floors: each output (9, 3, 3, 1) / 16 of its input and neighbours (at the
    first and last columns 3/4 and 1/4 down only)."""
    cols = [3 * c + shifted(c, 0, -1), 3 * c + shifted(c, 0, 1)]
    out = np.empty((2 * c.shape[0], 2 * c.shape[1]))
    for dy, col in enumerate(cols):
        out[dy::2, 0::2] = (3 * col + shifted(col, 1, -1)) / 16
        out[dy::2, 1::2] = (3 * col + shifted(col, 1, 1)) / 16
        out[dy::2, 0], out[dy::2, -1] = col[:, 0] / 4, col[:, -1] / 4
    return out


def chroma_from_upsampled(up: np.ndarray, table: np.ndarray, height: int, width: int,
                          rounds: int = 30) -> np.ndarray:
    """Quantised coefficients of a 4:2:0 chroma plane from its upsampled samples (2 h, 2 w): the real-valued samples
    that upsample to them (Landweber steps on the 2x2 means, the floors' mean bias of 1/32 allowed for), then each
    block's DCT divided by its steps and rounded, which snaps small errors in the samples to the quantiser's lattice.
    (blocks down, blocks across, 8, 8) for a plane of height x width samples, padded as the encoder pads."""
    h, w = up.shape[0] // 2, up.shape[1] // 2
    means = lambda a: a.reshape(h, 2, w, 2).mean(axis=(1, 3))  # noqa: E731
    c = means(up).astype(np.float64)
    for _ in range(rounds):
        c = c + means(up - (_upsample_real(c) - 1 / 32))
    bh, bw = -(-height // 8), -(-width // 8)
    padded = np.pad(c, ((0, 8 * bh - h), (0, 8 * bw - w)), mode="edge")
    blocks = to_blocks(padded)
    return np.round(forward_dct(blocks) / table).astype(np.int64)


def chroma_report() -> None:
    """For each 4:2:0 source of the JPEG-decoded set: its chroma planes' coefficients from their upsampled samples
    alone (chroma_from_upsampled), and how many of the upsampled samples their exact decoding gives back."""
    print("| image | chroma steps (first 3) | upsampled samples given back (Cb, Cr) |")
    print("|---|---|---:|")
    for name, path, box, jpeg in _sources():
        if isinstance(jpeg, ValueError):
            continue
        if [(c.h, c.v) for c in jpeg.components] != [(2, 2), (1, 1), (1, 1)]:
            continue
        h, w = -(-jpeg.height // 2), -(-jpeg.width // 2)
        shares = []
        for comp, coefs in zip(jpeg.components[1:], jpeg.coefficients[1:]):
            table = jpeg.tables[comp.table]
            up = upsample(plane(coefs, table)[:h, :w], 2, 2)
            again = upsample(plane(chroma_from_upsampled(up, table, h, w), table)[:h, :w], 2, 2)
            shares.append(float(np.mean(again == up)))
        steps = jpeg.tables[jpeg.components[1].table][0, :3].tolist()
        print(f"| {name} | {steps} | {shares[0]:.4f}, {shares[1]:.4f} |",
              flush=True)


def blocks_report(limit_blocks: int = 3000) -> None:
    """The encoder's two steps on the JPEG-decoded set's baseline sources: which pixels fix their (y, cb, cr)
    (unique_ycc, on the photo's first 256x256), and from each component's own samples (the decoder's, the first
    limit_blocks blocks) how many blocks coefficients_for reproduces exactly at each of its stages."""
    print("| image | steps (luma, first 3) | unique (y, cb, cr): all / unclamped | exact blocks, luma: rounded / "
          "corrected / searched | chroma (both), searched |")
    print("|---|---|---:|---:|---:|")
    for name, path, box, jpeg in _sources():
        if isinstance(jpeg, ValueError):
            continue
        every, inside = unique_ycc(np.asarray(Image.open(path).convert("RGB"))[:256, :256])
        stages, chroma = [], []
        for ci, (comp, coefs) in enumerate(zip(jpeg.components, jpeg.coefficients)):
            table = jpeg.tables[comp.table]
            samples = idct(coefs.reshape(-1, 8, 8)[:limit_blocks], table)
            if ci == 0:
                k = np.round(forward_dct(samples) / table).astype(np.int64)
                stages.append(np.all(idct(k, table) == samples, axis=(1, 2)).mean())
                stages += [coefficients_for(samples, table, search)[1].mean() for search in (False, True)]
            else:
                chroma.append(coefficients_for(samples, table)[1].mean())
        print(f"| {name} | {jpeg.tables[jpeg.components[0].table][0, :3].tolist()} | {every:.3f} / {inside:.3f} | "
              f"{stages[0]:.3f} / {stages[1]:.3f} / {stages[2]:.3f} | {np.mean(chroma) if chroma else np.nan:.3f} |",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="job", required=True)
    ex = sub.add_parser("exact")
    ex.add_argument("files", nargs="+", type=Path)
    tr = sub.add_parser("trace")
    tr.add_argument("dirs", nargs="+", type=Path)
    tr.add_argument("--limit", type=int, default=0)
    sub.add_parser("recover")
    sub.add_parser("blocks")
    sub.add_parser("chroma")
    px = sub.add_parser("pixels")
    px.add_argument("dir", type=Path)
    px.add_argument("--limit", type=int, default=0)
    a = p.parse_args(argv)
    if a.job == "exact":
        bad = 0
        for path in a.files:
            try:
                mine = decode(read_baseline(path.read_bytes()))
            except ValueError as exc:
                print(f"{path.name}: skipped ({exc})")
                continue
            with Image.open(path) as im:
                theirs = np.asarray(im.convert("RGB" if mine.ndim == 3 else "L"))
            same = float(np.mean(mine == theirs))
            bad += same < 1
            print(f"{path.name} {theirs.shape}: {same:.6f} of the samples equal Pillow's")
        return 1 if bad else 0
    if a.job == "trace":
        for folder in a.dirs:
            files = sorted(folder.glob("*.png"))[: a.limit or None]
            strengths = []
            for f in files:
                strength, offset, steps = trace(np.asarray(Image.open(f).convert("RGB")))
                strengths.append(strength)
                print(f"{folder.name}/{f.name}: {strength:.2f} at offset {offset}, steps {steps[:8]}", flush=True)
            print(f"{folder}: median {np.median(strengths):.2f}, {sum(s >= 0.2 for s in strengths)} of {len(files)} "
                  f"at 0.2 or more")
        return 0
    if a.job == "blocks":
        blocks_report()
        return 0
    if a.job == "chroma":
        chroma_report()
        return 0
    if a.job == "pixels":
        pixels_report(a.dir, a.limit)
        return 0
    recover_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
