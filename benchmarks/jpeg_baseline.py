"""A baseline JPEG's quantised coefficients, and the pixels libjpeg-turbo (Pillow's JPEG decoder) makes of them, in
integer arithmetic only: the probe of a JPEG layer's decoder (benchmarks/jpeg_layer.py, docs/models.md "Photos that
went through JPEG").

`read_baseline` reads a sequential Huffman-coded JPEG of 8-bit samples (one interleaved scan, restart markers
allowed) and refuses the rest. `decode` does what libjpeg-turbo does by default, with the JPEG tile's decoder
(rc_plugin.adaptive.jpeg.inverse, written from the JPEG and JFIF specifications): the 13-bit integer inverse DCT of
Loeffler, Ligtenberg and Moschytz with two extra bits kept between its passes, "fancy" triangular upsampling of
subsampled chroma with its alternating rounding biases, and the 16-bit fixed-point YCbCr to RGB conversion;
tests/test_jpeg_layer.py and tests/test_jpeg_tile.py check it against Pillow sample for sample.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rc_plugin.adaptive.jpeg import inverse
from rc_plugin.adaptive.jpeg.inverse import idct, plane, upsample, ycc_to_rgb  # noqa: F401 (the probe's names for them)

#: Position in the 8x8 block (row-major) of the k-th coefficient in a JPEG stream's zigzag order.
ZIGZAG = np.array([0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
                   13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
                   45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63])


class Component(NamedTuple):
    ident: int
    h: int  # sampling factors
    v: int
    table: int  # quantisation table id


class Jpeg(NamedTuple):
    """A baseline JPEG's content: its components, quantisation tables (8x8, row-major), each component's quantised
    coefficients (blocks down, blocks across, 8, 8; whole MCUs, so beyond the image at its right and bottom)."""
    components: list[Component]
    tables: dict[int, np.ndarray]
    coefficients: list[np.ndarray]
    height: int
    width: int


class _BitReader:
    """The entropy-coded segment's bits, most significant first, with stuffed zero bytes removed."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos, self.byte, self.left = data, pos, 0, 0

    def bit(self) -> int:
        if self.left == 0:
            b = self.data[self.pos]
            self.pos += 1
            if b == 0xFF:
                if self.data[self.pos] == 0:
                    self.pos += 1
                else:  # a marker: the segment is over, its remaining bits read as zeros
                    self.pos -= 1
                    b = 0
            self.byte, self.left = b, 8
        self.left -= 1
        return (self.byte >> self.left) & 1

    def bits(self, n: int) -> int:
        value = 0
        for _ in range(n):
            value = (value << 1) | self.bit()
        return value

    def skip_restart(self) -> None:
        self.left = 0
        while not (self.data[self.pos] == 0xFF and 0xD0 <= self.data[self.pos + 1] <= 0xD7):
            self.pos += 1
        self.pos += 2


def _huffman(counts: bytes, symbols: bytes) -> dict[tuple[int, int], int]:
    """(length, code) -> symbol, the canonical codes of a DHT table."""
    table, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            table[(length, code)] = symbols[k]
            code, k = code + 1, k + 1
        code <<= 1
    return table


def _symbol(reader: _BitReader, table: dict[tuple[int, int], int]) -> int:
    code = 0
    for length in range(1, 17):
        code = (code << 1) | reader.bit()
        if (length, code) in table:
            return table[(length, code)]
    raise ValueError("corrupt JPEG: an unknown Huffman code")


def _signed(value: int, size: int) -> int:
    """A coefficient from its size category and its bits (the JPEG standard's EXTEND)."""
    return value if size == 0 or value >= 1 << (size - 1) else value - (1 << size) + 1


def read_baseline(data: bytes) -> Jpeg:
    """The quantised coefficients of a baseline JPEG (one interleaved scan, Huffman coded, restart markers allowed)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    pos, tables, dc, ac, interval, frame = 2, {}, {}, {}, 0, None
    while True:
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG: a segment does not start with a marker")
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        seg = data[pos + 4 : pos + 2 + length]
        if marker == 0xDB:  # quantisation tables
            i = 0
            while i < len(seg):
                wide, ident = seg[i] >> 4, seg[i] & 15
                values = np.frombuffer(seg[i + 1 : i + 1 + 64 * (wide + 1)], ">u2" if wide else np.uint8)
                natural = np.zeros(64, np.int64)
                natural[ZIGZAG] = values
                tables[ident] = natural.reshape(8, 8)
                i += 1 + 64 * (wide + 1)
        elif marker in (0xC0, 0xC1):  # baseline or extended sequential, Huffman
            if seg[0] != 8:
                raise ValueError(f"{seg[0]}-bit JPEG samples: the probe reads 8-bit ones")
            frame = (int.from_bytes(seg[1:3], "big"), int.from_bytes(seg[3:5], "big"),
                     [Component(seg[6 + 3 * k], seg[7 + 3 * k] >> 4, seg[7 + 3 * k] & 15, seg[8 + 3 * k])
                      for k in range(seg[5])])
        elif 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            raise ValueError("a progressive, lossless or arithmetic-coded JPEG: the probe reads baseline ones")
        elif marker == 0xC4:  # Huffman tables
            i = 0
            while i < len(seg):
                counts = seg[i + 1 : i + 17]
                table = _huffman(counts, seg[i + 17 : i + 17 + sum(counts)])
                (ac if seg[i] >> 4 else dc)[seg[i] & 15] = table
                i += 17 + sum(counts)
        elif marker == 0xDD:
            interval = int.from_bytes(seg[0:2], "big")
        elif marker == 0xDA:
            if frame is None:
                raise ValueError("corrupt JPEG: a scan before the frame header")
            chosen = {seg[1 + 2 * k]: (seg[2 + 2 * k] >> 4, seg[2 + 2 * k] & 15) for k in range(seg[0])}
            height, width, comps = frame
            if set(chosen) != {c.ident for c in comps}:
                raise ValueError("a JPEG of several scans: the probe reads one interleaved scan")
            return Jpeg(comps, tables, _scan(data, pos + 2 + length, comps, chosen, dc, ac, interval, height, width),
                        height, width)
        pos += 2 + length


def _scan(data: bytes, start: int, comps: list[Component], chosen: dict, dc: dict, ac: dict, interval: int,
          height: int, width: int) -> list[np.ndarray]:
    hmax, vmax = max(c.h for c in comps), max(c.v for c in comps)
    across, down = -(-width // (8 * hmax)), -(-height // (8 * vmax))
    coefs = [np.zeros((down * c.v, across * c.h, 64), np.int64) for c in comps]
    reader, previous_dc = _BitReader(data, start), [0] * len(comps)
    for n in range(down * across):
        if interval and n and n % interval == 0:
            reader.skip_restart()
            previous_dc = [0] * len(comps)
        my, mx = divmod(n, across)
        for ci, comp in enumerate(comps):
            dc_table, ac_table = dc[chosen[comp.ident][0]], ac[chosen[comp.ident][1]]
            for by in range(comp.v):
                for bx in range(comp.h):
                    zigzag = np.zeros(64, np.int64)
                    size = _symbol(reader, dc_table)
                    previous_dc[ci] += _signed(reader.bits(size), size)
                    zigzag[0], k = previous_dc[ci], 1
                    while k < 64:
                        run_size = _symbol(reader, ac_table)
                        run, size = run_size >> 4, run_size & 15
                        if size == 0:
                            if run != 15:  # end of block
                                break
                            k += 16
                            continue
                        k += run
                        if k > 63:
                            raise ValueError("corrupt JPEG: a coefficient beyond the block")
                        zigzag[k] = _signed(reader.bits(size), size)
                        k += 1
                    coefs[ci][my * comp.v + by, mx * comp.h + bx, ZIGZAG] = zigzag
    return [c.reshape(c.shape[:2] + (8, 8)) for c in coefs]


def fix16(x: float) -> int:
    return int(x * 65536 + 0.5)


def decode(jpeg: Jpeg) -> np.ndarray:
    """The pixels, (H, W) for one component or (H, W, 3) RGB, as uint8 (rc_plugin.adaptive.jpeg.inverse.decode,
    the JPEG tile's decoder)."""
    hmax, vmax = max(c.h for c in jpeg.components), max(c.v for c in jpeg.components)
    for comp in jpeg.components[1:]:
        if (comp.h, comp.v) != (1, 1) or hmax > 2 or vmax > 2:
            raise ValueError(f"sampling {comp.h}x{comp.v} of {hmax}x{vmax}: the decoder upsamples 1x1 chroma by 1 or 2")
    if len(jpeg.components) not in (1, 3):
        raise ValueError(f"{len(jpeg.components)} components: the decoder decodes grey and YCbCr")
    out = inverse.decode(jpeg.coefficients, [jpeg.tables[c.table] for c in jpeg.components], (hmax, vmax),
                        jpeg.height, jpeg.width)
    return (out[..., 0] if out.shape[2] == 1 else out).astype(np.uint8)
