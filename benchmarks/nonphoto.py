"""Per-image file sizes of rcl against PNG, WebP and JPEG XL on non-photo images (text, plots, screenshots, ...).

    python -m benchmarks.synthetic_set /work/nonphoto_set      # make the set (benchmarks/synthetic_set.py)
    python -m benchmarks.nonphoto /work/nonphoto_set [--limit N] [--only text,map] [--results FILE.md]

Prints a markdown table: per image its kind, size, mode and the bytes of PNG (oxipng max), WebP lossless
(level 100, method 6), JPEG XL lossless (effort 7 and 9) and rcl, with rcl / PNG and rcl / JXL e9; the set's
totals and rcl's total against WebP and JPEG XL e9; then totals per kind, and the same per image in bits
per subpixel. Every decode is checked against its input (rcl's above all: the run stops if one differs).
Also writes benchmarks/out/nonphoto.json (every size and encode time).

Each codec gets the image in the form it handles best, as a user would give it:
- PNG: oxipng max (benchmarks.codecs.png_file) on the original PNG file, so a palette, grey or 1-bit image
  keeps its colour type and palette (oxipng still tries every reduction);
- WebP: RGB pixels (libwebp has no grey input; it finds palettes itself);
- JPEG XL: grey pixels (H, W) for L and 1 images, RGB for the others (libjxl finds palettes itself);
- rcl: the PIL image as `Image.open(path)` gives it, through `rc_plugin.encode` (benchmarks.codecs.rcl). If
  rcl refuses the mode (today: P and 1), it gets the image converted as Pillow's own rcl save does (P to
  RGB, or RGBA with transparency; 1 to L): see `rcl_input`. Once rcl accepts P and 1 it gets them as they are,
  with no change here; the table's `rcl input` column says which happened.

bpsp (bits per subpixel) counts 1 subpixel per pixel for L and 1 images and 3 for RGB and P images.
The images come from benchmarks/synthetic_set.py; its manifest.json gives each file's kind (without it the
kind is the file name up to the first '-').
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image

from . import codecs as cc

OUT = Path(__file__).resolve().parent / "out"
COLUMNS = ["PNG", "WebP", "JXL e7", "JXL e9", "rcl"]  # short names in the tables, in this order
LONG = {"PNG": cc.PNG, "WebP": cc.WEBP, "JXL e7": cc.JXL_E7, "JXL e9": cc.JXL_E9, "rcl": "rcl (adaptive)"}


def channels(mode: str) -> int:
    """Subpixels per pixel for bpsp: 1 for grey and bilevel images, 3 for colour (RGB and palette) ones."""
    return {"1": 1, "L": 1, "P": 3, "RGB": 3, "LA": 2, "RGBA": 4, "PA": 4}[mode]


def rendered(im: Image.Image) -> np.ndarray:
    """The pixels a viewer shows: (H, W) uint8 for 1 and L, (H, W, 3) or (H, W, 4) uint8 otherwise."""
    if im.mode in ("1", "L"):
        return np.asarray(im.convert("L"))
    if im.mode == "P":
        return np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
    return np.asarray(im)


def same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal pixels, a grey image counting as equal to an RGB one with three equal channels."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 2 and b.ndim == 3:
        a = np.repeat(a[..., None], b.shape[2], axis=2)
    if b.ndim == 2 and a.ndim == 3:
        b = np.repeat(b[..., None], a.shape[2], axis=2)
    return a.shape == b.shape and np.array_equal(a, b)


def rcl_input(im: Image.Image):
    """What rcl is given, and how it was converted ('as is' if not).

    rcl is tried with the image as opened. Today rcl refuses P and 1 (RclError "cannot encode a PIL image
    of mode ..."); then it gets what Pillow's rcl save converts those to. When rcl accepts them this
    returns the image unchanged and the benchmark measures rcl's own palette / bilevel coding.
    """
    import rc_plugin

    try:
        return rc_plugin.encode(im), im, "as is"
    except rc_plugin.RclError as exc:
        if im.mode not in ("P", "1") or f"mode '{im.mode}'" not in str(exc):
            raise
    conv = im.convert("L") if im.mode == "1" else im.convert("RGBA" if "transparency" in im.info else "RGB")
    return rc_plugin.encode(conv), conv, f"{im.mode}->{conv.mode}"


def same(decoded, fed: Image.Image) -> bool:
    """Whether a decode (an array from rc_plugin.decode, or a PIL image from Pillow's rcl opener) equals what
    rcl was given: the same pixels as shown (a palette image's colours), and for a PIL image the same mode."""
    if isinstance(decoded, Image.Image):
        if decoded.mode != fed.mode and not {decoded.mode, fed.mode} <= {"1", "L"}:
            return False
        return same_view(rendered(decoded), rendered(fed))
    d = np.asarray(decoded)
    if fed.mode == "1":  # bool, 0/1 or 0/255 are all the same bilevel image
        bits = np.asarray(fed)
        return d.shape == bits.shape and np.array_equal(d != 0, bits)
    if fed.mode == "P" and d.ndim == 2:  # palette indices (the palette lives in the container)
        return np.array_equal(d, np.asarray(fed))
    return same_view(np.squeeze(d), rendered(fed))


def code_image(path: Path, codecs: dict) -> dict:
    """Every codec on one image: bytes, encode seconds, exactness."""
    raw = path.read_bytes()
    im = Image.open(io.BytesIO(raw))
    im.load()
    view = rendered(im)  # what every decode must give back
    rgb = view if view.ndim == 3 else np.repeat(view[..., None], 3, axis=2)
    row = {"image": path.name, "mode": im.mode, "width": im.width, "height": im.height,
           "subpixels": im.width * im.height * channels(im.mode), "bytes": {}, "enc_s": {}, "exact": {}}

    def record(name, fn, check):
        t0 = time.perf_counter()
        data = fn()
        row["enc_s"][name] = time.perf_counter() - t0
        row["bytes"][name] = len(data)
        row["exact"][name] = bool(check(data))

    record("PNG", lambda: cc.png_file(raw),
           lambda b: same_view(rendered(Image.open(io.BytesIO(b))), view))
    webp_enc, webp_dec = codecs[cc.WEBP]
    record("WebP", lambda: webp_enc(np.ascontiguousarray(rgb)), lambda b: same_view(webp_dec(b)[..., :3], rgb))
    jxl_in = np.ascontiguousarray(view)  # grey stays grey
    for short in ("JXL e7", "JXL e9"):
        enc, dec = codecs[LONG[short]]
        record(short, lambda enc=enc: enc(jxl_in), lambda b, dec=dec: same_view(np.squeeze(dec(b)), view))
    import rc_plugin

    t0 = time.perf_counter()
    data, fed, how = rcl_input(im)
    row["enc_s"]["rcl"] = time.perf_counter() - t0
    row["bytes"]["rcl"] = len(data)
    row["rcl_input"] = how
    exact = same(rc_plugin.decode(data), fed)
    try:  # Pillow's rcl opener too (rc_plugin registers it): it gives back the mode, e.g. P with its palette
        via_pillow = Image.open(io.BytesIO(data))
        via_pillow.load()
    except Exception:  # noqa: BLE001  (an rc_plugin without the opener: the array check above stands)
        via_pillow = None
    if via_pillow is not None:
        exact = exact and same(via_pillow, fed)
    row["exact"]["rcl"] = bool(exact)
    if not row["exact"]["rcl"]:
        raise SystemExit(f"{path.name}: rcl's decode differs from its input ({how})")
    return row


def kinds_of(folder: Path) -> dict[str, str]:
    manifest = folder / "manifest.json"
    return {k: v["kind"] for k, v in json.loads(manifest.read_text()).items()} if manifest.exists() else {}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def tables(rows: list[dict]) -> str:
    lines = ["| image | kind | size | mode | rcl input | " + " | ".join(COLUMNS) + " | rcl / PNG | rcl / JXL e9 |",
             "|---|---|---|---|---|" + "---:|" * (len(COLUMNS) + 2)]
    for r in rows:
        b = r["bytes"]
        lines.append(f"| {r['image'][:-4]} | {r['kind']} | {r['width']}x{r['height']} | {r['mode']} | "
                     f"{r['rcl_input']} | " + " | ".join(f"{b[c]:,}" for c in COLUMNS)
                     + f" | {_ratio(b['rcl'], b['PNG'])} | {_ratio(b['rcl'], b['JXL e9'])} |")
    tot = {c: sum(r["bytes"][c] for r in rows) for c in COLUMNS}
    sub = sum(r["subpixels"] for r in rows)
    mp = sum(r["width"] * r["height"] for r in rows) / 1e6
    lines.append(f"| **total** ({len(rows)} images) | | {mp:.2f} MP | | | "
                 + " | ".join(f"**{tot[c]:,}**" for c in COLUMNS)
                 + f" | **{_ratio(tot['rcl'], tot['PNG'])}** | **{_ratio(tot['rcl'], tot['JXL e9'])}** |")
    lines += ["", "Set totals: rcl / PNG " + _ratio(tot["rcl"], tot["PNG"]) + ", rcl / WebP "
              + _ratio(tot["rcl"], tot["WebP"]) + ", rcl / JXL e9 " + _ratio(tot["rcl"], tot["JXL e9"])
              + "; rcl is smallest on " + str(sum(r["bytes"]["rcl"] <= min(r["bytes"][c] for c in COLUMNS[:-1])
                                                  for r in rows)) + f" of {len(rows)} images."]
    lines += ["", "Encode seconds, whole set (2 threads where the codec uses them): "
              + ", ".join(f"{c} {sum(r['enc_s'][c] for r in rows):.1f}" for c in COLUMNS) + "."]
    # per kind
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    lines += ["", "| kind | images | " + " | ".join(f"{c} bpsp" for c in COLUMNS) + " | rcl / PNG | rcl / WebP | "
              "rcl / JXL e9 |", "|---|---:|" + "---:|" * (len(COLUMNS) + 3)]
    for k in kinds + ["all"]:
        rs = [r for r in rows if r["kind"] == k or k == "all"]
        t = {c: sum(r["bytes"][c] for r in rs) for c in COLUMNS}
        s = sum(r["subpixels"] for r in rs)
        lines.append(f"| {k} | {len(rs)} | " + " | ".join(f"{8 * t[c] / s:.3f}" for c in COLUMNS)
                     + f" | {_ratio(t['rcl'], t['PNG'])} | {_ratio(t['rcl'], t['WebP'])} | "
                       f"{_ratio(t['rcl'], t['JXL e9'])} |")
    # per image bpsp
    lines += ["", "| image | subpixels | " + " | ".join(f"{c} bpsp" for c in COLUMNS) + " |",
              "|---|---:|" + "---:|" * len(COLUMNS)]
    for r in rows:
        lines.append(f"| {r['image'][:-4]} | {r['subpixels']:,} | "
                     + " | ".join(f"{8 * r['bytes'][c] / r['subpixels']:.3f}" for c in COLUMNS) + " |")
    lines.append(f"| **total** | {sub:,} | " + " | ".join(f"**{8 * tot[c] / sub:.3f}**" for c in COLUMNS) + " |")
    bad = [f"{r['image']} ({c})" for r in rows for c in COLUMNS if not r["exact"][c]]
    lines += ["", "Every decode equals its input." if not bad else "DECODES THAT DIFFER: " + ", ".join(bad)]
    return "\n".join(lines)


def revision() -> str:
    """Which rc_plugin ran: this repository's (its commit, and whether rc_plugin/ has uncommitted changes), or
    another copy's folder (e.g. a `git archive` of a commit on PYTHONPATH, with its COMMIT file if any)."""
    import rc_plugin

    root = Path(__file__).resolve().parent.parent
    pkg = Path(rc_plugin.__file__).resolve().parent
    if pkg != root / "rc_plugin":
        marker = pkg.parent / "COMMIT"
        return f"from {pkg}" + (f" (commit {marker.read_text().strip()})" if marker.exists() else "")
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "rc_plugin"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"repository {head}" + (" with uncommitted changes in rc_plugin/" if dirty else "")


def select(folder: Path, only: str = "", limit: int = 0) -> tuple[list[Path], dict[str, str]]:
    """The PNG files of `folder` to code, in the generator's order of kinds, and each one's kind."""
    kinds = kinds_of(folder)
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() == ".png")
    kind = {f.name: kinds.get(f.name, f.stem.split("-")[0]) for f in files}
    if only:
        keep = [k.strip() for k in only.split(",") if k.strip()]
        files = [f for f in files if any(k == kind[f.name] or k in f.name for k in keep)]
    if limit:
        files = files[:limit]
    order = list(dict.fromkeys(list(kinds.values()) + [kind[f.name] for f in files]))
    files.sort(key=lambda f: (order.index(kind[f.name]), f.name))
    return files, kind


def run(folder: Path, only: str = "", limit: int = 0, log=print) -> list[dict]:
    """Code every selected image of `folder` with every codec: one row per image."""
    files, kind = select(folder, only, limit)
    if not files:
        raise SystemExit(f"no images found in {folder}")
    codecs = cc.classical(e10=False)
    rows = []
    for n, f in enumerate(files, 1):
        row = code_image(f, codecs)
        row["kind"] = kind[f.name]
        rows.append(row)
        log(f"[{n}/{len(files)}] {f.name}: " + ", ".join(f"{c} {row['bytes'][c]}" for c in COLUMNS))
    return rows


def header(folder: Path) -> str:
    import rc_plugin

    return (f"rcl: rc_plugin {rc_plugin.__version__}, {revision()}; {cc.versions()}; "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}; `python -m benchmarks.nonphoto {folder}`")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", type=Path, help="folder of PNG images (python -m benchmarks.synthetic_set DIR)")
    p.add_argument("--limit", type=int, default=0, help="only the first N images")
    p.add_argument("--only", default="", help="comma-separated kinds or name parts to keep (e.g. text,map)")
    p.add_argument("--out", type=Path, default=OUT, help="folder for nonphoto.json")
    p.add_argument("--results", type=Path, default=None, help="also write the tables to this markdown file")
    args = p.parse_args(argv)
    missing = cc.missing_packages(["imagecodecs", "oxipng"])
    if missing:
        raise SystemExit("benchmarks.nonphoto needs: " + "; ".join(missing) + f". Install: {cc.INSTALL_HINT}")
    rows = run(args.dir, args.only, args.limit, log=lambda line: print(line, flush=True))
    md = tables(rows)
    head = header(args.dir)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nonphoto.json").write_text(json.dumps(
        {"header": head, "rows": rows,
         "settings": {c: cc.SETTINGS.get(LONG[c], "rc_plugin.encode(image), defaults") for c in COLUMNS}}, indent=1))
    print("\n" + head + "\n\n" + md)
    if args.results:
        args.results.write_text(f"# rcl on non-photo images\n\n{head}\n\n{md}\n")


if __name__ == "__main__":
    main()
