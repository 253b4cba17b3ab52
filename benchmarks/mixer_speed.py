"""Seconds per megapixel of the adaptive coder with no learned mixer and with each released one (ids 1-3).

    python -m benchmarks.mixer_speed [--repeat N] [--expect NAME=SHA256 ...]

The tile is a 512x512 mosaic of the test photos (tests/assets has none that large): lake.png's 512x288 above the
top-left 256x224 of colosseum.png and of osprey.png, side by side. Each configuration is encoded and decoded (best
of --repeat, after one untimed run that compiles), the decode checked against the tile, and the stream's SHA-256
printed; --expect NAME=DIGEST (NAME: none, 1, 2 or 3) fails the run when a stream's digest differs, so a faster
mixer can be checked to write the very same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from rc_plugin.adaptive import mixers, plane_coder
from rc_plugin.format.records import MIXER_NAMES

ASSETS = Path(__file__).resolve().parents[1] / "tests" / "assets"
SIDE = 512


def tile() -> np.ndarray:
    """The 512x512 RGB mosaic of the test photos."""
    def load(name: str) -> np.ndarray:
        return np.asarray(Image.open(ASSETS / name).convert("RGB"))
    lake, colosseum, osprey = load("lake.png"), load("colosseum.png"), load("osprey.png")
    top = lake[:, :SIDE]
    rest = SIDE - top.shape[0]
    bottom = np.concatenate([colosseum[:rest, :SIDE // 2], osprey[:rest, :SIDE // 2]], axis=1)
    return np.ascontiguousarray(np.concatenate([top, bottom], axis=0))


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--expect", action="append", default=[], metavar="NAME=SHA256")
    p.add_argument("--only", action="append", default=[], help="configurations to run (none, 1, 2, 3); default all")
    args = p.parse_args(argv)
    expect = dict(e.split("=", 1) for e in args.expect)
    img = tile()
    h, w, c = img.shape
    mp = h * w / 1e6
    configs = [("none", plane_coder.NO_NET)] + [(str(k), mixers.load(k)) for k in MIXER_NAMES]
    if args.only:
        configs = [cfg for cfg in configs if cfg[0] in args.only]
    failed = False
    print(f"{w}x{h} RGB photo mosaic, best of {args.repeat}\n")
    print("| mixer | hidden | encode s/MP | decode s/MP | bytes | sha256 |")
    print("|---|---:|---:|---:|---:|---|")
    for name, net in configs:
        data = plane_coder.encode_plane(img, net)  # compiles on first use
        if not np.array_equal(plane_coder.decode_plane(data, h, w, c, net), img):
            print(f"mixer {name}: decode differs from the tile", file=sys.stderr)
            failed = True
        enc = best_of(lambda: plane_coder.encode_plane(img, net), args.repeat)
        dec = best_of(lambda: plane_coder.decode_plane(data, h, w, c, net), args.repeat)
        digest = hashlib.sha256(data).hexdigest()
        print(f"| {name} | {net[0].shape[0]} | {enc / mp:.3f} | {dec / mp:.3f} | {len(data)} | {digest} |",
              flush=True)
        if name in expect and expect[name] != digest:
            print(f"mixer {name}: sha256 {digest} != expected {expect[name]}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
