"""The five-set measurement of issue 28: every change to the adaptive coder is judged on five kinds of photo, not on
val alone, against JPEG XL measured in the same run.

    python -m benchmarks.five_sets                                   # rcl's default encode on all five sets
    python -m benchmarks.five_sets --variant adaptive='{"coder": "adaptive"}' --variant other='{...}'
    python -m benchmarks.five_sets --sets val jpeg --limit 4         # a quick look
    python -m benchmarks.five_sets --rcl-options '{"coder": "adaptive"}'   # a variant named by its JSON

Sets: val (../shared/data/val), check (benchmarks.check_set), urban and manga (../shared/data/dev), jpeg
(benchmarks.jpeg_set); the check and jpeg sets are built under benchmarks/out/ if missing. Per set and codec:
pooled bpsp (total bits / total subpixels), the ratio to JPEG XL e9, on how many images rcl is smaller than JPEG XL
e9, encode and decode s/MP (pooled) and decode time as a ratio to JPEG XL e7. Every decode is checked against its
input (a mismatch stops the run). The markdown table is printed; benchmarks/out/five_sets.json has it with every
image's row.

JPEG XL e9 is slow, so its results are cached per image in benchmarks/out/jxl_cache.json (keyed by the pixels'
sha256, the codec and libjxl's version): a rerun for a new rcl variant only codes rcl and JPEG XL e7. JPEG XL e7 is
coded every run, since it is the time reference and should share the run's machine load; its size is checked
against the cache. --no-cache codes e9 again. Times on a shared machine are noisy: compare ratios, not s/MP.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from . import check_set, jpeg_set
from . import codecs as cc
from .compare import OUT, check_packages, machine, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SETS = ("val", "check", "urban", "manga", "jpeg")
CACHE = OUT / "jxl_cache.json"
CACHED = (cc.JXL_E9,)  # codecs whose results may come from the cache; e7 is always coded (the time reference)
E7, E9 = cc.JXL_E7, cc.JXL_E9


def set_dirs(data: Path, out: Path) -> dict[str, Path]:
    """Where each set's PNGs are."""
    return {"val": data / "val", "check": out / "check", "urban": data / "dev" / "urban",
            "manga": data / "dev" / "manga", "jpeg": out / "jpeg"}


def ensure_built(name: str, folder: Path, data: Path) -> None:
    """Build the check set or the JPEG-decoded set in folder if any of its images is missing."""
    train = data / "train"
    if name == "check":
        wanted = [f"chk{n:02d}.png" for n in range(check_set.COUNT)]
        if not all((folder / w).exists() for w in wanted):
            check_set.main([str(train), str(folder)])
    elif name == "jpeg":
        if not all((folder / p.name).exists() for p in jpeg_set.draw(train)):
            jpeg_set.build(train, folder)


def images(folder: Path, limit: int = 0) -> list[Path]:
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() == ".png")
    return files[:limit] if limit else files


def _key(img: np.ndarray, codec: str) -> str:
    import imagecodecs

    digest = hashlib.sha256(np.ascontiguousarray(img).tobytes() + str(img.shape).encode()).hexdigest()
    return f"{digest}|{codec}|{imagecodecs.jpegxl_version()}"


def rcl_codec(options: dict) -> cc.Codec:
    import rc_plugin

    return (lambda a: rc_plugin.encode(a, **options), rc_plugin.decode)


_WARM: set[str] = set()  # codecs already run once in this process


def measure_file(set_name: str, path: Path, variants: dict[str, dict], cache: dict) -> tuple[list[dict], dict]:
    """Every codec's row on one image, and the cache entries it added; raises if a decode differs from its input."""
    img = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
    jxl = cc.classical(e10=False)
    codecs = {E7: jxl[E7], E9: jxl[E9], **{f"rcl ({n})": rcl_codec(o) for n, o in variants.items()}}
    rows, added = [], {}
    for name, codec in codecs.items():
        if name not in _WARM:  # the first call compiles (numba) and loads: keep it out of the times
            codec[1](codec[0](np.ascontiguousarray(img[:64, :64])))
            _WARM.add(name)
        key = _key(img, name) if name in (E7, E9) else None
        if name in CACHED and key in cache:
            row = dict(cache[key], codec=name, cached=True)
        else:
            row = measure(name, codec, img)
            if "error" in row:
                raise RuntimeError(f"{name} failed on {path}: {row['error']}")
            if not row["exact"]:
                raise AssertionError(f"{name}: the decode of {path} differs from its input")
            if key is not None:
                if key in cache and cache[key]["bytes"] != row["bytes"]:
                    raise AssertionError(f"{name} on {path}: {row['bytes']} bytes, the cache says {cache[key]['bytes']}")
                added[key] = {k: row[k] for k in ("bytes", "bpsp", "enc_s_per_mp", "dec_s_per_mp", "exact")}
        mp = img.shape[0] * img.shape[1] / 1e6
        row.update(set=set_name, image=path.name, width=img.shape[1], height=img.shape[0], mp=mp,
                   subpixels=img.size, enc_s=row["enc_s_per_mp"] * mp, dec_s=row["dec_s_per_mp"] * mp)
        rows.append(row)
    return rows, added


def summarize(rows: list[dict]) -> list[dict]:
    """One entry per set and codec: pooled bpsp and s/MP, ratios to JPEG XL e9 (size, encode time) and e7 (decode
    time) over the same images, and how many images the codec codes smaller than JPEG XL e9."""
    table = []
    for set_name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == set_name]
        by = {c: [r for r in mine if r["codec"] == c] for c in dict.fromkeys(r["codec"] for r in mine)}
        e9 = {r["image"]: r["bytes"] for r in by[E9]}

        def pooled(rs: list[dict]) -> dict:
            mp = sum(r["mp"] for r in rs)
            return {"bpsp": 8 * sum(r["bytes"] for r in rs) / sum(r["subpixels"] for r in rs),
                    "enc": sum(r["enc_s"] for r in rs) / mp, "dec": sum(r["dec_s"] for r in rs) / mp}

        ref7, ref9 = pooled(by[E7]), pooled(by[E9])
        for codec, rs in by.items():
            p = pooled(rs)
            table.append({
                "set": set_name, "codec": codec, "images": len(rs), "mp": sum(r["mp"] for r in rs),
                "bpsp": p["bpsp"], "vs_e9": p["bpsp"] / ref9["bpsp"],
                "smaller_than_e9": sum(r["bytes"] < e9[r["image"]] for r in rs),
                "enc_s_per_mp": p["enc"], "dec_s_per_mp": p["dec"],
                "enc_vs_e9": p["enc"] / ref9["enc"], "dec_vs_e7": p["dec"] / ref7["dec"],
                "e9_cached": sum(bool(r.get("cached")) for r in by[E9]),
            })
    return table


def markdown(table: list[dict]) -> str:
    lines = ["| set | codec | images | bpsp | / JXL e9 | smaller than e9 | enc s/MP | dec s/MP | enc / e9 | dec / e7 |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in table:
        short = t["codec"].replace("JPEG XL lossless, effort ", "JXL e")
        smaller = "" if t["codec"] == E9 else f"{t['smaller_than_e9']}/{t['images']}"
        lines.append(f"| {t['set']} | {short} | {t['images']} | {t['bpsp']:.4f} | {t['vs_e9']:.4f} | {smaller} | "
                     f"{t['enc_s_per_mp']:.2f} | {t['dec_s_per_mp']:.3f} | {t['enc_vs_e9']:.2f} | {t['dec_vs_e7']:.2f} |")
    return "\n".join(lines)


def parse_variants(named: list[str], plain: list[str]) -> dict[str, dict]:
    """--variant NAME=JSON and --rcl-options JSON (named by its JSON) as {name: encode options}; default: rcl's
    default encode."""
    out: dict[str, dict] = {}
    for item in named:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--variant wants NAME=JSON, not {item!r}")
        out[name] = json.loads(text)
    for text in plain:
        options = json.loads(text)
        out[json.dumps(options, sort_keys=True, separators=(",", ":"))] = options
    for name, options in out.items():
        if not isinstance(options, dict):
            raise SystemExit(f"variant {name}: the options must be a JSON object")
    return out or {"default": {}}


def _save_cache(cache: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=0, sort_keys=True))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    p.add_argument("--variant", action="append", default=[], metavar="NAME=JSON",
                   help="an rcl variant: a name and its rc_plugin.encode options as JSON (repeatable)")
    p.add_argument("--rcl-options", action="append", default=[], metavar="JSON",
                   help="an rcl variant named by its options' JSON (repeatable)")
    p.add_argument("--limit", type=int, default=0, help="only the first N images of each set")
    p.add_argument("--jobs", type=int, default=1,
                   help="images coded at once (default 1; more make times meaningless on a small machine)")
    p.add_argument("--no-cache", action="store_true", help="code JPEG XL e9 again (the cache is still updated)")
    p.add_argument("--data", type=Path, default=DATA, help="the shared data folder (val, dev, train)")
    p.add_argument("--out", type=Path, default=OUT, help="folder for the built sets, the cache and five_sets.json")
    args = p.parse_args(argv)
    variants = parse_variants(args.variant, args.rcl_options)
    check_packages(plots=False)
    dirs = set_dirs(args.data, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    cache_path = args.out / CACHE.name
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    lookup = {} if args.no_cache else cache
    work = []
    for name in args.sets:
        ensure_built(name, dirs[name], args.data)
        work += [(name, f) for f in images(dirs[name], args.limit)]
    rows: list[dict] = []

    def take(result: tuple[list[dict], dict], name: str, f: Path) -> None:
        new_rows, added = result
        rows.extend(new_rows)
        if added:
            cache.update(added)
            _save_cache(cache, cache_path)
        by = {r["codec"]: r for r in new_rows}
        print(f"{name}/{f.name}: " + ", ".join(f"{c.replace('JPEG XL lossless, effort ', 'e')} {r['bpsp']:.3f}"
                                              for c, r in by.items()), flush=True)

    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = [(pool.submit(measure_file, n, f, variants, lookup), n, f) for n, f in work]
            for fut, n, f in futures:
                take(fut.result(), n, f)
    else:
        for n, f in work:
            take(measure_file(n, f, variants, lookup), n, f)
    table = summarize(rows)
    md = markdown(table)
    print(md)
    (args.out / "five_sets.json").write_text(json.dumps(
        {"machine": machine(), "libraries": cc.versions(), "variants": variants, "limit": args.limit,
         "jobs": args.jobs, "table": table, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
