"""The rcl command on a folder with one corrupt file in it."""
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image


def rcl(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rc_plugin", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_encode_decode_folder_with_a_bad_file(tmp_path, photo_crop):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(photo_crop).save(src / "a.png")
    Image.fromarray(photo_crop[:33, :21]).convert("L").save(src / "sub" / "b.png")
    (src / "broken.png").write_bytes(b"not an image at all")

    enc = rcl("encode", src, "-o", tmp_path / "rcl", "--q", 16, "-j", 2, "--verify")
    assert enc.returncode == 1  # one file failed
    assert "broken.png" in enc.stderr
    assert "2 of 3 files done" in enc.stderr
    assert sorted(p.name for p in (tmp_path / "rcl").rglob("*")) == ["a.rcl", "b.rcl", "sub"]
    assert not list((tmp_path / "rcl").rglob("*.part"))

    again = rcl("encode", src / "a.png", "-o", tmp_path / "rcl")
    assert again.returncode == 1 and "exists" in again.stderr

    # a corrupt .rcl among good ones: reported, the rest decoded
    shutil.copy(tmp_path / "rcl" / "a.rcl", tmp_path / "rcl" / "c.rcl")
    data = bytearray((tmp_path / "rcl" / "c.rcl").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "rcl" / "c.rcl").write_bytes(bytes(data))
    dec = rcl("decode", tmp_path / "rcl", "-o", tmp_path / "out")
    assert dec.returncode == 1 and "c.rcl" in dec.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "a.png")), photo_crop)
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "out" / "sub" / "b.png")),
        np.asarray(Image.fromarray(photo_crop[:33, :21]).convert("L")),
    )
    assert not (tmp_path / "out" / "c.png").exists()

    info = rcl("info", tmp_path / "rcl" / "a.rcl", "--json")
    assert info.returncode == 0 and '"q": 16' in info.stdout


def test_info_device():
    out = rcl("info", "--device")
    assert out.returncode == 0 and "ExecutionProvider" in out.stdout


def test_single_file_progress_and_lossless_outputs_only(tmp_path, photo_crop):
    Image.fromarray(photo_crop).save(tmp_path / "one.png")
    enc = rcl("encode", tmp_path / "one.png", "--q", 15)
    assert enc.returncode == 0 and "tile" in enc.stderr  # per-tile progress for a single file
    bad = rcl("decode", tmp_path / "one.rcl", "--format", "jpg")
    assert bad.returncode == 2 and "lossless" in bad.stderr
    for fmt in ("tiff", "webp"):
        dec = rcl("decode", tmp_path / "one.rcl", "--format", fmt)
        assert dec.returncode == 0, dec.stderr
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"one.{fmt}")), photo_crop)


def test_effort_option(tmp_path, photo_crop):
    Image.fromarray(photo_crop).save(tmp_path / "e.png")
    fast = rcl("encode", tmp_path / "e.png", "-e", 1, "-o", tmp_path / "e1", "--verify")
    refined = rcl("encode", tmp_path / "e.png", "-o", tmp_path / "e2", "--verify")
    assert fast.returncode == 0 and refined.returncode == 0, fast.stderr + refined.stderr
    # this image is small enough to be searched whole, so the default is never larger
    assert (tmp_path / "e2" / "e.rcl").stat().st_size <= (tmp_path / "e1" / "e.rcl").stat().st_size
    bad = rcl("encode", tmp_path / "e.png", "-e", 3, "-o", tmp_path / "e3")
    assert bad.returncode == 2 and "effort must be 1" in bad.stderr
