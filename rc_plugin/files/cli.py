"""The ``rcl`` command: encode, decode and inspect many files at once (rc_plugin.files.batch does the running).

Options shared with the API come from rc_plugin.options, so a bad value reads the same
here as in Python, Pillow and imageio.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys

from . import batch, steps
from .. import options
from ..errors import RclError

ENCODE_FLAGS = tuple(options.CODING)
WORKER_FLAGS = tuple(options.RUNTIME)


def _workers(args, files: int) -> tuple[int, int]:
    """(processes, threads each): no more processes than files, and the cores shared among them."""
    jobs = max(1, min(args.jobs or min(os.cpu_count() or 1, 4), files))
    threads = args.threads or max(1, (os.cpu_count() or 1) // jobs)
    return jobs, threads


def _run(args, kind: str, files: list, suffix: str, opts: dict) -> int:
    if args.scheduler:  # dask is imported only here, and missing it is a usage error before any work
        from . import distributed

        try:
            distributed.require_dask()
        except RclError:
            print(f'rcl: --scheduler needs dask.distributed, which is not installed: {distributed.INSTALL}',
                  file=sys.stderr)
            return 2
    if not files:
        print(f"rcl: no {'images' if kind == 'encode' else '.rcl files'} found in {' '.join(args.inputs)}",
              file=sys.stderr)
        return 1
    try:
        jobs, kept = batch.plan(files, args.output, suffix, args.force)
    except RclError as exc:
        print(f"rcl: {exc}", file=sys.stderr)
        return 2
    batch.report_kept(kept, args.skip_existing, args.quiet)
    if args.scheduler and jobs:
        opts.update(threads=1 if args.threads is None else args.threads, device=args.device)
        try:
            with distributed.connect(args.scheduler, args.jobs or None) as client:
                rc = distributed.run_jobs(kind, jobs, opts, client, args.quiet)
        except RclError as exc:  # the scheduler cannot be reached: nothing was coded
            print(f"rcl: {exc}", file=sys.stderr)
            return 2
    elif jobs:
        workers, threads = _workers(args, len(jobs))
        opts.update(threads=threads, device=args.device)
        rc = batch.run(steps.STEPS[kind], jobs, workers, opts, args.quiet, growth=kind == "encode")
    else:
        rc = 0
    return 1 if (rc or (kept and not args.skip_existing)) else 0


def cmd_encode(args) -> int:
    opts = {name: getattr(args, name) for name in ENCODE_FLAGS if getattr(args, name) is not None}
    opts["verify"] = args.verify
    return _run(args, "encode", batch.collect(args.inputs, batch.IMAGE_SUFFIXES), ".rcl", opts)


def cmd_decode(args) -> int:
    files = batch.collect(args.inputs, {".rcl"})
    try:
        suffix = batch.decode_suffix(files, args.output, args.format)
    except RclError as exc:
        print(f"rcl: {exc}", file=sys.stderr)
        return 2
    return _run(args, "decode", files, suffix, {})


def cmd_info(args) -> int:
    import rc_plugin
    from rc_plugin.mixture import networks

    if args.device:
        print(f"residual model runs on: {networks.active_provider(args.device_name)}")
        if not args.inputs:
            return 0
    status = 0
    for src, _ in batch.collect(args.inputs, {".rcl"}):
        try:
            meta = rc_plugin.info(src.read_bytes())
        except (OSError, RclError) as exc:
            print(f"rcl: {src}: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"file": str(src), **meta}))
        else:
            mixture = "mixture" in meta["coder"]
            layer = f"{meta['lossy']} Q={meta['q']}, " if mixture else ""
            missing = "" if meta["model_shipped"] else " (not shipped by this rc_plugin)"
            model = f", model {meta['model_id']}{missing}" if mixture else ""
            depth = f" {meta['bit_depth']}-bit" if meta["bit_depth"] > 8 else ""  # a 16-bit file's recorded depth
            print(
                f"{src}: {meta['width']}x{meta['height']} {meta['mode']}{depth}, {meta['coder']} coder, {layer}"
                f"{meta['bpsp']:.3f} bpsp (lossy {meta['lossy_bytes']} B, residual {meta['residual_bytes']} B){model}"
            )
    return status


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rcl", description="Learned lossless image compression (.rcl files).")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, output_help: str) -> None:
        sp.add_argument("inputs", nargs="+", help="files or folders (folders are searched recursively)")
        sp.add_argument("-o", "--output", help=output_help)
        keep = sp.add_mutually_exclusive_group()
        keep.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
        keep.add_argument("--skip-existing", action="store_true",
                          help="count existing outputs as done (exit 0 if the rest succeed): rerun an interrupted "
                               "batch; without it they are kept too, but named and the exit code is 1")
        sp.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: up to 4)")
        sp.add_argument("--scheduler", metavar="ADDRESS",
                        help="code one task per file on a dask.distributed cluster: a scheduler address "
                             "(tcp://host:8786) or 'local' (a cluster of this machine's cores); paths must be "
                             "reachable by every worker; -j sizes the local cluster, --threads defaults to 1. "
                             'Needs pip install ".[dask]"')
        options.add_arguments(sp, options.ENCODE, WORKER_FLAGS)
        sp.add_argument("--quiet", action="store_true",
                        help="no progress bar, summary or naming of outputs larger than their inputs (errors and "
                             "kept outputs are still named)")

    enc = sub.add_parser("encode", help="images -> .rcl")
    common(enc, "with one input file, an .rcl name writes that file; otherwise a folder, in which each input "
                "folder's tree is mirrored (default: each .rcl beside its input)")
    options.add_arguments(enc, options.ENCODE, ENCODE_FLAGS)
    enc.add_argument("--verify", action="store_true", help="decode each written file and compare it with its input")
    enc.set_defaults(func=cmd_encode)

    dec = sub.add_parser("decode", help=".rcl -> images")
    common(dec, "with one input file, an image name (.png, .tif, .webp, .bmp, .ppm) writes that file in that "
                "format; otherwise a folder, in which each input folder's tree is mirrored (default: beside the "
                "input)")
    dec.add_argument("--format", default="png", help="lossless output format: png (default), tiff, webp, bmp, ppm")
    dec.set_defaults(func=cmd_decode)

    inf = sub.add_parser("info", help="show what an .rcl file holds")
    inf.add_argument("inputs", nargs="*", help="files or folders")
    inf.add_argument("--json", action="store_true", help="one JSON object per file")
    inf.add_argument("--device", action="store_true", help="say which onnxruntime provider runs the model")
    inf.add_argument("--device-name", default="auto", choices=list(options.DEVICES), help=argparse.SUPPRESS)
    inf.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM as an exception, as Ctrl-C is: the pool's workers are stopped and no temporary file is left behind
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    except ValueError:  # main() called from a thread other than the main one: signals are not its to handle
        previous = None
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("rcl: interrupted: the outputs written are complete, no unfinished one is left", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
