"""Make the non-photo benchmark set: text, plots, screenshots, maps, label masks, pixel art, palette photos.

    python -m benchmarks.synthetic_set /work/nonphoto_set          # the benchmark set (38 PNGs, 7 MP)
    python -m benchmarks.nonphoto /work/nonphoto_set               # per-image bytes: rcl against PNG, WebP, JXL
    python -m benchmarks.synthetic_set --test-assets tests/assets/nonphoto   # the five small test assets
    python -m benchmarks.synthetic_set --public ORIGINALS /work/nonphoto_public   # 6 public images (PUBLIC)

Every image is drawn from a fixed seed, so a rerun with the same library versions writes the same pixels
(Pillow's FreeType rendering and matplotlib's Agg can change a few pixels between versions: SOURCES.md
records the versions that made a set). Each is saved as PNG in the mode a user would have: P for palette
images, L for grey, 1 for bilevel, RGB otherwise. OUTDIR/SOURCES.md says how each was made, and
OUTDIR/manifest.json gives each file's kind and recipe (benchmarks.nonphoto reads it).

Inputs:
- photos: the three CC0 photos of tests/assets (in the repository), and for the benchmark set, crops of the
  validation photos ../shared/data/val (beside the repository; read only here, for benchmark images, never by
  the tests). Without ../shared/data/val the photo-based images use tests/assets only, and say so.
- fonts: the TrueType fonts that matplotlib ships (DejaVu Sans / Serif / Sans Mono, Computer Modern,
  STIX), so the set needs no system fonts; matplotlib is in the `bench` extra. If they are missing the
  generator stops and names them.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "tests" / "assets"
VAL = ROOT.parent / "shared" / "data" / "val"
SEED = 2026

WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no what up out more some into them time "
    "image codec lossless entropy model pixel context residual palette index tile guard bitstream header decoder "
    "encoder benchmark compression ratio network layer channel colour grey bilevel text screen map label mask "
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo"
).split()


@dataclass
class Item:
    name: str  # file name without .png
    kind: str
    image: Image.Image
    recipe: str


# ---------------------------------------------------------------- inputs


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "mono": "DejaVuSansMono.ttf",
    "cmr": "cmr10.ttf",
    "stix": "STIXGeneral.ttf",
}


def font(key: str, size: int) -> ImageFont.FreeTypeFont:
    path = font_dir() / FONTS[key]
    if not path.exists():
        raise SystemExit(f"benchmarks.synthetic_set needs matplotlib's bundled font {FONTS[key]} (looked in "
                         f"{path.parent}); install the bench extra: pip install \".[bench]\"")
    return ImageFont.truetype(str(path), size)


def photo(name: str) -> Image.Image:
    """A photo by name: 'osprey', 'lake', 'colosseum' (tests/assets) or 'val05' (../shared/data/val)."""
    path = ASSETS / f"{name}.png" if not name.startswith("val") else VAL / f"{name}.png"
    return Image.open(path).convert("RGB")


def photo_crop(name: str, box: tuple[int, int, int, int], fallback: str) -> tuple[Image.Image, str]:
    """A crop of a validation photo, or (without ../shared/data/val) of the test photo `fallback`."""
    if name.startswith("val") and not (VAL / f"{name}.png").exists():
        im = photo(fallback)
        w, h = min(box[2] - box[0], im.width), min(box[3] - box[1], im.height)
        return im.crop((0, 0, w, h)), f"tests/assets/{fallback}.png crop (0, 0, {w}, {h}) (no ../shared/data/val)"
    src = "tests/assets" if not name.startswith("val") else "../shared/data/val"
    return photo(name).crop(box), f"{src}/{name}.png crop {box}"


def words(rng: np.random.Generator, n: int) -> list[str]:
    return [WORDS[i] for i in rng.integers(0, len(WORDS), n)]


def wrap(draw: ImageDraw.ImageDraw, fnt, text_words: list[str], width: int) -> list[str]:
    lines, line = [], ""
    for w in text_words:
        cand = f"{line} {w}".strip()
        if draw.textlength(cand, font=fnt) > width and line:
            lines.append(line)
            line = w
        else:
            line = cand
    return lines + [line]


def paragraph(draw, xy, fnt, rng, width, height, fill, spacing=1.3, para_every=7):
    """Fill a box with wrapped pseudo-text; a blank line every few lines."""
    x, y = xy
    step = int(fnt.size * spacing)
    n = 0
    while y + step <= xy[1] + height:
        for line in wrap(draw, fnt, words(rng, 60), width)[:-1]:
            if y + step > xy[1] + height:
                break
            draw.text((x, y), line, font=fnt, fill=fill)
            y += step
            n += 1
        y += step // 2


# ---------------------------------------------------------------- kinds


def quantised_photos() -> list[Item]:
    fs, none = Image.Dither.FLOYDSTEINBERG, Image.Dither.NONE
    specs = [  # name, photo, box, colours, dither, method
        ("pal256-dither-val03", "val03", (256, 96, 768, 480), 256, fs, Image.Quantize.MEDIANCUT, "osprey"),
        ("pal256-nodither-val17", "val17", (300, 100, 748, 436), 256, none, Image.Quantize.MEDIANCUT, "colosseum"),
        ("pal256-dither-osprey", "osprey", (0, 0, 384, 256), 256, fs, Image.Quantize.FASTOCTREE, "osprey"),
        ("pal64-dither-lake", "lake", (0, 0, 512, 288), 64, fs, Image.Quantize.MEDIANCUT, "lake"),
        ("pal64-nodither-val12", "val12", (200, 150, 584, 534), 64, none, Image.Quantize.MAXCOVERAGE, "lake"),
        ("pal16-dither-colosseum", "colosseum", (0, 0, 384, 256), 16, fs, Image.Quantize.MEDIANCUT, "colosseum"),
        ("pal16-nodither-val18", "val18", (400, 120, 784, 504), 16, none, Image.Quantize.MEDIANCUT, "lake"),
    ]
    out = []
    for name, src, box, colours, dither, method, fallback in specs:
        im, where = photo_crop(src, box, fallback)
        q = im.quantize(colours, method=method, dither=dither)
        out.append(Item(name, "palette photo", q,
                        f"{where}, Pillow quantize({colours}, method={method.name}, dither={dither.name}); mode P"))
    return out


def text_images() -> list[Item]:
    rng = np.random.default_rng(SEED + 1)
    out = []
    # black on white, anti-aliased, grey
    im = Image.new("L", (512, 384), 255)
    d = ImageDraw.Draw(im)
    paragraph(d, (16, 12), font("sans", 13), rng, 480, 360, 0)
    out.append(Item("text-sans13-aa", "text", im, "DejaVu Sans 13 px, black on white, anti-aliased; mode L"))
    im = Image.new("L", (448, 448), 255)
    d = ImageDraw.Draw(im)
    d.text((16, 10), "Lossless Coding of Text", font=font("serif", 26), fill=0)
    paragraph(d, (16, 52), font("serif", 17), rng, 416, 384, 0)
    out.append(Item("text-serif17-aa", "text", im, "DejaVu Serif 26 px title, 17 px body, black on white, "
                                                     "anti-aliased; mode L"))
    # bilevel: FreeType without anti-aliasing, saved as mode 1 (a fax or a scanned page)
    im = Image.new("1", (576, 432), 1)
    d = ImageDraw.Draw(im)
    d.fontmode = "1"
    paragraph(d, (16, 12), font("sans", 12), rng, 544, 410, 0, spacing=1.25)
    out.append(Item("text-sans12-bilevel", "text", im, "DejaVu Sans 12 px, not anti-aliased (fontmode '1'); mode 1"))
    im = Image.new("1", (384, 384), 1)
    d = ImageDraw.Draw(im)
    d.fontmode = "1"
    d.text((12, 8), "Chapter 3", font=font("cmr", 30), fill=0)
    paragraph(d, (12, 50), font("cmr", 16), rng, 360, 320, 0, spacing=1.2)
    out.append(Item("text-cmr16-bilevel", "text", im, "Computer Modern (cmr10) 30 and 16 px, not anti-aliased; mode 1"))
    # coloured: a code listing with syntax colours on a dark background, and coloured text on a tint
    im = Image.new("RGB", (576, 384), (40, 42, 54))
    d = ImageDraw.Draw(im)
    mono = font("mono", 13)
    colours = [(248, 248, 242), (255, 121, 198), (139, 233, 253), (80, 250, 123), (241, 250, 140), (98, 114, 164)]
    y = 8
    for line_no in range(1, 24):
        x = 8
        d.text((x, y), f"{line_no:3d}", font=mono, fill=(98, 114, 164))
        x += 40 + 16 * int(rng.integers(0, 4))
        for tok in words(rng, int(rng.integers(2, 8))):
            c = colours[int(rng.integers(0, len(colours)))]
            tok = tok + ("(" if rng.random() < 0.2 else "") + ("," if rng.random() < 0.2 else "")
            d.text((x, y), tok, font=mono, fill=c)
            x += d.textlength(tok + " ", font=mono)
            if x > 540:
                break
        y += 16
    out.append(Item("text-mono13-code-colour", "text", im, "DejaVu Sans Mono 13 px code listing, 6 syntax colours "
                                                           "on dark grey, anti-aliased; mode RGB"))
    im = Image.new("RGB", (480, 360), (250, 246, 232))
    d = ImageDraw.Draw(im)
    d.text((14, 8), "Release notes", font=font("sans-bold", 22), fill=(180, 30, 40))
    paragraph(d, (14, 44), font("serif-italic", 14), rng, 450, 140, (20, 40, 120))
    paragraph(d, (14, 196), font("stix", 15), rng, 450, 156, (30, 90, 30))
    out.append(Item("text-colour-mixed-aa", "text", im, "DejaVu Sans Bold 22 px red title, DejaVu Serif Italic "
                                                        "14 px blue and STIX 15 px green paragraphs on cream, "
                                                        "anti-aliased; mode RGB"))
    return out


def plots() -> list[Item]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(SEED + 2)
    out = []

    def render(fig, name, recipe):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
        plt.close(fig)
        out.append(Item(name, "plot", Image.open(buf).convert("RGB"), recipe + "; matplotlib Agg, 80 dpi; mode RGB"))

    plt.rcParams.update(plt.rcParamsDefault)
    x = np.linspace(0, 10, 400)
    fig, ax = plt.subplots(figsize=(7, 5))
    for k in range(4):
        ax.plot(x, np.sin(x * (1 + k / 3)) * np.exp(-x / (6 + k)) + 0.05 * rng.standard_normal(400).cumsum() / 10,
                label=f"series {k}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_title("Line plot")
    ax.grid(True)
    ax.legend()
    render(fig, "plot-lines", "4 noisy damped sines, grid, legend, 560x400")
    fig, ax = plt.subplots(figsize=(6, 6))
    for k in range(3):
        pts = rng.standard_normal((150, 2)) * (0.5 + k / 3) + rng.uniform(-2, 2, 2)
        ax.scatter(pts[:, 0], pts[:, 1], s=rng.uniform(5, 60, 150), alpha=0.6, label=f"cluster {k}")
    ax.legend()
    ax.set_title("Scatter")
    render(fig, "plot-scatter", "3 Gaussian clusters, 450 points with alpha 0.6, 480x480")
    fig, ax = plt.subplots(figsize=(7, 5))
    cats = [f"C{i}" for i in range(8)]
    bottom = np.zeros(8)
    for k in range(3):
        v = rng.uniform(1, 5, 8)
        ax.bar(cats, v, bottom=bottom, label=f"part {k}")
        bottom += v
    ax.set_title("Stacked bars")
    ax.legend()
    render(fig, "plot-bars", "stacked bar chart, 8 categories x 3 parts, 560x400")
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    yy, xx = np.mgrid[-3:3:40j, -3:3:48j]
    z = np.sin(xx * 1.3) * np.cos(yy) + 0.3 * rng.standard_normal(xx.shape)
    im = ax.imshow(z, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax)
    ax.set_title("Heatmap")
    render(fig, "plot-heatmap", "48x40 heatmap (viridis, nearest cells) with colorbar, 512x448")
    return out


def _gradient(w: int, h: int, c0, c1, vertical=True) -> Image.Image:
    t = np.linspace(0, 1, h if vertical else w)[:, None] if vertical else np.linspace(0, 1, w)[None, :]
    a = (np.asarray(c0)[None, None, :] * (1 - t[..., None]) + np.asarray(c1)[None, None, :] * t[..., None])
    a = np.broadcast_to(a, (h, w, 3))
    return Image.fromarray(np.round(a).astype(np.uint8), "RGB")


def _window(im: Image.Image, box, title: str, rng, accent) -> None:
    x0, y0, x1, y1 = box
    d = ImageDraw.Draw(im)
    d.rectangle((x0 + 4, y0 + 4, x1 + 4, y1 + 4), fill=(60, 60, 70))  # hard shadow
    d.rectangle(box, fill=(240, 240, 240), outline=(120, 120, 130))
    im.paste(_gradient(x1 - x0 - 1, 26, accent, tuple(min(255, c + 70) for c in accent), vertical=False),
             (x0 + 1, y0 + 1))
    d.text((x0 + 30, y0 + 5), title, font=font("sans-bold", 13), fill=(255, 255, 255))
    d.ellipse((x0 + 8, y0 + 7, x0 + 20, y0 + 19), fill=(250, 250, 250))  # app icon
    for k, c in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        d.ellipse((x1 - 20 - 18 * k, y0 + 8, x1 - 8 - 18 * k, y0 + 20), fill=c)
    sans = font("sans", 12)
    d.rectangle((x0 + 1, y0 + 27, x1 - 1, y0 + 47), fill=(228, 228, 232))
    mx = x0 + 8
    for m in ("File", "Edit", "View", "Tools", "Help"):
        d.text((mx, y0 + 30), m, font=sans, fill=(20, 20, 20))
        mx += d.textlength(m, font=sans) + 14
    # a list with alternating rows, checkboxes and icons; a scroll bar; buttons
    ly = y0 + 56
    for r in range((y1 - y0 - 110) // 20):
        d.rectangle((x0 + 8, ly, x1 - 24, ly + 19), fill=(255, 255, 255) if r % 2 else (244, 246, 250))
        d.rectangle((x0 + 12, ly + 4, x0 + 23, ly + 15), outline=(90, 90, 90), fill=(255, 255, 255))
        if rng.random() < 0.4:
            d.line((x0 + 14, ly + 9, x0 + 17, ly + 13, x0 + 22, ly + 5), fill=accent, width=2)
        icon = tuple(int(c) for c in rng.integers(40, 220, 3))
        d.rounded_rectangle((x0 + 30, ly + 3, x0 + 43, ly + 16), radius=3, fill=icon)
        label = words(rng, int(rng.integers(1, 4)))
        while len(label) > 1 and d.textlength(" ".join(label), font=sans) > x1 - x0 - 150:  # room for the size
            label = label[:-1]
        d.text((x0 + 50, ly + 3), " ".join(label), font=sans, fill=(30, 30, 30))
        d.text((x1 - 90, ly + 3), f"{int(rng.integers(1, 999))} KB", font=sans, fill=(110, 110, 110))
        ly += 20
    d.rectangle((x1 - 20, y0 + 56, x1 - 8, ly), fill=(230, 230, 230))
    d.rounded_rectangle((x1 - 19, y0 + 60, x1 - 9, y0 + 110), radius=4, fill=(170, 170, 175))
    for k, label in enumerate(("Cancel", "OK")):
        bx = x1 - 170 + 82 * k
        d.rounded_rectangle((bx, y1 - 40, bx + 72, y1 - 14), radius=5,
                            fill=accent if label == "OK" else (225, 225, 228), outline=(140, 140, 150))
        d.text((bx + 36, y1 - 27), label, font=sans, anchor="mm",
               fill=(255, 255, 255) if label == "OK" else (20, 20, 20))
    d.rectangle((x0 + 8, y1 - 40, x0 + min(200, x1 - x0 - 178), y1 - 14), fill=(255, 255, 255),
                outline=(150, 150, 160))
    d.text((x0 + 14, y1 - 35), "search...", font=sans, fill=(150, 150, 150))


def screenshots() -> list[Item]:
    rng = np.random.default_rng(SEED + 3)
    out = []
    im = _gradient(768, 512, (30, 60, 110), (120, 160, 200))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 484, 768, 512), fill=(32, 32, 36))  # task bar
    for k in range(6):
        colour = tuple(int(c) for c in rng.integers(60, 230, 3))
        d.rounded_rectangle((8 + 34 * k, 488, 34 + 34 * k, 508), radius=4, fill=colour)
    d.text((700, 490), "18:20", font=font("sans", 13), fill=(230, 230, 230))
    for k in range(4):  # desktop icons
        d.rounded_rectangle((20, 20 + 80 * k, 60, 60 + 80 * k), radius=6, fill=(230, 200, 90))
        d.text((40, 66 + 80 * k), words(rng, 1)[0], font=font("sans", 11), fill=(255, 255, 255), anchor="mt")
    _window(im, (110, 40, 520, 400), "Files - Documents", rng, (52, 101, 164))
    _window(im, (330, 150, 740, 460), "Settings", rng, (117, 80, 123))
    out.append(Item("screen-desktop", "screenshot", im, "Pillow-drawn desktop: vertical gradient background, task "
                                                         "bar, icons, two overlapping windows (gradient title bars, "
                                                         "menus, list with checkboxes, buttons, text field), "
                                                         "DejaVu Sans anti-aliased; mode RGB"))
    im = Image.new("RGB", (640, 448), (250, 250, 250))
    _window(im, (0, 0, 639, 447), "Editor - notes.txt", rng, (30, 130, 90))
    out.append(Item("screen-dialog", "screenshot", im, "one Pillow-drawn window filling the image (same widgets); "
                                                        "mode RGB"))
    # a web-page-like screen: header bar, side bar, text columns, a photo thumbnail
    im = Image.new("RGB", (640, 480), (255, 255, 255))
    d = ImageDraw.Draw(im)
    im.paste(_gradient(640, 56, (200, 60, 40), (240, 120, 60), vertical=False), (0, 0))
    d.text((16, 14), "rcl project page", font=font("sans-bold", 22), fill=(255, 255, 255))
    d.rectangle((0, 56, 150, 480), fill=(238, 240, 243))
    for k in range(12):
        d.text((14, 70 + 26 * k), " ".join(words(rng, 2)), font=font("sans", 12), fill=(40, 70, 140))
    paragraph(d, (166, 70), font("serif", 13), rng, 300, 390, (30, 30, 30))
    thumb = photo("lake").resize((150, 84), Image.LANCZOS)
    im.paste(thumb, (478, 76))
    d.rectangle((478, 170, 628, 240), outline=(200, 200, 200))
    d.text((486, 178), "Figure 1.", font=font("sans-bold", 11), fill=(0, 0, 0))
    out.append(Item("screen-webpage", "screenshot", im, "Pillow-drawn web page: gradient header, side bar links, "
                                                         "serif text column, a 150x84 Lanczos thumbnail of "
                                                         "tests/assets/lake.png; mode RGB"))
    return out


def _labels(shape, n: int, seed: int, blur: float, cell: int = 48) -> np.ndarray:
    """A segmentation-like label image: argmax over n blurred random fields (organic regions)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    fields = []
    for _ in range(n):
        small = Image.fromarray((rng.random((max(2, h // cell), max(2, w // cell))) * 255).astype(np.uint8), "L")
        big = small.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(blur))
        fields.append(np.asarray(big, dtype=np.int16))
    return np.argmax(np.stack(fields), axis=0).astype(np.uint8)


PALETTE20 = [(0, 0, 0), (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
             (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180),
             (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230),
             (119, 11, 32)]


def label_masks() -> list[Item]:
    out = []
    lab = _labels((384, 512), 6, SEED + 4, 6)
    out.append(Item("mask-grey-6-raw", "label mask", Image.fromarray(lab, "L"),
                    "6 classes, values 0..5 (raw label ids), argmax of blurred random fields; mode L"))
    lab = _labels((384, 384), 12, SEED + 5, 4, 32)
    out.append(Item("mask-grey-12-spread", "label mask", Image.fromarray((lab * 21).astype(np.uint8), "L"),
                    "12 classes spread over 0..231 (id x 21); mode L"))
    lab = _labels((384, 512), 20, SEED + 6, 3, 24)
    p = Image.fromarray(lab, "P")
    p.putpalette([c for rgb in PALETTE20 for c in rgb])
    out.append(Item("mask-colour-20-palette", "label mask", p, "20 classes with the Cityscapes colours, "
                                                               "as a palette image; mode P"))
    rgb = Image.fromarray(np.asarray(PALETTE20, np.uint8)[_labels((448, 384), 10, SEED + 7, 5)], "RGB")
    d = ImageDraw.Draw(rgb)
    d.rectangle((0, 0, 383, 447), outline=(255, 255, 255), width=2)
    out.append(Item("mask-colour-10-rgb", "label mask", rgb, "10 classes with Cityscapes colours, stored as RGB "
                                                             "(as many tools write masks); mode RGB"))
    return out


def _sprite(rng: np.random.Generator, size=16, colours=5) -> np.ndarray:
    """A mirror-symmetric sprite: 0 background, 1 outline, 2.. body colours in horizontal bands."""
    yy, xx = np.mgrid[0:size, 0:size // 2]
    r = np.hypot((yy - size / 2 + 0.5) / size, (xx - size / 2 + 0.5) / size)  # distance from the centre line
    body = rng.random((size, size // 2)) < 1.1 - 2.2 * r
    body[[0, -1], :] = False
    body[:, 0] = False
    full = np.concatenate([body, body[:, ::-1]], axis=1)
    bands = rng.integers(2, colours, size)[:, None] * np.ones((1, size), np.int64)
    grown = full.copy()
    grown[1:] |= full[:-1]
    grown[:-1] |= full[1:]
    grown[:, 1:] |= full[:, :-1]
    grown[:, :-1] |= full[:, 1:]
    return np.where(full, bands, np.where(grown, 1, 0)).astype(np.uint8)


def pixel_art() -> list[Item]:
    rng = np.random.default_rng(SEED + 8)
    out = []
    pal = [(24, 20, 37), (38, 92, 66), (99, 199, 77), (254, 231, 97), (228, 59, 68), (44, 232, 245), (255, 255, 255),
           (139, 155, 180), (58, 68, 102), (190, 74, 47), (247, 118, 34), (18, 78, 137)]
    sheet = np.full((384, 512), 8, np.uint8)
    for i in range(384 // 40):  # a grid of 16x16 sprites upscaled x2, 8 px apart
        for j in range(512 // 40):
            s = _sprite(rng, 16, 6)
            s = np.where(s > 1, s + 6 * int(rng.integers(0, 2)) - 1, np.where(s == 1, 0, 8))
            sheet[8 + i * 40:8 + i * 40 + 32, 8 + j * 40:8 + j * 40 + 32] = np.kron(s, np.ones((2, 2), np.uint8))
    p = Image.fromarray(sheet, "P")
    p.putpalette([c for rgb in pal for c in rgb])
    out.append(Item("pixelart-sprite-sheet", "pixel art", p, "random symmetric outlined 16x16 sprites (12-colour "
                    "palette), upscaled x2 nearest, on a 40 px grid; 512x384; mode P"))
    sprites = [_sprite(rng, 12, 5) for _ in range(4)]
    level = np.full((48, 64), 0, np.uint8)
    level[36:, :] = 1  # ground
    for k in range(10):
        x = int(rng.integers(0, 52))
        y = int(rng.integers(4, 30))
        level[y:y + 12, x:x + 12] = np.where(sprites[k % 4] > 0, sprites[k % 4] + 1, level[y:y + 12, x:x + 12])
    level[level > 6] = 6
    level[36:, ::8] = 6
    big = np.kron(level, np.ones((8, 8), np.uint8))
    rgb = np.asarray([(92, 148, 252), (200, 76, 12), (0, 0, 0), (252, 188, 176), (228, 92, 16), (252, 252, 252),
                      (128, 208, 16)], np.uint8)[big]
    out.append(Item("pixelart-level-x8", "pixel art", Image.fromarray(rgb, "RGB"), "a 64x48 game level (sky, "
                    "ground, 10 sprites) upscaled x8 nearest to 512x384; saved as RGB (7 colours); mode RGB"))
    return out


def maps() -> list[Item]:
    out = []
    for variant in ("flat", "aa"):
        rng = np.random.default_rng(SEED + 9)
        scale = 1 if variant == "flat" else 3
        w, h = 576, 448
        W, H = w * scale, h * scale
        im = Image.new("RGB", (W, H), (242, 239, 233))
        d = ImageDraw.Draw(im)
        land = [(200, 228, 176), (236, 224, 200), (224, 236, 212), (246, 214, 196), (220, 220, 236)]
        pts = rng.uniform(0, 1, (18, 2)) * (W, H)
        yy, xx = np.mgrid[0:H:scale * 2, 0:W:scale * 2]
        idx = np.argmin(((xx[..., None] - pts[:, 0]) ** 2 + (yy[..., None] - pts[:, 1]) ** 2), axis=-1)
        regions = np.asarray(land, np.uint8)[idx % len(land)]
        im.paste(Image.fromarray(regions, "RGB").resize((W, H), Image.NEAREST))
        d.polygon([(0, H * 0.7), (W * 0.3, H * 0.62), (W * 0.5, H * 0.8), (W * 0.55, H), (0, H)], fill=(170, 211, 223))
        d.ellipse((W * 0.62, H * 0.15, W * 0.8, H * 0.3), fill=(170, 211, 223))
        for k in range(7):  # roads: polylines of different widths
            p = [tuple(rng.uniform(0, 1, 2) * (W, H)) for _ in range(4)]
            width = int([2, 3, 5][k % 3] * scale)
            d.line(p, fill=(255, 255, 255) if k % 3 else (248, 178, 80), width=width + 2 * scale, joint="curve")
            d.line(p, fill=(255, 255, 255) if k % 3 else (252, 214, 164), width=width, joint="curve")
        d.line([(W * 0.2, 0), (W * 0.35, H * 0.4), (W * 0.3, H * 0.62)], fill=(120, 170, 200), width=3 * scale)
        for k in range(9):  # places and labels
            x, y = rng.uniform(0.05, 0.85, 2) * (W, H)
            d.ellipse((x - 4 * scale, y - 4 * scale, x + 4 * scale, y + 4 * scale), fill=(60, 60, 60))
            d.text((x + 7 * scale, y - 7 * scale), words(rng, 1)[0].capitalize(), font=font("sans", 12 * scale),
                   fill=(40, 40, 40), stroke_width=scale, stroke_fill=(255, 255, 255))
        if variant == "flat":
            # few colours, hard edges: stored as a palette image (text anti-aliasing makes some colours)
            q = im.quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            out.append(Item("map-flat-palette", "map", q, "Voronoi regions in 5 land colours, water polygons, 7 "
                            "roads (cased polylines), a river, 9 places with DejaVu Sans 12 px haloed labels, drawn "
                            "at 576x448 (hard-edged shapes), quantised to 64 colours without dither; mode P"))
        else:
            im = im.resize((w, h), Image.LANCZOS)
            out.append(Item("map-antialiased", "map", im, "the same map drawn at 3x and Lanczos-downscaled to "
                            "576x448 (anti-aliased edges, as map tiles are); mode RGB"))
    return out


def dithered() -> list[Item]:
    out = []
    grey = photo("osprey").convert("L")
    out.append(Item("dither-fs-2level-osprey", "dithered", grey.convert("1"), "tests/assets/osprey.png to grey, "
                    "Floyd-Steinberg to black and white (Pillow convert('1')); mode 1"))
    crop, where = photo_crop("val09", (200, 100, 584, 484), "colosseum")
    g = crop.convert("L")
    pal4 = Image.new("P", (1, 1))
    pal4.putpalette([v for k in range(4) for v in (k * 85,) * 3] + [0] * 3 * 252)
    q = g.convert("RGB").quantize(palette=pal4, dither=Image.Dither.FLOYDSTEINBERG).convert("L")
    out.append(Item("dither-fs-4grey-val09", "dithered", q, f"{where}, to grey, Floyd-Steinberg to 4 grey levels "
                                                             "(0, 85, 170, 255); mode L"))
    crop, where = photo_crop("val21", (500, 150, 884, 534), "lake")
    pal8 = Image.new("P", (1, 1))
    pal8.putpalette([c for k in range(8) for c in ((k & 1) * 255, (k >> 1 & 1) * 255, (k >> 2 & 1) * 255)]
                    + [0] * 3 * 248)
    q = crop.quantize(palette=pal8, dither=Image.Dither.FLOYDSTEINBERG)
    out.append(Item("dither-fs-8colour-val21", "dithered", q, f"{where}, Floyd-Steinberg to the 8 colours of 1 bit "
                                                               "per channel; mode P"))
    # ordered (Bayer 8x8) dither to 2 levels per channel of the lake
    b = np.array([[0, 2], [3, 1]])
    for _ in range(2):
        b = np.block([[4 * b, 4 * b + 2], [4 * b + 3, 4 * b + 1]])
    lake = np.asarray(photo("lake"), np.float32)
    thr = (np.tile(b, (lake.shape[0] // 8 + 1, lake.shape[1] // 8 + 1))[: lake.shape[0], : lake.shape[1]] + 0.5) / 64
    bayer = ((lake / 255 > thr[..., None]) * 255).astype(np.uint8)
    out.append(Item("dither-bayer-8colour-lake", "dithered", Image.fromarray(bayer, "RGB"), "tests/assets/lake.png, "
                    "8x8 Bayer ordered dither to 1 bit per channel (8 colours), saved as RGB; mode RGB"))
    crop, where = photo_crop("val14", (300, 120, 812, 504), "lake")
    out.append(Item("posterise-3bit-val14", "posterised", ImageOps.posterize(crop, 3),
                    f"{where}, ImageOps.posterize(3 bits per channel); mode RGB"))
    out.append(Item("posterise-4bit-colosseum", "posterised", ImageOps.posterize(photo("colosseum"), 4),
                    "tests/assets/colosseum.png, ImageOps.posterize(4 bits per channel); mode RGB"))
    return out


def patterns() -> list[Item]:
    out = []
    yy, xx = np.mgrid[0:384, 0:384]
    check = (((xx // 24) + (yy // 24)) % 2 * 255).astype(np.uint8)
    out.append(Item("pattern-checkerboard", "pattern", Image.fromarray(check, "L").convert("1"),
                    "24 px checkerboard, 384x384; mode 1"))
    r = np.hypot(xx - 192, yy - 192)
    rings = np.where((r // 12) % 2 == 0, 0, 255).astype(np.uint8)
    im = Image.new("RGB", (384, 384), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for k, c in enumerate([(230, 30, 30), (30, 160, 60), (30, 60, 220), (240, 200, 0), (0, 0, 0)]):
        d.ellipse((30 + 60 * k, 30 + 40 * k, 150 + 60 * k, 150 + 40 * k), outline=c, width=4 + k)
    d.regular_polygon((290, 80, 50), 6, fill=(120, 40, 160))
    for k in range(12):
        d.line((0, 250 + 10 * k, 383, 250 + 10 * k), fill=(0, 0, 0) if k % 2 else (200, 0, 0), width=1 + k % 3)
    out.append(Item("pattern-shapes", "pattern", im, "circles, a hexagon, and lines of 1-3 px in 7 colours on white "
                                                     "(Pillow draw, not anti-aliased); mode RGB"))
    g = np.zeros((256, 512, 3), np.uint8)
    g[:128, :, 0] = np.linspace(0, 255, 512)[None, :]
    g[:128, :, 2] = np.linspace(255, 0, 512)[None, :]
    g[128:, :, :] = np.linspace(0, 255, 512).astype(np.uint8)[None, :, None]
    bars = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)]
    for k, c in enumerate(bars):
        g[200:, k * 73:(k + 1) * 73] = c
    out.append(Item("pattern-gradients-bars", "pattern", Image.fromarray(g, "RGB"), "horizontal red-blue and grey "
                    "ramps over 512 px, and 7 colour bars; mode RGB"))
    stripes = ((np.sin(xx[:256, :] * 2 * math.pi / 8 + yy[:256, :] * 0.02) > 0) * 255).astype(np.uint8)
    lev = np.where(rings[:256] == 0, stripes, 255 - stripes)
    out.append(Item("pattern-stripes-rings", "pattern", Image.fromarray(lev, "L"), "8 px vertical stripes, slowly "
                    "slanted, inverted inside alternate 12 px rings, 384x256, two values; mode L"))
    return out


KINDS = [quantised_photos, text_images, plots, screenshots, label_masks, pixel_art, maps, dithered, patterns]


def versions() -> str:
    import matplotlib
    import PIL

    ft = ImageFont.core.freetype2_version if hasattr(ImageFont.core, "freetype2_version") else "?"
    return (f"Python {platform.python_version()}, Pillow {PIL.__version__} (FreeType {ft}), "
            f"numpy {np.__version__}, matplotlib {matplotlib.__version__}")


def save(items: list[Item], outdir: Path, title: str, intro: str) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", "", intro, "", f"Made with {versions()}.", "",
             "| file | kind | size | mode | PNG bytes (Pillow optimize) | how it was made |",
             "|---|---|---|---|---:|---|"]
    manifest = {}
    for it in items:
        path = outdir / f"{it.name}.png"
        it.image.save(path, optimize=True)  # no ancillary chunks: the same bytes on every run
        lines.append(f"| `{path.name}` | {it.kind} | {it.image.width}x{it.image.height} | {it.image.mode} | "
                     f"{path.stat().st_size} | {it.recipe} |")
        manifest[path.name] = {"kind": it.kind, "mode": it.image.mode, "size": list(it.image.size),
                               "recipe": it.recipe}
    (outdir / "SOURCES.md").write_text("\n".join(lines) + "\n")
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def benchmark_set() -> list[Item]:
    return [it for kind in KINDS for it in kind()]


SET_INTRO = (
    "Non-photo images for `python -m benchmarks.nonphoto`, written by `python -m benchmarks.synthetic_set` "
    "(the repository's benchmarks/synthetic_set.py) from a fixed seed. Photo-based images are made from the "
    "CC0 photos of tests/assets (see tests/assets/SOURCES.md) and crops of the validation photos "
    "../shared/data/val (Ubuntu wallpapers, CC-BY-SA / CC-BY / CC0, see that folder's SOURCES.md); everything "
    "else is drawn by the script. Text uses the fonts matplotlib ships (DejaVu: Bitstream Vera licence; "
    "Computer Modern cmr10 and STIX: their free licences, see matplotlib's mpl-data/fonts/ttf/LICENSE_*)."
)


def test_assets() -> list[Item]:
    """Five small images (<= 256x256) of different kinds, from tests/assets photos and drawn content only."""
    rng = np.random.default_rng(SEED + 20)
    out = []
    im = Image.new("1", (256, 128), 1)
    d = ImageDraw.Draw(im)
    d.fontmode = "1"
    paragraph(d, (6, 4), font("sans", 11), rng, 244, 120, 0, spacing=1.25)
    out.append(Item("text-bilevel", "text", im, "DejaVu Sans 11 px pseudo-text, not anti-aliased; mode 1"))
    im = Image.new("RGB", (192, 192), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for k, c in enumerate([(230, 30, 30), (30, 160, 60), (30, 60, 220), (240, 200, 0)]):
        d.ellipse((10 + 30 * k, 10 + 20 * k, 90 + 30 * k, 90 + 20 * k), outline=c, width=3 + k)
    for k in range(8):
        d.line((0, 140 + 6 * k, 191, 140 + 6 * k), fill=(0, 0, 0) if k % 2 else (200, 0, 0), width=1 + k % 2)
    d.rectangle((120, 10, 180, 60), fill=(120, 40, 160))
    out.append(Item("shapes-fewcolour", "pattern", im, "circles, lines and a rectangle in 7 colours on white, not "
                                                       "anti-aliased; mode RGB"))
    q = photo("colosseum").crop((96, 32, 256, 160)).quantize(256, method=Image.Quantize.MEDIANCUT,
                                                              dither=Image.Dither.FLOYDSTEINBERG)
    out.append(Item("palette256-colosseum", "palette photo", q, "tests/assets/colosseum.png crop (96, 32, 256, 160), "
                    "Pillow quantize(256, MEDIANCUT, Floyd-Steinberg); mode P"))
    im = Image.new("RGB", (256, 224), (90, 120, 160))
    _window(im, (6, 6, 245, 213), "Files", rng, (52, 101, 164))
    out.append(Item("screen-window", "screenshot", im, "a Pillow-drawn window (gradient title bar, menu, list, "
                                                       "buttons), DejaVu Sans anti-aliased; mode RGB"))
    lab = _labels((160, 224), 8, SEED + 21, 3, 32)
    p = Image.fromarray(lab, "P")
    p.putpalette([c for rgb in PALETTE20[:8] for c in rgb])
    out.append(Item("mask-palette", "label mask", p, "8 classes (argmax of blurred random fields) with "
                                                      "Cityscapes colours; mode P"))
    return out


ASSET_INTRO = (
    "Small non-photo test images, written by `python -m benchmarks.synthetic_set --test-assets "
    "tests/assets/nonphoto` (benchmarks/synthetic_set.py, `test_assets()`), from a fixed seed. "
    "`palette256-colosseum.png` is made from tests/assets/colosseum.png, a CC0-1.0 photo (see "
    "tests/assets/SOURCES.md); the others are drawn by the script (the text and the window's labels with "
    "DejaVu Sans as shipped by matplotlib; a font's licence does not extend to images rendered with it). "
    "The images are CC0-1.0 like the photos. Another Pillow or FreeType version may render a few pixels "
    "differently: regenerate only to replace the assets on purpose."
)


# Public non-photo images from permissively licensed repositories, for a second, small set (not in the repository):
# (output name, kind, repository, commit, path, licence, crop box or None, how to flatten, the original's sha256)
PUBLIC = [
    ("rich-syntax", "screenshot", "Textualize/rich", "42899d8a0a96b121a514516f4be9db44ff7aeaf3", "imgs/syntax.png",
     "MIT (Copyright (c) 2020 Will McGugan; the repository's LICENSE)", (114, 84, 882, 596), "RGB",
     "9864479c64bfcdf044224187fa9c6597902393160a8b6d2664b8900045a748cb"),
    ("rich-markdown", "screenshot", "Textualize/rich", "42899d8a0a96b121a514516f4be9db44ff7aeaf3",
     "imgs/markdown.png", "MIT (as above)", (114, 84, 882, 724), "RGB",
     "4a75de0654a616e080be7300b7895626b8e9f2350785821a16041c74f98b5ab6"),
    ("rich-table", "screenshot", "Textualize/rich", "42899d8a0a96b121a514516f4be9db44ff7aeaf3", "imgs/table.png",
     "MIT (as above)", (114, 84, 1394, 468), "RGB",
     "454abe34565a5e1e8e601101407be2162cfcd1e78510530f7861736404fb643c"),
    ("skimage-text", "photo of text", "scikit-image/scikit-image", "cd0a3d22b9f359f05618d75d5c7a29b91b4951ca",
     "src/_skimage2/data/text.png", "public domain (skimage.data.text: from Wikipedia File:Corner.png, 'No known "
     "copyright restrictions, released into the public domain')", None, "L",
     "bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1"),
    ("skimage-horse", "pattern", "scikit-image/scikit-image", "cd0a3d22b9f359f05618d75d5c7a29b91b4951ca",
     "src/_skimage2/data/horse.png", "CC0 (skimage.data.horse: openclipart 158377 'horse' by Andreas Preuss "
     "(marauder), 'CC0 given by owner')", None, "L on white",
     "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455"),
    ("mapzmaker-germany", "map", "ulikoehler/MapzMaker", "f0b410da05af48d9870071a265d8d0b15a36b087",
     "doc/Germany.png", "Apache-2.0 (the repository's LICENSE); rendered from Natural Earth data (public domain)",
     None, "L on white", "8b905345b5a286dfb9de3f812d2b3d484b8197da76a0a5127f39062a9eebd756"),
]


def public_set(originals: Path) -> list[Item]:
    """The PUBLIC images, from their original files in `originals` (each saved under its path's file name,
    e.g. syntax.png, as fetched from https://github.com/<repository>/blob/<commit>/<path>)."""
    import hashlib

    out = []
    for name, kind, repo, commit, path, licence, box, flatten, sha in PUBLIC:
        f = originals / Path(path).name
        data = f.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise SystemExit(f"{f}: not the original of {repo}/{path} at {commit[:10]} (sha256 differs)")
        im = Image.open(io.BytesIO(data))
        if box:
            im = im.crop(box)
        if flatten.endswith("on white"):
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            bg.alpha_composite(im.convert("RGBA"))
            im = bg
        im = im.convert(flatten.split()[0])
        recipe = (f"https://github.com/{repo}/blob/{commit}/{path} (sha256 {sha[:16]}...), licence: {licence}; "
                  + (f"crop {box}; " if box else "") + f"to {flatten}; mode {im.mode}")
        out.append(Item(name, kind, im, recipe))
    return out


PUBLIC_INTRO = (
    "Public non-photo images from permissively licensed GitHub repositories, written by `python -m "
    "benchmarks.synthetic_set --public ORIGINALS OUTDIR` (benchmarks/synthetic_set.py, PUBLIC) from the original "
    "files (checked by sha256). Each row names the original, its licence, and what was done to it "
    "(a crop, the alpha channel flattened). These are for benchmarking only; they are not in the repository."
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="folder to write the PNGs, SOURCES.md and manifest.json to")
    p.add_argument("--test-assets", action="store_true", help="write the five small test assets instead")
    p.add_argument("--public", type=Path, metavar="ORIGINALS",
                   help="write the public images (PUBLIC) instead, from their original files in this folder")
    args = p.parse_args(argv)
    if args.public:
        items = public_set(args.public)
        save(items, args.out, "Public non-photo images: sources", PUBLIC_INTRO)
    elif args.test_assets:
        items = test_assets()
        save(items, args.out, "Non-photo test assets: sources", ASSET_INTRO)
    else:
        if not VAL.is_dir():
            print(f"note: {VAL} not found: photo-based images use tests/assets photos only", file=sys.stderr)
        items = benchmark_set()
        save(items, args.out, "Non-photo benchmark set: sources", SET_INTRO)
    mp = sum(it.image.width * it.image.height for it in items) / 1e6
    for it in items:
        print(f"{it.name + '.png':32s} {it.kind:14s} {it.image.width}x{it.image.height} {it.image.mode}")
    print(f"{len(items)} images, {mp:.2f} MP, in {args.out}")


if __name__ == "__main__":
    main()
