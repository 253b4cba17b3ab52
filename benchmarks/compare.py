"""Compression and speed of rcl against the codecs users would pick instead.

    python -m benchmarks.compare ../shared/data/val [--limit N] [--e10-limit N] [--results docs/results.md]

For every image and codec, in one run: bits per subpixel, encode and decode
seconds per megapixel, peak resident memory, and an exactness check of every
decode. Speeds are also given as ratios to JPEG XL (effort 7) measured in the
same run, since wall-clock time on shared machines is noisy.

Every comparison codec runs at its strongest lossless setting (benchmarks/codecs.py,
SETTINGS; the report lists them). JPEG XL effort 10 runs only on the first N photos
(--e10-limit, default 24: the whole validation set, about 9 s a 0.6 MP photo on
2 cores); where N is fewer than the photos, its row is a mean over those N and the
report compares it with every other codec's mean on the same N photos.

Non-photo images (text, plots, screenshots, maps, label masks, palette photos; made by
`python -m benchmarks.synthetic_set DIR`): `--nonphoto DIR` adds, beside the photo table,
benchmarks.nonphoto's per-image table of bytes for PNG, WebP, JPEG XL (e7, e9) and rcl (each codec
given the image in the mode it handles best: palette, grey and 1-bit images as they are) with rcl / PNG,
the totals and rcl against WebP and JPEG XL e9; `python -m benchmarks.nonphoto DIR` gives it alone.

Needs the `bench` extra (imagecodecs, pyoxipng, matplotlib): it checks that they
import before coding any photo, and says `pip install ".[bench]"` if not.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from PIL import Image

from . import codecs as cc
from .codecs import classical, rcl

REFERENCE = cc.JXL_E7
E10_LIMIT = 24  # the whole validation set: ~9 s per 1024x576 photo on 2 cores (5.6-11.8 s), ~3.6 min in all
OUT = Path(__file__).resolve().parent / "out"


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mib() -> float | None:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(name: str, codec, img: np.ndarray) -> dict:
    enc, dec = codec
    _reset_peak()
    t0 = time.perf_counter()
    try:
        data = enc(img)
    except Exception as exc:  # a codec that cannot handle an image is reported, not fatal
        return {"codec": name, "error": f"{type(exc).__name__}: {exc}"}
    t1 = time.perf_counter()
    out = dec(data)
    t2 = time.perf_counter()
    mp = img.shape[0] * img.shape[1] / 1e6
    row = {
        "codec": name,
        "bytes": len(data),
        "bpsp": 8 * len(data) / img.size,
        "enc_s_per_mp": (t1 - t0) / mp,
        "dec_s_per_mp": (t2 - t1) / mp,
        "peak_mib": _peak_mib(),
        "exact": bool(np.array_equal(np.asarray(out).reshape(img.shape), img)),
    }
    if name.startswith("rcl"):
        import rc_plugin

        meta = rc_plugin.info(data)
        row.update(q=meta["q"], lossy_share=meta["lossy_bytes"] / len(data), lossy_bpsp=8 * meta["lossy_bytes"] / img.size)
    return row


def codecs_to_run(variants: list[str], e10: bool = True, png_zopfli: bool = False) -> dict:
    out = {}
    if variants:
        from rc_plugin.mixture.lossy import BpgLayer

    for variant in variants:
        if variant == "bpg" and not BpgLayer().available():
            print("rcl (bpg) skipped: bpgenc/bpgdec not installed")
            continue
        out[f"rcl ({variant})"] = rcl(variant)
    out.update(classical(e10=e10, png_zopfli=png_zopfli))
    return out


def check_packages(plots: bool = True) -> None:
    """Exit with the install command before any work if an optional package the benchmark needs does not import."""
    missing = cc.missing_packages(["imagecodecs", "oxipng"] + (["matplotlib"] if plots else []))
    if missing:
        raise SystemExit(
            "benchmarks.compare needs optional packages that do not import:\n"
            + "".join(f"  - {m}\n" for m in missing)
            + f"Install the benchmark extra from the repository root: {cc.INSTALL_HINT}"
            + " (or pip install -e \".[bench]\" for an editable checkout)"
        )


def _mean(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def summarize(rows: list[dict], total_images: int | None = None) -> list[dict]:
    """One entry per codec: means over the images it coded.

    A codec that ran on fewer images than the others (JPEG XL effort 10 with --e10-limit)
    gets `subset`: the images it ran on, and every other codec's mean bpsp on those images.
    Speed ratios to the reference are always taken over the row's own images.
    """
    names = list(dict.fromkeys(r["codec"] for r in rows))
    all_images = list(dict.fromkeys(r["image"] for r in rows)) if rows and "image" in rows[0] else []
    total = total_images or len(all_images)
    ok_by = {name: [r for r in rows if r["codec"] == name and "error" not in r] for name in names}
    table = []
    for name in names:
        ok = ok_by[name]
        if not ok:
            continue
        images = {r.get("image") for r in ok}
        ref = [r for r in ok_by.get(REFERENCE, []) if r.get("image") in images]
        ref_enc = _mean(ref, "enc_s_per_mp") if ref else None
        ref_dec = _mean(ref, "dec_s_per_mp") if ref else None
        enc = _mean(ok, "enc_s_per_mp")
        dec = _mean(ok, "dec_s_per_mp")
        ran = sum(1 for r in rows if r["codec"] == name)  # coded or failed
        entry = {
            "codec": name,
            "images": len(ok),
            "total_images": total,
            "failed": ran - len(ok),
            "bpsp": _mean(ok, "bpsp"),
            "enc_s_per_mp": enc,
            "dec_s_per_mp": dec,
            "enc_vs_jxl": enc / ref_enc if ref_enc else None,
            "dec_vs_jxl": dec / ref_dec if ref_dec else None,
            "peak_mib": float(np.max([r["peak_mib"] or 0 for r in ok])),
            "all_exact": all(r["exact"] for r in ok),
            "mean_q": _mean(ok, "q") if "q" in ok[0] else None,
            "lossy_bpsp": _mean(ok, "lossy_bpsp") if "lossy_bpsp" in ok[0] else None,
            "subset": None,
        }
        if ran < total:
            others = {}
            for other in names:
                same = [r for r in ok_by[other] if r.get("image") in images]
                if other != name and len(same) == len(images):  # only codecs that coded every one of them
                    others[other] = _mean(same, "bpsp")
            entry["subset"] = {"images": sorted(images), "bpsp_others": others}
        table.append(entry)
    return table


def _ratio(v) -> str:
    return f"{v:.1f}x" if v is not None else "-"


def markdown(table: list[dict]) -> str:
    """The main table (codecs that ran on every image, by bpsp; then those that ran on a subset),
    followed, for each subset codec, by every codec's mean on that same subset."""
    lines = [
        "| codec | photos | bpsp | enc s/MP | dec s/MP | enc / JXL e7 | dec / JXL e7 | process peak MiB | exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    full = sorted((t for t in table if not t.get("subset")), key=lambda t: t["bpsp"])
    part = [t for t in table if t.get("subset")]
    for t in full + part:
        failed = f" ({t['failed']} failed)" if t["failed"] else ""
        total = t.get("total_images", t["images"])
        photos = f"{t['images']}" if not t.get("subset") else f"first {t['images']} of {total} *"
        lines.append(
            f"| {t['codec']} | {photos} | {t['bpsp']:.3f} | {t['enc_s_per_mp']:.3f} | {t['dec_s_per_mp']:.3f} | "
            f"{_ratio(t['enc_vs_jxl'])} | {_ratio(t['dec_vs_jxl'])} | {t['peak_mib']:.0f} | "
            f"{'yes' if t['all_exact'] else 'NO'}{failed} |"
        )
    for t in part:
        n, total = t["images"], t.get("total_images", t["images"])
        lines += [
            "",
            f"\\* {t['codec']} ran on the first {n} of the {total} photos only"
            f"{' (`--e10-limit`)' if t['codec'] == cc.JXL_E10 else ''}, so its bpsp "
            f"above is a mean over those {n} photos and cannot be compared with the other rows' means over all "
            f"{total}. On the same {n} photos:",
            "",
            f"| codec (same {n} photos) | bpsp | vs {t['codec']} |",
            "|---|---:|---:|",
        ]
        same = sorted([(t["codec"], t["bpsp"])] + list(t["subset"]["bpsp_others"].items()), key=lambda kv: kv[1])
        for name, bpsp in same:
            lines.append(f"| {name} | {bpsp:.3f} | {100 * (bpsp / t['bpsp'] - 1):+.1f} % |")
    return "\n".join(lines)


def settings_markdown(names) -> str:
    """The settings of every codec in `names`, as a markdown list."""
    lines = []
    for name in names:
        if name.startswith("rcl"):
            variant = name[name.index("(") + 1 : -1]
            options = ", ".join(f"{k}={v!r}" for k, v in cc.RCL_VARIANTS[variant].items())
            lines.append(f"- **{name}**: `rc_plugin.encode(image{', ' + options if options else ''})`, every other "
                         "option at its default" + (" (the shipped model, Q chosen per image)." if options else "."))
        elif name in cc.SETTINGS:
            lines.append(f"- **{name}**: {cc.SETTINGS[name]}")
    return "\n".join(lines)


def plots(rows: list[dict], table: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    first_rcl = next((r["codec"] for r in rows if r["codec"].startswith("rcl")), None)
    rcl_rows = [r for r in rows if r["codec"] == first_rcl and "error" not in r]
    if rcl_rows:
        rcl_rows.sort(key=lambda r: r["bpsp"])
        x = np.arange(len(rcl_rows))
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(x, [r["lossy_bpsp"] for r in rcl_rows], label="lossy layer")
        ax.bar(x, [r["bpsp"] - r["lossy_bpsp"] for r in rcl_rows], bottom=[r["lossy_bpsp"] for r in rcl_rows],
               label="residual")
        for name, style in ((cc.JXL_E9, "k."), (cc.WEBP, "r.")):
            by_img = {r["image"]: r["bpsp"] for r in rows if r["codec"] == name and "error" not in r}
            ax.plot(x, [by_img.get(r["image"], np.nan) for r in rcl_rows], style, label=name)
        ax.set_xlabel("image (sorted by rcl bpsp)")
        ax.set_ylabel("bits per subpixel")
        ax.legend()
        ax.set_title(f"{first_rcl} per image: lossy and residual parts")
        paths.append(out / "per_image_bpsp.png")
        fig.tight_layout()
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for t in (t for t in table if not t.get("subset")):  # means over different photos would mislead here
        ax.scatter(t["dec_s_per_mp"], t["bpsp"])
        ax.annotate(t["codec"], (t["dec_s_per_mp"], t["bpsp"]), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("decode seconds per megapixel (log)")
    ax.set_ylabel("mean bits per subpixel")
    paths.append(out / "bpsp_vs_decode_time.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def machine() -> str:
    import onnxruntime

    from rc_plugin.mixture import networks

    return (f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, onnxruntime {onnxruntime.__version__} "
            f"({networks.active_provider()})")


def command_line(args: argparse.Namespace, files: list[Path], results: Path | None) -> str:
    """The command that reruns this benchmark, with the options that differ from the defaults."""
    parts = ["python -m benchmarks.compare", *sorted({str(f.parent) for f in files})]
    if args.limit:
        parts.append(f"--limit {args.limit}")
    if args.no_rcl:
        parts.append("--no-rcl")
    elif args.rcl != RCL:
        parts.append("--rcl " + " ".join(args.rcl))
    if args.e10_limit != E10_LIMIT:
        parts.append(f"--e10-limit {args.e10_limit}")
    if args.png_zopfli:
        parts.append("--png-zopfli")
    if args.nonphoto:
        parts.append(f"--nonphoto {args.nonphoto}")
    if results:
        parts.append(f"--results {results}")
    return " ".join(parts)


#: rcl variants run by default (benchmarks.codecs.RCL_VARIANTS); the paper's path ("hevc") codes about 50 times
#: slower than the adaptive coder, so it runs when asked for
RCL = ["adaptive"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--limit", type=int, default=0, help="only the first N images")
    p.add_argument("--rcl", nargs="+", default=RCL, choices=sorted(cc.RCL_VARIANTS),
                   help="rcl variants: adaptive (the default coder), hevc and bpg (the paper's path with that layer)")
    p.add_argument("--no-rcl", action="store_true", help="only the classical codecs, no rcl")
    p.add_argument("--e10-limit", type=int, default=E10_LIMIT, metavar="N",
                   help=f"run JPEG XL effort 10 on the first N images only (0: not at all; default {E10_LIMIT}, "
                        "about 9 s per 0.6 MP photo on 2 cores)")
    p.add_argument("--png-zopfli", action="store_true",
                   help="PNG through oxipng max with Zopfli deflate (~77 s per 0.6 MP photo, 0.5%% smaller)")
    p.add_argument("--out", type=Path, default=OUT, help="folder for JSON, table and plots")
    p.add_argument("--results", type=Path, default=None, help="also write this markdown report (docs/results.md)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--nonphoto", type=Path, default=None, metavar="DIR",
                   help="also report per-image bytes on the non-photo set in DIR (benchmarks.nonphoto, always with "
                        "rcl (adaptive); make the set with python -m benchmarks.synthetic_set DIR)")
    args = p.parse_args(argv)
    check_packages(plots=not args.no_plots)  # before any work

    from tqdm import tqdm

    files = sorted(f for d in args.dirs for f in d.iterdir() if f.suffix.lower() in (".png", ".ppm", ".tif", ".tiff"))
    if args.limit:
        files = files[: args.limit]
    if not files:
        raise SystemExit("no images found")
    codecs = codecs_to_run([] if args.no_rcl else args.rcl, e10=args.e10_limit > 0, png_zopfli=args.png_zopfli)
    limits = {cc.JXL_E10: args.e10_limit}  # codec -> how many of the first images it runs on
    runs = sum(min(limits.get(name, len(files)), len(files)) for name in codecs)
    rows = []
    with tqdm(total=runs, unit="run") as bar:
        for i, f in enumerate(files):
            img = np.ascontiguousarray(np.asarray(Image.open(f).convert("RGB")))
            for name, codec in codecs.items():
                if i >= limits.get(name, len(files)):
                    continue
                bar.set_postfix_str(f"{f.name} {name}")
                row = measure(name, codec, img)
                row.update(image=f.name, width=img.shape[1], height=img.shape[0])
                rows.append(row)
                bar.update(1)
    table = summarize(rows, total_images=len(files))
    args.out.mkdir(parents=True, exist_ok=True)
    md = markdown(table)
    settings = {name: cc.SETTINGS[name] for name in codecs if name in cc.SETTINGS}
    host, command = machine(), command_line(args, files, args.results)
    (args.out / "results.json").write_text(json.dumps(
        {"machine": host, "libraries": cc.versions(), "command": command, "settings": settings, "table": table,
         "rows": rows}, indent=1))
    (args.out / "table.md").write_text(md + "\n\n## Settings\n\n" + settings_markdown(codecs) + "\n")
    pics = [] if args.no_plots else plots(rows, table, args.out)
    print(md)
    extra = None
    if args.nonphoto:
        from . import nonphoto

        np_rows = nonphoto.run(args.nonphoto, log=lambda line: None)
        extra = f"{nonphoto.header(args.nonphoto)}\n\n{nonphoto.tables(np_rows)}"
        (args.out / "nonphoto.json").write_text(json.dumps({"rows": np_rows}, indent=1))
        with open(args.out / "table.md", "a") as fh:
            fh.write("\n## Non-photo images\n\n" + extra + "\n")
        print("\n## Non-photo images\n\n" + extra)
    if args.results:
        write_report(args.results, md, table, files, pics, list(codecs), command, host, extra)


def write_report(path: Path, md: str, table: list[dict], files: list[Path], pics: list[Path], codecs: list[str],
                 command: str, host: str, nonphoto: str | None) -> None:
    from rc_plugin.shipped import WEIGHTS

    rcl_row = next((t for t in table if t["codec"] in ("rcl (hevc)", "rcl (bpg)")), None)
    lines = [
        "# Results",
        "",
        f"Regenerate with `{command}`.",
        "",
        f"- images: {len(files)} ({', '.join(sorted({f.parent.name for f in files}))})",
        f"- machine: {host}",
        f"- libraries: {cc.versions()}",
        f"- date: {time.strftime('%Y-%m-%d', time.gmtime())}",
    ]
    if any(t["codec"].startswith("rcl") for t in table):
        manifest = json.loads((WEIGHTS / "manifest.json").read_text())
        rc = manifest["rc_models"][manifest["rc_current"]]
        lines.append(f"- model: residual model {manifest['rc_current']}, config {rc.get('config')}, "
                     f"{rc.get('training_steps')} training steps")
    lines += [
        "",
        "Means over the images; speeds are seconds per megapixel on this machine's CPU, and as a ratio to "
        "JPEG XL lossless effort 7 timed in the same run (on the same photos). `exact` checks every decode against "
        "its input. `process peak MiB` is the benchmark process's peak resident memory once that codec has run (it "
        "includes every library loaded so far); docs/reliability.md measures rcl's memory on its own. Every "
        "comparison codec runs at its strongest lossless setting (see Settings below).",
        "",
        md,
        "",
    ]
    if rcl_row:
        lines += [f"{rcl_row['codec']}'s mean Q is {rcl_row['mean_q']:.1f}; its lossy layer takes {rcl_row['lossy_bpsp']:.3f} "
                  f"of its {rcl_row['bpsp']:.3f} bpsp.", ""]
    for pic in pics:
        rel = os.path.relpath(path.parent / pic.name, path.parent)
        target = path.parent / pic.name
        target.write_bytes(pic.read_bytes())
        lines += [f"![{pic.stem}]({rel})", ""]
    if nonphoto:
        lines += ["## Non-photo images", "", "Per image, bytes (and below, bits per subpixel) of each codec on the "
                  "non-photo set (benchmarks/nonphoto.py; each codec gets the image in the mode it handles best).",
                  "", nonphoto, ""]
    lines += ["## Settings", "", settings_markdown(codecs), ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
