"""Golden files: .rcl files an earlier build wrote (tests/golden, made by tests/make_golden.py) still decode to
exactly the pixels, mode, shape and metadata recorded when they were written.

A failure here means the decoder no longer reads files already in users' hands. Do not regenerate the files to
make it pass: restore the decoder, or bump rc_plugin.container.VERSION and keep a decoder for the old version.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import rc_plugin
import rc_plugin.container
from rc_plugin.codec import decode_with_metadata
from rcl_testutil import first_tile

GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
REGENERATE = "python tests/make_golden.py"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_manifest_lists_every_golden_file():
    listed = sorted(entry["name"] for entry in MANIFEST["files"])
    assert listed == sorted(p.name for p in GOLDEN.glob("*.rcl"))
    assert len(listed) >= 8
    assert {e["mode"] for e in MANIFEST["files"]} >= {"RGB", "L", "LA", "RGBA"}
    assert any(e["tiles"] > 1 for e in MANIFEST["files"]) and any(e["metadata_sha256"] for e in MANIFEST["files"])
    assert MANIFEST["format_version"] <= rc_plugin.container.VERSION


@pytest.mark.parametrize("entry", MANIFEST["files"], ids=lambda e: e["name"])
def test_golden_file_decodes_exactly(entry):
    data = (GOLDEN / entry["name"]).read_bytes()
    # the file itself is the one make_golden.py wrote (an edited file would test nothing)
    assert sha256(data) == entry["file_sha256"], f"{entry['name']} changed on disk: restore it from git"
    pixels, meta = decode_with_metadata(data)
    assert pixels.dtype == np.uint8
    assert list(pixels.shape) == entry["shape"]
    assert sha256(np.ascontiguousarray(pixels).tobytes()) == entry["pixel_sha256"], (
        f"{entry['name']} (written by {entry['encode']}) no longer decodes to its pixels"
    )
    assert {k: sha256(v) for k, v in meta.items()} == entry["metadata_sha256"]
    assert np.array_equal(rc_plugin.decode(data), pixels)
    info = rc_plugin.info(data)
    assert (info["mode"], info["q"], info["tiles"]) == (entry["mode"], entry["q"], entry["tiles"])
    assert [info["height"], info["width"]] == entry["shape"][:2]


def test_golden_files_cover_the_coding_paths():
    """The special cases are really in the files, not only in their names."""

    def read(name):
        return (GOLDEN / name).read_bytes()

    assert first_tile(read("rgb_grey_shortcut.rcl")).grey != b""
    assert first_tile(read("rgb.rcl")).grey == b""
    header = rc_plugin.container.parse_header(read("rgb_all_grey.rcl"), None)
    assert header.flags & rc_plugin.container.FLAG_GREY_COLOUR and header.coded_channels == 1
    assert rc_plugin.info(read("rgb_two_tiles.rcl"))["tiles"] == 2
    assert rc_plugin.info(read("rgb_metadata.rcl"))["metadata"] == ["exif", "icc_profile", "xmp"]
    for name in ("la.rcl", "rgba.rcl"):
        alpha = rc_plugin.decode(read(name))[..., -1]
        assert 0 < (alpha == 255).mean() < 1 and (alpha == 0).any() and ((alpha > 0) & (alpha < 255)).any(), name


def test_bitstream_constants_pinned():
    from rc_plugin import bitstream

    version = rc_plugin.container.VERSION
    assert MANIFEST["bitstream_fingerprint"] is not None, (
        "the golden manifest has no bitstream fingerprint (written before rc_plugin.bitstream existed): once "
        "test_golden_file_decodes_exactly passes, record it with `python tests/make_golden.py --fingerprint-only`"
    )
    if MANIFEST["format_version"] == version:
        assert MANIFEST["bitstream_fingerprint"] == bitstream.fingerprint(), (
            f"a bitstream-deciding constant changed while the format version stayed {version}: bump "
            f"rc_plugin.container.VERSION, keep a decoder for the old version, and regenerate the golden files "
            f"with `{REGENERATE}`"
        )
