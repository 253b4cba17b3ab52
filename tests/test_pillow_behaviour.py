"""The .rcl Pillow plugin behaves like Pillow's own: lazy open, load() from the parsed header, verify(),
draft() and reduce(), registration and discovery."""
import contextlib
import io

import numpy as np
import pytest
from PIL import Image, features

import rc_plugin
from rc_plugin import codec


@pytest.fixture
def small(photo_crop):
    return photo_crop[:40, :56].copy()


@pytest.fixture
def rcl_path(tmp_path, small):
    path = tmp_path / "x.rcl"
    Image.fromarray(small).save(path, q=20, icc_profile=b"an icc profile")
    return path


def test_open_decodes_nothing_and_load_parses_the_header_once(rcl_path, small, monkeypatch):
    from rc_plugin.format import container

    decodes, header_parses = [], []
    real_decode, real_parse = codec.decode_payloads, container.parse_header
    monkeypatch.setattr(codec, "decode_payloads", lambda *a, **k: decodes.append(1) or real_decode(*a, **k))
    counting_parse = (lambda *a, **k: header_parses.append(1) or real_parse(*a, **k))
    monkeypatch.setattr(container, "parse_header", counting_parse)
    monkeypatch.setattr(codec, "parse_header", counting_parse)
    with Image.open(rcl_path) as im:
        assert not decodes and im.size == (56, 40) and im.info["icc_profile"] == b"an icc profile"
        im.load()
        assert len(decodes) == 1 and len(header_parses) == 1
        assert np.array_equal(np.asarray(im), small)


def test_verify_passes_a_good_file_and_catches_a_damaged_one(rcl_path):
    with Image.open(rcl_path) as im:
        im.verify()
    data = bytearray(rcl_path.read_bytes())
    data[-30] ^= 0x10  # inside the last tile: its chunk CRC no longer matches
    with Image.open(io.BytesIO(bytes(data))) as im:
        with pytest.raises(OSError, match="corrupt .rcl file"):
            im.verify()
    with Image.open(io.BytesIO(bytes(data[:-20]))) as im:  # truncated
        with pytest.raises(OSError):
            im.verify()


def test_load_after_verify_asks_to_reopen(rcl_path):
    with Image.open(rcl_path) as im:
        im.verify()
        with pytest.raises(OSError, match="open it again"):
            im.load()


def test_draft_changes_nothing_and_reduce_works(rcl_path, small):
    with Image.open(rcl_path) as im:
        assert im.draft("RGB", (10, 10)) is None  # no reduced decoding: the full image, as for PNG
        assert im.size == (56, 40)
        reduced = im.reduce(2)
    assert reduced.size == (28, 20)
    assert np.array_equal(np.asarray(reduced), np.asarray(Image.fromarray(small).reduce(2)))


def test_registered_and_listed_by_pillow():
    assert Image.registered_extensions()[".rcl"] == "RCL"
    assert "RCL" in Image.OPEN and "RCL" in Image.SAVE
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        features.pilinfo(out=out, supported_formats=True)
    assert "RCL" in out.getvalue() and ".rcl" in out.getvalue()


def test_decode_options_given_to_the_opener_are_used(small, monkeypatch):
    seen = []
    real = codec.decode_payloads
    monkeypatch.setattr(codec, "decode_payloads", lambda h, p, *a, **kw: seen.append(kw) or real(h, p, *a, **kw))
    rc_plugin.register_rcl_opener(threads=1, device="cpu")
    try:
        with Image.open(io.BytesIO(rc_plugin.encode(small, q=20))) as im:
            assert np.array_equal(np.asarray(im), small)
    finally:
        rc_plugin.register_rcl_opener()
    assert seen == [{"threads": 1, "device": "cpu"}]
    with pytest.raises(rc_plugin.RclError, match="device must be"):
        rc_plugin.register_rcl_opener(device="gpu")
