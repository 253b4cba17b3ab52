"""Files per minute of ``rcl encode --scheduler`` on a dask LocalCluster against the plain ``rcl encode``.

    python -m benchmarks.dask_throughput ../shared/data/val --limit 8

The first --limit photos of the folder (sorted by name) are copied to a temporary folder and
encoded with the default coder three ways, each as its own ``rcl`` process, timed from the
command's start to its exit:

* ``rcl encode``: the local process pool (-j: this machine's cores);
* ``rcl encode --scheduler ADDRESS``: one task per file on an already running LocalCluster
  of this machine's cores (one single-threaded worker process each), as on a real cluster
  whose workers wait for work; the cluster's start is timed apart;
* ``rcl encode --scheduler local``: the command starts and stops that cluster itself.

Every output is checked to be byte-identical to the plain command's. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rc_plugin.files import batch
from rc_plugin.parallel import usable_cores


def encode(src: Path, out: Path, *extra: str) -> float:
    """Seconds one `rcl encode src -o out ...` process takes; fails loudly if the command does."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rc_plugin", "encode", str(src), "-o", str(out), "--quiet", *extra],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"rcl encode {' '.join(extra)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def same_outputs(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.glob("*.rcl"))
    return names == sorted(p.name for p in b.glob("*.rcl")) and all(
        (a / n).read_bytes() == (b / n).read_bytes() for n in names)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="a folder of photos")
    p.add_argument("--limit", type=int, default=12, help="how many photos (default 12)")
    p.add_argument("--workers", type=int, default=usable_cores(), help="worker processes, both ways (default: cores)")
    args = p.parse_args(argv)
    from distributed import LocalCluster

    photos = sorted(f for f in Path(args.folder).iterdir() if f.suffix.lower() in batch.IMAGE_SUFFIXES)[:args.limit]
    if not photos:
        raise SystemExit(f"no photos in {args.folder}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photos"
        src.mkdir()
        for f in photos:
            shutil.copy(f, src / f.name)
        mb_in = sum(f.stat().st_size for f in src.iterdir()) / 1e6
        j = str(args.workers)
        rows = [("`rcl encode` (process pool)", encode(src, Path(tmp) / "plain", "-j", j), "")]
        start = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster:
            started = time.perf_counter() - start
            rows.append(("`rcl encode --scheduler ADDRESS` (cluster running)",
                         encode(src, Path(tmp) / "address", "--scheduler", cluster.scheduler_address),
                         f"cluster start {started:.1f} s not counted"))
        local = encode(src, Path(tmp) / "local", "--scheduler", "local", "-j", j)
        rows.append(("`rcl encode --scheduler local`", local, "cluster start and stop counted"))
        exact = all(same_outputs(Path(tmp) / "plain", Path(tmp) / d) for d in ("address", "local"))
    print(f"{len(photos)} photos ({mb_in:.1f} MB) from {args.folder}, {args.workers} worker processes, "
          f"{os.cpu_count()} cores, default coder; outputs byte-identical across paths: {exact}\n")
    print("| path | wall s | files/min | note |")
    print("|---|---:|---:|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.1f} | {60 * len(photos) / seconds:.0f} | {note} |")
    if not exact:
        raise SystemExit("outputs differ between the paths")


if __name__ == "__main__":
    main()
