"""rcl encode/decode --scheduler and rc_plugin.files.distributed on a real dask.distributed LocalCluster (two worker
processes, one per module): a bad file among good ones, a rerun that does only what is left, outputs that decode
exactly, the Python entry point's per-file results, and dask never imported unless asked for."""
import faulthandler
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

distributed = pytest.importorskip("distributed")

import rc_plugin  # noqa: E402
from rc_plugin.files import cli  # noqa: E402
from rc_plugin.files import distributed as rcl_dask  # noqa: E402

GUARD_S = 120  # no test here may hang: past this the whole run stops with every thread's traceback


@pytest.fixture(autouse=True)
def guard():
    faulthandler.dump_traceback_later(GUARD_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of two single-threaded worker processes."""
    faulthandler.dump_traceback_later(GUARD_S, exit=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc:
        faulthandler.cancel_dump_traceback_later()
        yield lc.scheduler_address


@pytest.fixture
def folder(tmp_path, photo_crop):
    """photos/ with three 40x56 crops (one grey, in a subfolder) and a file that is no image; {name: pixels}."""
    src = tmp_path / "photos"
    (src / "sub").mkdir(parents=True)
    images = {
        "a.png": photo_crop[:40, :56],
        "c.png": photo_crop[50:90, 60:116],
        "sub/b.png": np.asarray(Image.fromarray(photo_crop[20:60, 30:86]).convert("L")),
    }
    for rel, pixels in images.items():
        Image.fromarray(pixels).save(src / rel)
    (src / "broken.png").write_bytes(b"not an image at all")
    return src, images


def rcl(capsys, *args) -> tuple[int, str]:
    """rcl run in this process: (exit status, stderr)."""
    capsys.readouterr()
    status = cli.main([str(a) for a in args])
    return status, capsys.readouterr().err


@contextmanager
def tasks_run_by_workers(client):
    """While inside, the scheduler records the tasks its workers run; on leaving, the list yielded holds (file name,
    kind) of each rcl task run, each checked to have run in a worker process (not this one)."""
    pids = client.run(os.getpid)  # {worker address: pid}
    assert pids and os.getpid() not in pids.values()
    found = []
    with distributed.get_task_stream(client) as stream:
        yield found
    for record in stream.data:
        match = re.fullmatch(r"rcl-(encode|decode)-\d+-(.+)-[0-9a-f]{8}", str(record["key"]))
        if match:
            assert pids[record["worker"]] != os.getpid()
            found.append((match[2], match[1]))
    found.sort()


def test_dask_cli_encode_decode_a_bad_file_and_a_rerun(tmp_path, capsys, scheduler, folder):
    src, images = folder
    archive = tmp_path / "archive"
    with distributed.Client(scheduler, timeout=30) as watcher, tasks_run_by_workers(watcher) as tasks:
        status, err = rcl(capsys, "encode", src, "-o", archive, "--scheduler", scheduler, "--verify")
    assert status == 1 and "broken.png" in err and "3 of 4 files done" in err, err
    assert tasks == [(name, "encode") for name in ("a.png", "b.png", "broken.png", "c.png")]
    assert "file" in err  # the progress bar counts files
    rcls = sorted(str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file())
    assert rcls == ["a.rcl", "c.rcl", "sub/b.rcl"]  # the tree mirrored, no .part left behind

    # an interrupted run: c.rcl never written. Run again: only c is coded, the others are kept untouched
    (archive / "c.rcl").unlink()
    (src / "broken.png").unlink()
    before = (archive / "a.rcl").stat().st_mtime_ns
    status, err = rcl(capsys, "encode", src, "-o", archive, "--scheduler", scheduler)
    assert status == 1 and "a.rcl exists (use --force" in err and "1 of 1 files done" in err, err
    assert (archive / "c.rcl").is_file() and (archive / "a.rcl").stat().st_mtime_ns == before
    # --skip-existing counts them as done: exit 0, one line, no cluster work
    status, err = rcl(capsys, "encode", src, "-o", archive, "--scheduler", scheduler, "--skip-existing")
    assert status == 0 and "3 of the outputs exist already, skipped as done" in err, err

    # decode on the workers, with a corrupt .rcl among the good ones
    data = bytearray((archive / "a.rcl").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (archive / "z.rcl").write_bytes(bytes(data))
    restored = tmp_path / "restored"
    with distributed.Client(scheduler, timeout=30) as watcher, tasks_run_by_workers(watcher) as tasks:
        status, err = rcl(capsys, "decode", archive, "-o", restored, "--scheduler", scheduler)
    assert status == 1 and "z.rcl" in err and "3 of 4 files done" in err, err
    assert tasks == [(name, "decode") for name in ("a.rcl", "b.rcl", "c.rcl", "z.rcl")]
    assert not (restored / "z.png").exists()
    for rel, pixels in images.items():
        assert np.array_equal(np.asarray(Image.open(restored / rel)), pixels), rel


def test_dask_cli_refusals_come_before_any_work(tmp_path, capsys, scheduler, folder, monkeypatch):
    src, _ = folder
    shutil.copy(src / "a.png", src / "sub" / "a.png")
    status, err = rcl(capsys, "encode", src / "a.png", src / "sub" / "a.png", "-o", tmp_path / "out",
                      "--scheduler", scheduler)
    assert status == 2 and str(src / "a.png") in err and str(src / "sub" / "a.png") in err
    assert not (tmp_path / "out").exists()

    monkeypatch.setattr(rcl_dask, "CONNECT_TIMEOUT_S", 1)
    status, err = rcl(capsys, "encode", src / "a.png", "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert status == 2 and "cannot reach the dask scheduler at tcp://127.0.0.1:9" in err, err
    assert not (tmp_path / "out").exists()

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    status, err = rcl(capsys, "encode", src / "a.png", "-o", tmp_path / "out", "--scheduler", scheduler)
    assert status == 2 and 'pip install ".[dask]"' in err, err
    assert not (tmp_path / "out").exists()
    with pytest.raises(rc_plugin.RclError, match=r'pip install "\.\[dask\]"'):
        rcl_dask.encode_files([src / "a.png"], tmp_path / "out", scheduler="local")


def test_dask_scheduler_local(tmp_path, capsys, folder, monkeypatch):
    """--scheduler local: rcl starts a LocalCluster of its own, and the file is coded by its worker process."""
    src, images = folder
    tasks = []
    connect = rcl_dask.connect

    @contextmanager
    def watched(*args, **kwargs):  # the real connect, the scheduler's task records kept on the way out
        with connect(*args, **kwargs) as client, tasks_run_by_workers(client) as found:
            yield client
        tasks.extend(found)

    monkeypatch.setattr(rcl_dask, "connect", watched)
    status, err = rcl(capsys, "encode", src / "a.png", "-o", tmp_path / "a.rcl", "--scheduler", "local", "-j", "1")
    assert status == 0 and "1 of 1 files done" in err, err
    assert tasks == [("a.png", "encode")]
    assert np.array_equal(rc_plugin.decode((tmp_path / "a.rcl").read_bytes()), images["a.png"])


def test_dask_python_entry_point_results(tmp_path, scheduler, folder):
    src, images = folder
    with distributed.Client(scheduler, timeout=30) as client:
        results = rcl_dask.encode_files([src], tmp_path / "archive", scheduler=client, timeout=GUARD_S)
        assert [os.path.relpath(r.source, src) for r in results] == ["a.png", "broken.png", "c.png", "sub/b.png"]
        bad = results[1]
        assert bad.error and "broken.png" in bad.error and not bad.ok and bad.bytes_out == 0 and bad.bpsp is None
        for r in results[:1] + results[2:]:
            assert r.ok and not r.skipped and r.seconds > 0, r
            data = open(r.target, "rb").read()
            assert r.bytes_out == len(data) and r.bytes_in == os.path.getsize(r.source)
            assert r.bpsp == pytest.approx(rc_plugin.info(data)["bpsp"])
        again = rcl_dask.encode_files([src], tmp_path / "archive", scheduler=client, timeout=GUARD_S)
        assert [r.skipped for r in again] == [True, False, True, True] and again[1].error
        # files not done within the timeout (both workers busy) come back as failures, and nothing is left queued
        busy = [client.submit(time.sleep, 2, pure=False) for _ in range(2)]
        late = rcl_dask.encode_files([src], tmp_path / "late", scheduler=client, timeout=0.3)
        assert [r.error for r in late] == ["not done within 0.3 s"] * 4
        distributed.wait(busy, timeout=30)

        decoded = rcl_dask.decode_files(tmp_path / "archive", tmp_path / "tif", format="tiff", scheduler=client,
                                        timeout=GUARD_S)
    assert all(r.ok for r in decoded) and [r.bpsp for r in decoded] == [r.bpsp for r in results if r.ok]
    for r, rel in zip(decoded, ["a.png", "c.png", "sub/b.png"]):
        assert r.target == str(tmp_path / "tif" / rel.replace(".png", ".tiff"))
        assert np.array_equal(np.asarray(Image.open(r.target)), images[rel])
    # without a scheduler the same runs in this process
    here = rcl_dask.decode_files([tmp_path / "archive" / "a.rcl"], tmp_path / "here.png")
    assert here[0].ok and np.array_equal(np.asarray(Image.open(tmp_path / "here.png")), images["a.png"])


def test_dask_is_never_imported_unless_asked_for(tmp_path, photo_crop):
    Image.fromarray(photo_crop[:24, :32]).save(tmp_path / "x.png")
    code = (
        "import sys, rc_plugin, rc_plugin.files.distributed\n"
        "from rc_plugin.files import cli\n"
        f"assert cli.main(['encode', {str(tmp_path / 'x.png')!r}, '--quiet']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
    assert (tmp_path / "x.rcl").is_file()
