"""Where the rcl command writes: the file -o names, folders mirrored, and never two inputs on one output."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rc_plugin.files import batch
from rcl_testutil import rcl


@pytest.fixture
def small(photo_crop):
    return photo_crop[:24, :32].copy()


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_one_input_and_a_file_name_writes_that_file(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "in.png")
    enc = rcl("encode", tmp_path / "in.png", "-o", tmp_path / "x.rcl", "-q", 20)
    assert enc.returncode == 0, enc.stderr
    assert (tmp_path / "x.rcl").is_file() and not (tmp_path / "in.rcl").exists()
    dec = rcl("decode", tmp_path / "x.rcl", "-o", tmp_path / "out.png")
    assert dec.returncode == 0, dec.stderr
    assert (tmp_path / "out.png").is_file()
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), small)
    # the output's suffix picks the format
    dec = rcl("decode", tmp_path / "x.rcl", "-o", tmp_path / "out.tif")
    assert dec.returncode == 0 and Image.open(tmp_path / "out.tif").format == "TIFF"
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.tif")), small)


def test_an_existing_folder_stays_a_folder(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "in.png")
    (tmp_path / "x.rcl").mkdir()
    enc = rcl("encode", tmp_path / "in.png", "-o", tmp_path / "x.rcl", "-q", 20)
    assert enc.returncode == 0, enc.stderr
    assert (tmp_path / "x.rcl" / "in.rcl").is_file()
    enc = rcl("encode", tmp_path / "in.png", "-o", tmp_path / "folder", "-q", 20)  # no .rcl suffix: a folder
    assert enc.returncode == 0 and (tmp_path / "folder" / "in.rcl").is_file()


def test_same_names_from_two_folders_are_refused_and_nothing_written(tmp_path, small):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        Image.fromarray(small).save(tmp_path / sub / "x.png")
    out = rcl("encode", tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o", tmp_path / "out", "-q", 20)
    assert out.returncode == 2
    assert str(tmp_path / "a" / "x.png") in out.stderr and str(tmp_path / "b" / "x.png") in out.stderr
    assert not (tmp_path / "out").exists()
    # two folders whose trees hold the same relative name
    out = rcl("encode", tmp_path / "a", tmp_path / "b", "-o", tmp_path / "out", "-q", 20)
    assert out.returncode == 2 and "x.png" in out.stderr and not (tmp_path / "out").exists()


def test_png_beside_jpg_of_the_same_name_is_refused(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    Image.fromarray(small).save(tmp_path / "x.jpg", quality=95)
    out = rcl("encode", tmp_path, "-q", 20)
    assert out.returncode == 2
    assert str(tmp_path / "x.png") in out.stderr and str(tmp_path / "x.jpg") in out.stderr
    assert not list(tmp_path.glob("*.rcl"))


def test_the_same_file_twice_is_coded_once(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    out = rcl("encode", tmp_path / "x.png", tmp_path / "x.png", "-o", tmp_path / "out", "-q", 20)
    assert out.returncode == 0, out.stderr
    assert files_under(tmp_path / "out") == ["x.rcl"]


def test_existing_output_is_kept_without_force(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    (tmp_path / "x.rcl").write_bytes(b"keep me")
    out = rcl("encode", tmp_path / "x.png", "-q", 20)
    assert out.returncode == 1 and "exists" in out.stderr
    assert (tmp_path / "x.rcl").read_bytes() == b"keep me"
    out = rcl("encode", tmp_path / "x.png", "-q", 20, "--force")
    assert out.returncode == 0 and (tmp_path / "x.rcl").read_bytes().startswith(b"\x89RCL")


def test_a_folder_tree_is_mirrored(tmp_path, small):
    src = tmp_path / "photos"
    for rel in ("top.png", "2024/a.png", "2024/june/b.png", "2025/a.png"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(small).save(src / rel)
    enc = rcl("encode", src, "-o", tmp_path / "archive", "-q", 20, "-j", 2)
    assert enc.returncode == 0, enc.stderr
    assert files_under(tmp_path / "archive") == ["2024/a.rcl", "2024/june/b.rcl", "2025/a.rcl", "top.rcl"]
    dec = rcl("decode", tmp_path / "archive", "-o", tmp_path / "restored", "-j", 2)
    assert dec.returncode == 0, dec.stderr
    assert files_under(tmp_path / "restored") == ["2024/a.png", "2024/june/b.png", "2025/a.png", "top.png"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "restored" / "2024" / "june" / "b.png")), small)


def test_help_says_what_o_means():
    out = rcl("encode", "--help")
    assert "an .rcl name writes that file" in " ".join(out.stdout.split())


def test_info_says_the_coder_and_the_model_only_where_one_is_needed(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    assert rcl("encode", tmp_path / "x.png", "-o", tmp_path / "a.rcl").returncode == 0
    assert rcl("encode", tmp_path / "x.png", "-o", tmp_path / "m.rcl", "-q", 20).returncode == 0
    adaptive, mixture = rcl("info", tmp_path / "a.rcl").stdout, rcl("info", tmp_path / "m.rcl").stdout
    assert ("adaptive coder" in adaptive or "tuned coder" in adaptive) and "model" not in adaptive
    assert "Q=" not in adaptive
    assert "mixture coder" in mixture and "hevc Q=20" in mixture and "model" in mixture


def test_a_rerun_of_a_big_batch_names_ten_kept_outputs_then_counts(capsys):
    """The local and the --scheduler paths alike (rc_plugin.files.batch.report_kept): no Dask needed to check it."""
    kept = [(Path(f"in/{i}.png"), Path(f"out/{i}.rcl")) for i in range(25)]
    batch.report_kept(kept, skip_existing=False, quiet=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[:10] == [f"rcl: out/{i}.rcl exists (use --force to overwrite)" for i in range(10)]
    assert len(lines) == 11 and "15 more outputs exist and were kept" in lines[10]
    batch.report_kept(kept, skip_existing=True, quiet=False)
    assert capsys.readouterr().err == "rcl: 25 of the outputs exist already, skipped as done\n"


def test_refusals_before_any_work(tmp_path, small):
    """-o naming an existing file for several inputs, an output that would replace its own input, and inputs with
    nothing to code are each said up front, with nothing written."""
    for name in ("a.png", "b.png"):
        Image.fromarray(small).save(tmp_path / name)
    (tmp_path / "notes.rcl").write_text("mine")
    out = rcl("encode", tmp_path / "a.png", tmp_path / "b.png", "-o", tmp_path / "notes.rcl", "--force")
    assert out.returncode == 2 and "is a file" in out.stderr and (tmp_path / "notes.rcl").read_text() == "mine"
    assert rcl("encode", tmp_path / "a.png", "-o", tmp_path / "a.rcl").returncode == 0
    stored = (tmp_path / "a.rcl").rename(tmp_path / "d.png").read_bytes()  # an .rcl file named like a PNG
    out = rcl("decode", tmp_path / "d.png", "-o", tmp_path / "d.png", "--force")  # decoded onto itself
    assert out.returncode == 2 and "its own output" in out.stderr and (tmp_path / "d.png").read_bytes() == stored
    (tmp_path / "empty").mkdir()
    out = rcl("encode", tmp_path / "empty")
    assert out.returncode == 1 and "no images found" in out.stderr


def test_an_interrupted_batch_stops_at_once_and_leaves_no_partial_file(tmp_path, photo_crop):
    """Ctrl-C (SIGINT to the command's process group, as a terminal sends it) during a run of many files: the
    queued files do not start, the workers end, no temporary file is left, and every output written decodes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import rc_plugin

    rng = np.random.default_rng(5)
    (tmp_path / "in").mkdir()
    for i in range(16):  # noise: slow to code, so the run is still going when interrupted
        Image.fromarray(rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)).save(tmp_path / "in" / f"n{i:02}.png")
    # SIGINT as a terminal's command gets it: a shell without job control starts background commands (a CI
    # runner's, say) with SIGINT ignored, which their children inherit
    run = subprocess.Popen([sys.executable, "-m", "rc_plugin", "encode", tmp_path / "in", "-o", tmp_path / "out",
                            "-j", "2", "--quiet"], stderr=subprocess.PIPE, text=True, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("*.rcl")) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    stderr = run.communicate(timeout=60)[1]
    time.sleep(1)
    left = subprocess.run(["pgrep", "-g", str(run.pid)], capture_output=True, text=True).stdout.split()
    written = sorted((tmp_path / "out").glob("*.rcl"))
    assert run.returncode == 130 and "interrupted" in stderr, stderr
    assert not left, f"worker processes left running: {left}"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]
    assert 1 <= len(written) < 16  # it stopped: the queued files did not start
    for path in written:
        src = np.asarray(Image.open(tmp_path / "in" / path.with_suffix(".png").name))
        assert np.array_equal(rc_plugin.decode(path.read_bytes()), src)
