"""Palette (P) and bilevel (1) images keep their mode: through Pillow, imageio, the API and the rcl command.

The inputs are real files written by Pillow (a quantized photo as palette PNGs with and without transparency, a GIF,
a palette with duplicate colours, a 1-bit PNG), so what is checked is what a user's file goes through.
"""
import io
import struct

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from rcl_testutil import rcl, recrc

import rc_plugin
from rc_plugin import codec
from rc_plugin.format import container
from rc_plugin.format.container import Palette

from conftest import ASSETS

KINDS = ["plain", "index", "alpha_table", "rgba_palette", "gif", "duplicates", "bilevel"]
FILES = {"gif": "gif.gif", "bilevel": "bilevel.png"}


def _lake() -> Image.Image:
    with Image.open(ASSETS / "lake.png") as im:
        return im.convert("RGB").crop((180, 120, 276, 184))  # 96x64: water, shore and trees


def _make(kind: str) -> Image.Image:
    """The image a file of this kind is written from."""
    lake = _lake()
    q = lake.quantize(16)
    if kind == "plain":
        return q
    if kind == "index":  # one transparent index (a PNG tRNS of one zero, as Pillow writes it)
        q.info["transparency"] = 3
        return q
    if kind == "alpha_table":  # a per-entry alpha table: reopened, an RGB palette with transparency bytes
        q.info["transparency"] = bytes([0, 64, 128, 200, 255, 30])
        return q
    if kind == "rgba_palette":  # an RGBA palette with per-entry alpha, as Pillow holds it in memory
        rgb = np.array(q.getpalette("RGB"), np.uint8).reshape(-1, 3)
        alpha = (np.arange(len(rgb)) * 17).astype(np.uint8)[:, None]
        p = q.copy()
        p.putpalette(np.concatenate([rgb, alpha], axis=1).tobytes(), "RGBA")
        return p
    if kind == "gif":
        q.info["transparency"] = 5
        return q
    if kind == "duplicates":  # entries 8..15 repeat 0..7: indices must survive, not just colours
        idx = np.asarray(lake.quantize(8)).copy()
        idx[:, ::2] += 8
        p = Image.fromarray(idx, "P")
        pal = lake.quantize(8).getpalette("RGB")[: 8 * 3]
        p.putpalette(pal + pal, "RGB")
        return p
    if kind == "bilevel":
        return lake.convert("1")
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """kind -> path of a real file of that kind, saved by Pillow (PNG, or GIF for "gif"); not rgba_palette, which
    a PNG stores as an RGB palette with an alpha table (reopened, the alpha_table case)."""
    folder = tmp_path_factory.mktemp("palette_inputs")
    out = {}
    for kind in KINDS:
        if kind != "rgba_palette":
            out[kind] = folder / FILES.get(kind, f"{kind}.png")
            _make(kind).save(out[kind])
    return out


def _open(files, kind: str) -> Image.Image:
    """The input image as a user has it: the file opened by Pillow (rgba_palette: Pillow's in-memory image)."""
    if kind == "rgba_palette":
        return _make(kind)
    with Image.open(files[kind]) as im:
        im.load()
        return im.copy()


def _palette(im: Image.Image) -> tuple:
    """Everything a P image's palette consists of, as Pillow reports it."""
    mode = im.palette.mode
    return mode, im.getpalette(mode), im.info.get("transparency")


def _seen(im: Image.Image) -> np.ndarray:
    """What rc_plugin.decode and imageio give: the palette's colours (RGBA with alpha or transparency), bools."""
    if im.mode == "1":
        return np.asarray(im)
    mode = "RGBA" if im.palette.mode == "RGBA" or "transparency" in im.info else "RGB"
    return np.asarray(im.copy().convert(mode))  # a copy: Pillow's convert writes transparency into the palette


def _same_image(got: Image.Image, want: Image.Image) -> None:
    assert got.mode == want.mode and got.size == want.size
    assert np.array_equal(np.asarray(got), np.asarray(want)), "indices differ"
    if want.mode == "P":
        assert _palette(got) == _palette(want)


def test_inputs_are_what_they_claim(files):
    for kind in KINDS:
        im = _open(files, kind)
        assert im.mode == ("1" if kind == "bilevel" else "P"), kind
    assert isinstance(_open(files, "index").info["transparency"], int)
    assert isinstance(_open(files, "alpha_table").info["transparency"], bytes)
    assert _open(files, "rgba_palette").palette.mode == "RGBA"
    assert _open(files, "gif").info["transparency"] == 5
    dup = np.array(_open(files, "duplicates").getpalette()).reshape(-1, 3)
    assert np.array_equal(dup[:8], dup[8:])


@pytest.mark.parametrize("kind", KINDS)
def test_pillow_roundtrip_keeps_mode_palette_and_transparency(files, kind, tmp_path):
    src = _open(files, kind)
    src.save(tmp_path / "x.rcl")
    with Image.open(tmp_path / "x.rcl") as im:
        assert im.format == "RCL" and im.mode == src.mode
        if src.mode == "P":  # known at open, from the header and the PLTE chunk
            assert im.info.get("transparency") == src.info.get("transparency")
        im.load()
        _same_image(im, src)


@pytest.mark.parametrize("kind", KINDS)
def test_api_gives_the_pixels_as_seen(files, kind):
    src = _open(files, kind)
    data = rc_plugin.encode(src)
    info = rc_plugin.info(data)
    assert info["mode"] == src.mode
    assert info["metadata"] == (["palette"] if src.mode == "P" else [])
    out = rc_plugin.decode(data)
    want = _seen(src)
    assert out.dtype == want.dtype and np.array_equal(out, want)
    pixels, meta = codec.decode_with_metadata(data)
    assert np.array_equal(pixels, want)
    if src.mode == "P":
        assert meta["palette"] == Palette(*_palette(src))
    image, _ = codec.decode_image(data)
    _same_image(image, src)


def test_bool_array_is_mode_1():
    bits = np.asarray(_lake().convert("L")) > 100
    data = rc_plugin.encode(bits)
    assert rc_plugin.info(data)["mode"] == "1"
    out = rc_plugin.decode(data)
    assert out.dtype == bool and np.array_equal(out, bits)
    with pytest.raises(rc_plugin.RclError, match="bool pixels"):
        rc_plugin.encode(np.zeros((4, 4, 3), bool))


@pytest.mark.filterwarnings("ignore:Palette images with Transparency")  # imageio's own read of the PNG
@pytest.mark.parametrize("kind", ["plain", "index", "alpha_table", "gif", "bilevel"])
def test_imageio_reads_what_the_api_gives(files, kind, tmp_path):
    src = _open(files, kind)
    path = tmp_path / "x.rcl"
    src.save(path)
    want = _seen(src)
    for got in (iio.imread(path), iio2.imread(path), iio.imread(path.read_bytes(), extension=".rcl")):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    props = iio.improps(path)
    assert props.shape == want.shape and props.dtype == want.dtype
    assert iio.immeta(path)["mode"] == src.mode
    if kind in ("plain", "bilevel"):  # as imageio's own plugin reads the original palette PNG / 1-bit PNG
        assert np.array_equal(iio.imread(files[kind]), want)
    elif kind != "gif":  # imageio's PNG reading drops the transparency; the colours are the same
        assert np.array_equal(iio.imread(files[kind]), want[..., :3])


def test_imageio_v3_writes_bool_as_mode_1(tmp_path):
    bits = np.asarray(_lake().convert("L")) > 90
    iio.imwrite(tmp_path / "b.rcl", bits)
    assert rc_plugin.info((tmp_path / "b.rcl").read_bytes())["mode"] == "1"
    out = iio.imread(tmp_path / "b.rcl")
    assert out.dtype == bool and np.array_equal(out, bits)
    data = iio.imwrite("<bytes>", bits, extension=".rcl")
    assert np.array_equal(iio.imread(data, extension=".rcl"), bits)
    with Image.open(tmp_path / "b.rcl") as im:
        assert im.mode == "1" and np.array_equal(np.asarray(im), bits)


def test_rcl_command_keeps_palette_pngs_and_1_bit(files, tmp_path):
    folder = files["plain"].parent
    enc = rcl("encode", folder, "-o", tmp_path / "rcl", "--verify", "--quiet")
    assert enc.returncode == 0, enc.stderr
    dec = rcl("decode", tmp_path / "rcl", "-o", tmp_path / "png", "--quiet")
    assert dec.returncode == 0, dec.stderr
    for kind in ("plain", "index", "alpha_table", "gif", "duplicates", "bilevel"):
        name = files[kind].name
        assert rc_plugin.info((tmp_path / "rcl" / name).with_suffix(".rcl").read_bytes())["mode"] in ("P", "1")
        with Image.open((tmp_path / "png" / name).with_suffix(".png")) as out, Image.open(files[kind]) as orig:
            assert out.format == "PNG"
            _same_image(out, orig)
            if kind != "gif":  # Pillow wrote both PNGs from the same indices and palette: the same file again
                assert (tmp_path / "png" / name).with_suffix(".png").read_bytes() == files[kind].read_bytes()


def test_rcl_decode_to_formats_without_a_palette(files, tmp_path):
    for kind in ("plain", "index"):
        assert rcl("encode", files[kind], "-o", tmp_path / f"{kind}.rcl", "--quiet").returncode == 0
    plain = rcl("decode", tmp_path / "plain.rcl", "-o", tmp_path / "plain.ppm", "--quiet")
    assert plain.returncode == 0, plain.stderr
    with Image.open(tmp_path / "plain.ppm") as im:  # PPM has no palette: the colours
        assert im.mode == "RGB" and np.array_equal(np.asarray(im), _seen(_open(files, "plain")))
    refused = rcl("decode", tmp_path / "index.rcl", "-o", tmp_path / "index.bmp", "--quiet")
    assert refused.returncode == 1 and "has alpha" in refused.stderr


def test_pillow_save_takes_transparency_option(files):
    src = _open(files, "plain")
    buf = io.BytesIO()
    src.save(buf, format="RCL", transparency=7)
    with Image.open(buf) as im:
        assert im.mode == "P" and im.info["transparency"] == 7


def test_edge_palettes_roundtrip():
    idx = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    cases = [
        Image.frombytes("P", (8, 8), idx.tobytes()),  # no palette entries: every index is black
        Image.fromarray(idx, "P"),
    ]
    cases[1].putpalette(bytes(range(12)), "RGB")  # 4 entries; indices past them, and a transparency past them too
    cases[1].info["transparency"] = 200
    cases.append(cases[1].copy())
    cases[2].info["transparency"] = b""  # as Pillow reads a PNG with an empty tRNS chunk
    for src in cases:
        data = rc_plugin.encode(src)
        with Image.open(io.BytesIO(data)) as im:
            _same_image(im, src)
        assert np.array_equal(rc_plugin.decode(data), _seen(src))


@pytest.mark.parametrize("transparency, message", [(300, "0..255"), ((1, 2), "an index or a bytes"),
                                                   (bytes(257), "up to 256")])
def test_bad_transparency_is_refused_on_encode(transparency, message):
    src = _lake().quantize(4)
    src.info["transparency"] = transparency
    with pytest.raises(rc_plugin.RclError, match=message):
        rc_plugin.encode(src)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    header = container.parse_header(data, None)
    pos, out = container.HEADER_SIZE, []
    while pos < len(data):
        kind, length = container.CHUNK_HEAD.unpack_from(data, pos)
        out.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    assert header and out[-1][0] == b"IEND"
    return out


def _rebuild(data: bytes, chunks: list[tuple[bytes, bytes]], mode: str | None = None) -> bytes:
    """The file with these chunks, their lengths and CRCs right (and the header's mode changed, its CRC right)."""
    head = bytearray(data[: container.HEADER_SIZE])
    if mode is not None:
        head[9] = container.MODE_IDS[mode]
    return recrc(bytes(head) + b"".join(container.chunk(k, p) for k, p in chunks))


def _palette_file(transparency=None) -> tuple[bytes, list]:
    src = _lake().quantize(8)
    if transparency is not None:
        src.info["transparency"] = transparency
    data = rc_plugin.encode(src)
    return data, _chunks(data)


def _with_plte(chunks, payload: bytes) -> list:
    return [(k, payload if k == b"PLTE" else p) for k, p in chunks]


def _refused(data: bytes, match: str) -> None:
    """RclError from decode and info; Pillow refuses it too (at open or load)."""
    with pytest.raises(rc_plugin.RclError, match=match):
        rc_plugin.decode(data)
    with pytest.raises(rc_plugin.RclError, match=match):
        rc_plugin.info(data)
    with pytest.raises(OSError):
        with Image.open(io.BytesIO(data)) as im:
            im.load()


def test_palette_chunk_layout():
    data, chunks = _palette_file(transparency=bytes([0, 9]))
    plte = dict(chunks)[b"PLTE"]
    mode_id, kind, count = struct.unpack_from("<BBH", plte)
    assert (mode_id, kind, count) == (0, 2, 8)
    assert plte[4 + 24 :] == struct.pack("<H", 2) + bytes([0, 9])
    assert [k for k, _ in chunks][:2] == [b"PLTE", b"TILE"]
    assert _rebuild(data, chunks) == data  # the helpers rebuild the file exactly


@pytest.mark.parametrize("damage, match", [
    (lambda p: bytes([2]) + p[1:], "mode 2"),  # palette mode
    (lambda p: p[:1] + bytes([3]) + p[2:], "transparency kind 3"),
    (lambda p: p[:2] + struct.pack("<H", 257) + p[4:], "257 entries"),
    (lambda p: p[:2] + struct.pack("<H", 9) + p[4:], "fields take"),  # more entries than the payload holds
    (lambda p: p[:2] + struct.pack("<H", 7) + p[4:], "fields take"),  # fewer
    (lambda p: p + b"\0", "fields take"),  # a byte too many
    (lambda p: p[:-1], "fields take"),  # the transparent index missing
    (lambda p: p[:3], "truncated"),
])
def test_corrupt_palette_index_chunk_is_refused(damage, match):
    data, chunks = _palette_file(transparency=3)
    plte = dict(chunks)[b"PLTE"]
    _refused(_rebuild(data, _with_plte(chunks, damage(plte))), match)


@pytest.mark.parametrize("damage, match", [
    (lambda p: p[:28] + struct.pack("<H", 1), "fields take"),  # says 1 alpha, holds 0
    (lambda p: p[:28] + struct.pack("<H", 257) + bytes(257), "alpha table of 257"),
    (lambda p: p[:28] + struct.pack("<H", 5) + p[30:], "fields take"),  # says 5 alphas, holds 2
    (lambda p: p[:29], "fields take"),  # its length cut in half
])
def test_corrupt_palette_alpha_table_is_refused(damage, match):
    data, chunks = _palette_file(transparency=bytes([0, 9]))
    plte = dict(chunks)[b"PLTE"]
    _refused(_rebuild(data, _with_plte(chunks, damage(plte))), match)


def test_palette_chunk_required_in_p_and_only_there():
    data, chunks = _palette_file()
    plte = dict(chunks)[b"PLTE"]
    _refused(_rebuild(data, [c for c in chunks if c[0] != b"PLTE"]), "without its PLTE chunk")
    _refused(_rebuild(data, [chunks[0], *chunks]), "repeated")
    _refused(_rebuild(data, [c for c in chunks if c[0] != b"PLTE"][:-1] + [(b"PLTE", plte), chunks[-1]]),
             "after the tiles")
    grey = rc_plugin.encode(np.asarray(_lake().convert("L")))
    _refused(_rebuild(grey, [(b"PLTE", plte), *_chunks(grey)]), "PLTE chunk in an image of mode L")
    # a P file's plane as L: the chunk parser refuses the palette (checksum and tiles are fine)
    _refused(_rebuild(data, chunks, mode="L"), "PLTE chunk in an image of mode L")


def test_bilevel_file_with_other_values_is_refused():
    plane = (np.asarray(_lake().convert("L")) > 100).astype(np.uint8)
    plane[3, 4] = 2
    data = rc_plugin.encode(plane)  # an L file; as mode 1 the checksum still holds, the value 2 does not
    with pytest.raises(rc_plugin.RclError, match="other than 0 and 1"):
        rc_plugin.decode(_rebuild(data, _chunks(data), mode="1"))


@pytest.mark.parametrize("offset", [4, 5, 6, 4 + 23])  # the first entry's R, G, B and the last entry's B
def test_a_changed_palette_entry_is_refused_as_wrong_pixels(offset):
    """The header's checksum covers the palette as well as the indices: a palette entry changed under a mended CRC
    is refused, by the API and by Pillow, not shown as other colours."""
    data, chunks = _palette_file(transparency=3)
    plte = bytearray(dict(chunks)[b"PLTE"])
    plte[offset] ^= 0x10
    damaged = _rebuild(data, _with_plte(chunks, bytes(plte)))
    with pytest.raises(rc_plugin.RclError, match="checksum"):
        rc_plugin.decode(damaged)
    with pytest.raises(OSError):
        with Image.open(io.BytesIO(damaged)) as im:
            im.load()


def test_a_changed_transparent_index_is_refused():
    data, chunks = _palette_file(transparency=3)
    plte = dict(chunks)[b"PLTE"]
    moved = plte[:-1] + bytes([4])  # transparency kind 1: the index is the last byte
    assert struct.unpack_from("<BBH", plte)[1] == 1 and plte[-1] == 3
    with pytest.raises(rc_plugin.RclError, match="checksum"):
        rc_plugin.decode(_rebuild(data, _with_plte(chunks, moved)))


@pytest.mark.parametrize("mode", ["P", "1"])
def test_a_version_7_file_cannot_hold_p_or_1(mode):
    source = _lake().quantize(8) if mode == "P" else _lake().convert("1")
    raw = bytearray(rc_plugin.encode(source))
    raw[8] = 7
    with pytest.raises(rc_plugin.RclError, match="unknown mode .* in a version-7 file"):
        rc_plugin.decode(recrc(bytes(raw)))
