"""One option schema: the same bad value gives the same error through the API, Pillow, imageio and the CLI;
options meant for other formats are ignored by the adapters, as Pillow's own plugins ignore them."""
import inspect
import io

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin import codec, options
from rc_plugin.mixture import lossy, runtime
from rcl_testutil import rcl

BAD_VALUES = [
    ("q", 60, "60", "q must be an integer quantizer in 0..51, not 60"),
    ("effort", 4, "4", "effort must be an effort level 1, 2 or 3 (1 fastest, 3 smallest), not 4"),
    ("lossy", "jpeg", "jpeg", "lossy must be one of 'hevc', 'bpg', not 'jpeg'"),
    ("device", "tpu", "tpu", "device must be one of 'auto', 'cpu', 'cuda', not 'tpu'"),
]


@pytest.fixture
def small(photo_crop):
    return photo_crop[:24, :32].copy()


@pytest.mark.parametrize("name, value, text, message", BAD_VALUES)
def test_same_bad_value_same_error_everywhere(tmp_path, small, name, value, text, message):
    with pytest.raises(rc_plugin.RclError) as api:
        rc_plugin.encode(small, **{name: value})
    assert str(api.value) == message
    with pytest.raises(OSError) as pil:
        Image.fromarray(small).save(io.BytesIO(), format="RCL", **{name: value})
    assert message in str(pil.value)
    with pytest.raises(OSError) as imageio_error:
        iio.imwrite(tmp_path / "x.rcl", small, **{name: value})
    assert message in str(imageio_error.value)
    Image.fromarray(small).save(tmp_path / "x.png")
    flag = options.ENCODE[name].flags[-1]
    cli = rcl("encode", tmp_path / "x.png", flag, text)
    assert cli.returncode == 2 and message in cli.stderr, cli.stderr
    assert not (tmp_path / "x.rcl").exists()


def test_cli_text_that_is_no_number_reads_as_the_api_says(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    cli = rcl("encode", tmp_path / "x.png", "-q", "high")
    assert cli.returncode == 2 and "q must be an integer quantizer in 0..51, not 'high'" in cli.stderr


def test_api_refuses_unknown_keywords_as_python_does(small):
    with pytest.raises(TypeError):
        rc_plugin.encode(small, optimize=True)
    with pytest.raises(TypeError):
        rc_plugin.decode(rc_plugin.encode(small, q=20), quality=3)


@pytest.mark.parametrize("fmt_options", [
    {"optimize": True, "compress_level": 9},  # PNG's
    {"quality": 95, "lossless": True, "method": 6},  # WebP's
])
def test_pillow_and_imageio_ignore_other_formats_options(tmp_path, small, fmt_options):
    Image.fromarray(small).save(tmp_path / "p.rcl", q=20, **fmt_options)
    with Image.open(tmp_path / "p.rcl") as im:
        assert im.format == "RCL" and np.array_equal(np.asarray(im), small)
    iio.imwrite(tmp_path / "i.rcl", small, q=20, **fmt_options)
    assert np.array_equal(iio.imread(tmp_path / "i.rcl"), small)
    assert rc_plugin.info((tmp_path / "i.rcl").read_bytes())["q"] == 20  # the known option still applies


def test_the_api_signature_is_the_schema():
    params = inspect.signature(codec.encode).parameters
    for name, opt in options.ENCODE.items():
        assert params[name].default == opt.default, name
    decode_params = inspect.signature(codec.decode).parameters
    for name, opt in options.DECODE.items():
        assert decode_params[name].default == opt.default, name
    assert set(lossy.LAYERS) == set(options.LOSSY_LAYERS)


def test_cli_defaults_are_the_schemas():
    from rc_plugin.files.cli import build_parser

    args = build_parser().parse_args(["encode", "x.png"])
    for name in ("lossy", "q", "effort", "tau", "context", "device", "threads"):
        assert getattr(args, name) == options.ENCODE[name].default, name


def test_runtime_checks_devices_by_the_schema():
    with pytest.raises(rc_plugin.RclError, match="device must be one of 'auto', 'cpu', 'cuda', not 'gpu'"):
        runtime.providers_for("gpu")


def test_the_coder_follows_the_options_given(small):
    def coder(**options):
        """The coder option a file was written by: info names each tile's kind, and a tuned tile is the adaptive
        coder's (format 11)."""
        return rc_plugin.info(rc_plugin.encode(small, **options))["coder"].replace("tuned", "adaptive")

    assert coder() == "adaptive"
    assert coder(q=20) == coder(lossy="hevc", q=20) == coder(tau=False, q=20) == "mixture"
    # effort is every coder's: it no longer asks for the mixture coder (it did before format 11's release)
    assert coder(effort=1) == coder(effort=3) == "adaptive" and coder(coder="mixture", effort=1) == "mixture"
    assert coder(coder="mixture", q=20) == "mixture" and coder(coder="adaptive") == "adaptive"
    with pytest.raises(rc_plugin.RclError, match="q applies to the mixture coder"):
        rc_plugin.encode(small, coder="adaptive", q=20)
    with pytest.raises(rc_plugin.RclError, match="coder must be one of 'adaptive', 'mixture', not 'paq'"):
        rc_plugin.encode(small, coder="paq")


def test_cli_coder_flag(tmp_path, small):
    Image.fromarray(small).save(tmp_path / "x.png")
    for args, expected in ((["--coder", "mixture", "-e", "1"], "mixture"), ([], "adaptive"), (["-q", "20"], "mixture")):
        out = rcl("encode", tmp_path / "x.png", "-f", *args)
        assert out.returncode == 0, out.stderr
        assert rc_plugin.info((tmp_path / "x.rcl").read_bytes())["coder"].replace("tuned", "adaptive") == expected, args


def test_inputs_of_the_wrong_type_are_refused_by_name(small, tmp_path):
    """Metadata that is not bytes (an int would become that many zero bytes) and data to decode that is not a buffer
    are RclError naming what was given; decode_with_metadata is the package's, as encode's docstring says."""
    tiny = small[:8, :8]
    for key in ("icc_profile", "exif", "xmp"):
        for bad in (123, True, [1, 2], 1.5):
            with pytest.raises(rc_plugin.RclError, match=rf"{key} must be bytes \(or str\), not {type(bad).__name__}"):
                rc_plugin.encode(tiny, effort=1, **{key: bad})
    with pytest.raises(OSError, match="icc_profile must be bytes"):
        Image.fromarray(tiny).save(tmp_path / "x.rcl", icc_profile=123)
    data = rc_plugin.encode(tiny, effort=1, xmp="<x:xmpmeta/>", exif=bytearray(b"Exif\0\0MM"))
    pixels, meta = rc_plugin.decode_with_metadata(np.frombuffer(data, np.uint8))
    assert np.array_equal(pixels, tiny) and meta["xmp"] == b"<x:xmpmeta/>" and meta["exif"] == b"Exif\0\0MM"
    for bad in (None, "abc", 5, 2.5):
        for call in (rc_plugin.decode, rc_plugin.info):
            with pytest.raises(rc_plugin.RclError, match=f"bytes of an .rcl file .*not {type(bad).__name__}"):
                call(bad)
