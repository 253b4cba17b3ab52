"""Make the sample photos of tests/assets from CC0 photos of the training set.

Maintainers only: this reads the originals from ../shared/data/train (next to the repository), which a
user's clone does not have. The tests read the PNGs it wrote, never ../shared. Run from the repository root:

    python tests/assets/make_assets.py

Each asset is a box of the original JPEG (a 3:2 crop, or the whole frame) downscaled with Lanczos by a
factor of 7.5 or more, which removes the JPEG artefacts (as data/val was made), then saved as 8-bit RGB PNG; but
jpeg_photo.png, a box of the decoded JPEG as it is (its 8x8 blocks' traces kept, as in photos decoded from a JPEG at
their own resolution).
tests/assets/SOURCES.md lists the same origins, licences and recipes.
"""
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
TRAIN = HERE.parents[2] / "shared" / "data" / "train"

# asset name: (file in the training set, box (left, upper, right, lower) in original pixels or None, output size)
ASSETS = {
    "osprey.png": ("debian-budgie-backgrounds/backgrounds_budgie_perched-osprey.jpg", (0, 0, 3240, 2160), (384, 256)),
    "lake.png": ("debian-budgie-backgrounds/backgrounds_budgie_lake-sherburne.jpg", None, (512, 288)),
    "colosseum.png": (
        "debian-budgie-backgrounds/backgrounds_budgie_roman-colosseum.jpg", (0, 0, 3240, 2160), (384, 256)
    ),
    # output size None: the box as decoded, not resized
    "jpeg_decoded/jpeg_photo.png": ("debian-budgie-backgrounds/backgrounds_budgie_perched-osprey.jpg", (2000, 1200, 2256, 1392), None),
}


def main() -> None:
    for name, (source, box, size) in ASSETS.items():
        with Image.open(TRAIN / source) as im:
            rgb = im.convert("RGB")
            small = rgb.crop(box) if size is None else rgb.resize(size, Image.LANCZOS, box=box)
        # no ancillary chunks (no time stamp, no ICC profile): the same bytes on every run
        small.save(HERE / name, optimize=True)
        print(f"{name}: {source} box {box} -> {size}, {(HERE / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
