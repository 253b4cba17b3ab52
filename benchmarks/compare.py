"""Compression and speed of rcl against the codecs users would pick instead.

    python -m benchmarks.compare ../shared/data/val [--limit N] [--results docs/results.md]

For every image and codec, in one run: bits per subpixel, encode and decode
seconds per megapixel, peak resident memory, and an exactness check of every
decode. Speeds are also given as ratios to JPEG XL (effort 7) measured in the
same run, since wall-clock time on shared machines is noisy.
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

from .codecs import classical, rcl

REFERENCE = "JPEG-XL-LL e7"
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


def codecs_to_run(lossy_layers: list[str]) -> dict:
    from rc_plugin.lossy import BpgLayer

    out = {}
    for layer in lossy_layers:
        if layer == "bpg" and not BpgLayer().available():
            print("rcl (bpg) skipped: bpgenc/bpgdec not installed")
            continue
        out[f"rcl ({layer})"] = rcl(layer)
    out.update(classical())
    return out


def summarize(rows: list[dict]) -> list[dict]:
    names = list(dict.fromkeys(r["codec"] for r in rows))
    ref = [r for r in rows if r["codec"] == REFERENCE and "error" not in r]
    ref_enc = np.mean([r["enc_s_per_mp"] for r in ref]) if ref else None
    ref_dec = np.mean([r["dec_s_per_mp"] for r in ref]) if ref else None
    table = []
    for name in names:
        ok = [r for r in rows if r["codec"] == name and "error" not in r]
        if not ok:
            continue
        enc = float(np.mean([r["enc_s_per_mp"] for r in ok]))
        dec = float(np.mean([r["dec_s_per_mp"] for r in ok]))
        table.append({
            "codec": name,
            "images": len(ok),
            "failed": sum(1 for r in rows if r["codec"] == name and "error" in r),
            "bpsp": float(np.mean([r["bpsp"] for r in ok])),
            "enc_s_per_mp": enc,
            "dec_s_per_mp": dec,
            "enc_vs_jxl": enc / ref_enc if ref_enc else None,
            "dec_vs_jxl": dec / ref_dec if ref_dec else None,
            "peak_mib": float(np.max([r["peak_mib"] or 0 for r in ok])),
            "all_exact": all(r["exact"] for r in ok),
            "mean_q": float(np.mean([r["q"] for r in ok])) if "q" in ok[0] else None,
            "lossy_bpsp": float(np.mean([r["lossy_bpsp"] for r in ok])) if "lossy_bpsp" in ok[0] else None,
        })
    return table


def markdown(table: list[dict]) -> str:
    lines = [
        "| codec | bpsp | enc s/MP | dec s/MP | enc / JXL e7 | dec / JXL e7 | process peak MiB | exact |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    def ratio(v):
        return f"{v:.1f}x" if v is not None else "-"

    for t in sorted(table, key=lambda t: t["bpsp"]):
        failed = f" ({t['failed']} failed)" if t["failed"] else ""
        lines.append(
            f"| {t['codec']} | {t['bpsp']:.3f} | {t['enc_s_per_mp']:.3f} | {t['dec_s_per_mp']:.3f} | "
            f"{ratio(t['enc_vs_jxl'])} | {ratio(t['dec_vs_jxl'])} | {t['peak_mib']:.0f} | "
            f"{'yes' if t['all_exact'] else 'NO'}{failed} |"
        )
    return "\n".join(lines)


def plots(rows: list[dict], table: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    rcl_rows = [r for r in rows if r["codec"] == "rcl (hevc)" and "error" not in r]
    if rcl_rows:
        rcl_rows.sort(key=lambda r: r["bpsp"])
        x = np.arange(len(rcl_rows))
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(x, [r["lossy_bpsp"] for r in rcl_rows], label="lossy layer")
        ax.bar(x, [r["bpsp"] - r["lossy_bpsp"] for r in rcl_rows], bottom=[r["lossy_bpsp"] for r in rcl_rows],
               label="residual")
        for name, style in (("JPEG-XL-LL e9", "k."), ("WebP-LL m6", "r.")):
            by_img = {r["image"]: r["bpsp"] for r in rows if r["codec"] == name and "error" not in r}
            ax.plot(x, [by_img.get(r["image"], np.nan) for r in rcl_rows], style, label=name)
        ax.set_xlabel("image (sorted by rcl bpsp)")
        ax.set_ylabel("bits per subpixel")
        ax.legend()
        ax.set_title("rcl per image: lossy and residual parts")
        paths.append(out / "per_image_bpsp.png")
        fig.tight_layout()
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for t in table:
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

    from rc_plugin import runtime

    return (f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, onnxruntime {onnxruntime.__version__} "
            f"({runtime.active_provider()})")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--limit", type=int, default=0, help="only the first N images")
    p.add_argument("--lossy", nargs="+", default=["hevc", "bpg"], help="rcl lossy layers to include")
    p.add_argument("--out", type=Path, default=OUT, help="folder for JSON, table and plots")
    p.add_argument("--results", type=Path, default=None, help="also write this markdown report (docs/results.md)")
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)

    from tqdm import tqdm

    files = sorted(f for d in args.dirs for f in d.iterdir() if f.suffix.lower() in (".png", ".ppm", ".tif", ".tiff"))
    if args.limit:
        files = files[: args.limit]
    if not files:
        raise SystemExit("no images found")
    codecs = codecs_to_run(args.lossy)
    rows = []
    with tqdm(total=len(files) * len(codecs), unit="run") as bar:
        for f in files:
            img = np.ascontiguousarray(np.asarray(Image.open(f).convert("RGB")))
            for name, codec in codecs.items():
                bar.set_postfix_str(f"{f.name} {name}")
                row = measure(name, codec, img)
                row.update(image=f.name, width=img.shape[1], height=img.shape[0])
                rows.append(row)
                bar.update(1)
    table = summarize(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    md = markdown(table)
    (args.out / "results.json").write_text(json.dumps({"machine": machine(), "table": table, "rows": rows}, indent=1))
    (args.out / "table.md").write_text(md + "\n")
    pics = [] if args.no_plots else plots(rows, table, args.out)
    print(md)
    if args.results:
        write_report(args.results, md, table, files, pics)


def write_report(path: Path, md: str, table: list[dict], files: list[Path], pics: list[Path]) -> None:
    import json as _json

    from rc_plugin import runtime

    manifest = _json.loads((runtime.WEIGHTS / "manifest.json").read_text())
    rc = manifest.get("rc", {})
    rcl_row = next((t for t in table if t["codec"] == "rcl (hevc)"), None)
    lines = [
        "# Results",
        "",
        f"Regenerate with `python -m benchmarks.compare {' '.join(sorted({str(f.parent) for f in files}))} "
        f"--results {path}`.",
        "",
        f"- images: {len(files)} ({', '.join(sorted({f.parent.name for f in files}))})",
        f"- machine: {machine()}",
        f"- date: {time.strftime('%Y-%m-%d', time.gmtime())}",
        f"- model: rc.onnx {rc.get('sha256', '?')[:12]}, config {rc.get('config')}, "
        f"{rc.get('training_steps')} training steps",
        "",
        "Means over the images; speeds are seconds per megapixel on this machine's CPU, and as a ratio to "
        "JPEG XL lossless effort 7 timed in the same run. `exact` checks every decode against its input. "
        "`process peak MiB` is the benchmark process's peak resident memory once that codec has run (it includes "
        "every library loaded so far); docs/reliability.md measures rcl's memory on its own.",
        "",
        md,
        "",
    ]
    if rcl_row:
        lines += [f"rcl's mean Q is {rcl_row['mean_q']:.1f}; its lossy layer takes {rcl_row['lossy_bpsp']:.3f} "
                  f"of its {rcl_row['bpsp']:.3f} bpsp.", ""]
    for pic in pics:
        rel = os.path.relpath(path.parent / pic.name, path.parent)
        target = path.parent / pic.name
        target.write_bytes(pic.read_bytes())
        lines += [f"![{pic.stem}]({rel})", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
