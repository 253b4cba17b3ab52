"""Helpers shared by the tests."""
import struct
import subprocess
import sys
import zlib

import numpy as np

import rc_plugin
from rc_plugin import container


def recrc(data: bytes) -> bytes:
    """Recompute the header CRC and every chunk CRC that can be located, so damage must be caught deeper."""
    if len(data) < container.HEADER_SIZE:
        return data
    head = data[: container.HEADER.size]
    out = bytearray(head + struct.pack("<I", zlib.crc32(head)))
    pos = container.HEADER_SIZE
    while pos + 8 <= len(data):
        kind, length = container.CHUNK_HEAD.unpack_from(data, pos)
        if pos + 12 + length > len(data):
            out += data[pos:]
            return bytes(out)
        payload = data[pos + 8 : pos + 8 + length]
        out += data[pos : pos + 8 + length] + struct.pack("<I", zlib.crc32(kind + payload))
        pos += 12 + length
    out += data[pos:]
    return bytes(out)


def assert_flips_never_give_a_wrong_image(data: bytes, positions, expected: np.ndarray, bit: int = 0x01) -> None:
    """Flip `bit` at each position, with valid CRCs: the decode is the exact image or RclError, nothing else."""
    for pos in positions:
        raw = bytearray(data)
        raw[pos] ^= bit
        try:
            out = rc_plugin.decode(recrc(bytes(raw)))
        except rc_plugin.RclError:
            continue
        assert np.array_equal(out, expected), f"a flip at byte {pos} decoded to a wrong image"


def mostly_grey(rgb: np.ndarray) -> np.ndarray:
    """rgb made grey (its G channel) but for a coloured rectangle: the grey shortcut's case."""
    out = np.repeat(rgb[..., 1:2], 3, axis=2)
    h, w = rgb.shape[:2]
    out[h // 4 : h // 2, w // 3 : w // 2] = rgb[h // 4 : h // 2, w // 3 : w // 2]
    return np.ascontiguousarray(out)


def first_tile(data: bytes) -> container.Tile:
    """The first TILE record of a colour .rcl file."""
    header = container.parse_header(data, None)
    return container.parse_tile(container.parse_chunks(data, header)[1][0], header.coded_channels, header.version)


def rcl(*args, cwd=None) -> subprocess.CompletedProcess:
    """The rcl command in a process of its own, as a user runs it, with its output captured."""
    return subprocess.run([sys.executable, "-m", "rc_plugin", *map(str, args)], capture_output=True, text=True, cwd=cwd)
