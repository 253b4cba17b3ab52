"""Exact round trips through the real HEVC layer, the real onnxruntime model and the range coder."""
import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin import codec, container, encoder, grey
from rc_plugin.lossy import BpgLayer, get_layer
from rc_plugin.networks import QC_RANGE
from rcl_testutil import first_tile, mostly_grey


def roundtrip(arr, **options) -> bytes:
    data = rc_plugin.encode(arr, **options)
    out = rc_plugin.decode(data)
    assert out.dtype == np.uint8
    assert out.shape == np.asarray(arr).shape
    assert np.array_equal(out, arr)
    return data


def test_photo_crop_roundtrip(photo_crop):
    data = roundtrip(photo_crop, q=16)
    meta = rc_plugin.info(data)
    assert meta["mode"] == "RGB" and meta["q"] == 16 and meta["lossy"] == "hevc"
    assert meta["lossy_bytes"] > 0 and meta["residual_bytes"] > 0
    assert meta["lossy_bytes"] + meta["residual_bytes"] + meta["overhead_bytes"] == len(data)


@pytest.mark.slow
def test_full_sample_photo_roundtrip(photos):
    img = photos["colosseum"]
    data = roundtrip(img)
    # a real photo compresses well below raw 8 bits per subpixel; measured 3.7217 bpsp (Q 38):
    # python tests/measure_thresholds.py full_photo_bpsp
    assert rc_plugin.info(data)["bpsp"] < 3.80


@pytest.mark.parametrize("q", range(11, 21))
def test_every_q(photo_crop, q):
    roundtrip(photo_crop[:40, :56], q=q)


def test_random_noise(rng):
    roundtrip(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8), q=12)


def test_flat_image():
    data = roundtrip(np.full((40, 30, 3), 77, np.uint8), q=14)
    # a flat image has a tiny residual
    assert rc_plugin.info(data)["residual_bytes"] < 200


def test_extremes():
    arr = np.zeros((32, 32, 3), np.uint8)
    arr[::2] = 255
    roundtrip(arr, q=20)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 17, 3), (23, 1, 3), (5, 7, 3), (33, 65, 3)])
def test_small_and_odd_sizes(rng, shape):
    roundtrip(rng.integers(0, 256, shape, dtype=np.uint8), q=15)


def test_tile_borders(monkeypatch, photo_crop):
    monkeypatch.setattr(codec, "TILE", 32)
    img = photo_crop[:70, :90]
    data = roundtrip(img, q=16)
    assert rc_plugin.info(data)["tiles"] == 3 * 3


@pytest.mark.parametrize("channels", [None, 1, 2, 4])
def test_modes(photo_crop, rng, channels):
    if channels is None:
        arr = photo_crop[..., 1].copy()  # (H, W) grey
    elif channels == 1:
        arr = photo_crop[..., 1:2].copy()  # (H, W, 1) keeps its axis
    else:
        alpha = rng.integers(0, 256, photo_crop.shape[:2], dtype=np.uint8)
        alpha[:, :60] = 255
        base = photo_crop[..., :1] if channels == 2 else photo_crop
        arr = np.concatenate([base, alpha[..., None]], axis=2)
    roundtrip(arr, q=17)


def test_grey_stored_as_colour_costs_one_channel(photo_crop, rng):
    grey = np.asarray(Image.fromarray(photo_crop).convert("L"))
    rgb_of_grey = np.repeat(grey[..., None], 3, axis=2)
    g = roundtrip(grey, q=16)
    c = roundtrip(rgb_of_grey, q=16)
    header = container.parse_header(c, None)
    assert header.mode == "RGB" and header.flags & container.FLAG_GREY_COLOUR and header.coded_channels == 1
    # the same coded bytes as the grey image, but for the header's mode
    assert len(c) == len(g)
    rgba = np.concatenate([rgb_of_grey, rng.integers(0, 256, grey.shape + (1,), dtype=np.uint8)], axis=2)
    assert container.parse_header(roundtrip(rgba, q=16), None).flags & container.FLAG_GREY_COLOUR
    almost = rgb_of_grey.copy()
    almost[5, 7, 2] ^= 1  # one subpixel off grey: coded as colour, still exact
    assert not container.parse_header(roundtrip(almost, q=16), None).flags & container.FLAG_GREY_COLOUR


def test_mostly_grey_photo_takes_the_grey_shortcut(photo_crop, monkeypatch):
    img = mostly_grey(photo_crop)
    data = roundtrip(img, q=16)
    assert first_tile(data).grey, "the encoder did not keep the shortcut"
    monkeypatch.setattr(encoder, "_tile_variants", lambda prep, channels: (False,))
    without = roundtrip(img, q=16)
    assert first_tile(without).grey == b""
    # G and B of the grey pixels cost a flag instead of two residuals; measured 0.9041 (10957 / 12119 bytes):
    # python tests/measure_thresholds.py grey_shortcut_ratio
    assert len(data) < 0.93 * len(without)


def test_grey_shortcut_flags_where_x_l_is_grey_but_x_is_not(photo_crop):
    img = mostly_grey(photo_crop)
    img[::7, ::5, 2] ^= 1  # colour specks HEVC smooths away: x_l grey there, x not
    data = roundtrip(img, q=24)
    assert first_tile(data).grey, "the encoder did not keep the shortcut"
    prep = encoder._prepare(img, 3, get_layer("hevc"), 24, True, "cpu", None)
    flag_one = grey.is_grey(prep.model.xl) & ~grey.is_grey(prep.model.xl + prep.r)
    assert flag_one.sum() > 10, "no pixel with a grey x_l and a coloured x: the test misses its case"


def test_grey_params_are_checked():
    good = grey.GreyParams(np.full((grey.PHASES, grey.CONTEXTS), 100, np.int64)).pack()
    assert grey.GreyParams.unpack(good).prob[0, 0] == 100
    with pytest.raises(rc_plugin.RclError):
        grey.GreyParams.unpack(good[:-1])
    with pytest.raises(rc_plugin.RclError):
        grey.GreyParams.unpack(bytes(len(good)))  # a probability of 0 would make a flag uncodable


def test_pil_input_keeps_mode(photo_crop):
    img = Image.fromarray(photo_crop).convert("RGBA")
    data = rc_plugin.encode(img, q=16)
    assert rc_plugin.info(data)["mode"] == "RGBA"
    assert np.array_equal(rc_plugin.decode(data), np.asarray(img))


def test_tau_is_stored_and_helps_or_is_neutral(photo_crop):
    with_tau = rc_plugin.encode(photo_crop, q=16, tau=True)
    without = rc_plugin.encode(photo_crop, q=16, tau=False)
    assert np.array_equal(rc_plugin.decode(with_tau), photo_crop)
    # tau is fitted on a subsample; on the whole image it may cost at most a little. Measured 1.0003
    # (23801 / 23793 bytes): python tests/measure_thresholds.py tau_ratio
    assert len(with_tau) <= len(without) * 1.01


def test_q_classifier_or_default_picks_a_valid_q(photo_crop):
    data = roundtrip(photo_crop, effort=1)
    assert rc_plugin.info(data)["q"] in QC_RANGE


def test_metadata_chunks_roundtrip(photo_crop):
    data = rc_plugin.encode(photo_crop[:16, :16], q=16, icc_profile=b"icc-bytes", exif=b"Exif\0\0MM", xmp=b"<x/>")
    pixels, meta = codec.decode_with_metadata(data)
    assert meta == {"icc_profile": b"icc-bytes", "exif": b"Exif\0\0MM", "xmp": b"<x/>"}
    assert np.array_equal(pixels, photo_crop[:16, :16])


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((4, 4, 3), np.float32), "uint8"),
        (np.zeros((4, 4, 5), np.uint8), "shape"),
        (np.zeros((0, 4, 3), np.uint8), "empty"),
        (np.zeros((2, 2, 2, 3), np.uint8), "shape"),
    ],
)
def test_bad_input_raises_rclerror(bad, message):
    with pytest.raises(rc_plugin.RclError, match=message):
        rc_plugin.encode(bad)


@pytest.mark.parametrize("q", [-1, 52, 14.5, "14", True])
def test_bad_q_raises(q):
    with pytest.raises(rc_plugin.RclError, match="q must be"):
        rc_plugin.encode(np.zeros((4, 4, 3), np.uint8), q=q)


def test_bad_options_raise():
    arr = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(rc_plugin.RclError, match="lossy layer"):
        rc_plugin.encode(arr, lossy="jpeg")
    with pytest.raises(rc_plugin.RclError, match="device"):
        rc_plugin.encode(arr, q=14, device="tpu")


def test_unsupported_pil_mode():
    with pytest.raises(rc_plugin.RclError, match="mode 'CMYK'"):
        rc_plugin.encode(Image.new("CMYK", (4, 4)))


@pytest.mark.skipif(not BpgLayer().available(), reason="BPG tools (bpgenc, bpgdec) are not installed")
def test_bpg_backend_roundtrip(photo_crop):
    data = roundtrip(photo_crop, lossy="bpg", q=16)
    assert rc_plugin.info(data)["lossy"] == "bpg"


def test_missing_bpg_tools_give_clear_error(monkeypatch, photo_crop):
    monkeypatch.setenv("RCL_BPGENC", "/nonexistent/bpgenc")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(rc_plugin.RclError, match="bpgenc"):
        rc_plugin.encode(photo_crop[:16, :16], lossy="bpg", q=16)


def test_header_layout(photo_crop):
    data = rc_plugin.encode(photo_crop[:16, :24], q=13)
    header = container.parse_header(data, None)
    assert (header.width, header.height, header.mode, header.q) == (24, 16, "RGB", 13)
    assert data.startswith(container.MAGIC)
