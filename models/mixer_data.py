"""The learned mixer's training data: photos of every kind from ../shared/data/train, tapped by the compiled
adaptive coder itself (rc_plugin.adaptive.tap.tap_plane), so that training reads the numbers decoding computes.

Kinds, from a seeded draw that keeps clear of the check set and the JPEG-decoded set (benchmarks.jpeg_set.held_out):
- "down": a wallpaper downscaled with Lanczos so its long side is 1024, as val and the check set were;
- "crop": a 512x512 crop of a wallpaper at its own resolution (JPEG traces kept);
- "bsds": a BSDS500 photo as it is (481x321).
Each image is tapped tile by tile, as the encoder codes it (the adaptive coder's tile side).

    python -m models.mixer_data pack DIR      # copy the drawn JPEGs (for a lent GPU machine, which cannot read
                                              # ../shared), with their list, DIR/items.json
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
from multiprocessing import Pool
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

TRAIN = Path(__file__).resolve().parents[2] / "shared" / "data" / "train"
SEED = 2026
LONG_SIDE, CROP = 1024, 512


class Item(NamedTuple):
    """One training image: the manifest path, its kind, and a seed for its crop."""

    file: str
    kind: str
    seed: int


def draw(train: Path = TRAIN, wallpapers: int = 60, bsds: int = 150) -> list[Item]:
    """The seeded draw: each wallpaper gives a "down" image and a "crop"; BSDS photos are taken whole."""
    from benchmarks.jpeg_set import held_out  # the evaluation sets' files, never trained on

    rows = list(csv.DictReader(open(train / "manifest.csv")))
    skip = held_out(train)
    rng = np.random.default_rng(SEED)
    walls = [r["file"] for r in rows if r["source"] != "bsds500" and r["file"] not in skip
             and min(int(r["width"]), int(r["height"])) >= CROP]
    photos = [r["file"] for r in rows if r["source"] == "bsds500" and r["file"] not in skip]
    items = []
    for i in rng.choice(len(walls), min(wallpapers, len(walls)), replace=False):
        seed = int(rng.integers(1 << 31))
        items += [Item(walls[i], "down", seed), Item(walls[i], "crop", seed)]
    items += [Item(photos[i], "bsds", 0) for i in rng.choice(len(photos), min(bsds, len(photos)), replace=False)]
    return items


def prepare(root: Path, item: Item) -> np.ndarray:
    """The item's RGB pixels (uint8, h x w x 3)."""
    im = Image.open(root / item.file).convert("RGB")
    if item.kind == "down":
        scale = LONG_SIDE / max(im.size)
        if scale < 1:
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    elif item.kind == "crop":
        rng = np.random.default_rng(item.seed)
        x, y = int(rng.integers(0, im.width - CROP + 1)), int(rng.integers(0, im.height - CROP + 1))
        im = im.crop((x, y, x + CROP, y + CROP))
    return np.asarray(im)


def tap_image(img: np.ndarray) -> np.ndarray:
    """The coder's tap of every tile of img, concatenated (int16, subpixels x netmix.TAP_COLUMNS)."""
    from rc_plugin.adaptive import CODER, tap

    t = CODER.side
    return np.concatenate([tap.tap_plane(img[y:y + t, x:x + t])
                           for y in range(0, img.shape[0], t) for x in range(0, img.shape[1], t)])


def _tap_one(args: tuple[Path, Item, Path]) -> str:
    root, item, cache = args
    name = f"{Path(item.file).stem}-{item.kind}-{item.seed}.npy"
    if not (cache / name).exists():  # resumable: a tapped image is kept
        tap = tap_image(prepare(root, item))
        np.save(cache / (name + ".part.npy"), tap)
        (cache / (name + ".part.npy")).rename(cache / name)
    return name


def tap_all(root: Path, items: list[Item], cache: Path, workers: int) -> list[Path]:
    """Tap every item (in parallel, cached in `cache`); returns the .npy files in the items' order."""
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(root, it, cache) for it in items]
    if workers <= 1:  # no forked pool: a fork of a process with threads (as a test run has) can hang in its worker
        return [cache / _tap_one(job) for job in jobs]
    with Pool(workers) as pool:
        names = pool.map(_tap_one, jobs, chunksize=1)
    return [cache / n for n in names]


def load(files: list[Path], keep: float = 1.0, seed: int = 1) -> dict[str, np.ndarray]:
    """The taps as training arrays: features int8, value, mean (1/8 levels), scale row; and the image of each row.
    keep < 1 keeps that share of each image's subpixels (a seeded draw), to bound memory."""
    rng = np.random.default_rng(seed)
    taps = []
    for f in files:
        tap = np.load(f)
        taps.append(tap if keep >= 1 else tap[np.sort(rng.choice(len(tap), int(len(tap) * keep), replace=False))])
    tap = np.concatenate(taps)
    return {"x": tap[:, :-3].astype(np.int8), "v": tap[:, -3].astype(np.int16), "mu": tap[:, -2].astype(np.int16),
            "row": tap[:, -1].astype(np.int16),
            "image": np.repeat(np.arange(len(taps), dtype=np.int32), [len(t) for t in taps])}


def pack(out: Path, train: Path = TRAIN, **kw) -> None:
    """Copy the drawn JPEGs and their list to out (what a lent machine needs to tap them itself)."""
    items = draw(train, **kw)
    for file in sorted({it.file for it in items}):
        (out / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(train / file, out / file)
    (out / "items.json").write_text(json.dumps([it._asdict() for it in items]))


def items_of(folder: Path) -> list[Item]:
    return [Item(**d) for d in json.loads((folder / "items.json").read_text())]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("verb", choices=["pack"])
    p.add_argument("out", type=Path)
    p.add_argument("--wallpapers", type=int, default=60)
    p.add_argument("--bsds", type=int, default=150)
    a = p.parse_args()
    pack(a.out, wallpapers=a.wallpapers, bsds=a.bsds)
