"""Many files on many machines: one dask.distributed task per file, with the local batch's guarantees.

The files are planned here as ``rcl`` plans them (rc_plugin.files.batch.plan: every input mapped to
its output before any work, two inputs on one output refused, existing outputs kept unless
``force``), then each file is coded by a task on some worker, which reads its input and
writes its output under a temporary name and renames it (batch.write_atomic), so inputs
and outputs must be paths every worker can reach (a shared file system; they are made
absolute before they are sent). A bad file comes back as a result with its error while the
rest go on; a run stopped half way can be run again and does only what is left.

Dask stays optional: nothing here imports it until a scheduler is asked for.
``scheduler`` is a ``distributed.Client``, a scheduler address (``tcp://host:8786``),
``"local"`` (a LocalCluster of this machine's cores, one single-threaded worker process
each, closed afterwards) or None: the files are then coded in this process one after
another, without dask (for a handful of files, or to debug).
"""
from __future__ import annotations

import dataclasses
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import batch
from .. import options
from ..errors import RclError
from ..parallel import usable_cores

INSTALL = 'pip install ".[dask]"'
#: How long to wait for a scheduler to answer.
CONNECT_TIMEOUT_S = 15


@dataclasses.dataclass(frozen=True)
class FileResult:
    """What became of one file. bpsp is the .rcl file's bits per subpixel (its source's for decode); error is the
    reason it failed (None when done); skipped: its output existed and was kept (force off), nothing was run."""

    source: str
    target: str
    bytes_in: int = 0
    bytes_out: int = 0
    bpsp: float | None = None
    seconds: float = 0.0
    error: str | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def require_dask() -> None:
    """RclError naming the install command when dask.distributed cannot be imported."""
    try:
        import distributed  # noqa: F401  (the top-level package, not this module)
    except ImportError as exc:
        raise RclError(f"distributed coding needs dask.distributed, not installed ({exc}): {INSTALL}") from None


@contextmanager
def connect(scheduler: Any, n_workers: int | None = None) -> Iterator[Any]:
    """A distributed.Client for scheduler: a Client is used as it is (and left open), "local" starts a LocalCluster
    of n_workers single-threaded worker processes (default: one per core of this machine), an address connects to
    that scheduler; what is started here is closed on leaving."""
    require_dask()
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler == "local":
        with LocalCluster(n_workers=n_workers or usable_cores(), threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(str(scheduler), timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RclError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    with client:
        yield client


def _bpsp(kind: str, src: str, dst: str, size_in: int, size_out: int) -> float | None:
    """Bits per subpixel of the .rcl side of a job (the output of an encode, the input of a decode)."""
    from ..format.container import HEADER_SIZE, parse_header

    rcl_path, size = (dst, size_out) if kind == "encode" else (src, size_in)
    try:
        with open(rcl_path, "rb") as fh:
            h = parse_header(fh.read(HEADER_SIZE), None)
        return 8 * size / h.subpixels
    except Exception:
        return None


def code_file(src: str, dst: str, kind: str, opts: dict) -> FileResult:
    """The task each worker runs: encode or decode src to dst (written atomically), its failure as the result."""
    from . import steps

    start = time.perf_counter()
    try:
        _, size_in, size_out = steps.STEPS[kind](src, dst, opts)
    except Exception as exc:
        return FileResult(src, dst, seconds=time.perf_counter() - start, error=str(exc) or type(exc).__name__)
    seconds = time.perf_counter() - start
    return FileResult(src, dst, size_in, size_out, _bpsp(kind, src, dst, size_in, size_out), seconds)


def _skipped(src: Path, dst: Path, kind: str) -> FileResult:
    size_in, size_out = (os.path.getsize(p) if p.is_file() else 0 for p in (src, dst))
    bpsp = _bpsp(kind, str(src), str(dst), size_in, size_out)
    return FileResult(str(src), str(dst), size_in, size_out, bpsp, skipped=True)


def iter_results(kind: str, jobs: list[batch.Job], opts: dict, client: Any = None,
                 timeout: float | None = None) -> Iterator[FileResult]:
    """A FileResult for every (source, target) job as it finishes: one task each on client's cluster, or in this
    process when client is None. Past timeout seconds (cluster only) the files not done fail as unfinished."""
    if client is None:
        for src, dst in jobs:
            yield code_file(str(src), str(dst), kind, opts)
        return
    from distributed import as_completed

    tag = uuid.uuid4().hex[:8]
    keys = [f"rcl-{kind}-{i}-{Path(src).name}-{tag}" for i, (src, _) in enumerate(jobs)]
    futures = client.map(code_file, [os.path.abspath(s) for s, _ in jobs], [os.path.abspath(d) for _, d in jobs],
                         kind=kind, opts=opts, key=keys)
    where = dict(zip((f.key for f in futures), jobs))
    pending = {f.key: f for f in futures}
    try:
        for fut in as_completed(futures, timeout=timeout):
            del pending[fut.key]
            src, dst = where[fut.key]
            try:
                result = fut.result()
            except Exception as exc:  # the task itself failed: a worker died, or cannot import rc_plugin
                reason = str(exc) or type(exc).__name__
                result = FileResult(str(src), str(dst), error=f"failed on the cluster: {reason}")
            yield dataclasses.replace(result, source=str(src), target=str(dst))
    except TimeoutError:
        for key in list(pending):
            src, dst = where[key]
            yield FileResult(str(src), str(dst), seconds=float(timeout or 0), error=f"not done within {timeout} s")
    finally:
        if pending:
            client.cancel(list(pending.values()))


def run_jobs(kind: str, jobs: list[batch.Job], opts: dict, client: Any, quiet: bool) -> int:
    """rcl's --scheduler path: jobs on client's cluster with a progress bar of finished files (and, encoding, the
    outputs larger than their inputs named, as the local path names them); 1 if any failed."""
    outcomes = ((r.source, r.bytes_in, r.bytes_out, r.error) for r in iter_results(kind, jobs, opts, client))
    return batch.tally(outcomes, len(jobs), quiet, growth=kind == "encode")


def _paths(inputs: Iterable) -> list[str]:
    return [str(inputs)] if isinstance(inputs, (str, os.PathLike)) else [str(p) for p in inputs]


def _code_files(kind: str, files: list, output: Any, suffix: str, opts: dict, scheduler: Any, force: bool,
                timeout: float | None) -> list[FileResult]:
    jobs, kept = batch.plan(files, None if output is None else str(output), suffix, force)
    results = [_skipped(src, dst, kind) for src, dst in kept]
    if jobs and scheduler is None:
        results += iter_results(kind, jobs, opts, None, timeout)
    elif jobs:
        with connect(scheduler) as client:
            results += iter_results(kind, jobs, opts, client, timeout)
    order: dict[str, int] = {}
    for i, (src, _) in enumerate(files):
        order.setdefault(os.path.abspath(src), i)
    return sorted(results, key=lambda r: order.get(os.path.abspath(r.source), len(order)))


def encode_files(inputs: Iterable, output: Any = None, *, scheduler: Any = None, force: bool = False,
                 verify: bool = False, timeout: float | None = None, **encode_options: Any) -> list[FileResult]:
    """Encode files and folders (searched recursively, trees mirrored under output) to .rcl, one task per file;
    output and the refusals are rcl encode's. encode_options are rc_plugin.encode's (coder, q, threads, ...;
    threads defaults to 1: each worker thread codes one file). One FileResult per file, in input order;
    nothing raises for a bad file. RclError (nothing written) for two inputs on one output or a bad option."""
    given = {"threads": 1, **encode_options}
    if "progress" in given:
        raise TypeError("encode_files() takes no per-tile progress callable: each file is coded on a worker")
    options.resolve_coder(options.checked(options.ENCODE, given, "encode_files"))
    files = batch.collect(_paths(inputs), batch.IMAGE_SUFFIXES)
    return _code_files("encode", files, output, ".rcl", {**given, "verify": verify}, scheduler, force, timeout)


def decode_files(inputs: Iterable, output: Any = None, *, format: str = "png", scheduler: Any = None,
                 force: bool = False, timeout: float | None = None, threads: int | None = 1,
                 device: str = "auto") -> list[FileResult]:
    """Decode .rcl files and folders to lossless images (format: png, tiff, webp, bmp, ppm; or the suffix of an
    output file name for one input), as encode_files does it and with its results."""
    opts = options.checked(options.RUNTIME, {"threads": threads, "device": device}, "decode_files")
    files = batch.collect(_paths(inputs), {".rcl"})
    suffix = batch.decode_suffix(files, None if output is None else str(output), format)
    return _code_files("decode", files, output, suffix, opts, scheduler, force, timeout)
