"""Many files at once: every input mapped to its output before any work, then coded in worker processes.

Two inputs that would land on one output are refused before anything is written, so a
batch never drops or overwrites a file silently. Outputs are written under a temporary
name and renamed, so an interrupted run leaves no half-written file; a bad file is
reported and the rest go on.
"""
from __future__ import annotations

import glob
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import RclError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".ppm", ".pgm", ".pnm", ".gif", ".tga"}
#: Lossless formats the decoder may write, with the options that keep them lossless (exact: WebP keeps the colour
#: of fully transparent pixels).
OUTPUT_FORMATS = {
    ".png": ("PNG", {}),
    ".tif": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".tiff": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".webp": ("WEBP", {"lossless": True, "quality": 100, "exact": True}),
    ".bmp": ("BMP", {}),
    ".ppm": ("PPM", {}),
    ".pnm": ("PPM", {}),
}
#: Of those, the ones that keep an alpha channel.
ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
Job = tuple[Path, Path]
#: One finished file as the progress bar sees it: (source, bytes in, bytes out, error text or None).
Outcome = tuple[object, int, int, "str | None"]
#: Kept outputs named one by one before the rest are counted (a rerun of a big batch keeps thousands).
KEPT_NAMED = 10
#: Outputs larger than their inputs named one by one before the rest are counted (a folder of JPEGs grows whole).
GROWN_NAMED = 10
#: Said once a run when a JPEG input grew: why (most do not: rcl stores the JPEG's coefficients where it finds them).
JPEG_NOTE = ("rcl: JPEG inputs may grow: a JPEG is lossy, and rcl keeps its decoded pixels exactly; it finds the JPEG's "
             "own coefficients in most of them, but not at the highest qualities or after other decoders, and then the "
             "pixels take more space than the JPEG itself (rcl pays off most on lossless originals: PNG, TIFF, raw "
             "images)")


def collect(inputs: list[str], suffixes: set[str]) -> list[tuple[Path, Path]]:
    """(file, its path relative to the folder it was found in) for every input file; a file given by name
    keeps its name alone."""
    found = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in suffixes:
                    found.append((f, f.relative_to(p)))
        else:
            found.append((p, Path(p.name)))
    return found


def single_output(files: list[tuple[Path, Path]], output: str | None, suffixes) -> Path | None:
    """The one file -o names: one input file, and an -o with one of suffixes that is not an existing folder."""
    if output is None or len(files) != 1 or Path(output).is_dir():
        return None
    return Path(output) if Path(output).suffix.lower() in suffixes else None


def decode_suffix(files: list[tuple[Path, Path]], output: str | None, fmt: str) -> str:
    """The suffix decoded images are written with: the file name -o gives for one input, else fmt's; RclError
    if that is not a lossless format the decoder writes."""
    # any image name: "-o y.jpg" means a file (refused below), not a folder of that name
    single = single_output(files, output, IMAGE_SUFFIXES | set(OUTPUT_FORMATS))
    suffix = single.suffix.lower() if single else "." + fmt.lower().lstrip(".")
    if suffix not in OUTPUT_FORMATS:
        raise RclError(f"cannot decode to {suffix[1:]!r}: choose a lossless format, one of "
                       f"{', '.join(sorted(s[1:] for s in OUTPUT_FORMATS))}")
    return suffix


def plan(files: list[tuple[Path, Path]], output: str | None, suffix: str, force: bool) -> tuple[list[Job], list[Job]]:
    """(jobs to run, jobs not run because their output exists and force is off) for the collected files.

    -o names a folder (mirrored tree under it) unless single_output() says it names the file.
    Raises RclError, naming both inputs, if two inputs would write one output.
    """
    single = single_output(files, output, {suffix})
    if single is None and output and Path(output).exists() and not Path(output).is_dir():
        raise RclError(f"-o {output} is a file, and these inputs need an output folder (or one input file and an "
                       f"output name ending in {suffix}); nothing was written")
    claimed: dict[Path, Path] = {}
    jobs, kept = [], []
    for src, rel in files:
        if single is not None:
            dst = single
        elif output:
            dst = Path(output) / rel.with_suffix(suffix)
        else:
            dst = src.with_suffix(suffix)
        key = Path(os.path.abspath(dst))
        if key in claimed:
            if Path(os.path.abspath(src)) == Path(os.path.abspath(claimed[key])):
                continue  # the same file given twice
            raise RclError(f"{claimed[key]} and {src} would both be written to {dst}: rename one, or encode them "
                           "to different output folders; nothing was written")
        claimed[key] = src
        if key == Path(os.path.abspath(src)):  # --force would replace the input with its own output
            raise RclError(f"{src} would be overwritten by its own output: give -o another name or folder; nothing "
                           "was written")
        if dst.exists() and not force:
            kept.append((src, dst))
            continue
        jobs.append((src, dst))
    return jobs, kept


def partial_name(target: Path, pid: int) -> Path:
    """Where process pid writes target before renaming it (write_atomic)."""
    return target.with_name(f".{target.name}.{pid}.part")


def write_atomic(target: Path, write: Callable) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(target, os.getpid())
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _run_one_here(func, src: Path, dst: Path, options: dict, quiet: bool) -> Outcome:
    """A single file runs in this process, with progress over its tiles."""
    from tqdm import tqdm

    with tqdm(unit="tile", disable=quiet, file=sys.stderr, desc=src.name) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            _, size_in, size_out = func(str(src), str(dst), options, progress)
            return src, size_in, size_out, None
        except Exception as exc:  # reported by _Tally, as a failure among many is
            return src, 0, 0, str(exc)


def report_kept(kept: list[Job], skip_existing: bool, quiet: bool) -> None:
    """Say which outputs exist and were left alone: with skip_existing one line counting them as done (a rerun of
    an interrupted batch); otherwise each by name, the first KEPT_NAMED of them, then how many more."""
    if not kept:
        return
    if skip_existing:
        if not quiet:
            print(f"rcl: {len(kept)} of the outputs exist already, skipped as done", file=sys.stderr)
        return
    for _, dst in kept[:KEPT_NAMED]:
        print(f"rcl: {dst} exists (use --force to overwrite)", file=sys.stderr)
    if len(kept) > KEPT_NAMED:
        print(f"rcl: ... and {len(kept) - KEPT_NAMED} more outputs exist and were kept (--force overwrites them, "
              "--skip-existing counts them as done)", file=sys.stderr)


def _is_jpeg(src) -> bool:
    """By its first bytes (a JPEG may be named anything), by its suffix if it cannot be read here."""
    try:
        with open(src, "rb") as fh:
            return fh.read(3) == b"\xff\xd8\xff"
    except OSError:
        return Path(src).suffix.lower() in (".jpg", ".jpeg")


def _growth(size_in: int, size_out: int) -> str:
    """How much larger an output is than its input: a percentage below twice the size, else a factor."""
    ratio = size_out / max(size_in, 1)
    return f"{ratio:.1f}x" if ratio >= 2 else f"+{max(1, round(100 * (ratio - 1)))}%"


class _Tally:
    """The summary line's counts. With growth (encode: a larger output is news) each output larger than its input
    is named as it comes, the first GROWN_NAMED of them, then counted; a grown JPEG gets JPEG_NOTE once. --quiet
    says none of it, as it says no summary: it only changes what is printed, never the exit status."""

    def __init__(self, total: int, quiet: bool, growth: bool) -> None:
        self.total, self.quiet, self.growth = total, quiet, growth
        self.failures = self.size_in = self.size_out = self.grown = 0
        self.jpeg = False

    def add(self, outcome: Outcome, write: Callable[[str], None]) -> None:
        """Count one file's outcome; a failure is reported as it comes, then the rest go on."""
        src, size_in, size_out, error = outcome
        if error is not None:
            self.failures += 1
            write(f"rcl: {src}: {error}")
            return
        self.size_in += size_in
        self.size_out += size_out
        if self.growth and size_out > size_in:
            self.grown += 1
            self.jpeg = self.jpeg or _is_jpeg(src)
            if not self.quiet and self.grown <= GROWN_NAMED:
                write(f"rcl: {src}: the .rcl is larger than its input, {size_in:,} -> {size_out:,} bytes "
                      f"({_growth(size_in, size_out)})")

    def finish(self) -> int:
        """Print what is left to say; 1 if any file failed, else 0."""
        if not self.quiet:
            if self.grown > GROWN_NAMED:
                print(f"rcl: ... and {self.grown - GROWN_NAMED} more outputs are larger than their inputs",
                      file=sys.stderr)
            if self.jpeg:
                print(JPEG_NOTE, file=sys.stderr)
            grew = f", {self.grown} grew" if self.grown else ""
            print(f"{self.total - self.failures} of {self.total} files done, {self.size_in} -> {self.size_out} bytes"
                  f"{grew}", file=sys.stderr)
        return 1 if self.failures else 0


def tally(outcomes: Iterable[Outcome], total: int, quiet: bool, growth: bool = False) -> int:
    """A progress bar of finished files over outcomes, each failure reported as it comes (and with growth each
    output larger than its input), then the summary line; 1 if any file failed, else 0."""
    from tqdm import tqdm

    counts = _Tally(total, quiet, growth)
    with tqdm(total=total, unit="file", disable=quiet, file=sys.stderr) as bar:

        def write(line: str) -> None:
            bar.write(line, file=sys.stderr)

        for outcome in outcomes:
            counts.add(outcome, write)
            bar.update(1)
    return counts.finish()


def _leave_interrupts_to_the_command() -> None:
    """A worker ignores Ctrl-C, which reaches every process of the terminal's group: the command stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor, jobs: list[Job], others: set) -> None:
    """Stop a pool at once: no queued file starts, its workers (the children but `others`, which were there before
    it) are killed (a worker would catch an exception sent to it as its file's failure and go on to the next), and
    the jobs' unfinished temporary files are removed, which a killed process cannot do."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = [child for child in multiprocessing.active_children() if child not in others]
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join(10)
    for _, dst in jobs:  # any process's: a worker the same signal ended first is gone from the list above
        for partial in Path(dst).parent.glob(glob.escape(f".{Path(dst).name}.") + "*.part"):
            partial.unlink(missing_ok=True)


def _pool_outcomes(func, jobs: list[Job], workers: int, options: dict) -> Iterator[Outcome]:
    others = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_leave_interrupts_to_the_command)
    try:
        futures = {pool.submit(func, str(s), str(d), options): s for s, d in jobs}
        for fut in as_completed(futures):
            try:
                _, size_in, size_out = fut.result()
                yield futures[fut], size_in, size_out, None
            except Exception as exc:
                yield futures[fut], 0, 0, str(exc)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): no queued file starts, the running ones stop now
        _stop(pool, jobs, others)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run(func, jobs: list[Job], workers: int, options: dict, quiet: bool, growth: bool = False) -> int:
    """Run func(src, dst, options[, progress]) for every job; 1 if any failed (each reported), else 0. growth:
    name the outputs larger than their inputs (tally)."""
    if len(jobs) != 1:
        return tally(_pool_outcomes(func, jobs, workers, options), len(jobs), quiet, growth)
    counts = _Tally(1, quiet, growth)
    counts.add(_run_one_here(func, *jobs[0], options, quiet), lambda line: print(line, file=sys.stderr))
    return counts.finish()
