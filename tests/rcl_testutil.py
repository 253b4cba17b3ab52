"""Helpers shared by the tests."""
import struct
import subprocess
import sys
import zlib

import numpy as np

import rc_plugin
from rc_plugin.format import container, records


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


def metadata_bytes(value) -> bytes:
    """A metadata entry as bytes: ICC, EXIF and XMP are bytes already; a P file's palette is its PLTE payload."""
    return value if isinstance(value, bytes) else value.pack()


def first_tile(data: bytes) -> records.Tile:
    """The first TILE record of a colour .rcl file."""
    header = container.parse_header(data, None)
    return records.parse_tile(container.parse_chunks(data, header)[1][0], header.coded_channels, header.version)


def rcl(*args, cwd=None) -> subprocess.CompletedProcess:
    """The rcl command in a process of its own, as a user runs it, with its output captured."""
    return subprocess.run([sys.executable, "-m", "rc_plugin", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def tile_kinds(data: bytes) -> list[str]:
    """The kind of each tile of an .rcl file, in order: its coder's name, and for a palette tile the coder of its
    index plane after a slash ("adaptive", "mixture", "generic", "palette/indexed", ...)."""
    return [_kind(tile) for tile in _records(data)]


def wide_part_kinds(data: bytes) -> list[str]:
    """The parts of every wide tile of an .rcl file, in order, as "<map>:<coded>": the map's name (offset, table) and
    "stream" or "rows" (records.WIDE_CODED_NAMES), or the 8-bit record's kind as tile_kinds names it."""
    return [f"{records.WIDE_MAP_NAMES[part.kind]}:"
            f"{records.WIDE_CODED_NAMES[part.coding] if isinstance(part.coded, bytes) else _kind(part.coded)}"
            for tile in _records(data) if isinstance(tile, records.WideTile) for part in tile.parts]


def tiles(data: bytes) -> list:
    """The tile records of an .rcl file, in order (rc_plugin.format.records)."""
    return _records(data)


def _records(data: bytes) -> list:
    header = container.parse_header(data, None)
    return [records.parse_tile(payload, header.coded_channels, header.version)
            for payload in container.parse_chunks(data, header)[1]]


def _kind(tile) -> str:
    name = records.CODER_NAMES[tile.coder]
    plane = getattr(tile, "plane", None)
    return name if plane is None else f"{name}/{records.PLANE_NAMES[plane]}"


def all_tile_kinds() -> set[str]:
    """Every tile kind this version writes, as tile_kinds names them: each coder, a palette tile by its plane's."""
    from rc_plugin.format.bitstream import CODER_PALETTE

    kinds = {name for coder, name in records.CODER_NAMES.items() if coder != CODER_PALETTE}
    return kinds | {f"{records.CODER_NAMES[CODER_PALETTE]}/{plane}" for plane in records.PLANE_NAMES.values()}


#: What the child below runs: each case encoded, and the file the compiled code wrote for it decoded, with numba's
#: JIT off, after checking that no compiled function of rc_plugin is left.
_INTERPRETED = r"""
import json, sys
import numpy as np
import numba
from numba.core.dispatcher import Dispatcher
assert numba.config.DISABLE_JIT
np.seterr(all="raise")  # an int64 intermediate that overflows (NumPy scalars check; numba wraps silently) stops here
import rc_plugin
from rc_plugin import codec
cases = json.loads(open(sys.argv[1]).read())
arrays = np.load(sys.argv[2])
default_tile = dict(codec.TILE)
out, errors = {}, {}
for i, case in enumerate(cases):
    codec.TILE = dict.fromkeys(default_tile, case["tile"]) if case["tile"] else dict(default_tile)
    for step in ("encode", "decode"):
        try:
            if step == "encode":
                out[f"encoded{i}"] = np.frombuffer(rc_plugin.encode(arrays[f"pixels{i}"], **case["options"]), np.uint8)
            else:
                out[f"decoded{i}"] = rc_plugin.decode(arrays[f"file{i}"].tobytes())
        except Exception as exc:  # reported by the test, case by case
            errors[f"{step}{i}"] = f"{type(exc).__name__}: {exc}"
compiled = sorted(f"{m.__name__}.{k}" for m in list(sys.modules.values()) if m and m.__name__.startswith("rc_plugin")
                  for k, v in vars(m).items() if isinstance(v, Dispatcher))
assert not compiled, f"still compiled: {compiled}"
np.savez(sys.argv[3], **out)
open(sys.argv[3] + ".json", "w").write(json.dumps(errors))
"""


def assert_compiled_equals_interpreted(cases: list[tuple[str, np.ndarray, dict, int | None]], folder) -> dict:
    """Every case (name, pixels, rc_plugin.encode options, tile side or None for the encoder's own) coded here by
    the compiled code and again, in a process of its own, by the same source run as plain Python
    (NUMBA_DISABLE_JIT=1: the whole compiled call graph interpreted, NumPy's scalar overflow checks raising): the
    interpreted encoder writes the same bytes, and the interpreted decoder gives the exact pixels of the compiled
    encoder's file.
    Returns {name: the compiled file's tile kinds (tile_kinds)}."""
    import json
    import os
    from pathlib import Path

    from rc_plugin import codec

    folder = Path(folder)
    arrays, described, files, kinds = {}, [], [], {}
    default_tile = dict(codec.TILE)
    try:
        for i, (name, pixels, opts, tile) in enumerate(cases):
            codec.TILE = dict.fromkeys(default_tile, tile) if tile else dict(default_tile)
            data = rc_plugin.encode(pixels, **opts)
            assert np.array_equal(rc_plugin.decode(data), pixels), name
            files.append(data)
            kinds[name] = tile_kinds(data)
            arrays[f"pixels{i}"], arrays[f"file{i}"] = pixels, np.frombuffer(data, np.uint8)
            described.append({"name": name, "options": opts, "tile": tile})
    finally:
        codec.TILE = default_tile
    (folder / "cases.json").write_text(json.dumps(described))
    np.savez(folder / "cases.npz", **arrays)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", _INTERPRETED, str(folder / "cases.json"), str(folder / "cases.npz"),
                          str(folder / "interpreted.npz")], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    errors = json.loads((folder / "interpreted.npz.json").read_text())
    wrong = []
    with np.load(folder / "interpreted.npz") as interpreted:
        for i, (name, pixels, _, _) in enumerate(cases):
            if f"encode{i}" in errors:
                wrong.append(f"{name}: the interpreted encoder failed: {errors[f'encode{i}']}")
            elif interpreted[f"encoded{i}"].tobytes() != files[i]:
                wrong.append(f"{name}: the interpreted encoder wrote other bytes than the compiled one")
            if f"decode{i}" in errors:
                wrong.append(f"{name}: the interpreted decoder failed on the compiled encoder's file: "
                             f"{errors[f'decode{i}']}")
            elif not np.array_equal(interpreted[f"decoded{i}"], pixels):
                wrong.append(f"{name}: the interpreted decoder gave other pixels")
    assert not wrong, "compiled and interpreted code differ:\n" + "\n".join(wrong)
    return kinds
