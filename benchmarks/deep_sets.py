"""rcl on 16-bit images: real uint16 photographs, fluorescence microscopy and medical/astronomical images, against
the lossless codecs used for such data, every codec measured in the same run.

    python -m benchmarks.deep_sets                                  # the three sets under /work/data16
    python -m benchmarks.deep_sets --root DIR                       # DIR/photo, DIR/microscopy, DIR/medical_astro
    python -m benchmarks.deep_sets --sets DIR [DIR ...]             # any folders of 16-bit PNGs
    python -m benchmarks.deep_sets --limit 2 --no-rcl               # a quick look at the other codecs

A set is a folder of 16-bit PNGs, grey (H, W) or RGB (H, W, 3), read with imagecodecs (Pillow turns 16-bit RGB
PNGs into 8-bit ones). The codecs, on the uint16 array (SETTINGS says exactly how each is called):

- rcl: rc_plugin.encode(arr) / rc_plugin.decode(data). Where rcl cannot code uint16 yet, its first error is printed
  and its column left empty; a decode that differs from its input stops the run, as for every other codec.
- JPEG XL lossless, effort 7 (the time reference) and effort 9; PNG at 16 bits through oxipng at its maximum;
  JPEG-LS; JPEG 2000 reversible; TIFF with horizontal predictor and deflate; Blosc with zstd, byte shuffle and
  bitshuffle.

Every decode is checked against its input. Per set: pooled bits per sample (8 * bytes / samples, samples = H*W*C),
encode and decode seconds per megapixel (H*W / 1e6; each the best of 1-2 runs: a second run only where the first
encode and decode took under --repeat-below seconds), their ratios to JPEG XL effort 7 in the same run, and rcl's
size against JPEG XL effort 9 and against the better Blosc variant. One markdown table per set and a summary (a row
per codec, a column per set, in bpsp) are printed; benchmarks/out/deep_sets.json has them and every image's row.
Times on a shared 2-core machine are noisy: compare ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import codecs as cc

ROOT = Path("/work/data16")
SET_NAMES = ("photo", "microscopy", "medical_astro")
OUT = Path(__file__).resolve().parent / "out" / "deep_sets.json"
THREADS = cc.THREADS

RCL = "rcl"
E7, E9 = cc.JXL_E7, cc.JXL_E9
PNG = "PNG 16-bit, oxipng level 6 (max)"
JPEGLS = cc.JPEGLS
JPEG2000 = cc.JPEG2000
TIFF = "TIFF, horizontal predictor + deflate 9"
BLOSC_SHUFFLE = "Blosc, zstd level 5, byte shuffle"
BLOSC_BITSHUFFLE = "Blosc, zstd level 5, bitshuffle"
BLOSC = (BLOSC_SHUFFLE, BLOSC_BITSHUFFLE)

SHORT = {RCL: "rcl", E7: "JXL e7", E9: "JXL e9", PNG: "PNG (oxipng max)", JPEGLS: "JPEG-LS", JPEG2000: "JPEG 2000",
         TIFF: "TIFF pred+deflate", BLOSC_SHUFFLE: "Blosc zstd shuffle", BLOSC_BITSHUFFLE: "Blosc zstd bitshuffle"}

SETTINGS = {
    RCL: "`rc_plugin.encode(arr)` with its defaults, `rc_plugin.decode(data)`.",
    E7: f"imagecodecs `jpegxl_encode(arr, lossless=True, effort=7, numthreads={THREADS})` (libjxl default effort). "
        "uint16 input is coded as 16 bits per sample; no further argument is needed for an exact 16-bit round trip "
        "(checked on every image).",
    E9: f"imagecodecs `jpegxl_encode(arr, lossless=True, effort=9, numthreads={THREADS})`.",
    PNG: "pyoxipng `RawImage(big-endian bytes, W, H, color_type=grayscale|rgb, bit_depth=16)"
         ".create_optimized_png(level=6)` (= `oxipng -o max`: all row filters, libdeflater level 12; lossless "
         "colour-type/bit-depth reductions allowed); decoded with imagecodecs `png_decode`.",
    JPEGLS: "imagecodecs `jpegls_encode(arr, level=0)` (CharLS, NEAR=0; 16 bits per sample, the dtype's range).",
    JPEG2000: f"imagecodecs `jpeg2k_encode(arr, level=0, reversible=True, numthreads={THREADS})` (OpenJPEG, 5/3 "
              "wavelet, RCT on RGB, 16-bit precision).",
    TIFF: "What a TIFF writer stores for Compression=8 (deflate), Predictor=2, one strip: horizontal differencing of "
          "each row per sample (imagecodecs `delta_encode(arr, axis=1)`, little-endian uint16), then imagecodecs "
          "`deflate_encode(level=9)` (libdeflate, zlib stream). Byte-identical to the strip tifffile writes with "
          "`imwrite(f, arr, compression='zlib', compressionargs={'level': 9}, predictor=2, rowsperstrip=H)`; the "
          "~280-byte TIFF header and IFD are not counted.",
    BLOSC_SHUFFLE: f"imagecodecs `blosc_encode(arr, level=5, compressor='zstd', shuffle=1, typesize=2, "
                   f"numthreads={THREADS})` (c-blosc 1, byte shuffle).",
    BLOSC_BITSHUFFLE: f"imagecodecs `blosc_encode(arr, level=5, compressor='zstd', shuffle=2, typesize=2, "
                      f"numthreads={THREADS})` (bitshuffle).",
}

#: (encode(arr) -> bytes, decode(data, shape) -> array); the shape is what a container would store beside the data
Codec = tuple[Callable[[np.ndarray], bytes], Callable[[bytes, tuple], np.ndarray]]


def codecs(with_rcl: bool = True) -> dict[str, Codec]:
    """Every codec of the comparison, rcl first (when asked for)."""
    import imagecodecs as ic
    import oxipng

    def jxl(effort: int) -> Codec:
        return (lambda a: ic.jpegxl_encode(a, lossless=True, effort=effort, numthreads=THREADS),
                lambda b, shape: ic.jpegxl_decode(b, numthreads=THREADS))

    def png_enc(a: np.ndarray) -> bytes:
        colour = oxipng.ColorType.rgb() if a.ndim == 3 else oxipng.ColorType.grayscale()
        raw = oxipng.RawImage(np.ascontiguousarray(a, ">u2").tobytes(), a.shape[1], a.shape[0],
                              color_type=colour, bit_depth=16)
        return raw.create_optimized_png(level=6)

    def png_dec(b: bytes, shape: tuple) -> np.ndarray:
        out = ic.png_decode(b)
        if out.dtype == np.uint8:  # oxipng reduced 16 to 8 bits: only done where every sample is a multiple of 257
            out = out.astype(np.uint16) * 257
        if out.ndim == 2 and len(shape) == 3:  # reduced RGB to grey: only done where R = G = B everywhere
            out = np.repeat(out[..., None], 3, axis=2)
        return out

    def tiff_enc(a: np.ndarray) -> bytes:
        return ic.deflate_encode(np.ascontiguousarray(ic.delta_encode(a, axis=1), "<u2").tobytes(), level=9)

    def tiff_dec(b: bytes, shape: tuple) -> np.ndarray:
        return ic.delta_decode(np.frombuffer(ic.deflate_decode(b), "<u2").reshape(shape), axis=1)

    def blosc(shuffle: int) -> Codec:
        return (lambda a: ic.blosc_encode(np.ascontiguousarray(a), level=5, compressor="zstd", shuffle=shuffle,
                                          typesize=2, numthreads=THREADS),
                lambda b, shape: np.frombuffer(ic.blosc_decode(b, numthreads=THREADS), np.uint16).reshape(shape))

    out: dict[str, Codec] = {}
    if with_rcl:
        out[RCL] = rcl_codec()
    out.update({
        E7: jxl(7),
        E9: jxl(9),
        PNG: (png_enc, png_dec),
        JPEGLS: (lambda a: ic.jpegls_encode(a, level=0), lambda b, shape: ic.jpegls_decode(b)),
        JPEG2000: (lambda a: ic.jpeg2k_encode(a, level=0, reversible=True, numthreads=THREADS),
                   lambda b, shape: ic.jpeg2k_decode(b, numthreads=THREADS)),
        TIFF: (tiff_enc, tiff_dec),
        BLOSC_SHUFFLE: blosc(1),
        BLOSC_BITSHUFFLE: blosc(2),
    })
    return out


def rcl_codec() -> Codec:
    def enc(a: np.ndarray) -> bytes:
        import rc_plugin

        return rc_plugin.encode(a)

    def dec(b: bytes, shape: tuple) -> np.ndarray:
        import rc_plugin

        return np.asarray(rc_plugin.decode(b))

    return enc, dec


def versions() -> str:
    from importlib.metadata import version

    import imagecodecs as ic

    return (f"imagecodecs {ic.__version__} ({ic.jpegxl_version()}, {ic.jpeg2k_version()}, {ic.jpegls_version()}, "
            f"{ic.deflate_version()}, {ic.blosc_version()}, {ic.zstd_version()}), "
            f"pyoxipng {version('pyoxipng')}, numpy {np.__version__}")


def machine() -> str:
    try:
        from .compare import machine as full

        return full()
    except Exception:  # rcl's optional parts may not import while it changes: say the basics
        return (f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
                f"{platform.python_version()}")


def check_packages() -> None:
    missing = cc.missing_packages(["imagecodecs", "oxipng"])
    try:
        import imagecodecs as ic

        missing += [f"imagecodecs {ic.__version__} lacks {c}" for c in ("BLOSC", "DEFLATE", "DELTA")
                    if not getattr(getattr(ic, c, None), "available", False)]
    except ImportError:
        pass
    if missing:
        raise SystemExit("missing: " + "; ".join(missing) + f"\ninstall with: {cc.INSTALL_HINT}")


def load(path: Path) -> np.ndarray:
    """A 16-bit PNG as uint16 (H, W) or (H, W, 3)."""
    import imagecodecs as ic

    a = ic.png_decode(path.read_bytes())
    if a.dtype != np.uint16 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise SystemExit(f"{path}: {a.dtype} {a.shape}, not a 16-bit grey or RGB image")
    return np.ascontiguousarray(a)


def images(folder: Path, limit: int = 0) -> list[Path]:
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() == ".png")
    if not files:
        raise SystemExit(f"{folder}: no PNG images")
    return files[:limit] if limit else files


def same(out: np.ndarray, img: np.ndarray) -> bool:
    out = np.asarray(out)
    return out.size == img.size and np.array_equal(out.reshape(img.shape), img)


def measure(name: str, codec: Codec, img: np.ndarray, repeat: int, repeat_below: float) -> dict:
    """Bytes and the best encode and decode seconds of 1 to `repeat` runs; raises if a decode differs."""
    enc, dec = codec
    best_enc = best_dec = float("inf")
    data = b""
    for run in range(max(1, repeat)):
        t0 = time.perf_counter()
        data = enc(img)
        t1 = time.perf_counter()
        out = dec(data, img.shape)
        t2 = time.perf_counter()
        if not same(out, img):
            raise AssertionError(f"{name}: the decode differs from the input")
        best_enc, best_dec = min(best_enc, t1 - t0), min(best_dec, t2 - t1)
        if (t2 - t0) >= repeat_below:
            break
    return {"codec": name, "bytes": len(data), "enc_s": best_enc, "dec_s": best_dec, "runs": run + 1}


def warm_arrays() -> list[np.ndarray]:
    """Arrays that take each of rcl's 16-bit paths (grey and colour wide streams, generic rows), so that loading its
    compiled code stays out of the first image's time whatever that image's crop takes."""
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(96), np.arange(96)) * 40
    grey = (ramp + rng.integers(0, 64, ramp.shape)).astype(np.uint16)
    return [grey, np.dstack([grey, grey[::-1], grey.T]), rng.integers(0, 65536, (16, 16)).astype(np.uint16)]


def run_set(set_name: str, files: list[Path], table: dict[str, Codec], args, state: dict) -> list[dict]:
    rows = []
    for path in files:
        img = load(path)
        mp = img.shape[0] * img.shape[1] / 1e6
        line = []
        for name, codec in table.items():
            if name == RCL and state.get("rcl_error"):
                continue
            if name not in state["warm"]:  # first call loads libraries / compiles: keep it out of the times
                try:
                    for small in [np.ascontiguousarray(img[:64, :64])] + (warm_arrays() if name == RCL else []):
                        if not same(codec[1](codec[0](small), small.shape), small):
                            raise AssertionError(f"{name}: the decode of a {small.shape} array differs from its input")
                except Exception as exc:
                    if name != RCL or isinstance(exc, AssertionError):
                        raise
                    state["rcl_error"] = f"{type(exc).__name__}: {exc}"
                    print(f"rcl cannot code {path.name} ({img.dtype} {img.shape}): {state['rcl_error']}; "
                          "its column is left empty", flush=True)
                    continue
                state["warm"].add(name)
            try:
                row = measure(name, codec, img, args.repeat, args.repeat_below)
            except AssertionError as exc:
                raise AssertionError(f"{exc} ({path})") from None
            except Exception as exc:
                if name != RCL:
                    raise
                state["rcl_error"] = f"{type(exc).__name__}: {exc}"
                print(f"rcl failed on {path.name}: {state['rcl_error']}; its column is left empty", flush=True)
                continue
            row.update(set=set_name, image=path.name, height=img.shape[0], width=img.shape[1],
                       channels=1 if img.ndim == 2 else img.shape[2], mp=mp, samples=img.size,
                       bpsp=8 * row["bytes"] / img.size)
            rows.append(row)
            line.append(f"{SHORT[name]} {row['bpsp']:.3f}")
        print(f"{set_name}/{path.name} {img.shape}: " + ", ".join(line), flush=True)
    return rows


def summarize(rows: list[dict], set_name: str) -> dict:
    """Pooled numbers per codec of one set, ratios to JPEG XL e7 (times) and e9 (size), rcl's size ratios."""
    mine = [r for r in rows if r["set"] == set_name]
    by = {c: [r for r in mine if r["codec"] == c] for c in dict.fromkeys(r["codec"] for r in mine)}

    def pooled(rs: list[dict]) -> dict:
        mp = sum(r["mp"] for r in rs)
        return {"images": len(rs), "mp": mp, "bytes": sum(r["bytes"] for r in rs),
                "bpsp": 8 * sum(r["bytes"] for r in rs) / sum(r["samples"] for r in rs),
                "enc_s_per_mp": sum(r["enc_s"] for r in rs) / mp, "dec_s_per_mp": sum(r["dec_s"] for r in rs) / mp}

    codecs_ = {c: pooled(rs) for c, rs in by.items()}
    e7, e9 = codecs_[E7], codecs_[E9]
    for p in codecs_.values():
        p.update(vs_e9=p["bytes"] / e9["bytes"], enc_vs_e7=p["enc_s_per_mp"] / e7["enc_s_per_mp"],
                 dec_vs_e7=p["dec_s_per_mp"] / e7["dec_s_per_mp"])
    out = {"set": set_name, "images": len(by[E7]), "mp": e7["mp"], "samples": sum(r["samples"] for r in by[E7]),
           "codecs": codecs_}
    if RCL in codecs_:
        blosc = min((c for c in BLOSC if c in codecs_), key=lambda c: codecs_[c]["bytes"])
        out["rcl_vs_e9"] = codecs_[RCL]["bytes"] / e9["bytes"]
        out["rcl_vs_best_blosc"] = codecs_[RCL]["bytes"] / codecs_[blosc]["bytes"]
        out["best_blosc"] = blosc
        e9_bytes = {r["image"]: r["bytes"] for r in by[E9]}
        out["rcl_smaller_than_e9"] = sum(r["bytes"] < e9_bytes[r["image"]] for r in by[RCL])
    return out


def set_markdown(s: dict, order: list[str]) -> str:
    lines = [f"### {s['set']}: {s['images']} images, {s['mp']:.2f} MP, {s['samples'] / 1e6:.2f} M samples", "",
             "| codec | bpsp | / JXL e9 | enc s/MP | dec s/MP | enc / e7 | dec / e7 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for c in order:
        p = s["codecs"].get(c)
        if p is None:
            lines.append(f"| {SHORT[c]} | | | | | | |")
            continue
        lines.append(f"| {SHORT[c]} | {p['bpsp']:.3f} | {p['vs_e9']:.3f} | {p['enc_s_per_mp']:.3f} | "
                     f"{p['dec_s_per_mp']:.3f} | {p['enc_vs_e7']:.2f} | {p['dec_vs_e7']:.2f} |")
    if "rcl_vs_e9" in s:
        lines += ["", f"rcl: {s['rcl_vs_e9']:.3f} x JXL e9 ({s['rcl_smaller_than_e9']}/{s['images']} images smaller), "
                      f"{s['rcl_vs_best_blosc']:.3f} x the better Blosc ({SHORT[s['best_blosc']]})."]
    return "\n".join(lines)


def summary_markdown(summaries: list[dict], order: list[str]) -> str:
    head = "| codec | " + " | ".join(s["set"] for s in summaries) + " |"
    lines = ["### bits per sample", "", head, "|---|" + "---:|" * len(summaries)]
    for c in order:
        cells = [f"{s['codecs'][c]['bpsp']:.3f}" if c in s["codecs"] else "" for s in summaries]
        lines.append(f"| {SHORT[c]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=ROOT, help=f"folder holding {', '.join(SET_NAMES)} (default {ROOT})")
    p.add_argument("--sets", nargs="+", type=Path, default=None, metavar="DIR",
                   help="folders of 16-bit PNGs (default: the three sets under --root)")
    p.add_argument("--out", type=Path, default=OUT, help=f"the JSON file written (default {OUT})")
    p.add_argument("--limit", type=int, default=0, help="only the first N images of each set")
    p.add_argument("--no-rcl", action="store_true", help="leave rcl out")
    p.add_argument("--repeat", type=int, default=2, help="most runs per image and codec; the best time counts")
    p.add_argument("--repeat-below", type=float, default=5.0,
                   help="run again only if the first encode + decode took under this many seconds")
    args = p.parse_args(argv)
    check_packages()
    folders = args.sets or [args.root / n for n in SET_NAMES]
    for f in folders:
        if not f.is_dir():
            raise SystemExit(f"{f}: no such folder")
    table = codecs(with_rcl=not args.no_rcl)
    order = list(table)
    state: dict = {"warm": set(), "rcl_error": None}
    rows: list[dict] = []
    started = time.perf_counter()
    for folder in folders:
        rows += run_set(folder.name, images(folder, args.limit), table, args, state)
    if state["rcl_error"]:
        rows = [r for r in rows if r["codec"] != RCL]  # rcl's column stays empty rather than partial
    summaries = [summarize(rows, f.name) for f in folders]
    md = "\n\n".join([*(set_markdown(s, order) for s in summaries), summary_markdown(summaries, order)])
    if state["rcl_error"]:
        md += f"\n\nrcl: no numbers ({state['rcl_error']})."
    print()
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "machine": machine(), "libraries": versions(), "threads": THREADS, "seconds": time.perf_counter() - started,
        "sets": {f.name: str(f) for f in folders}, "limit": args.limit, "repeat": args.repeat,
        "repeat_below": args.repeat_below, "rcl_error": state["rcl_error"], "settings": SETTINGS,
        "summaries": summaries, "rows": rows}, indent=1))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
