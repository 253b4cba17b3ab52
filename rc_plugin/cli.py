"""The ``rcl`` command: encode, decode and inspect many files at once.

Files and whole folders, in parallel worker processes, with a progress bar. A bad
file is reported and the rest go on; the exit code is 0 only if every file
succeeded. Output is written to a temporary name and renamed, so an interrupted
run leaves no half-written file, and existing files are kept unless --force.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".ppm", ".pgm", ".pnm", ".gif", ".tga"}


def _collect(inputs: list[str], suffixes: set[str]) -> list[tuple[Path, Path]]:
    """(file, its path relative to the folder it was found in) for every input file."""
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


def _target(src: Path, rel: Path, out_dir: str | None, suffix: str) -> Path:
    if out_dir:
        return Path(out_dir) / rel.with_suffix(suffix)
    return src.with_suffix(suffix)


def _write_atomic(target: Path, write) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _encode_one(src: str, dst: str, options: dict, progress=None) -> tuple[str, int, int]:
    import io

    import numpy as np
    from PIL import Image

    import rc_plugin
    from rc_plugin.pillow_plugin import convert_for_save

    options = dict(options)
    verify = options.pop("verify", False)
    with Image.open(src) as im:
        im.load()
        buf = io.BytesIO()
        im.save(buf, format="RCL", progress=progress, **options)
        data = buf.getvalue()
        if verify:
            expected = np.asarray(convert_for_save(im))
            decoded = rc_plugin.decode(data, threads=options.get("threads"), device=options.get("device", "auto"))
            if not np.array_equal(decoded.reshape(expected.shape), expected):
                raise rc_plugin.RclError("verification failed: the decoded file differs from the input")
    _write_atomic(Path(dst), lambda fh: fh.write(data))
    return dst, os.path.getsize(src), len(data)


#: Lossless formats the decoder may write, with the options that keep them lossless.
OUTPUT_FORMATS = {
    ".png": ("PNG", {}),
    ".tif": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".tiff": ("TIFF", {"compression": "tiff_adobe_deflate"}),
    ".webp": ("WEBP", {"lossless": True, "quality": 100}),
    ".bmp": ("BMP", {}),
    ".ppm": ("PPM", {}),
    ".pnm": ("PPM", {}),
}


def _decode_one(src: str, dst: str, options: dict, progress=None) -> tuple[str, int, int]:
    from PIL import Image

    from rc_plugin import codec

    fmt, save_options = OUTPUT_FORMATS[Path(dst).suffix.lower()]
    pixels, meta = codec.decode_with_metadata(Path(src).read_bytes(), progress=progress, **options)
    im = Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels)
    extra = {k: v for k, v in meta.items() if k in ("icc_profile", "exif") and fmt in ("PNG", "TIFF", "WEBP")}
    _write_atomic(Path(dst), lambda fh: im.save(fh, format=fmt, **save_options, **extra))
    return dst, os.path.getsize(src), os.path.getsize(dst)


def _run_one_here(func, src: Path, dst: Path, options: dict, quiet: bool) -> tuple[int, int, int]:
    """A single file runs in this process, with progress over its tiles."""
    from tqdm import tqdm

    with tqdm(unit="tile", disable=quiet, file=sys.stderr, desc=src.name) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            _, size_in, size_out = func(str(src), str(dst), options, progress)
            return 0, size_in, size_out
        except Exception as exc:
            bar.write(f"rcl: {src}: {exc}", file=sys.stderr)
            return 1, 0, 0


def _run_jobs(func, jobs: list[tuple[Path, Path]], workers: int, options: dict, quiet: bool) -> int:
    from tqdm import tqdm

    if len(jobs) == 1:
        failures, total_in, total_out = _run_one_here(func, *jobs[0], options, quiet)
    else:
        failures = total_in = total_out = 0
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(func, str(s), str(d), options): s for s, d in jobs}
            with tqdm(total=len(futures), unit="file", disable=quiet, file=sys.stderr) as bar:
                for fut in as_completed(futures):
                    src = futures[fut]
                    try:
                        _, size_in, size_out = fut.result()
                        total_in += size_in
                        total_out += size_out
                    except Exception as exc:  # report and go on with the rest
                        failures += 1
                        bar.write(f"rcl: {src}: {exc}", file=sys.stderr)
                    bar.update(1)
    if not quiet:
        print(f"{len(jobs) - failures} of {len(jobs)} files done, {total_in} -> {total_out} bytes", file=sys.stderr)
    return 1 if failures else 0


def _plan(files: list[tuple[Path, Path]], out_dir: str | None, suffix: str, force: bool) -> tuple[list, int]:
    jobs, skipped = [], 0
    for src, rel in files:
        dst = _target(src, rel, out_dir, suffix)
        if dst.exists() and not force:
            print(f"rcl: {dst} exists (use --force to overwrite)", file=sys.stderr)
            skipped += 1
            continue
        jobs.append((src, dst))
    return jobs, skipped


def _workers(args) -> tuple[int, int | None]:
    jobs = args.jobs or max(1, min(os.cpu_count() or 1, 4))
    threads = args.threads or max(1, (os.cpu_count() or 1) // jobs)
    return jobs, threads


def cmd_encode(args) -> int:
    files = _collect(args.inputs, IMAGE_SUFFIXES)
    jobs, skipped = _plan(files, args.output, ".rcl", args.force)
    workers, threads = _workers(args)
    options = {"lossy": args.lossy, "effort": args.effort, "tau": not args.no_tau, "context": not args.no_context,
               "threads": threads, "device": args.device, "verify": args.verify}
    if args.q is not None:
        options["q"] = args.q
    rc = _run_jobs(_encode_one, jobs, workers, options, args.quiet) if jobs else 0
    return 1 if (rc or skipped or not files) else 0


def cmd_decode(args) -> int:
    suffix = "." + args.format.lower().lstrip(".")
    if suffix not in OUTPUT_FORMATS:
        print(f"rcl: cannot decode to {args.format!r}: choose a lossless format, one of "
              f"{', '.join(sorted(s[1:] for s in OUTPUT_FORMATS))}", file=sys.stderr)
        return 2
    files = _collect(args.inputs, {".rcl"})
    jobs, skipped = _plan(files, args.output, suffix, args.force)
    workers, threads = _workers(args)
    options = {"threads": threads, "device": args.device}
    rc = _run_jobs(_decode_one, jobs, workers, options, args.quiet) if jobs else 0
    return 1 if (rc or skipped or not files) else 0


def cmd_info(args) -> int:
    import rc_plugin
    from rc_plugin import runtime

    if args.device:
        print(f"residual model runs on: {runtime.active_provider(args.device_name)}")
        if not args.inputs:
            return 0
    status = 0
    for src, _ in _collect(args.inputs, {".rcl"}):
        try:
            meta = rc_plugin.info(src.read_bytes())
        except (OSError, rc_plugin.RclError) as exc:
            print(f"rcl: {src}: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"file": str(src), **meta}))
        else:
            print(
                f"{src}: {meta['width']}x{meta['height']} {meta['mode']}, {meta['lossy']} Q={meta['q']}, "
                f"{meta['bpsp']:.3f} bpsp (lossy {meta['lossy_bytes']} B, residual {meta['residual_bytes']} B), "
                f"model {meta['model_id']}{'' if meta['model_matches'] else ' (not this version)'}"
            )
    return status


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rcl", description="Learned lossless image compression (.rcl files).")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, with_output=True):
        sp.add_argument("inputs", nargs="+", help="files or folders")
        if with_output:
            sp.add_argument("-o", "--output", help="output folder (default: beside each input)")
            sp.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
            sp.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: up to 4)")
            sp.add_argument("--threads", type=int, default=0, help="threads per worker")
            sp.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
            sp.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    enc = sub.add_parser("encode", help="images -> .rcl")
    common(enc)
    enc.add_argument("--lossy", default="hevc", choices=["hevc", "bpg"], help="lossy layer")
    enc.add_argument("-q", "--q", type=int, default=None, help="quantizer 0..51 (default: the encoder chooses)")
    enc.add_argument("-e", "--effort", type=int, default=2, choices=[1, 2],
                     help="how Q is chosen: 1 the Q-classifier alone, "
                          "2 (default) searched by coding the image (slower, smaller)")
    enc.add_argument("--no-tau", action="store_true", help="skip the per-image tau optimization")
    enc.add_argument("--no-context", action="store_true", help="skip fitting the causal pass (faster, larger files)")
    enc.add_argument("--verify", action="store_true", help="decode each written file and compare it with its input")
    enc.set_defaults(func=cmd_encode)

    dec = sub.add_parser("decode", help=".rcl -> images")
    common(dec)
    dec.add_argument("--format", default="png", help="lossless output format: png (default), tiff, webp, bmp, ppm")
    dec.set_defaults(func=cmd_decode)

    inf = sub.add_parser("info", help="show what an .rcl file holds")
    inf.add_argument("inputs", nargs="*", help="files or folders")
    inf.add_argument("--json", action="store_true", help="one JSON object per file")
    inf.add_argument("--device", action="store_true", help="say which onnxruntime provider runs the model")
    inf.add_argument("--device-name", default="auto", choices=["auto", "cpu", "cuda"], help=argparse.SUPPRESS)
    inf.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
