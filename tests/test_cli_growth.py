"""rcl encode says when an output is larger than its input: each such file named, why a JPEG grows said once a
run, the grown files counted in the summary, and nothing said when nothing grows; the local and the --scheduler
path alike, and nothing of it under --quiet.

The inputs grow or shrink whatever the codec learns: a 1x1 GIF is smaller than an .rcl header alone, a JPEG of a
photo at quality 100 holds fewer bytes than its decoded pixels need losslessly (at lower qualities rcl finds its
coefficients, a JPEG tile, and is smaller), and an uncompressed PPM of a photo crop is
two to four times its .rcl."""
import re

import numpy as np
import pytest
from PIL import Image

from rc_plugin.files import batch
from rc_plugin.format import container
from rcl_testutil import rcl

JPEG_WHY = "rcl keeps its decoded pixels exactly"


@pytest.fixture(scope="module")
def lake(photos) -> Image.Image:
    return Image.fromarray(photos["lake"])


def dot(path) -> None:
    """A 1x1 GIF: always smaller than the .rcl it becomes."""
    Image.new("L", (1, 1), 7).save(path)
    assert path.stat().st_size < container.HEADER_SIZE


def raw(path, pixels) -> None:
    """An uncompressed PPM of a photo crop: always larger than its .rcl."""
    Image.fromarray(pixels).save(path)
    assert path.stat().st_size == pixels.size + len(f"P6\n{pixels.shape[1]} {pixels.shape[0]}\n255\n")


def summary(stderr: str) -> str:
    """The summary line (the last line that counts files done: a cluster may log after it)."""
    lines = [line for line in stderr.splitlines() if " files done, " in line]
    assert lines, stderr
    return lines[-1]


def grown_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "the .rcl is larger than its input" in line]


def assert_named_iff_grown(stderr: str, pairs) -> None:
    """Every (input, output) pair: the input is named exactly when its output is the larger, with both sizes."""
    lines = grown_lines(stderr)
    for src, dst in pairs:
        size_in, size_out = src.stat().st_size, dst.stat().st_size
        mine = [line for line in lines if line.startswith(f"rcl: {src}: ")]
        if size_out > size_in:
            assert len(mine) == 1 and f"{size_in:,} -> {size_out:,} bytes" in mine[0], stderr
        else:
            assert not mine, stderr


def test_a_grown_file_is_named_and_counted(tmp_path, photo_crop):
    src = tmp_path / "in"
    src.mkdir()
    dot(src / "dot.gif")
    raw(src / "raw.ppm", photo_crop)
    out = rcl("encode", src, "-o", tmp_path / "out", "-j", 2)
    assert out.returncode == 0, out.stderr
    assert_named_iff_grown(out.stderr, [(src / "dot.gif", tmp_path / "out" / "dot.rcl"),
                                        (src / "raw.ppm", tmp_path / "out" / "raw.rcl")])
    assert len(grown_lines(out.stderr)) == 1
    assert re.fullmatch(r"2 of 2 files done, \d+ -> \d+ bytes, 1 grew", summary(out.stderr)), out.stderr
    assert JPEG_WHY not in out.stderr  # a GIF that grows is no JPEG


def test_two_jpegs_get_one_explanation(tmp_path, lake):
    src = tmp_path / "in"
    src.mkdir()
    lake.save(src / "lake.jpg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    lake.crop((100, 50, 260, 170)).save(src / "crop.jpeg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    out = rcl("encode", src, "-o", tmp_path / "out", "-j", 2)
    assert out.returncode == 0, out.stderr
    assert_named_iff_grown(out.stderr, [(src / "lake.jpg", tmp_path / "out" / "lake.rcl"),
                                        (src / "crop.jpeg", tmp_path / "out" / "crop.rcl")])
    assert len(grown_lines(out.stderr)) == 2
    assert out.stderr.count(JPEG_WHY) == 1, out.stderr
    assert summary(out.stderr).endswith(", 2 grew"), out.stderr


def test_one_jpeg_in_this_process(tmp_path, lake):
    """A single file runs without the pool: the same lines."""
    lake.save(tmp_path / "lake.jpg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    out = rcl("encode", tmp_path / "lake.jpg")
    assert out.returncode == 0, out.stderr
    assert_named_iff_grown(out.stderr, [(tmp_path / "lake.jpg", tmp_path / "lake.rcl")])
    assert len(grown_lines(out.stderr)) == 1 and out.stderr.count(JPEG_WHY) == 1, out.stderr
    sizes = (tmp_path / "lake.jpg").stat().st_size, (tmp_path / "lake.rcl").stat().st_size
    assert summary(out.stderr) == f"1 of 1 files done, {sizes[0]} -> {sizes[1]} bytes, 1 grew", out.stderr


def test_nothing_is_said_when_nothing_grows(tmp_path, photo_crop):
    src = tmp_path / "in"
    src.mkdir()
    raw(src / "a.ppm", photo_crop)
    raw(src / "b.ppm", np.ascontiguousarray(photo_crop[:48, ::-1]))
    out = rcl("encode", src, "-o", tmp_path / "out", "-j", 2)
    assert out.returncode == 0, out.stderr
    assert not grown_lines(out.stderr) and JPEG_WHY not in out.stderr and "grew" not in out.stderr, out.stderr
    assert re.fullmatch(r"2 of 2 files done, \d+ -> \d+ bytes", summary(out.stderr)), out.stderr
    single = rcl("encode", src / "a.ppm", "-o", tmp_path / "one.rcl")
    assert single.returncode == 0 and "grew" not in single.stderr and "larger" not in single.stderr, single.stderr


def test_quiet_says_none_of_it(tmp_path, lake):
    src = tmp_path / "in"
    src.mkdir()
    lake.save(src / "lake.jpg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    dot(src / "dot.gif")
    out = rcl("encode", src, "-o", tmp_path / "out", "--quiet")
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert (tmp_path / "out" / "lake.rcl").stat().st_size > (src / "lake.jpg").stat().st_size


def test_many_grown_files_are_named_then_counted(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    n = batch.GROWN_NAMED + 2
    for i in range(n):
        dot(src / f"dot{i:02d}.gif")
    out = rcl("encode", src, "-o", tmp_path / "out", "-j", 2)
    assert out.returncode == 0, out.stderr
    assert len(grown_lines(out.stderr)) == batch.GROWN_NAMED, out.stderr
    assert "... and 2 more outputs are larger than their inputs" in out.stderr
    assert summary(out.stderr).endswith(f", {n} grew"), out.stderr


def test_decode_says_nothing_of_growth(tmp_path, photo_crop):
    """A decoded image is meant to be larger than its .rcl: nothing to say."""
    raw(tmp_path / "a.ppm", photo_crop)
    assert rcl("encode", tmp_path / "a.ppm").returncode == 0
    out = rcl("decode", tmp_path / "a.rcl", "--format", "bmp")
    assert out.returncode == 0 and (tmp_path / "a.bmp").stat().st_size > (tmp_path / "a.rcl").stat().st_size
    assert "grew" not in out.stderr and "larger" not in out.stderr, out.stderr


def test_dask_path_names_and_counts_the_same(tmp_path, lake, photo_crop):
    pytest.importorskip("distributed")
    src = tmp_path / "in"
    src.mkdir()
    lake.save(src / "lake.jpg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    lake.crop((100, 50, 260, 170)).save(src / "crop.jpg", quality=100)  # at quality 100 the JPEG tile does not pay: the file grows
    dot(src / "dot.gif")
    raw(src / "raw.ppm", photo_crop)
    out = rcl("encode", src, "-o", tmp_path / "out", "--scheduler", "local", "-j", 2)
    assert out.returncode == 0, out.stderr
    names = ("lake", "crop", "dot", "raw")
    assert_named_iff_grown(out.stderr, [(next(src.glob(f"{n}.*")), tmp_path / "out" / f"{n}.rcl") for n in names])
    assert len(grown_lines(out.stderr)) == 3 and out.stderr.count(JPEG_WHY) == 1, out.stderr
    assert re.fullmatch(r"4 of 4 files done, \d+ -> \d+ bytes, 3 grew", summary(out.stderr)), out.stderr
