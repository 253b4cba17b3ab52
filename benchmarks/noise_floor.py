"""A rough estimate of what the noise of grey 16-bit images costs on its own, beside rcl and JPEG XL e9.

    python -m benchmarks.noise_floor /work/data16/microscopy [--results benchmarks/out/deep_sets.json]

Per image: each pixel's residual against the mean of its four neighbours; per 16x16 block, the residual's spread
(median absolute deviation, scaled for Gaussian noise and for the neighbours' own noise: var = 1.25 sigma^2);
a Gaussian's entropy at that spread (1 bit where the spread is under 0.6), averaged over the blocks. Gaussian noise of
a given spread costs the most of any, but the residual also holds some of the image's structure, so this is an
estimate of the floor, not a bound. With a benchmarks.deep_sets result file, rcl's and JPEG XL e9's bits per sample
are printed beside it. Colour images are skipped.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

BLOCK = 16


def noise_bits(image: np.ndarray) -> float:
    """The estimate, in bits per sample, for a grey image."""
    a = image.astype(np.float64)
    residual = a[1:-1, 1:-1] - (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
    h, w = residual.shape
    bits = []
    for y in range(0, h - BLOCK + 1, BLOCK):
        for x in range(0, w - BLOCK + 1, BLOCK):
            block = residual[y:y + BLOCK, x:x + BLOCK]
            sigma = 1.4826 * np.median(np.abs(block - np.median(block))) / np.sqrt(1.25)
            bits.append(0.5 * np.log2(2 * np.pi * np.e * sigma * sigma) if sigma > 0.6 else 1.0)
    return float(np.mean(bits))


def main() -> None:
    import imagecodecs

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "out" / "deep_sets.json")
    args = ap.parse_args()
    sizes = {}
    if args.results.exists():
        sizes = {(r["image"], r["codec"]): r["bpsp"] for r in json.loads(args.results.read_text())["rows"]}
    print("| image | noise estimate | rcl | JPEG XL e9 | 0.95 x e9 |\n|---|---:|---:|---:|---:|")
    for path in sorted(args.folder.glob("*.png")):
        image = imagecodecs.png_decode(path.read_bytes())
        if image.ndim != 2:
            continue
        rcl, e9 = sizes.get((path.name, "rcl")), sizes.get((path.name, "JPEG XL lossless, effort 9"))
        cells = [f"{v:.3f}" if v is not None else "" for v in (rcl, e9, 0.95 * e9 if e9 else None)]
        print(f"| {path.stem} | {noise_bits(image):.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
