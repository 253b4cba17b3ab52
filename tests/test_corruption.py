"""Truncated, altered and foreign data raise RclError with a message that says which."""
import struct
import zlib

import pytest

import rc_plugin
from rc_plugin.format import bitstream, container
from rcl_testutil import assert_flips_never_give_a_wrong_image, mostly_grey, recrc


@pytest.fixture(scope="module", params=["mixture", "adaptive"])
def sample(photo_crop, request) -> bytes:
    """A file of each coder: a mixture file (Q 16) and an adaptive one."""
    return rc_plugin.encode(photo_crop[:48, :64], **({"q": 16} if request.param == "mixture" else {}))


def test_foreign_data():
    with pytest.raises(rc_plugin.RclError, match="not an .rcl file"):
        rc_plugin.decode(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(rc_plugin.RclError):
        rc_plugin.decode(b"")


@pytest.mark.parametrize("cut", [4, 20, 43, 44, 50, 200, -200, -9, -1])
def test_truncated(sample, cut):
    with pytest.raises(rc_plugin.RclError):
        rc_plugin.decode(sample[:cut])


def _with_header(sample: bytes, **changes) -> bytes:
    h = container.parse_header(sample, None)
    for k, v in changes.items():
        setattr(h, k, v)
    return h.pack() + sample[container.HEADER_SIZE :]


def test_unknown_version(sample):
    raw = bytearray(sample)
    raw[8] = container.VERSION + 1
    raw[container.HEADER.size : container.HEADER_SIZE] = struct.pack("<I", zlib.crc32(bytes(raw[: container.HEADER.size])))
    with pytest.raises(rc_plugin.RclError, match=f"version {container.VERSION + 1}"):
        rc_plugin.decode(bytes(raw))


def test_wrong_model(sample, photo_crop):
    """The RC's model id matters only where a tile needs the RC: an adaptive file decodes under any model."""
    altered = _with_header(sample, model_id=b"\x00" * 8)
    if rc_plugin.info(sample)["coder"] == "mixture":
        with pytest.raises(rc_plugin.RclError, match="residual model"):
            rc_plugin.decode(altered)
    else:
        assert (rc_plugin.decode(altered) == photo_crop[:48, :64]).all()


def test_checksum_mismatch(sample):
    with pytest.raises(rc_plugin.RclError, match="checksum"):
        rc_plugin.decode(_with_header(sample, checksum=b"\x01" * 8))


def test_huge_dimensions_refused_before_allocation(sample):
    with pytest.raises(rc_plugin.RclError, match="exceeds the limit"):
        rc_plugin.decode(_with_header(sample, width=1 << 30, height=1 << 30))


def test_every_bit_flip_in_header_and_some_in_payload_is_caught(sample):
    positions = list(range(0, container.HEADER_SIZE)) + list(range(container.HEADER_SIZE, len(sample), 97))
    for pos in positions:
        raw = bytearray(sample)
        raw[pos] ^= 1 << (pos % 8)
        with pytest.raises(rc_plugin.RclError):
            rc_plugin.decode(bytes(raw))


def test_altered_residual_payload_is_never_returned_as_an_image(sample, photo_crop):
    """Flips inside the coded residual with valid chunk CRCs: exact image or RclError, nothing else."""
    info = rc_plugin.info(sample)
    end = len(sample) - 12 - 4  # before the IEND chunk and the tile's CRC
    start = end - info["residual_bytes"]
    positions = range(start, end, max(1, (end - start) // 40))
    assert_flips_never_give_a_wrong_image(sample, positions, photo_crop[:48, :64], bit=0x10)


def test_chunk_rules(sample):
    """No data after IEND, metadata only once and before the tiles, tile sizes within bounds."""
    with pytest.raises(rc_plugin.RclError, match="after the end"):
        rc_plugin.decode(sample + b"\0")
    head, body = sample[: container.HEADER_SIZE], sample[container.HEADER_SIZE :]
    meta = container.chunk(b"XMP ", b"<x/>")
    with pytest.raises(rc_plugin.RclError, match="repeated"):
        rc_plugin.decode(head + meta + meta + body)
    tail = container.chunk(b"IEND", b"")
    with pytest.raises(rc_plugin.RclError, match="after the tiles"):
        rc_plugin.decode(head + body[: -len(tail)] + meta + tail)
    with pytest.raises(rc_plugin.RclError, match="tile 4096"):
        rc_plugin.decode(_with_header(sample, tile=4096))


def test_tile_count_checked_before_work(sample):
    with pytest.raises(rc_plugin.RclError, match="cannot fit"):
        rc_plugin.decode(_with_header(sample, width=100_000_000, height=1, tile=16))


def test_grey_shortcut_byte_is_checked(photo_crop):
    img = mostly_grey(photo_crop[:32, :48])
    data = rc_plugin.encode(img, q=16)
    pos = container.HEADER_SIZE + container.CHUNK_HEAD.size + 1 + bitstream.TAU_BYTES + bitstream.CONTEXT_BYTES  # after the coder byte
    assert data[pos] == 1, "the sample does not take the grey shortcut"
    for value in (0, 2, 255):  # off with its parameters still there, then undefined values
        raw = bytearray(data)
        raw[pos] = value
        with pytest.raises(rc_plugin.RclError):
            rc_plugin.decode(recrc(bytes(raw)))
