"""Pillow and imageio integration with real files."""
import io

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin import codec


@pytest.fixture
def small(photo_crop):
    return photo_crop[:40, :52].copy()


def test_pillow_registration():
    assert Image.registered_extensions()[".rcl"] == "RCL"
    assert Image.MIME["RCL"] == "image/x-rcl"


def test_pillow_save_open_load(tmp_path, small):
    path = tmp_path / "x.rcl"
    Image.fromarray(small).save(path, q=15)
    with Image.open(path) as im:
        assert im.format == "RCL" and im.mode == "RGB" and im.size == (52, 40)
        assert im.info["rcl"]["q"] == 15 and im.info["rcl"]["lossy"] == "hevc"
        assert np.array_equal(np.asarray(im), small)


def test_pillow_open_is_lazy_and_bomb_checked(tmp_path, small, monkeypatch):
    path = tmp_path / "x.rcl"
    Image.fromarray(small).save(path, q=15)
    decodes = []
    real = codec.decode_payloads
    monkeypatch.setattr(codec, "decode_payloads", lambda *a, **k: decodes.append(1) or real(*a, **k))
    with Image.open(path) as im:
        assert im.size == (52, 40) and im.mode == "RGB"
        assert decodes == [], "Image.open decoded pixels"
        im.load()
        assert decodes == [1] and np.array_equal(np.asarray(im), small)
    # Pillow's decompression-bomb check refuses the file from its header, before any pixel is decoded
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    assert decodes == [1]


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "1", "PA"])
def test_pillow_modes(tmp_path, small, mode):
    src = Image.fromarray(small).convert(mode)
    buf = io.BytesIO()
    src.save(buf, format="RCL", q=16)
    expected = {"PA": "RGBA"}.get(mode, mode)  # P and 1 keep their mode (tests/test_palette_modes.py)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        assert im.mode == expected
        want = src.convert(expected) if mode == "PA" else src
        assert np.array_equal(np.asarray(im), np.asarray(want))
        if mode == "P":
            assert im.getpalette() == src.getpalette()


def test_pillow_p_with_transparency_keeps_it(small):
    src = Image.fromarray(small).convert("P")
    src.info["transparency"] = 0
    buf = io.BytesIO()
    src.save(buf, format="RCL", q=16)
    with Image.open(buf) as im:
        assert im.mode == "P" and im.info["transparency"] == 0
        assert np.array_equal(np.asarray(im.convert("RGBA")), np.asarray(src.convert("RGBA")))
    assert np.array_equal(rc_plugin.decode(buf.getvalue()), np.asarray(src.convert("RGBA")))


def test_pillow_refuses_unsupported_mode(small):
    with pytest.raises(OSError, match="cannot write mode F"):
        Image.fromarray(small[..., 0].astype(np.float32)).save(io.BytesIO(), format="RCL")
    # mode I is written where its values fit 16 bits (tests/test_wide.py), and refused, naming them, where not
    for value in (-1, 70000):
        with pytest.raises(OSError, match=f"mode I with values {value}..{value}: rcl stores samples of 0..65535"):
            Image.fromarray(np.full((4, 5), value, np.int32)).save(io.BytesIO(), format="RCL")


def test_pillow_metadata_roundtrip(tmp_path, small):
    exif = Image.Exif()
    exif[0x010E] = "a description"
    src = Image.fromarray(small)
    src.info["icc_profile"] = b"fake icc"
    path = tmp_path / "m.rcl"
    src.save(path, exif=exif, xmp=b"<x:xmpmeta/>", q=16)
    with Image.open(path) as im:
        assert im.info["icc_profile"] == b"fake icc"
        assert im.info["xmp"] == b"<x:xmpmeta/>"
        assert im.getexif()[0x010E] == "a description"
    # an explicit option overrides what info carries
    src.save(path, icc_profile=b"other", q=16)
    with Image.open(path) as im:
        assert im.info["icc_profile"] == b"other"


def test_pillow_bad_header_is_unidentified(tmp_path):
    path = tmp_path / "bad.rcl"
    path.write_bytes(b"\x89RCL\r\n\x1a\n" + b"\0" * 60)
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(path)


def test_pillow_bad_payload_fails_at_load(tmp_path, small):
    data = bytearray(rc_plugin.encode(small, q=16))
    data[-40] ^= 0xFF
    path = tmp_path / "bad.rcl"
    path.write_bytes(bytes(data))
    with Image.open(path) as im:
        with pytest.raises(OSError) as info:
            im.load()
        assert isinstance(info.value.__cause__, rc_plugin.RclError)


def test_register_rcl_opener_options(small, monkeypatch):
    """The opener's options reach the decoder, and registering again without them drops them (that the
    options are used is also checked in test_pillow_behaviour.py; this one checks they are reset)."""
    seen = []
    real = codec.decode_payloads
    monkeypatch.setattr(codec, "decode_payloads", lambda h, p, *a, **kw: seen.append(kw) or real(h, p, *a, **kw))
    data = rc_plugin.encode(small, q=16)
    rc_plugin.register_rcl_opener(threads=1, device="cpu")
    try:
        with Image.open(io.BytesIO(data)) as im:
            assert np.array_equal(np.asarray(im), small)
    finally:
        rc_plugin.register_rcl_opener()
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), small)
    assert seen == [{"threads": 1, "device": "cpu"}, {}]
    with pytest.raises(rc_plugin.RclError, match="unknown decode options"):
        rc_plugin.register_rcl_opener(quality=3)


def test_imageio_v3_path_bytes_fileobject(tmp_path, small):
    path = tmp_path / "a.rcl"
    iio.imwrite(path, small, q=15)
    assert np.array_equal(iio.imread(path), small)
    data = iio.imwrite("<bytes>", small, extension=".rcl", q=15)
    assert isinstance(data, bytes) and data.startswith(b"\x89RCL")
    assert np.array_equal(iio.imread(data), small)
    buf = io.BytesIO()
    iio.imwrite(buf, small, extension=".rcl", q=15)
    buf.seek(0)
    assert np.array_equal(iio.imread(buf), small)
    meta = iio.immeta(path)
    assert meta["mode"] == "RGB" and meta["q"] == 15
    props = iio.improps(path)
    assert props.shape == small.shape and props.dtype == np.uint8


def test_imageio_v2_path_and_bytes(tmp_path, small):
    path = tmp_path / "b.rcl"
    iio2.imwrite(path, small)
    assert np.array_equal(iio2.imread(path), small)
    assert np.array_equal(iio2.imread(path.read_bytes()), small)


def test_imageio_grey_and_alpha(tmp_path, small):
    grey = small[..., 0].copy()
    rgba = np.concatenate([small, small[..., :1]], axis=2)
    for arr in (grey, rgba):
        path = tmp_path / "g.rcl"
        iio.imwrite(path, arr, q=16)
        assert np.array_equal(iio.imread(path), arr)
