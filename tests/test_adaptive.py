"""The adaptive coder on its own: exact on hard cases, damaged and cut streams refused, and the range coder at the
ideal code length (and constriction's). Compiled against interpreted: test_compiled.py."""
import dataclasses

import numpy as np
import pytest

import rc_plugin
from rc_plugin.adaptive import plane_coder as adaptive
from rc_plugin.format import container, records
from rc_plugin.mixture import entropy
from rcl_testutil import assert_flips_never_give_a_wrong_image


def images():
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:23, 0:31]
    gradient = np.stack([(7 * x) % 256, (5 * y) % 256, (3 * x + 2 * y) % 256], axis=2).astype(np.uint8)
    extremes = np.zeros((17, 19, 3), np.uint8)
    extremes[::2, 1::2] = 255
    extremes[1::2, ::2] = 255
    return {
        "noise": rng.integers(0, 256, (21, 27, 3), dtype=np.uint8),
        "flat": np.full((19, 25, 3), 77, np.uint8),
        "gradient": gradient,
        "extremes": extremes,
        "one_pixel": np.array([[[0, 255, 128]]], np.uint8),
        "one_row": rng.integers(0, 256, (1, 40, 3), dtype=np.uint8),
        "one_column": rng.integers(0, 256, (40, 1, 3), dtype=np.uint8),
        "grey": rng.integers(90, 110, (15, 18, 1), dtype=np.uint8),
    }


@pytest.mark.parametrize("preset", range(len(adaptive.PRESETS)))
@pytest.mark.parametrize("name", list(images()))
def test_planes_roundtrip_exactly(name, preset):
    img = images()[name]
    data = adaptive.encode_plane(img, preset=preset)
    assert np.array_equal(adaptive.decode_plane(data, *img.shape, preset=preset), img)


def test_presets_code_differently_and_need_their_own_decoder(photo_crop):
    """Each preset is a different coder (the tile must name it): its stream differs, and read with another preset it
    gives other pixels."""
    img = np.ascontiguousarray(photo_crop)
    streams = [adaptive.encode_plane(img, preset=p) for p in range(len(adaptive.PRESETS))]
    assert len(set(streams)) == len(streams)
    assert not np.array_equal(adaptive.decode_plane(streams[2], *img.shape, preset=1), img)


def test_range_coder_meets_the_ideal_length_and_constriction(photo_crop):
    img = np.ascontiguousarray(photo_crop)
    trace = np.zeros((img.size, 2), np.int64)
    (stream,) = adaptive.encode_streams(img.copy(), adaptive.NO_NET, adaptive.BYTE_TOP, False, 0, 1, trace=trace)
    n = len(stream)
    total = 1 << 16
    ideal_bytes = float(np.sum(16 - np.log2(trace[:, 1]))) / 8
    assert ideal_bytes <= n <= ideal_bytes + 8
    # the same probabilities through constriction: each subpixel as (its symbol's frequency, the rest)
    coder = entropy.StreamEncoder()
    two = np.stack([trace[:, 1], total - trace[:, 1]], axis=1) << 8  # 2**16 -> the 2**24 constriction is given
    coder.encode(np.zeros(len(trace), np.int64), lambda sl: two[sl], 2)
    theirs = len(coder.finish())
    assert n <= theirs + 8, (n, theirs)


def _one_tile_file(img: np.ndarray) -> tuple[bytes, bytes, int]:
    """A one-tile .rcl file of img whose tile is an adaptive or tuned tile: (the file, its adaptive stream, the
    stream's offset in the file)."""
    data = rc_plugin.encode(img)
    header = container.parse_header(data, None)
    (payload,) = container.parse_chunks(data, header)[1]
    tile = records.parse_tile(payload, header.coded_channels, header.version)
    assert type(tile) in (records.AdaptiveTile, records.TunedTile) and tile.stream, f"not an adaptive stream: {tile}"
    head = records.TUNED_HEAD if type(tile) is records.TunedTile else records.ADAPTIVE_HEAD
    return data, tile.stream, data.index(payload) + head.size


def _with_stream(data: bytes, stream: bytes) -> bytes:
    """The one-tile file data with its tile's stream replaced by stream: lengths and CRCs made right again, so only
    the stream decoder can tell."""
    header = container.parse_header(data, None)
    (payload,) = container.parse_chunks(data, header)[1]
    tile = dataclasses.replace(records.parse_tile(payload, header.coded_channels, header.version), stream=stream)
    return header.pack() + container.chunk(b"TILE", tile.pack()) + container.chunk(b"IEND", b"")


def test_a_damaged_stream_never_crashes_and_the_file_check_refuses_it(photo_crop, monkeypatch):
    """Bytes flipped inside the adaptive stream, with every length and CRC made right again: the stream decoder
    runs on the damage (each time) and the file is refused with RclError, by the pixel checksum or the stream's
    own end check, never with another exception."""
    img = np.ascontiguousarray(photo_crop[:32, :40])
    data, stream, start = _one_tile_file(img)
    calls = []
    real = adaptive.decode_plane
    monkeypatch.setattr(adaptive, "decode_plane", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert np.array_equal(rc_plugin.decode(data), img) and len(calls) == 1
    # up to 16 bytes before its end: the last few bytes of the flush only place the final value in its range
    positions = sorted({0, 1, 4, len(stream) // 3, len(stream) // 2, len(stream) - 16})
    for pos in positions:
        for bit in (0x01, 0x5A, 0x80):
            bad = bytearray(stream)
            bad[pos] ^= bit
            calls.clear()
            if pos == 0:  # a stream of one range coder starts with 0: any other first byte names split streams
                with pytest.raises(rc_plugin.RclError, match="split"):
                    rc_plugin.decode(_with_stream(data, bytes(bad)))
                continue
            with pytest.raises(rc_plugin.RclError, match="fail the file's checksum|stream ends too early"):
                rc_plugin.decode(_with_stream(data, bytes(bad)))
            assert calls == [1], "the stream decoder never saw the damage"
    # the same positions through rcl_testutil.recrc, which mends the CRCs of a file flipped in place
    assert_flips_never_give_a_wrong_image(data, [start + p for p in positions], img, 0x5A)


@pytest.mark.parametrize("name", ["noise", "gradient", "extremes", "one_row", "grey"])
def test_the_stream_decoder_refuses_a_stream_cut_short(name):
    """A stream the decoder reads more than 8 bytes past is refused by the stream decoder itself (RclError "ends
    too early"), not left to the file's checksum to refuse."""
    img = images()[name]
    data = adaptive.encode_plane(img)
    assert len(data) > 40
    for cut in (0, 3, 8, len(data) // 4, len(data) // 2, len(data) - 12):
        with pytest.raises(rc_plugin.RclError, match="ends too early"):
            adaptive.decode_plane(data[:cut], *img.shape)


@pytest.mark.parametrize("name", ["noise", "photo"])
def test_every_cut_of_the_stream_in_a_file_is_refused(name, photo_crop):
    """Every cut of the adaptive stream inside a well-formed file (lengths and CRCs made right) is refused with
    RclError, unless what was cut is zero bytes, which the decoder reads back as zeros anyway: then the file
    decodes exactly."""
    img = images()["noise"] if name == "noise" else np.ascontiguousarray(photo_crop[40:60, 50:80])
    data, stream, _ = _one_tile_file(img)
    assert len(stream) > 40
    exact = []
    for cut in range(len(stream)):
        try:
            out = rc_plugin.decode(_with_stream(data, stream[:cut]))
        except rc_plugin.RclError:
            continue
        assert not any(stream[cut:]), f"a stream cut to {cut} of {len(stream)} bytes decoded without an error"
        assert np.array_equal(out, img)
        exact.append(cut)
    assert len(exact) < 4, exact


@pytest.mark.slow  # compiles the coder from scratch: about 10-20 s
def test_works_where_nothing_can_be_cached(tmp_path):
    """A read-only install: no __pycache__ can be made beside the package and numba's cache folder cannot be
    created, so the coder compiles in memory and still codes exactly."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    package = Path(adaptive.__file__).parents[1]  # rc_plugin/, above the adaptive coder's folder
    shutil.copytree(package, tmp_path / "rc_plugin", ignore=shutil.ignore_patterns("__pycache__", "_jitcache"))
    for folder in [tmp_path / "rc_plugin", *(p for p in (tmp_path / "rc_plugin").iterdir() if p.is_dir())]:
        (folder / "__pycache__").write_bytes(b"")  # a file: no cache folder can be made there
    env = {**os.environ, "NUMBA_CACHE_DIR": "/proc/rcl-no-cache", "PYTHONDONTWRITEBYTECODE": "1"}
    code = ("import numpy as np, rc_plugin; a = (np.arange(24 * 30 * 3) % 251).astype(np.uint8).reshape(24, 30, 3); "
            f"assert rc_plugin.__file__.startswith({str(tmp_path)!r}); "
            "assert (rc_plugin.decode(rc_plugin.encode(a)) == a).all()")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
