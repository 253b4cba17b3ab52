"""Hostile files, failing tools, concurrency and determinism."""
import io
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import rc_plugin
from rc_plugin.mixture import lossy, released, runtime
from rcl_testutil import first_tile, mostly_grey, recrc, tile_kinds, tiles, wide_part_kinds

FUZZ_EXAMPLES = int(os.environ.get("RCL_FUZZ_EXAMPLES", "150"))
MUTATIONS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=4)


def fuzz_settings(examples: int):
    # deadline: far over ten times the slowest example (a whole decode of a seed, measured 0.039 s:
    # python tests/measure_thresholds.py seed_decode_seconds), so a loaded machine never fails an example
    return settings(max_examples=examples, deadline=10000, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def seeds(photo_crop):
    """Valid files to mutate: mixture files (RGB, grey with alpha, a multi-tile one with metadata, one with the grey
    shortcut), adaptive files (RGB, a multi-tile RGBA one, multi-tile ones of tuned tiles with the grid preset and
    with secondary estimation, and of learned tuned tiles)
    and 16-bit files (tokens from the logistic, a multi-tile RGBA one with alpha parts and tokens from adaptive counts,
    generic rows of full-range noise, a table of sparse levels)."""
    from make_golden import retuned

    a = rc_plugin.encode(photo_crop[:24, :40], q=16)
    b = rc_plugin.encode(np.dstack([photo_crop[:20, :20, 0], photo_crop[:20, :20, 1]]), q=18)
    from rc_plugin import codec

    old = codec.TILE
    codec.TILE = dict.fromkeys(old, 16)
    rgba = np.dstack([photo_crop[:20, :36], photo_crop[:20, :36, 1] // 64 * 85])
    wide_rgba = (np.dstack([photo_crop[:20, :36], photo_crop[:20, :36, 1] // 64 * 85]).astype(np.int64) * 257
                 + np.random.default_rng(5).integers(0, 200, (20, 36, 4))).astype(np.uint16)
    try:
        c = rc_plugin.encode(photo_crop[:20, :36], q=14, icc_profile=b"icc", xmp=b"<x/>")
        f = rc_plugin.encode(rgba)
        h = rc_plugin.encode(wide_rgba)
        k = retuned(rc_plugin.encode(photo_crop[:20, :36]), 2)  # format 11: each tile's calibration per grid position
        sse = retuned(rc_plugin.encode(photo_crop[:20, :36]), 4)  # format 12: secondary estimation's tables
        # format 13: the learned mixer with the grid preset, channels in order B, G, R
        learned = retuned(rc_plugin.encode(photo_crop[:20, :36]), 2, 1, mixer=1)
    finally:
        codec.TILE = old
    e = rc_plugin.encode(photo_crop[:24, :40])
    d_img = mostly_grey(photo_crop[:32, :48])
    d = rc_plugin.encode(d_img, q=16)
    assert first_tile(d).grey, "seed without the grey shortcut"
    rng = np.random.default_rng(4)
    wide_rgb = ((photo_crop[:24, :40].astype(np.int64) << 4) + rng.integers(0, 16, (24, 40, 3))).astype(np.uint16)
    noise = rng.integers(0, 65536, (12, 10, 3)).astype(np.uint16)
    y, x = np.mgrid[0:24, 0:32]
    levels = np.cumsum(rng.integers(150, 170, 300))[np.clip(12 * y + 3 * x + rng.integers(-3, 4, y.shape), 0, 299)]
    g, i, j = (rc_plugin.encode(arr) for arr in (wide_rgb, noise, levels.astype(np.uint16)))
    assert [wide_part_kinds(x) for x in (g, i, j)] == [["offset:logistic"], ["offset:rows"], ["table:logistic"]]
    assert len(wide_part_kinds(h)) == 2 * rc_plugin.info(h)["tiles"] > 2 and "offset:stream" in wide_part_kinds(h)
    jpeg_out = io.BytesIO()  # format 15: a JPEG tile, a crop of a decoded JPEG off its grid, with a residual
    Image.fromarray(photo_crop[:48, :64]).save(jpeg_out, "JPEG", quality=70)
    jpeg_pixels = np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(jpeg_out.getvalue())))[3:43, 5:61])
    jp = rc_plugin.encode(jpeg_pixels)
    assert tile_kinds(jp) == ["jpeg"] and tiles(jp)[0].residual is not None
    originals = {a: photo_crop[:24, :40], c: photo_crop[:20, :36], d: d_img, e: photo_crop[:24, :40], f: rgba,
                 g: wide_rgb, h: wide_rgba, i: noise, j: levels.astype(np.uint16), k: photo_crop[:20, :36],
                 sse: photo_crop[:20, :36], learned: photo_crop[:20, :36], jp: jpeg_pixels}
    originals[b] = rc_plugin.decode(b)
    return originals


def _mutate(data: bytes, ops) -> bytes:
    raw = bytearray(data)
    for kind, pos, value in ops:
        if not raw:
            break
        pos %= len(raw)
        if kind == 0:
            raw[pos] ^= value or 1
        elif kind == 1:
            del raw[pos:]
        elif kind == 2:
            raw[pos:pos] = bytes([value]) * (value % 7 + 1)
        else:
            del raw[pos : pos + value % 16 + 1]
    return bytes(raw)


def check_outcome(data: bytes, *expected: np.ndarray) -> None:
    """The only allowed outcomes: RclError, or exactly the image of the seed file that was mutated (for a splice
    of two seeds, that of either); another seed's image is a wrong image too."""
    try:
        out = rc_plugin.decode(data)
    except rc_plugin.RclError:
        return
    assert any(out.shape == o.shape and np.array_equal(out, o) for o in expected), "wrong pixels returned"


SEEDS = 14  # the seeds fixture's files, each fuzzed on its own


def test_every_seed_is_fuzzed(seeds):
    assert len(seeds) == SEEDS


@pytest.mark.parametrize("which", range(SEEDS))
@fuzz_settings(max(20, FUZZ_EXAMPLES // 3))
@given(ops=MUTATIONS)
def test_fuzz_decode(seeds, which, ops):
    data = list(seeds)[which]
    check_outcome(_mutate(data, ops), seeds[data])


@pytest.mark.parametrize("which", range(SEEDS))
@fuzz_settings(max(20, FUZZ_EXAMPLES // 3))
@given(ops=MUTATIONS)
def test_fuzz_decode_past_the_crcs(seeds, which, ops):
    """Mutations with every CRC made valid again, so the deeper parsing and decoding must cope."""
    data = list(seeds)[which]
    check_outcome(recrc(_mutate(data, ops)), seeds[data])


@fuzz_settings(max(20, FUZZ_EXAMPLES // 5))
@given(which=st.integers(0, SEEDS - 1), other=st.integers(0, SEEDS - 1), cut_a=st.integers(0, 1 << 16),
       cut_b=st.integers(0, 1 << 16))
def test_fuzz_splice(seeds, which, other, cut_a, cut_b):
    a, b = list(seeds)[which], list(seeds)[other]
    data = a[: cut_a % (len(a) + 1)] + b[cut_b % (len(b) + 1) :]
    check_outcome(data, seeds[a], seeds[b])


def test_check_outcome_refuses_another_seeds_image(seeds):
    """The helper itself: a file that decodes to a seed's image passes only as that seed's mutation."""
    a, b = list(seeds)[:2]
    check_outcome(a, seeds[a])
    check_outcome(a[:-1], seeds[b])  # RclError is always allowed
    with pytest.raises(AssertionError, match="wrong pixels"):
        check_outcome(a, seeds[b])


@fuzz_settings(max(20, FUZZ_EXAMPLES // 5))
@given(ops=MUTATIONS)
def test_fuzz_through_pillow(seeds, ops):
    data = _mutate(list(seeds)[0], ops)
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            out = np.asarray(im)
    except (OSError, SyntaxError, Image.DecompressionBombError):
        return
    assert np.array_equal(out, seeds[list(seeds)[0]]), "wrong pixels returned"


# -- failing BPG tools: real subprocesses that crash, hang or write garbage --------------------------

def _script(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def _temp_leftovers() -> set:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("rcl-bpg-")}


@pytest.mark.parametrize(
    "enc_body, message",
    [
        ("echo 'bpgenc: boom' >&2; exit 3\n", "exit code 3"),
        ("sleep 30\n", "did not finish"),
        ("exit 0\n", "without writing"),
    ],
)
def test_failing_bpgenc(tmp_path, monkeypatch, photo_crop, enc_body, message):
    monkeypatch.setenv("RCL_BPGENC", _script(tmp_path, "bpgenc", enc_body))
    monkeypatch.setenv("RCL_BPGDEC", _script(tmp_path, "bpgdec", "exit 1\n"))
    # ten times the slowest encode through a stand-in bpgenc that fails at once: measured 0.026 s (20 runs;
    # median 0.008 s): python tests/measure_thresholds.py tool_seconds
    monkeypatch.setattr(lossy, "TOOL_TIMEOUT", 0.3)
    before = _temp_leftovers()
    with pytest.raises(rc_plugin.RclError, match=message):
        rc_plugin.encode(photo_crop[:16, :16], lossy="bpg", q=16)
    assert _temp_leftovers() == before


def _fake_bpg_tools(tmp_path, monkeypatch, written: str, dec_body: str) -> None:
    """A bpgenc that writes the given bytes (printf octal escapes) and a bpgdec running dec_body."""
    enc = f'while [ "$1" != "-o" ]; do shift; done; printf "{written}" > "$2"\n'
    monkeypatch.setenv("RCL_BPGENC", _script(tmp_path, "bpgenc", enc))
    monkeypatch.setenv("RCL_BPGDEC", _script(tmp_path, "bpgdec", dec_body))


def test_bpgdec_writing_garbage(tmp_path, monkeypatch, photo_crop):
    # a BPG header of the right size (16x16), and a decoder that writes a non-image
    _fake_bpg_tools(tmp_path, monkeypatch, "BPG\\373\\000\\000\\020\\020", 'echo junk > "$2"\n')
    with pytest.raises(rc_plugin.RclError, match="bpgdec wrote no readable image"):
        rc_plugin.encode(photo_crop[:16, :16], lossy="bpg", q=16)


def test_bpg_header_checked_before_bpgdec(tmp_path, monkeypatch, photo_crop):
    # a BPG that declares a huge picture never reaches bpgdec
    _fake_bpg_tools(tmp_path, monkeypatch, "BPG\\373\\000\\000\\377\\177\\377\\177", "touch /nonexistent/ran\n")
    with pytest.raises(rc_plugin.RclError, match="BPG layer is"):
        rc_plugin.encode(photo_crop[:16, :16], lossy="bpg", q=16)


def test_damaged_weight_file_gives_clear_error(tmp_path):
    """A separate process with a copy of the package whose model file is damaged."""
    import shutil

    pkg = tmp_path / "rc_plugin"
    shutil.copytree(runtime.WEIGHTS.parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    onnx_file = pkg / "weights" / "rc" / released.current_id().hex() / "rc.onnx"
    code = (
        "import numpy as np, rc_plugin\n"
        "try:\n    rc_plugin.encode(np.zeros((8, 8, 3), np.uint8), q=15)\n"
        "except rc_plugin.RclError as e:\n    print('RclError:', e)\n"
    )
    damaged = bytearray(onnx_file.read_bytes())
    damaged[len(damaged) // 2] ^= 1  # one bit of one weight: still loads, but no longer the released model
    onnx_file.write_bytes(bytes(damaged))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert "RclError:" in out.stdout and "damaged" in out.stdout and "reinstall" in out.stdout, out.stderr
    onnx_file.unlink()
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert "RclError:" in out.stdout and "missing" in out.stdout and "rc.onnx" in out.stdout, out.stderr


# -- concurrency and determinism --------------------------------------------------------------------

def test_many_threads_encode_and_decode_exactly(photo_crop):
    images = [np.ascontiguousarray(photo_crop[i * 8 : i * 8 + 40, i * 4 : i * 4 + 48]) for i in range(8)]

    def job(i):
        img = images[i]
        if i % 2:
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="RCL", q=15)
            with Image.open(io.BytesIO(buf.getvalue())) as im:
                return np.array_equal(np.asarray(im), img)
        return np.array_equal(rc_plugin.decode(rc_plugin.encode(img, q=15)), img)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(job, range(len(images))))


@pytest.mark.slow  # two fresh processes: 7.1-10.1 s on 2 CPU cores
def test_same_bytes_after_process_restart(photo_crop, tmp_path):
    np.save(tmp_path / "img.npy", photo_crop)
    code = (
        "import sys, numpy as np, rc_plugin\n"
        f"img = np.load({str(tmp_path / 'img.npy')!r})\n"
        "sys.stdout.buffer.write(rc_plugin.encode(img, q=15, threads=int(sys.argv[1])))\n"
    )
    outs = [subprocess.run([sys.executable, "-c", code, t], capture_output=True).stdout for t in ("1", "2")]
    assert outs[0] == outs[1] == rc_plugin.encode(photo_crop, q=15)


def test_threads_share_the_session_cache_across_device_and_thread_settings(photo_crop, monkeypatch):
    """Decodes with different (device, threads) at once: all exact, one session created per cache key."""
    import onnxruntime as ort

    data = rc_plugin.encode(photo_crop[:40, :48], q=17)
    monkeypatch.setattr(runtime, "_sessions", {})
    created = []
    real = ort.InferenceSession

    def counting(*args, **kwargs):
        created.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", counting)
    settings_ = [("cpu", 1), ("auto", 2), ("cpu", None)] * 3

    def job(setting):
        device, threads = setting
        return np.array_equal(rc_plugin.decode(data, device=device, threads=threads), photo_crop[:40, :48])

    with ThreadPoolExecutor(len(settings_)) as pool:
        assert all(pool.map(job, settings_))
    rc = released.current().onnx
    assert set(runtime._sessions) == {(rc, "cpu", 1), (rc, "auto", 2), (rc, "cpu", 0)}
    assert len(created) == 3, f"{len(created)} sessions created for 3 keys"
    assert len({id(s) for s in runtime._sessions.values()}) == 3
