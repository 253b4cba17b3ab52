"""Write the golden .rcl files of the current format version, tests/golden/v<VERSION>, and their manifest.json,
from the sample photos of tests/assets.

    python tests/make_golden.py                      (all files and the manifest)
    python tests/make_golden.py --fingerprint-only   (only the manifest's bitstream_fingerprint)
    python tests/make_golden.py --new-model          (after a new residual model ships: add a mixture file coded
                                                      with it, rgb_mixture_<id>.rcl, keeping every other file)
    python tests/make_golden.py --new-mixer          (after a new learned mixer ships: add learned_<name>.rcl for
                                                      each mixer without one, keeping every other file)

From format 10 on, a file is written in the oldest format that reads it (rc_plugin.format.container.version_for): an
image of 8-bit samples in format 9 (BYTE_VERSION), so its cases (and --new-model, --new-mixer) stay in
tests/golden/v9; v10 holds the 16-bit cases (format10_cases); v11 the tuned tiles' (format11_cases); v12 the tuned
tiles' with secondary estimation (format12_cases); v13 the learned tuned tiles' (format13_cases); v14 the streams split
by channel (format14_cases); v15 the JPEG tiles (format15_cases); v16 the learned tuned tiles with secondary
estimation (format16_cases); v17 the tuned tiles with secondary estimation in the neighbours' pattern
(format17_cases); v18 the learned tuned tiles with it (format18_cases); v19 the bias prior (format19_cases), in
every stream the adaptive coder writes without a learned mixer; v20 the far neighbours (format20_cases), in every
stream the adaptive coder writes, so from it every such file, learned or not, is written in v20 (and --new-mixer adds
its file there).

tests/test_golden.py decodes every file and checks its pixels, mode, shape and metadata against the manifest,
so a decoder that stops reading files an older build wrote fails there. Regenerate only together with a bump of
rc_plugin.format.container.VERSION (keeping a decoder for the old version), never to make test_golden pass.

Uses the public API (rc_plugin.encode/decode/info, rc_plugin.codec.decode_with_metadata) and the helpers of
tests/rcl_testutil.py (mostly_grey to make the grey-shortcut case; first_tile to check that the shortcut was kept).
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent))
sys.path.insert(0, str(TESTS))

import rc_plugin  # noqa: E402
import rc_plugin.format.container  # noqa: E402
import rc_plugin.format.records as records  # noqa: E402
import rc_plugin.format.versions as versions  # noqa: E402
from rc_plugin.codec import decode_with_metadata  # noqa: E402
from rcl_testutil import first_tile, metadata_bytes, mostly_grey, tile_kinds, tiles, wide_part_kinds  # noqa: E402

ASSETS = TESTS / "assets"
GOLDEN = TESTS / "golden" / f"v{rc_plugin.format.container.VERSION}"
#: Where the files of 8-bit images and of 16-bit ones without tuned tiles go: the versions they are written in.
BYTE_GOLDEN = TESTS / "golden" / f"v{rc_plugin.format.container.BYTE_VERSION}"
WIDE_GOLDEN = TESTS / "golden" / f"v{rc_plugin.format.container.WIDE_VERSION}"
#: The mixture coder's cases are coded at this fixed Q (fast and deterministic); the rest with the default coder.
Q = 24
#: format18_cases' photo crop (asset, rows and columns, as the manifest says it), where the encoder's choice at effort 3
#: with the large mixer is a twin of kind 2 of the second large mixer (tests/test_golden.py PHOTO18).
CROP18 = ("colosseum", np.s_[64:128, 0:96], "colosseum.png[64:128, 0:96]")

ICC = b"rcl golden test ICC payload: opaque bytes, not a real profile\x00\x01\x02\xff"
EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00golden"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo(name: str) -> np.ndarray:
    with Image.open(ASSETS / f"{name}.png") as im:
        return np.asarray(im.convert("RGB")).copy()


def luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def alpha_mask(h: int, w: int) -> np.ndarray:
    """A soft disc of opacity, an opaque band on the left and a fully transparent one at the bottom."""
    y, x = np.mgrid[0:h, 0:w]
    dist = np.hypot(y - h / 2, x - w / 2)
    alpha = np.clip(255 - 6 * dist, 0, 255).astype(np.uint8)
    alpha[:, : w // 6] = 255
    alpha[-h // 8 :] = 0
    return alpha


def bitstream_fingerprint() -> str:
    from rc_plugin.format import bitstream
    from rc_plugin.adaptive import logistic

    return f"{bitstream.fingerprint()}+{logistic.table_digest()}"


def cases() -> list[dict]:
    """Each case: name, how its pixels were made (text), the array, the encode options beyond the array."""
    osprey, lake, colosseum = photo("osprey"), photo("lake"), photo("colosseum")
    rgb = osprey[100:164, 40:136]
    grey = luma(lake[150:214, 200:296])
    col = colosseum[60:108, 100:164]
    two_tiles = rc_plugin.codec.TILE["adaptive"] + 6  # 1030 when format 7's files were written (1024-pixel tiles)
    strip = np.concatenate([colosseum[100:120], lake[100:120], osprey[100:120]], axis=1)[:, :two_tiles]
    meta = {"icc_profile": ICC, "exif": EXIF, "xmp": XMP}
    mixture = {"q": Q}
    return [
        dict(name="rgb", pixels="osprey.png[100:164, 40:136]", arr=rgb, options={}),
        dict(name="rgb_mixture", pixels="osprey.png[100:164, 40:136]", arr=rgb, options=mixture),
        dict(name="grey_l", pixels="lake.png[150:214, 200:296] converted to L by Pillow", arr=grey, options={}),
        dict(
            name="la",
            pixels="colosseum.png[60:108, 100:164] converted to L by Pillow, with make_golden.alpha_mask(48, 64)",
            arr=np.dstack([luma(col), alpha_mask(48, 64)]),
            options={},
        ),
        dict(
            name="rgba",
            pixels="colosseum.png[60:108, 100:164], with make_golden.alpha_mask(48, 64)",
            arr=np.dstack([col, alpha_mask(48, 64)]),
            options={},
        ),
        dict(
            name="rgb_grey_shortcut",
            pixels="rcl_testutil.mostly_grey(lake.png[150:214, 200:296])",
            arr=mostly_grey(lake[150:214, 200:296]),
            options=mixture,
        ),
        dict(
            name="rgb_all_grey",
            pixels="lake.png[150:214, 200:296] converted to L by Pillow, repeated into R, G and B",
            arr=np.repeat(grey[..., None], 3, axis=2),
            options={},
        ),
        dict(
            name="rgb_two_tiles",
            pixels=f"rows 100:120 of colosseum.png, lake.png and osprey.png side by side, the first {two_tiles} "
            "columns",
            arr=strip,
            options={},
        ),
        dict(name="rgb_metadata", pixels="osprey.png[160:192, 200:248]", arr=osprey[160:192, 200:248], options=meta),
    ]


def drawing(h: int, w: int, seed: int) -> Image.Image:
    """Filled shapes and lines in six colours on white, drawn by Pillow: a drawing's repeats and sharp edges."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    inks = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(5)]
    for i in range(14):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x, y, x + int(rng.integers(4, 30)), y + int(rng.integers(4, 24)))
        (draw.rectangle if i % 2 else draw.ellipse)(box, fill=inks[i % 5])
        draw.line((0, y, w, (y * 7) % h), fill=inks[(i + 1) % 5])
    return im


def recoded(data: bytes, kind: str) -> bytes:
    """A one-tile file with its tile record recoded as kind ("palette/adaptive", "palette/generic", "generic"; "jpeg":
    a JPEG tile's residual as an adaptive tile): the records the encoder keeps only where they come out smallest,
    pinned here on small images all the same."""
    import dataclasses
    from rc_plugin.adaptive import plane_coder as adaptive, generic, guard, palette
    from rc_plugin.adaptive.decode import decode_tile
    from rc_plugin.format.bitstream import PLANE_ADAPTIVE, PLANE_GENERIC

    pixels = rc_plugin.decode(data)
    header = rc_plugin.codec.read_header(data)
    colour = np.ascontiguousarray(pixels.reshape(*pixels.shape[:2], -1)[..., : header.coded_channels])
    if kind == "jpeg":
        jpeg = tiles(data)[0]
        residual = decode_tile(jpeg.residual, header, *colour.shape[:2], {})
        record = dataclasses.replace(jpeg, residual=records.AdaptiveTile(adaptive.encode_plane(residual), b""))
    elif kind == "generic":
        record = records.GenericTile(generic.encode_rows(colour), b"")
    else:
        colours, idx = guard.palette_and_indices(colour)
        plane = idx.astype(np.uint8)[..., None]
        stream = adaptive.encode_plane(plane) if kind == "palette/adaptive" else generic.encode_rows(plane)
        record = records.PaletteTile(PLANE_ADAPTIVE if kind == "palette/adaptive" else PLANE_GENERIC,
                                       len(colours), palette.pack_palette(colours), stream, b"")
    out = spliced(data, [record.pack()], max(header.version, versions.oldest_version(record)))
    assert np.array_equal(rc_plugin.decode(out), pixels) and tile_kinds(out) == [kind], kind
    return out


def format8_cases() -> list[dict]:
    """Format 8's tiles and modes: palette tiles with each index-plane coder, a generic tile, P and 1 images."""
    lake = photo("lake")
    shapes = drawing(48, 64, 8)
    quantised = Image.fromarray(lake[40:104, 300:380]).quantize(24, dither=Image.Dither.NONE)
    with_transparency = quantised.copy()
    with_transparency.info["transparency"] = 3
    text = Image.new("1", (72, 40), 1)
    from PIL import ImageDraw

    for i in range(3):
        ImageDraw.Draw(text).text((2, 2 + 12 * i), "rcl 1-bit", fill=0)
    grey_levels = (luma(lake[150:214, 200:296]) // 40 * 40).astype(np.uint8)
    rgba = np.dstack([np.asarray(shapes), alpha_mask(48, 64)])
    gradient_bars = np.stack([np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1)),
                              np.repeat(np.arange(48, dtype=np.uint8)[:, None] * 5, 64, axis=1),
                              np.full((48, 64), 90, np.uint8)], axis=2)
    return [
        dict(name="palette_indexed", pixels="make_golden.drawing(48, 64, 8)", arr=np.asarray(shapes), options={},
             kind="palette/indexed"),
        dict(name="palette_adaptive", pixels="make_golden.drawing(48, 64, 8), its tile recoded by make_golden.recoded",
             arr=np.asarray(shapes), options={}, kind="palette/adaptive", recode=True),
        dict(name="palette_generic", pixels="make_golden.drawing(48, 64, 8), its tile recoded by make_golden.recoded",
             arr=np.asarray(shapes), options={}, kind="palette/generic", recode=True),
        dict(name="generic", pixels="three ramps (4x, 5y, 90) of 48x64, its tile recoded by make_golden.recoded",
             arr=gradient_bars, options={}, kind="generic", recode=True),
        dict(name="rgba_palette", pixels="make_golden.drawing(48, 64, 8) with make_golden.alpha_mask(48, 64)",
             arr=rgba, options={}, kind="palette/indexed"),
        dict(name="grey_levels", pixels="lake.png[150:214, 200:296] converted to L by Pillow, // 40 * 40",
             arr=grey_levels, options={}, kind="palette/indexed"),
        dict(name="p", pixels="lake.png[40:104, 300:380] quantised by Pillow to 24 colours, no dither",
             image=quantised, options={}),
        dict(name="p_transparency", pixels="the image of p.rcl with info['transparency'] = 3",
             image=with_transparency, options={}),
        dict(name="bilevel", pixels="'rcl 1-bit' three times, Pillow's default font on a 72x40 mode-1 image",
             image=text, options={}),
    ]


def format9_cases() -> list[dict]:
    """Format 9's learned tiles: a photo crop coded with each released learned mixer (a later release adds its own
    file with --new-mixer, keeping these; from mixer 4 at effort 1, which tries no tuned record, so that the tile is
    format 9's learned tile whatever preset the mixer would favour)."""
    from rc_plugin.format.records import MIXER_NAMES

    osprey = photo("osprey")
    return [dict(name=f"learned_{name}", pixels="osprey.png[60:156, 40:168]", arr=osprey[60:156, 40:168],
                 options={"mixer": name, **({"effort": 1} if mixer > 3 else {})}, kind="learned")
            for mixer, name in MIXER_NAMES.items()]


def format10_cases() -> list[dict]:
    """Format 10's wide tiles: uint16 images of every mode, made from the sample photos with seeded low bits (a
    12-bit one, the same shifted left by 4, one of 16 bits), with alpha, across two tiles, with metadata, of few
    levels (an 8-bit record of their ranks), grey stored as colour, sparse levels (a table of values), full-range
    noise (generic rows), and crops of two real 16-bit images (tests/assets/wide)."""
    rng = np.random.default_rng(10)
    osprey, lake, colosseum = photo("osprey"), photo("lake"), photo("colosseum")

    def deepen(arr: np.ndarray, bits: int) -> np.ndarray:
        """8-bit samples widened to `bits` bits, the new low bits seeded noise."""
        return ((arr.astype(np.int64) << (bits - 8)) + rng.integers(0, 1 << (bits - 8), arr.shape)).astype(np.uint16)

    grey12 = deepen(luma(lake[150:214, 200:296]), 12)
    alpha = alpha_mask(48, 64).astype(np.uint16) * 257
    two_tiles = rc_plugin.codec.TILE["adaptive"] + 6
    strip = np.concatenate([colosseum[100:116], lake[100:116], osprey[100:116]], axis=1)[:, :two_tiles]
    spaced = (luma(lake[150:214, 200:296]) // 40).astype(np.uint16) * 9000
    text = "with low bits from numpy.random.default_rng(10), in the order of make_golden.format10_cases"
    return [
        dict(name="wide_rgb16", pixels=f"osprey.png[100:164, 40:136] widened to 16 bits {text}",
             arr=deepen(osprey[100:164, 40:136], 16), options={}, kind="wide"),
        dict(name="wide_grey12", pixels=f"lake.png[150:214, 200:296] as L, widened to 12 bits {text}", arr=grey12,
             options={}, kind="wide"),
        dict(name="wide_grey12_shifted", pixels="wide_grey12's samples shifted left by 4 (a 12-bit camera's in "
             "16 bits)", arr=grey12 << 4, options={}, kind="wide"),
        dict(name="wide_channel_axis", pixels="wide_grey12's samples with a channel axis (H, W, 1)",
             arr=grey12[..., None], options={}, kind="wide"),
        dict(name="wide_la", pixels=f"colosseum.png[60:108, 100:164] as L widened to 14 bits {text}, with "
             "make_golden.alpha_mask(48, 64) * 257", arr=np.dstack([deepen(luma(colosseum[60:108, 100:164]), 14),
                                                                   alpha]), options={}, kind="wide"),
        dict(name="wide_rgba", pixels=f"colosseum.png[60:108, 100:164] widened to 16 bits {text}, with "
             "make_golden.alpha_mask(48, 64) * 257", arr=np.dstack([deepen(colosseum[60:108, 100:164], 16), alpha]),
             options={}, kind="wide"),
        dict(name="wide_rgb_all_grey", pixels="wide_grey12 repeated into R, G and B",
             arr=np.repeat(grey12[..., None], 3, axis=2), options={}, kind="wide"),
        dict(name="wide_two_tiles", pixels=f"rows 100:116 of colosseum.png, lake.png and osprey.png side by side, the "
             f"first {two_tiles} columns, widened to 16 bits {text}", arr=deepen(strip, 16), options={}),
        dict(name="wide_metadata", pixels=f"osprey.png[160:192, 200:248] widened to 16 bits {text}",
             arr=deepen(osprey[160:192, 200:248], 16), options={"icc_profile": ICC, "exif": EXIF, "xmp": XMP},
             kind="wide"),
        dict(name="wide_few_levels", pixels="lake.png[150:214, 200:296] as L, // 40 * 9000 (7 levels)", arr=spaced,
             options={}, kind="wide"),
        dict(name="wide_noise_rows", pixels="full-range uint16 noise (24, 32, 3) from numpy.random.default_rng(10), "
             "drawn after the low bits above", arr=rng.integers(0, 65536, (24, 32, 3)).astype(np.uint16), options={},
             kind="wide"),
        dict(name="wide_microscopy", pixels="assets/wide/microscopy_h2ax_256.png[64:128, 96:192] (12 bits)",
             arr=wide_asset("microscopy_h2ax_256")[64:128, 96:192], options={}, kind="wide"),
        dict(name="wide_photo", pixels="assets/wide/photo_parrot_rgb_160.png[40:88, 40:104] (16 bits)",
             arr=wide_asset("photo_parrot_rgb_160")[40:88, 40:104], options={}, kind="wide"),
        dict(name="wide_table", pixels=f"osprey.png[100:148, 200:264] as L widened to 10 bits {text}, each value v "
             "then the v-th of 1,024 levels 30 to 59 apart (their gaps drawn before those low bits)",
             arr=np.cumsum(rng.integers(30, 60, 1024))[deepen(luma(osprey[100:148, 200:264]), 10)].astype(np.uint16),
             options={}, kind="wide"),
    ]


def spliced(data: bytes, payloads: list[bytes], version: int | None = None) -> bytes:
    """The file with its TILE chunks' payloads replaced (its metadata chunks kept), and its header's version if
    given."""
    import dataclasses
    from rc_plugin.format import container

    head = data[: container.HEADER_SIZE]
    if version is not None:
        head = dataclasses.replace(rc_plugin.codec.read_header(data), version=version).pack()
    start = data.index(b"TILE", container.HEADER_SIZE)
    tiles = b"".join(container.chunk(b"TILE", payload) for payload in payloads)
    return head + data[container.HEADER_SIZE : start] + tiles + data[data.index(b"IEND", start) :]


def retuned(data: bytes, preset: int, order: int = 0, mixer: int = 0) -> bytes:
    """The file with every tile's colour recoded as a tuned tile of `preset` and channel `order` (with a learned mixer's
    id: a learned tuned tile), alpha as it was, its header's version made the current one: the encoder keeps a preset
    and order only where smallest, so each is pinned all the same. A 16-bit file's tiles must be one part of 8-bit
    samples, which is recoded."""
    import dataclasses
    from rc_plugin.adaptive import mixers, plane_coder

    def record(colour: np.ndarray, alpha: bytes) -> records.TunedTile | records.LearnedTunedTile:
        if mixer:
            stream = plane_coder.encode_plane(colour, mixers.load(mixer), preset=preset)
            return records.LearnedTunedTile(stream, alpha, mixer, preset, order)
        return records.TunedTile(plane_coder.encode_plane(colour, preset=preset), alpha, preset, order)

    from rc_plugin.format import container
    from rc_plugin.format.bitstream import ADAPTIVE_ORDERS

    header = rc_plugin.codec.read_header(data)
    _, payloads = container.parse_chunks(data, header)
    pixels = rc_plugin.decode(data)
    pixels = pixels.reshape(*pixels.shape[:2], -1)
    if header.flags & container.FLAG_GREY_COLOUR:  # one coded channel of three equal ones (alpha is the record's)
        pixels = pixels[..., :1]
    tiles = []
    for (y, x, th, tw), payload in zip(header.tiles(), payloads):
        tile = records.parse_tile(payload, header.coded_channels, header.version)
        if isinstance(tile, records.WideTile):
            (part,) = tile.parts
            colour = rc_plugin.adaptive.decode.decode_tile(part.coded, dataclasses.replace(header, flags=0), th, tw, {})
            tiles.append(records.WideTile([dataclasses.replace(part, coded=record(colour, b""))]).pack())
        else:
            colour = pixels[y : y + th, x : x + tw, : header.coded_channels]
            colour = colour[..., ADAPTIVE_ORDERS[order]] if order else colour
            tiles.append(record(colour, tile.alpha).pack())
    out = spliced(data, tiles, container.VERSION)
    assert np.array_equal(rc_plugin.decode(out), rc_plugin.decode(data)) and "tuned" in str(tile_kinds(out) +
                                                                                           wide_part_kinds(out))
    return out


def format11_cases() -> list[dict]:
    """Format 11's tuned tiles: the adaptive coder with each preset and channel order, in every mode, with alpha,
    across two tiles, with metadata, grey stored as colour, and as the 8-bit record of a 16-bit image's part. The
    encoder's own choice on a photo decoded from a JPEG (the grid preset) too."""
    osprey, lake, colosseum = photo("osprey"), photo("lake"), photo("colosseum")
    grey = luma(lake[150:214, 200:296])
    col = colosseum[60:108, 100:164]
    two_tiles = rc_plugin.codec.TILE["adaptive"] + 6
    strip = np.concatenate([colosseum[100:116], lake[100:116], osprey[100:116]], axis=1)[:, :two_tiles]
    alpha = alpha_mask(48, 64)
    tuned = {"retune": 1}  # the rest name their preset
    return [
        dict(name="tuned_rgb", pixels="osprey.png[100:164, 40:136], retuned to preset 1", arr=osprey[100:164, 40:136],
             options={}, retune=1),
        dict(name="tuned_rgb_grid", pixels="osprey.png[100:164, 40:136], retuned to preset 2",
             arr=osprey[100:164, 40:136], options={}, retune=2),
        dict(name="tuned_bgr", pixels="osprey.png[100:164, 40:136], retuned to preset 0 in order 1 (B, G, R)",
             arr=osprey[100:164, 40:136], options={}, retune=0, order=1),
        dict(name="tuned_gbr_grid", pixels="colosseum.png[60:108, 100:164], retuned to preset 2 in order 2 (G, B, R)",
             arr=col, options={}, retune=2, order=2),
        dict(name="tuned_grey_l", pixels="lake.png[150:214, 200:296] converted to L by Pillow, retuned to preset 2",
             arr=grey, options={}, retune=2),
        dict(name="tuned_la", pixels="colosseum.png[60:108, 100:164] as L with make_golden.alpha_mask(48, 64), "
             "retuned to preset 1", arr=np.dstack([luma(col), alpha]), options={}, **tuned),
        dict(name="tuned_rgba", pixels="colosseum.png[60:108, 100:164] with make_golden.alpha_mask(48, 64), retuned "
             "to preset 2 in order 1", arr=np.dstack([col, alpha]), options={}, retune=2, order=1),
        dict(name="tuned_rgb_all_grey", pixels="lake.png[150:214, 200:296] as L repeated into R, G and B, retuned to "
             "preset 1", arr=np.repeat(grey[..., None], 3, axis=2), options={}, **tuned),
        dict(name="tuned_two_tiles", pixels=f"rows 100:116 of colosseum.png, lake.png and osprey.png side by side, the "
             f"first {two_tiles} columns, retuned to preset 2", arr=strip, options={}, retune=2),
        dict(name="tuned_metadata", pixels="osprey.png[160:192, 200:248], retuned to preset 1",
             arr=osprey[160:192, 200:248], options={"icc_profile": ICC, "exif": EXIF, "xmp": XMP}, **tuned),
        dict(name="tuned_wide_record", pixels="lake.png[150:214, 200:296] as L times 257 (16 bits, 8-bit levels), "
             "its part's record retuned to preset 2", arr=grey.astype(np.uint16) * 257, options={}, retune=2),
        dict(name="tuned_jpeg_photo", pixels="assets/jpeg_decoded/jpeg_photo.png as the encoder codes it",
             arr=photo("jpeg_decoded/jpeg_photo"), options={}, kind="tuned"),
    ]


def format12_cases(twins: dict[int, int] | None = None, prefix: str = "sse_") -> list[dict]:
    """Format 12's presets with secondary estimation (ADAPTIVE_PRESETS 3 to 5, guard.SSE_PRESET): format 11's cases,
    each retuned to its preset's twin with it; the photo decoded from a JPEG is the encoder's own choice (in format 12
    the grid preset with it). With format 17's twins (guard.PATTERN_SSE_PRESET), format17_cases'."""
    from rc_plugin.adaptive.guard import SSE_PRESET

    twelve = []
    for case in format11_cases():
        case = dict(case, name=case["name"].replace("tuned_", prefix))
        if "retune" in case:
            twin = (twins or SSE_PRESET)[case["retune"]]
            case["pixels"] = case["pixels"].replace(f"preset {case['retune']}", f"preset {twin}")
            case["retune"] = twin
        twelve.append(case)
    return twelve


def format17_cases() -> list[dict]:
    """Format 17's presets with secondary estimation in the neighbours' pattern (ADAPTIVE_PRESETS 6 to 8): format
    12's cases with those twins, and the encoder's own choice at effort 3 (which tries them) on a photo crop where one
    wins (in place of the photo decoded from a JPEG, now a JPEG tile)."""
    from rc_plugin.adaptive.guard import PATTERN_SSE_PRESET

    seventeen = [case for case in format12_cases(PATTERN_SSE_PRESET, "sse2_") if case["name"] != "sse2_jpeg_photo"]
    crop = photo("colosseum")[100:164, 40:136]
    seventeen.append(dict(name="sse2_photo", arr=crop, options={"effort": 3}, kind="tuned",
                          pixels="colosseum.png[100:164, 40:136] as the encoder codes it at effort 3"))
    return seventeen


def format13_cases() -> list[dict]:
    """Format 13's learned tuned tiles: format 11's cases, each recoded with a learned mixer (the released ones in
    turn) in its preset and order; the photo decoded from a JPEG is the encoder's own choice with the large mixer."""
    from rc_plugin.format.records import MIXER_NAMES

    thirteen = []
    for i, case in enumerate(format11_cases()):
        case = dict(case, name=case["name"].replace("tuned_", "learned_tuned_"))
        mixer = list(MIXER_NAMES)[i % len(MIXER_NAMES)]
        if "retune" in case:
            case["pixels"] = case["pixels"].replace("retuned to", f"with mixer {MIXER_NAMES[mixer]!r} in")
            case["relearn"] = mixer
        else:
            case.update(options={"mixer": "large"}, kind="learned tuned")
        thirteen.append(case)
    return thirteen


def format14_cases() -> list[dict]:
    """Format 14's streams split by channel (colour tiles of at least rc_plugin.adaptive.pipeline.SPLIT_PIXELS): a
    256x256 photo crop as the encoder codes it, retuned to another preset and order, and with a learned mixer in
    one; an RGBA image of two tiles, one split, one too small to be; and, in files of version 14 all the same (their
    tiles retuned), a colour tile too small, grey, grey with alpha and metadata, each of one stream."""
    from rc_plugin.adaptive.pipeline import SPLIT_PIXELS

    lake, osprey, colosseum = photo("lake"), photo("osprey"), photo("colosseum")
    crop, text = lake[:256, 256:], "lake.png[:256, 256:]"
    col = colosseum[60:108, 100:164]
    meta = {"icc_profile": ICC, "exif": EXIF, "xmp": XMP}
    assert crop.shape[0] * crop.shape[1] >= SPLIT_PIXELS
    two = np.dstack([np.concatenate([lake[:256], lake[:256, :40]], axis=1), alpha_mask(256, 552)])
    return [
        dict(name="split_rgb", pixels=text, arr=crop, options={}),
        dict(name="split_tuned_bgr", pixels=f"{text}, retuned to preset 1 in order 1 (B, G, R)", arr=crop, options={},
             retune=1, order=1),
        dict(name="split_learned_gbr", pixels=f"{text}, with mixer 'small' in preset 2 and order 2 (G, B, R)",
             arr=crop, options={}, retune=2, order=2, relearn=1),
        dict(name="split_rgba_two_tiles", pixels="lake.png[:256] and lake.png[:256, :40] side by side, with "
             "make_golden.alpha_mask(256, 552)",
             arr=two, options={}),
        dict(name="unsplit_rgb", pixels="osprey.png[100:164, 40:136], retuned to preset 1", arr=osprey[100:164, 40:136],
             options={}, retune=1),
        dict(name="unsplit_grey_l", pixels="lake.png[:256, 256:] converted to L by Pillow, retuned to preset 1",
             arr=luma(crop), options={}, retune=1),
        dict(name="unsplit_la", pixels="colosseum.png[60:108, 100:164] converted to L by Pillow, with "
             "make_golden.alpha_mask(48, 64), retuned to preset 2", arr=np.dstack([luma(col), alpha_mask(48, 64)]),
             options={}, retune=2),
        dict(name="unsplit_rgb_metadata", pixels="osprey.png[160:192, 200:248], retuned to preset 1",
             arr=osprey[160:192, 200:248], options=meta, retune=1),
    ]


def format16_cases(twins: dict[int, int] | None = None, prefix: str = "learned_sse_") -> list[dict]:
    """Format 16's learned tuned tiles with secondary estimation of the mixture: format 13's cases, each recoded in its
    preset's twin with it (every mixer, order and mode as there), and the encoder's own choice with the large mixer on
    a photo crop where that wins (in place of format 13's photo decoded from a JPEG, now a JPEG tile). With format
    18's twins (guard.PATTERN_SSE_PRESET), format18_cases'."""
    from rc_plugin.adaptive.guard import SSE_PRESET

    sixteen = []
    for case in format13_cases():
        if "retune" not in case:
            continue
        twin = (twins or SSE_PRESET)[case["retune"]]
        case = dict(case, name=case["name"].replace("learned_tuned_", prefix), retune=twin,
                    pixels=case["pixels"].replace(f"preset {case['retune']}", f"preset {twin}"))
        sixteen.append(case)
    crop = photo("colosseum")[100:164, 40:136]
    sixteen.append(dict(name=f"{prefix}photo", pixels="colosseum.png[100:164, 40:136] as the encoder codes it",
                        arr=crop, options={"mixer": "large"}, kind="learned tuned"))
    return sixteen


def format18_cases() -> list[dict]:
    """Format 18's learned tuned tiles with secondary estimation in the neighbours' pattern (ADAPTIVE_PRESETS 6 to 8):
    format 16's cases with those twins (every mixer, the second large one too, every order and mode as there), and
    the encoder's own choice at effort 3 with the large mixer on a photo crop where such a twin wins."""
    from rc_plugin.adaptive.guard import PATTERN_SSE_PRESET

    cases_ = format16_cases(PATTERN_SSE_PRESET, "learned_sse2_")
    eighteen = [case for case in cases_ if case["name"] != "learned_sse2_photo"]
    crop = photo(CROP18[0])[CROP18[1]]
    eighteen.append(dict(name="learned_sse2_photo", arr=crop, options={"mixer": "large", "effort": 3},
                         kind="learned tuned", pixels=f"{CROP18[2]} as the encoder codes it at effort 3"))
    return eighteen


def format19_cases() -> list[dict]:
    """Format 19's bias prior, in every record whose stream the adaptive coder writes without a learned mixer: the
    adaptive tiles of format 7's cases (every mode, grey stored as colour, two tiles, metadata), format 17's tuned
    tiles (every preset and order, and the encoder's own choice at effort 3), a palette's adaptive index plane, a wide
    tile's streams (its tokens counted, and the logistic's) and a JPEG tile's residual."""
    adaptive = [dict(case, name=f"prior_{case['name']}") for case in cases() if "q" not in case["options"]]
    tuned = [dict(case, name=case["name"].replace("sse2_", "prior_sse2_")) for case in format17_cases()]
    others = [dict(case, name=f"prior_{case['name']}") for case in format8_cases() + format10_cases() + format15_cases()
              if case["name"] in ("palette_adaptive", "wide_grey12", "wide_microscopy", "jpeg_rgb_420")]
    for case in others:
        if case["name"] == "prior_jpeg_rgb_420":  # its residual a palette record: recoded as an adaptive tile
            case.update(recode=True, pixels=case["pixels"] + ", its residual recoded by make_golden.recoded")
    return adaptive + tuned + others


def format20_cases() -> list[dict]:
    """Format 20's far neighbours (the correction stage's WW and NN errors, the texture's bias table), in every record
    whose stream the adaptive coder writes, with a learned mixer or without: format 19's cases, format 9's learned
    tiles (each released mixer) and format 18's learned tuned tiles."""
    nineteen = [dict(case, name=case["name"].replace("prior_", "far_", 1)) for case in format19_cases()]
    learned = [dict(case, name=f"far_{case['name']}", options={**case["options"], "effort": 1})  # a learned tile
               for case in format9_cases()]
    return nineteen + learned + [dict(case, name=f"far_{case['name']}") for case in format18_cases()]


def via_jpeg(arr: np.ndarray, **options) -> np.ndarray:
    """The pixels Pillow decodes from the JPEG it writes of arr (the golden file holds them, not the JPEG)."""
    import io

    out = io.BytesIO()
    Image.fromarray(arr).save(out, "JPEG", **options)
    with Image.open(io.BytesIO(out.getvalue())) as im:
        return np.asarray(im).copy()


def format15_cases() -> list[dict]:
    """Format 15's JPEG tiles: the photo decoded from a JPEG at its own resolution (4:2:0, with a residual), and
    crops of the sample photos through Pillow's JPEG at 4:4:4 and 4:2:2, grey, grey with alpha, colour with alpha over
    two tiles, with metadata, and grey colour (one channel coded)."""
    lake, osprey, colosseum = photo("lake"), photo("osprey"), photo("colosseum")
    meta = {"icc_profile": ICC, "exif": EXIF, "xmp": XMP}
    two_tiles = rc_plugin.codec.TILE["adaptive"] + 16
    wide = np.concatenate([lake[:96], lake[:96, :16]], axis=1)
    assert wide.shape[1] == two_tiles
    return [
        dict(name="jpeg_rgb_420", pixels="assets/jpeg_decoded/jpeg_photo.png as the encoder codes it",
             arr=photo("jpeg_decoded/jpeg_photo"), options={}, kind="jpeg"),
        dict(name="jpeg_rgb_444", pixels="osprey.png[:96, :128] through Pillow's JPEG at quality 80, 4:4:4",
             arr=via_jpeg(osprey[:96, :128], quality=80, subsampling=0), options={}, kind="jpeg"),
        dict(name="jpeg_rgb_422", pixels="colosseum.png[:80, :112] through Pillow's JPEG at quality 90, 4:2:2",
             arr=via_jpeg(colosseum[:80, :112], quality=90, subsampling=1), options={}, kind="jpeg"),
        dict(name="jpeg_grey_l", pixels="lake.png[100:196, 200:328] as L through Pillow's JPEG at quality 70",
             arr=via_jpeg(luma(lake[100:196, 200:328]), quality=70), options={}, kind="jpeg"),
        dict(name="jpeg_la", pixels="the same as L through Pillow's JPEG at quality 70, with "
             "make_golden.alpha_mask(96, 128)",
             arr=np.dstack([via_jpeg(luma(lake[100:196, 200:328]), quality=70), alpha_mask(96, 128)]), options={},
             kind="jpeg"),
        dict(name="jpeg_rgba_two_tiles", pixels=f"lake.png[:96] and lake.png[:96, :16] side by side ({two_tiles} wide) "
             f"through Pillow's JPEG at quality 75, 4:2:0, with make_golden.alpha_mask(96, {two_tiles})",
             arr=np.dstack([via_jpeg(wide, quality=75), alpha_mask(96, two_tiles)]), options={}),
        dict(name="jpeg_rgb_metadata", pixels="osprey.png[100:164, 40:136] through Pillow's JPEG at quality 85, 4:2:0",
             arr=via_jpeg(osprey[100:164, 40:136], quality=85), options=meta, kind="jpeg"),
        dict(name="jpeg_grey_colour", pixels="colosseum.png[:64, :96] as L, repeated in R, G and B, through Pillow's "
             "JPEG at quality 75 (as grey: one channel coded)",
             arr=via_jpeg(luma(colosseum[:64, :96]), quality=75)[..., None].repeat(3, axis=2), options={}, kind="jpeg"),
    ]


def wide_asset(name: str) -> np.ndarray:
    """A 16-bit test asset's samples (read as rcl reads a 16-bit PNG)."""
    from rc_plugin.files.wide_files import read_wide

    return read_wide(ASSETS / "wide" / f"{name}.png")[0]


def call_text(options: dict) -> str:
    """The encode call as text; ICC, EXIF and XMP are the constants of this file."""
    names = {ICC: "ICC", EXIF: "EXIF", XMP: "XMP", Q: str(Q)}
    return "rc_plugin.encode(arr" + "".join(f", {k}={names.get(v, repr(v))}" for k, v in options.items()) + ")"


def record_fingerprint_only() -> None:
    """Fill in the manifest's bitstream_fingerprint and leave the .rcl files as they are."""
    path = GOLDEN / "manifest.json"
    manifest = json.loads(path.read_text())
    if manifest["format_version"] != rc_plugin.format.container.VERSION:
        sys.exit(f"the golden files are format {manifest['format_version']}, the code writes "
                 f"{rc_plugin.format.container.VERSION}: regenerate them all (python tests/make_golden.py)")
    manifest["bitstream_fingerprint"] = bitstream_fingerprint()
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"bitstream_fingerprint: {manifest['bitstream_fingerprint']}")


def add_new_model_file() -> None:
    """A golden mixture file coded with the current residual model, beside the files of the models before it."""
    from rc_plugin.mixture import released

    path = BYTE_GOLDEN / "manifest.json"
    manifest = json.loads(path.read_text())
    case = next(c for c in cases() if c["name"] == "rgb_mixture")
    case["name"] = f"rgb_mixture_{released.current_id().hex()}"
    if any(e["name"] == case["name"] + ".rcl" for e in manifest["files"]):
        sys.exit(f"{case['name']}.rcl is already there")
    manifest["files"] += write_files([case], BYTE_GOLDEN)
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def add_new_mixer_files() -> None:
    """A golden learned file for each released mixer that has none, beside the files of the mixers before it (in the
    current version's folder, which learned tiles are written in from format 20)."""
    path = GOLDEN / "manifest.json"
    manifest = json.loads(path.read_text())
    have = {e["name"] for e in manifest["files"]}
    learned = [case for case in format20_cases() if case["kind"] == "learned"]
    new = [case for case in learned if f"{case['name']}.rcl" not in have]
    if not new:
        sys.exit("every released mixer has its golden file")
    manifest["files"] += write_files(new, GOLDEN)
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def main() -> None:
    if sys.argv[1:] == ["--fingerprint-only"]:
        return record_fingerprint_only()
    if sys.argv[1:] == ["--new-model"]:
        return add_new_model_file()
    if sys.argv[1:] == ["--new-mixer"]:
        return add_new_mixer_files()
    if sys.argv[1:]:
        sys.exit("usage: python tests/make_golden.py [--fingerprint-only | --new-model | --new-mixer]")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for old in GOLDEN.glob("*.rcl"):
        old.unlink()
    manifest = {
        "format_version": rc_plugin.format.container.VERSION,
        "bitstream_fingerprint": bitstream_fingerprint(),
        "generator": "python tests/make_golden.py",
        "pixel_sha256": "sha256 of np.ascontiguousarray(rc_plugin.decode(data)).tobytes()",
        "files": write_files(format20_cases()),
    }
    (GOLDEN / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_files(cases_: list[dict], folder: Path = GOLDEN) -> list[dict]:
    """Encode each case into folder, check it round-trips, and return its manifest entries."""
    files = []
    for case in cases_:
        if "image" in case:  # a PIL image of mode P or 1: it comes back in its mode, with its palette
            data = rc_plugin.encode(case["image"], **case["options"])
            back, meta = rc_plugin.codec.decode_image(data)
            assert back.mode == case["image"].mode and back.getpalette() == case["image"].getpalette()
            assert back.info.get("transparency") == case["image"].info.get("transparency"), case["name"]
            assert np.array_equal(np.asarray(back), np.asarray(case["image"])), case["name"]
            decoded, meta = decode_with_metadata(data)
        else:
            arr = np.ascontiguousarray(case["arr"])
            data = rc_plugin.encode(arr, **case["options"])
            if case.get("recode"):
                data = recoded(data, case["kind"])
            if "retune" in case:
                data = retuned(data, case["retune"], case.get("order", 0), case.get("relearn", 0))
            decoded, meta = decode_with_metadata(data)
            assert np.array_equal(decoded, arr) and np.array_equal(rc_plugin.decode(data), arr), case["name"]
            assert meta == {k: v for k, v in case["options"].items() if k not in ("q", "mixer", "effort")}, case["name"]
        if "kind" in case:
            assert tile_kinds(data) == [case["kind"]], (case["name"], tile_kinds(data))
        if case["name"] == "rgb_grey_shortcut":
            assert first_tile(data).grey != b"", "the encoder did not keep the grey shortcut: use a larger crop"
        info = rc_plugin.info(data)
        name = f"{case['name']}.rcl"
        assert info["version"] == int(folder.name[1:]), (name, info["version"])
        (folder / name).write_bytes(data)
        files.append({
            "name": name,
            "mode": info["mode"],
            "shape": list(decoded.shape),
            "dtype": str(decoded.dtype),
            "bit_depth": info["bit_depth"],
            "q": info["q"],
            "coder": info["coder"],
            "tiles": info["tiles"],
            "bytes": len(data),
            "file_sha256": sha256(data),
            "pixel_sha256": sha256(np.ascontiguousarray(decoded).tobytes()),
            "metadata_sha256": {k: sha256(metadata_bytes(v)) for k, v in sorted(meta.items())},
            **({} if info["bit_depth"] > 8 and info["mode"] != "L" else  # Pillow has no 16-bit colour
               {"plane_sha256": sha256(np.asarray(rc_plugin.codec.decode_image(data)[0]).tobytes())}),
            "tile_kinds": tile_kinds(data),
            "pixels": case["pixels"],
            "encode": call_text(case["options"]),
        })
        print(f"{name}: {info['mode']} {list(decoded.shape)}, {info['tiles']} tile(s), {len(data)} bytes")
    return files


if __name__ == "__main__":
    main()
