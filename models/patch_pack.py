"""Pack downscaled training patches into a folder of lossless WebP files: ``python -m models.patch_pack OUT``.

A lent GPU machine cannot read ../shared and takes only a small working tree, so
the photos are downscaled (Lanczos, by a random factor in the paper's 0.6..0.8
unless --scale says otherwise, never below the patch size) and cut here, and
the lossy reconstructions are made there by the same HEVC layer
(``models.data.build_cache(..., packed=True)``). Patches are drawn in
proportion to each photo's downscaled area, so large photos are not
under-sampled the way a fixed number of patches per photo would. The range is
recorded in the folder's pack.json.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

from .data import SCALE_RANGE, downscaled, list_images

#: Written beside the patches: how they were made, for the training run's data lineage.
PACK_INFO = "pack.json"


def pack(out: Path, budget_mib: float, size: int = 192, seed: int = 1, files: list[str] | None = None,
         scale: tuple[float, float] = SCALE_RANGE) -> int:
    """Write patches of `files` (default: the shared training photos) until the folder holds about budget_mib."""
    rng = random.Random(seed)
    files = list(files) if files is not None else list_images()
    rng.shuffle(files)
    out.mkdir(parents=True, exist_ok=True)
    # first pass: downscale each photo once and note where its patches go
    candidates = []
    for i, path in enumerate(files):
        img = downscaled(path, random.Random(seed * 7919 + i), *scale, min_side=size)
        h, w = img.shape[:2]
        if h < size or w < size:
            continue
        # more patches from larger photos, but few enough per photo that every photo fits
        n = min(4, max(1, round(h * w / (size * size) / 4)))
        for _ in range(n):
            y = rng.randrange(0, (h - size) // 8 + 1) * 8
            x = rng.randrange(0, (w - size) // 8 + 1) * 8
            candidates.append((path, i, y, x))
    by_file: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for path, i, y, x in candidates:
        by_file.setdefault((path, i), []).append((y, x))
    # second pass: photos in random order, all of a photo's patches, until the budget is met
    order = list(by_file.items())
    rng.shuffle(order)
    total = 0
    written = 0
    limit = budget_mib * 2**20
    for (path, i), spots in order:
        if total >= limit:
            break
        img = downscaled(path, random.Random(seed * 7919 + i), *scale, min_side=size)
        for y, x in spots:
            name = out / f"p{i:04d}_{y:05d}_{x:05d}.webp"
            Image.fromarray(np.ascontiguousarray(img[y : y + size, x : x + size])).save(name, lossless=True, method=4)
            total += name.stat().st_size
            written += 1
            if total >= limit:
                break
    info = {"scale": list(scale), "size": size, "seed": seed, "patches": written, "photos": len(files)}
    (out / PACK_INFO).write_text(json.dumps(info) + "\n")
    return written


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--mib", type=float, default=45.0, help="size budget of the folder")
    p.add_argument("--size", type=int, default=192)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, nargs=2, default=SCALE_RANGE, metavar=("LOW", "HIGH"),
                   help="range of the random Lanczos downscaling factor")
    args = p.parse_args(argv)
    n = pack(args.out, args.mib, args.size, args.seed, scale=tuple(args.scale))
    print(f"{n} patches of {args.size}x{args.size} in {args.out}")


if __name__ == "__main__":
    main()
