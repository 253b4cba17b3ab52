"""Make the JPEG-decoded set: photos that went through JPEG once and were kept at their own resolution, the kind
on which rcl fell behind JPEG XL (issue 28), where val and the check set (downscaled until no JPEG trace is
left) cannot show it.

    python -m benchmarks.jpeg_set ../shared/data/train benchmarks/out/jpeg
    python -m benchmarks.five_sets          # builds it there if missing, and measures it with the other four sets

A seeded draw from the training set's manifest.csv, saved as PNG (8-bit RGB, Pillow's JPEG decoder, no scaling):
- jpg00..jpg11: 12 BSDS500 photos decoded as they are (481x321 or 321x481);
- jpg12..jpg23: 12 crops of 768x512 (wide x high) at a seeded position, from 12 JPEGs of the other sources that
  are at least that big, decoded at their own resolution. The photos the check set draws are left out.

`held_out(train)` lists every training file this set or the check set uses, so that a training script can
keep clear of both.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from . import check_set

SEED, BSDS, CROPS, CROP_W, CROP_H = 28, 12, 12, 768, 512


class Pick(NamedTuple):
    """One image of the set: its PNG name, the training file (manifest path) and the crop box (None: whole)."""

    name: str
    file: str
    box: tuple[int, int, int, int] | None  # left, top, right, bottom


def draw(train: Path, bsds: int = BSDS, crops: int = CROPS) -> list[Pick]:
    """The set's images, from the manifest alone (no image is opened): the same on every machine."""
    rows = list(csv.DictReader(open(train / "manifest.csv")))
    rng = np.random.default_rng(SEED)
    whole = [r for r in rows if r["source"] == "bsds500"]
    picks = [Pick(f"jpg{n:02d}.png", whole[i]["file"], None)
             for n, i in enumerate(rng.choice(len(whole), bsds, replace=False))]
    taken = set(check_set.chosen(train))
    big = [r for r in rows if r["source"] != "bsds500" and r["kind"].startswith("JPEG") and r["file"] not in taken
           and int(r["width"]) >= CROP_W and int(r["height"]) >= CROP_H]
    for n, i in enumerate(rng.choice(len(big), crops, replace=False), start=bsds):
        w, h = int(big[i]["width"]), int(big[i]["height"])
        x, y = int(rng.integers(0, w - CROP_W + 1)), int(rng.integers(0, h - CROP_H + 1))
        picks.append(Pick(f"jpg{n:02d}.png", big[i]["file"], (x, y, x + CROP_W, y + CROP_H)))
    return picks


def held_out(train: Path) -> set[str]:
    """Every training file (manifest path) that the check set or the JPEG-decoded set uses."""
    return set(check_set.chosen(train)) | {p.file for p in draw(train)}


def build(train: Path, out: Path, log=print) -> list[Path]:
    """Write the set's PNGs into out; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for pick in draw(train):
        with Image.open(train / pick.file) as src:
            im = src.convert("RGB")
        if pick.box is not None:
            if pick.box[2] > im.width or pick.box[3] > im.height:
                raise ValueError(f"{pick.file} is {im.width}x{im.height}, smaller than manifest.csv says")
            im = im.crop(pick.box)
        im.save(out / pick.name)
        paths.append(out / pick.name)
        where = f"crop at {pick.box[0]},{pick.box[1]}" if pick.box else "whole"
        log(f"{pick.name}  {pick.file}  {im.width}x{im.height}  {where}")
    return paths


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("train", type=Path, help="the training set's folder (with manifest.csv)")
    p.add_argument("out", type=Path, help="where to write jpg00.png ...")
    args = p.parse_args(argv)
    build(args.train, args.out)


if __name__ == "__main__":
    main()
