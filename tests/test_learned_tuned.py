"""Format 13's learned tuned tiles: the learned mixer with the preset and channel order of a tile's best tuned record
(and from format 16 with secondary estimation of its mixture, from 18 of its kind in the neighbours' pattern too).

The mixer's streams are checked by tests/test_learned.py and tests/test_mixer_parity.py, every preset's by
tests/test_adaptive.py and tests/test_compiled.py; here: the record, the encoder's choice and the version rule.
"""
import dataclasses

import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin.adaptive import guard, mixers, plane_coder
from rc_plugin.adaptive.decode import decode_learned_tile
from rc_plugin.format import container, records, versions
from rc_plugin.format.bitstream import (ADAPTIVE_FAR_VERSION, ADAPTIVE_LEARNED_PRESETS_OF_VERSION, ADAPTIVE_ORDER_UNIT,
                                        ADAPTIVE_ORDERS, ADAPTIVE_PRESETS, CODER_LEARNED_TUNED)
from conftest import ASSETS
from rcl_testutil import assert_flips_never_give_a_wrong_image, recrc, tile_kinds, tiles
from test_every_image import _Raw, _with_record

LARGE = records.MIXER_IDS["large"]


pytestmark = pytest.mark.usefixtures("pixel_coders_only")  # conftest: the JPEG tile left out


@pytest.fixture(scope="module")
def jpeg_photo() -> np.ndarray:
    """A photo decoded from a JPEG at its own resolution (tests/assets/jpeg_decoded): the grid preset's kind."""
    with Image.open(ASSETS / "jpeg_decoded" / "jpeg_photo.png") as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def files(jpeg_photo) -> dict[int, bytes]:
    """The photo's file at each effort with the large mixer."""
    return {effort: rc_plugin.encode(jpeg_photo, mixer="large", effort=effort) for effort in (1, 2, 3)}


def test_the_mixer_takes_the_best_tuned_records_preset_and_order(jpeg_photo, files):
    """At the default effort the learned tile is coded again in the preset and order of the smallest record without
    the mixer (here the grid preset with secondary estimation of the neighbours' pattern, preset 8, so the grid
    preset without it), then that again with
    secondary estimation of its mixture (format 16), each kept where smaller: measured 18,853 bytes against 19,000
    without secondary estimation (format 13's choice), 19,283 for format 9's learned tile (effort 1) and 21,932
    without the mixer."""
    (tile,) = tiles(files[2])
    assert tile_kinds(files[2]) == ["learned tuned"] and (tile.mixer, tile.preset, tile.order) == (LARGE, 5, 0)
    assert [(t.preset, t.order) for t in tiles(rc_plugin.encode(jpeg_photo))] == [(8, 0)]
    assert guard._without_sse(5) == guard._without_sse(8) == guard._without_sse(2) == 2 and guard._without_sse(0) == 0
    assert guard.SSE_PRESET[2] == 5
    assert tile.stream == plane_coder.encode_plane(jpeg_photo, mixers.load(LARGE), preset=5)
    without = plane_coder.encode_plane(jpeg_photo, mixers.load(LARGE), preset=2)
    assert len(tile.stream) < (1 - guard.LEARNED_SSE_MIN_SAVING) * len(without)
    assert len(files[2]) < 0.98 * len(files[1]) and len(files[1]) < len(rc_plugin.encode(jpeg_photo))
    assert rc_plugin.info(files[2])["version"] == ADAPTIVE_FAR_VERSION  # format 16's record, format 20's coder
    # its candidates coded side by side on the threads, the same bytes
    assert rc_plugin.encode(jpeg_photo, mixer="large", threads=1) == files[2]
    for data in files.values():
        assert np.array_equal(rc_plugin.decode(data), jpeg_photo)


def test_no_tile_grows_with_effort(files):
    """Effort 3 tries the mixer in effort 2's best preset and order as well as in its own best, so it is never larger;
    effort 1 (no tuned records) writes format 9's learned tile (in a file of 20: the far neighbours). On the lake crop
    effort 3's own best record leads the mixer elsewhere: without effort 2's candidate it was larger than effort 2
    (4,262 bytes against 4,256, format 16)."""
    assert tile_kinds(files[1]) == ["learned"] and rc_plugin.info(files[1])["version"] == ADAPTIVE_FAR_VERSION
    assert len(files[1]) > len(files[2]) >= len(files[3])
    with Image.open(ASSETS / "lake.png") as im:
        crop = np.ascontiguousarray(np.asarray(im.convert("RGB"))[144:192, 256:320])
    sizes = [len(rc_plugin.encode(crop, mixer="small", effort=effort)) for effort in (1, 2, 3)]
    assert sizes[0] >= sizes[1] >= sizes[2]


def test_a_file_with_one_needs_format_13(files):
    """The record needs format 13 (its stream the far neighbours of 20): a version-12 file holding one is refused."""
    assert versions.oldest_version(dataclasses.replace(tiles(files[2])[0], preset=2)) == ADAPTIVE_FAR_VERSION
    assert min(v for v, n in ADAPTIVE_LEARNED_PRESETS_OF_VERSION.items() if n > 2) == 13
    data = bytearray(files[2])
    data[8] = 12
    with pytest.raises(rc_plugin.RclError, match=f"unknown coder {CODER_LEARNED_TUNED} in a version-12 file"):
        rc_plugin.decode(recrc(bytes(data)))


def _with_named(data: bytes, named: int) -> bytes:
    """A one-tile file of a learned tuned tile with its preset-and-order byte replaced, every CRC right."""
    (payload,) = container.parse_chunks(data, container.parse_header(data, None))[1]
    assert payload[0] == CODER_LEARNED_TUNED
    return _with_record(data, _Raw(payload[:2] + bytes([named]) + payload[3:]))


@pytest.mark.parametrize("named", [0, 6, 8, len(ADAPTIVE_PRESETS), len(ADAPTIVE_PRESETS) + 2, 15,
                                   len(ADAPTIVE_ORDERS) * ADAPTIVE_ORDER_UNIT, 255])
def test_an_unknown_preset_or_order_is_refused(files, named):
    """Neither preset 0 in order 0 (a learned tile's) nor a preset beyond the six a version-17 file names (format 18's
    learned tuned tiles of presets 6-8 need a file of 18) nor an order beyond the three."""
    own = tiles(files[2])[0].preset
    assert np.array_equal(rc_plugin.decode(_with_named(files[2], own)), rc_plugin.decode(files[2]))
    data = bytearray(_with_named(files[2], named))
    if named in (6, 8):  # a preset of format 18, in a file of 17
        data[8] = 17
    with pytest.raises(rc_plugin.RclError, match="unknown adaptive preset"):
        rc_plugin.decode(recrc(bytes(data)))


@pytest.mark.parametrize("version", sorted(ADAPTIVE_LEARNED_PRESETS_OF_VERSION))
def test_presets_with_secondary_estimation_need_format_16(files, version):
    """Up to format 15 a learned tuned tile named only the presets without secondary estimation (its mixture was
    coded as it came); a file of those versions naming one with it is refused, a file of 16 reads the record (whose
    stream a file of 20 decodes: the far neighbours)."""
    (tile,) = tiles(files[2])
    assert tile.preset == guard.SSE_PRESET[2]
    data = bytearray(files[2])
    data[8] = version
    data = recrc(bytes(data))
    if ADAPTIVE_LEARNED_PRESETS_OF_VERSION[version] > guard.SSE_PRESET[2]:
        assert records.parse_tile(tile.pack(), 3, version) == tile
        if version >= ADAPTIVE_FAR_VERSION:
            assert np.array_equal(rc_plugin.decode(data), rc_plugin.decode(files[2]))
        else:
            with pytest.raises(rc_plugin.RclError, match="checksum"):
                rc_plugin.decode(data)
    else:
        with pytest.raises(rc_plugin.RclError, match="unknown adaptive preset"):
            rc_plugin.decode(data)
    assert min(v for v, n in ADAPTIVE_LEARNED_PRESETS_OF_VERSION.items() if n > guard.SSE_PRESET[0]) == 16


def test_flipped_bits_in_a_mapped_mixture_never_give_a_wrong_image(jpeg_photo, files):
    """Bits flipped across a learned tuned tile with secondary estimation (format 16), every CRC right: the exact
    image or RclError (the stream's decoder meets a wrong value or runs out), never a wrong image or a crash."""
    data = files[2]
    assert tiles(data)[0].preset == guard.SSE_PRESET[2]
    start = data.index(b"TILE", container.HEADER_SIZE) + container.CHUNK_HEAD.size
    size = len(tiles(data)[0].pack())
    assert_flips_never_give_a_wrong_image(data, range(start + 3, start + size, size // 24), jpeg_photo)


def test_a_grey_tile_has_one_order():
    grey = np.full((8, 8, 1), 7, np.uint8)
    tile = records.LearnedTunedTile(plane_coder.encode_plane(grey, mixers.load(1), preset=1), b"", 1, 1, 1)
    with pytest.raises(rc_plugin.RclError, match="order 1"):
        records.parse_tile(tile.pack(), 1, container.VERSION)
    assert records.parse_tile(tile.pack(), 3, container.VERSION) == tile  # a colour tile may name it


@pytest.mark.parametrize("order", range(1, len(ADAPTIVE_ORDERS)))
def test_each_order_decodes_to_the_tiles_channels(jpeg_photo, order):
    """A tile coded in another channel order comes back in R, G, B: the order is undone, not just recorded."""
    crop = jpeg_photo[:24, :32]
    stream = plane_coder.encode_plane(crop[..., ADAPTIVE_ORDERS[order]], mixers.load(1), preset=1)
    tile = records.LearnedTunedTile(stream, b"", 1, 1, order)
    version = container.VERSION
    assert np.array_equal(decode_learned_tile(tile, 3, 24, 32, version), crop)
    assert not np.array_equal(decode_learned_tile(records.LearnedTunedTile(stream, b"", 1, 1, 0), 3, 24, 32, version), crop)


@pytest.fixture(scope="module")
def pattern_file(jpeg_photo, files) -> bytes:
    """The photo's file with its learned tuned tile recoded in the grid preset's twin of kind 2 (preset 8: secondary
    estimation of the mixture in the neighbours' pattern, format 18), in a version-20 file (the far neighbours)."""
    preset = guard.PATTERN_SSE_PRESET[2]
    tile = records.LearnedTunedTile(plane_coder.encode_plane(jpeg_photo, mixers.load(LARGE), preset=preset), b"",
                                    LARGE, preset, 0)
    assert versions.oldest_version(tile) == ADAPTIVE_FAR_VERSION
    assert min(v for v, n in ADAPTIVE_LEARNED_PRESETS_OF_VERSION.items() if n > preset) == 18
    data = _with_record(files[2], tile)
    assert data[8] == ADAPTIVE_FAR_VERSION
    return data


def test_a_learned_twin_in_the_neighbours_pattern_needs_format_18(jpeg_photo, pattern_file):
    """A learned tuned tile of preset 6-8 decodes exactly (in a file of 20), and is refused in one of 17; its stream is
    not the twin of kind 1's."""
    assert np.array_equal(rc_plugin.decode(pattern_file), jpeg_photo)
    assert tiles(pattern_file)[0].stream != plane_coder.encode_plane(jpeg_photo, mixers.load(LARGE), preset=5)
    data = bytearray(pattern_file)
    data[8] = 17
    with pytest.raises(rc_plugin.RclError, match="unknown adaptive preset"):
        rc_plugin.decode(recrc(bytes(data)))


def test_flipped_bits_in_a_pattern_mapped_mixture_never_give_a_wrong_image(jpeg_photo, pattern_file):
    """Bits flipped across a learned tuned tile with secondary estimation in the neighbours' pattern (format 18),
    every CRC right: the exact image or RclError, never a wrong image or a crash."""
    start = pattern_file.index(b"TILE", container.HEADER_SIZE) + container.CHUNK_HEAD.size
    size = len(tiles(pattern_file)[0].pack())
    assert_flips_never_give_a_wrong_image(pattern_file, range(start + 3, start + size, size // 24), jpeg_photo)


def test_effort_3_tries_the_second_large_mixer_and_the_patterns_twins():
    """With the large mixer, effort 3 codes a tile's best learned record again with secondary estimation of both kinds
    and with the second large mixer (trained on downscaled photos) in its preset and order: on this crop that mixer
    with the neighbours' pattern wins (format 18's record); effort 2 tries neither (format 16's record)."""
    with Image.open(ASSETS / "colosseum.png") as im:
        crop = np.ascontiguousarray(np.asarray(im.convert("RGB"))[64:128, :96])
    strongest, default = (rc_plugin.encode(crop, mixer="large", effort=effort) for effort in (3, 2))
    tile = tiles(strongest)[0]
    assert (tile.mixer, tile.preset) == (records.MIXER_IDS["large-downscaled"], guard.PATTERN_SSE_PRESET[1])
    assert rc_plugin.info(strongest)["version"] == ADAPTIVE_FAR_VERSION and len(strongest) < len(default)
    assert tiles(default)[0].mixer == LARGE and tiles(default)[0].preset < guard.PATTERN_SSE_PRESET[0]
    assert rc_plugin.info(default)["version"] == ADAPTIVE_FAR_VERSION
    for data in (strongest, default):
        assert np.array_equal(rc_plugin.decode(data), crop)
