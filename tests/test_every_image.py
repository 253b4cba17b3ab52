"""Images that are not photos: palette and generic tiles (format 8), the guard that keeps the smallest record, and
the damage each new record refuses. The sizes compared are real encoders' (PNG by Pillow at its strongest), never
timings."""
import dataclasses
import io
import lzma
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import rc_plugin
from rc_plugin.format import container, records, versions
from rc_plugin.adaptive import generic, guard, indexed, palette
from rc_plugin.format.bitstream import PLANE_ADAPTIVE, PLANE_GENERIC, PLANE_INDEXED
from rcl_testutil import assert_flips_never_give_a_wrong_image, first_tile, recrc, tile_kinds

NONPHOTO = Path(__file__).resolve().parent / "assets" / "nonphoto"


def drawing(h: int = 96, w: int = 120, colours: int = 5) -> np.ndarray:
    """Filled shapes and lines in a few colours on white: a drawing's exact repeats and sharp edges."""
    rng = np.random.default_rng(colours)
    im = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    inks = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(colours - 1)]
    for i in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x, y, x + int(rng.integers(5, 40)), y + int(rng.integers(5, 30)))
        (draw.rectangle if i % 2 else draw.ellipse)(box, fill=inks[i % len(inks)])
        draw.line((0, y, w, (y * 7) % h), fill=inks[(i + 1) % len(inks)], width=1)
    return np.asarray(im).copy()


def png_size(pixels: np.ndarray) -> int:
    buf = io.BytesIO()
    Image.fromarray(pixels.squeeze()).save(buf, "PNG", optimize=True)
    return len(buf.getvalue())


def palette_image(n: int, h: int = 40, w: int = 52, seed: int = 0) -> np.ndarray:
    """An (h, w, 3) image of exactly n colours laid out in blocks of repeats, with noise between."""
    rng = np.random.default_rng(seed)
    colours = rng.permutation(np.arange(1 << 24))[:n]
    colours = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1).astype(np.uint8)
    idx = np.repeat(rng.integers(0, n, (h, (w + 3) // 4)), 4, axis=1)[:, :w]
    idx[: min(n, h * w) // w + 1] = 0
    idx.flat[:n] = np.arange(n)  # every colour appears
    return colours[idx]


# --- each record and plane coder round-trips on its own -------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 17, 129, 256, 257, 1000, 65535, 65536])
def test_the_index_coder_roundtrips_every_palette_size(n):
    """Runs of repeats and indices over the whole range, n - 1 (every bit set below n) among them."""
    rng = np.random.default_rng(n)
    idx = np.minimum(rng.geometric(0.3, (23, 29)) - 1, n - 1)
    idx[::3] = rng.integers(0, n, (8, 29))
    idx[-1, -min(n, 29):] = n - 1 - np.arange(min(n, 29))
    data = indexed.encode_indices(idx, n)
    assert np.array_equal(indexed.decode_indices(data, 23, 29, n), idx)


def test_a_short_index_stream_for_a_large_tile_is_refused():
    """A few bytes of garbage for a 1024-pixel tile of 65,536 colours: refused as cut short (the decoder stops
    as soon as it reads past the end, not after the whole tile)."""
    with pytest.raises(rc_plugin.RclError, match="ends too early|beyond its palette"):
        indexed.decode_indices(bytes(range(20)), 1024, 1024, 65536)


def test_a_one_colour_tile_costs_nothing_but_its_flush():
    assert len(indexed.encode_indices(np.zeros((300, 300), np.int64), 1)) <= 5


@pytest.mark.parametrize("channels", [1, 3])
def test_generic_rows_roundtrip_with_every_filter(channels):
    rng = np.random.default_rng(channels)
    plane = rng.integers(0, 256, (37, 41, channels), dtype=np.uint8)
    plane[10:20] = plane[9:10]  # rows the 'up' filter fits
    plane[:, 5:30] = np.arange(25, dtype=np.uint8)[None, :, None] * 3  # ramps for 'sub', 'average', Paeth
    rows = np.frombuffer(generic.filter_rows(plane), np.uint8).reshape(37, -1)
    assert len(set(rows[:, 0])) >= 3  # several filters chosen
    assert np.array_equal(generic.decode_rows(generic.encode_rows(plane), 37, 41, channels), plane)


def test_palettes_pack_and_unpack():
    colours, idx = guard.palette_and_indices(drawing())
    assert np.array_equal(colours[idx], drawing())
    keys = colours.astype(int) @ [65536, 256, 1]
    assert np.all(np.diff(keys) > 0)  # each colour once, in order of RGB value
    assert np.array_equal(palette.unpack_palette(palette.pack_palette(colours), len(colours), 3), colours)


# --- the guard keeps the smallest record ------------------------------------------------------------------------


def test_photos_code_as_before_with_the_adaptive_coder_alone(photos):
    from rc_plugin.adaptive import plane_coder as adaptive

    photo = photos["osprey"][:200, :300]
    data = rc_plugin.encode(photo)
    assert tile_kinds(data) == ["adaptive"]
    tile = first_tile(data)
    assert tile.stream == adaptive.encode_plane(np.ascontiguousarray(photo))


@pytest.mark.parametrize("kind", ["drawing", "palette photo", "text", "grey levels", "gradient"])
def test_non_photos_come_out_smaller_than_png(kind, photos):
    if kind == "drawing":
        image = drawing()
    elif kind == "palette photo":
        image = np.asarray(Image.fromarray(photos["lake"][:160, :200]).quantize(64).convert("RGB"))
    elif kind == "text":
        im = Image.new("L", (200, 80), 255)
        for i in range(5):
            ImageDraw.Draw(im).text((4, 4 + 15 * i), "lossless storage of every kind of image", fill=0)
        image = np.asarray(im)
    elif kind == "grey levels":
        image = (photos["colosseum"][:128, :128, 1] // 32 * 32).astype(np.uint8)
    else:
        image = np.repeat(np.tile(np.arange(0, 256, 2, dtype=np.uint8), (64, 1))[..., None], 3, axis=2)
    data = rc_plugin.encode(image)
    assert np.array_equal(rc_plugin.decode(data), image)
    assert not set(tile_kinds(data)) & {"adaptive", "mixture"}, tile_kinds(data)
    assert len(data) <= png_size(image), (len(data), png_size(image))


def test_every_nonphoto_asset_is_at_most_png_plus_64_bytes():
    """The shipped non-photo assets (tests/assets/nonphoto), each against its own PNG file, as Pillow opens it."""
    paths = sorted(NONPHOTO.glob("*.png"))
    assert len(paths) >= 4, f"non-photo assets missing in {NONPHOTO}"
    for path in paths:
        with Image.open(path) as im:
            im.load()
            data = rc_plugin.encode(im)
            back = Image.open(io.BytesIO(data))
            assert back.mode == im.mode and np.array_equal(np.asarray(back), np.asarray(im)), path.name
            assert back.getpalette() == im.getpalette(), path.name
            assert back.info.get("transparency") == im.info.get("transparency"), path.name
        assert len(data) <= path.stat().st_size + 64, (path.name, len(data), path.stat().st_size)


def test_alpha_planes_with_bytes_after_their_end_are_refused():
    rgba = np.dstack([drawing(), np.where(drawing()[..., 0] > 100, 255, 0).astype(np.uint8)])
    data = rc_plugin.encode(rgba)
    tile = first_tile(data)
    assert tile.alpha
    _refused(_with_record(data, records.PaletteTile(tile.plane, tile.colours, tile.palette, tile.stream,
                                                    tile.alpha + b"x")), "alpha plane has the wrong size")


def test_a_palette_photos_indices_are_coded_as_a_palette_not_as_grey_levels():
    """A P image's plane holds indices, not grey levels: a dithered 256-colour photo, whose indices repeat little
    (a grey image like it would go to the adaptive coder), is coded by the index coder."""
    with Image.open(NONPHOTO / "palette256-colosseum.png") as im:
        im.load()
        assert im.mode == "P" and len(im.getcolors(256)) == 256 and guard.repeat_share(np.asarray(im)[..., None]) < 0.3
        data = rc_plugin.encode(im)
    assert tile_kinds(data) == ["palette/indexed"]


def test_tiles_of_one_image_may_differ_and_alpha_stays_apart(photos):
    """A photo beside a drawing, with alpha: each 64-pixel tile keeps its own record, and all decode exactly."""
    from rc_plugin import codec

    image = np.concatenate([photos["lake"][:64, :64], drawing(64, 64)], axis=1)
    rgba = np.concatenate([image, np.where(image[..., :1] > 128, 255, 0).astype(np.uint8)], axis=2)
    saved = dict(codec.TILE)
    try:
        codec.TILE["adaptive"] = 64
        data = rc_plugin.encode(rgba)
    finally:
        codec.TILE.update(saved)
    kinds = tile_kinds(data)
    assert kinds[0] in ("adaptive", "tuned") and kinds[1].startswith(("palette", "generic")), kinds
    assert np.array_equal(rc_plugin.decode(data), rgba)


# --- damage is refused ------------------------------------------------------------------------------------------


def _with_record(data: bytes, record) -> bytes:
    """data with its (single) tile replaced by record, every CRC right, and its version raised to the oldest that
    reads the record where that is later (not for a record given as bytes, _Raw)."""
    if not isinstance(record, _Raw):
        header = rc_plugin.codec.read_header(data)
        version = max(header.version, versions.oldest_version(record))
        data = dataclasses.replace(header, version=version).pack() + data[container.HEADER_SIZE:]
    pos = data.index(b"TILE", container.HEADER_SIZE)
    end = data.index(b"IEND", pos)
    return data[:pos] + container.chunk(b"TILE", record.pack()) + data[end:]


class _Raw(bytes):
    """A record given as its bytes."""

    def pack(self) -> bytes:
        return bytes(self)


def _refused(data: bytes, message: str) -> None:
    with pytest.raises(rc_plugin.RclError, match=message):
        rc_plugin.decode(data)


def test_palette_records_are_checked():
    data = rc_plugin.encode(drawing())
    tile = first_tile(data)
    assert isinstance(tile, records.PaletteTile)
    payload = bytearray(tile.pack())
    for offset, value, message in ((1, 7, "index plane coder 7"), (2, 255, "palette has the wrong size")):
        bad = bytearray(payload)
        bad[offset] = value
        _refused(_with_record(data, _Raw(bytes(bad))), message)
    # lengths that do not add up, bytes after the palette, a palette that does not inflate, fewer colours than the
    # indices need
    head = bytearray(tile.pack())
    head[4] += 1  # the palette's length, one more than there is
    _refused(_with_record(data, _Raw(bytes(head))), "lengths do not add up")
    _refused(_with_record(data, records.PaletteTile(tile.plane, tile.colours, tile.palette + b"x", tile.stream,
                                                    tile.alpha)), "palette has the wrong size")
    _refused(_with_record(data, records.PaletteTile(tile.plane, tile.colours, b"\x00" * 9, tile.stream,
                                                    tile.alpha)), "palette does not inflate")
    _refused(_with_record(data, records.PaletteTile(tile.plane, tile.colours, tile.palette, tile.stream,
                                                    tile.alpha + b"x")), "alpha data in an image without alpha")
    fewer = records.PaletteTile(tile.plane, tile.colours - 1, palette.pack_palette(
        palette.unpack_palette(tile.palette, tile.colours, 3)[:-1]), tile.stream, tile.alpha)
    _refused(_with_record(data, fewer), "beyond its palette|ends too early|checksum")


def test_a_palette_tile_with_too_many_colours_for_its_plane_coder_is_refused():
    image = palette_image(300)
    colours, idx = guard.palette_and_indices(image)
    tile = records.PaletteTile(PLANE_INDEXED, 300, palette.pack_palette(colours), indexed.encode_indices(idx, 300), b"")
    data = _with_record(rc_plugin.encode(image), tile)
    assert np.array_equal(rc_plugin.decode(data), image)
    for plane in (PLANE_ADAPTIVE, PLANE_GENERIC):
        bad = records.PaletteTile(plane, tile.colours, tile.palette, tile.stream, tile.alpha)
        _refused(_with_record(data, bad), "with 300 colours")


def test_generic_streams_are_checked():
    image = np.tile(np.arange(0, 250, 5, dtype=np.uint8), (30, 1))[..., None] * np.array([1, 0, 1], np.uint8)
    record = records.GenericTile(generic.encode_rows(image), b"")
    data = _with_record(rc_plugin.encode(image), record)
    assert np.array_equal(rc_plugin.decode(data), image)
    _refused(_with_record(data, records.GenericTile(record.stream[:-3], b"")), "generic stream")
    _refused(_with_record(data, records.GenericTile(record.stream[:-1], b"")), "generic stream")  # no end marker
    _refused(_with_record(data, records.GenericTile(record.stream + b"\x00", b"")), "generic stream")
    longer = lzma.compress(generic.filter_rows(image) + b"\x00", format=lzma.FORMAT_RAW,
                           filters=generic._DECODE_FILTERS)
    _refused(_with_record(data, records.GenericTile(longer, b"")), "generic stream has the wrong size")
    bad_filter = np.frombuffer(generic.filter_rows(image), np.uint8).copy().reshape(30, -1)
    bad_filter[3, 0] = 9
    stream = lzma.compress(bad_filter.tobytes(), format=lzma.FORMAT_RAW, filters=generic._DECODE_FILTERS)
    _refused(_with_record(data, records.GenericTile(stream, b"")), "unknown row filter")


def test_a_version_7_file_cannot_hold_the_new_tiles():
    data = bytearray(rc_plugin.encode(drawing()))
    data[8] = 7
    _refused(recrc(bytes(data)), "unknown coder 2 in a version-7 file")


@pytest.mark.parametrize("kind", ["indexed", "adaptive", "generic", "generic colour"])
def test_flipped_bits_in_new_tiles_never_give_a_wrong_image(kind):
    """Bits flipped all over each new record, with every CRC right: the exact image or RclError, never a crash."""
    image = palette_image(9, 30, 40) if kind != "generic colour" else drawing(30, 40)
    data = rc_plugin.encode(image)
    tile = first_tile(data)
    if kind == "generic colour":
        tile = records.GenericTile(generic.encode_rows(image), b"")
    else:
        colours, idx = guard.palette_and_indices(image)
        from rc_plugin.adaptive import plane_coder as adaptive

        plane = {"indexed": PLANE_INDEXED, "adaptive": PLANE_ADAPTIVE, "generic": PLANE_GENERIC}[kind]
        stream = {PLANE_INDEXED: lambda: indexed.encode_indices(idx, len(colours)),
                  PLANE_ADAPTIVE: lambda: adaptive.encode_plane(idx.astype(np.uint8)[..., None]),
                  PLANE_GENERIC: lambda: generic.encode_rows(idx.astype(np.uint8)[..., None])}[plane]()
        tile = records.PaletteTile(plane, len(colours), palette.pack_palette(colours), stream, b"")
    data = _with_record(data, tile)
    assert np.array_equal(rc_plugin.decode(data), image)
    start = data.index(b"TILE", container.HEADER_SIZE) + container.CHUNK_HEAD.size
    positions = range(start, start + len(tile.pack()), max(1, len(tile.pack()) // 60))
    assert_flips_never_give_a_wrong_image(data, positions, image)
    assert_flips_never_give_a_wrong_image(data, positions, image, bit=0x80)


def test_truncated_index_streams_are_refused():
    image = palette_image(9, 30, 40)
    data = rc_plugin.encode(image)
    tile = first_tile(data)
    assert tile.plane == PLANE_INDEXED and len(tile.stream) > 30
    for keep in (0, 5, len(tile.stream) // 2, len(tile.stream) - 12):
        cut = records.PaletteTile(tile.plane, tile.colours, tile.palette, tile.stream[:keep], tile.alpha)
        _refused(_with_record(data, cut), "ends too early|beyond its palette|checksum")


def test_record_heads_are_what_the_format_says():
    """docs/format.md's offsets, read byte by byte: coder 2, plane coder, n - 1 (u16), then three u32 lengths."""
    rgba = np.dstack([drawing(), np.full(drawing().shape[:2], 200, np.uint8)])
    tile = first_tile(rc_plugin.encode(rgba))
    raw = tile.pack()

    def le(a: int, b: int) -> int:
        return int.from_bytes(raw[a:b], "little")

    assert (raw[0], raw[1], le(2, 4) + 1) == (2, tile.plane, tile.colours)
    assert (le(4, 8), le(8, 12), le(12, 16)) == (len(tile.palette), len(tile.stream), len(tile.alpha))
    assert len(tile.alpha) > 0 and raw[16:] == tile.palette + tile.stream + tile.alpha
