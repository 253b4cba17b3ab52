"""Make the check set: 12 training photos prepared as the validation photos were, to see whether a change
tuned on val holds on photos it was not measured on.

    python -m benchmarks.check_set ../shared/data/train benchmarks/out/check
    python -m benchmarks.compare benchmarks/out/check --no-plots --e10-limit 0

A seeded draw of 12 from the training set's wallpaper sources (BSDS500 left out) whose width is at least
2000, each scaled with Lanczos so its long side is 1024 (which removes the JPEG artefacts, as for val), saved
as PNG. docs/models.md reports the adaptive coder's steps on it.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image

SEED, COUNT, MIN_WIDTH, LONG_SIDE = 7, 12, 2000, 1024


def chosen(train: Path) -> list[str]:
    """The training files the check set draws, in its order (paths as in manifest.csv): other sets and training
    scripts call it to keep clear of them."""
    rows = list(csv.DictReader(open(train / "manifest.csv")))
    rows = [r for r in rows if r["source"] != "bsds500" and int(r["width"]) >= MIN_WIDTH]
    return [rows[i]["file"] for i in np.random.default_rng(SEED).choice(len(rows), COUNT, replace=False)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("train", type=Path, help="the training set's folder (with manifest.csv)")
    p.add_argument("out", type=Path, help="where to write chk00.png ...")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for n, file in enumerate(chosen(args.train)):
        im = Image.open(args.train / file).convert("RGB")
        scale = LONG_SIDE / max(im.size)
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
        im.save(args.out / f"chk{n:02d}.png")
        print(f"chk{n:02d}.png  {file}  {im.size[0]}x{im.size[1]}")


if __name__ == "__main__":
    main()
