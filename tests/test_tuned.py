"""Format 11's tuned tiles: the adaptive coder with a preset of its constants and a channel order, each tile's choice.

The streams themselves are checked by tests/test_adaptive.py (every preset round-trips) and tests/test_compiled.py
(every preset's compiled code equals its source); here: the records, the encoder's choice and the version rule.
"""
import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin.adaptive import guard, plane_coder
from rc_plugin.format import container, records, versions
from rc_plugin.format.bitstream import ADAPTIVE_ORDER_UNIT, ADAPTIVE_ORDERS, ADAPTIVE_PRESETS
from conftest import ASSETS
from rcl_testutil import assert_flips_never_give_a_wrong_image, recrc, tile_kinds, tiles
from test_every_image import _Raw, _with_record, drawing


pytestmark = pytest.mark.usefixtures("pixel_coders_only")  # conftest: the JPEG tile left out


@pytest.fixture(scope="module")
def jpeg_photo() -> np.ndarray:
    """A photo decoded from a JPEG at its own resolution (tests/assets/jpeg_decoded), its 8x8 blocks' traces kept."""
    with Image.open(ASSETS / "jpeg_decoded" / "jpeg_photo.png") as im:
        return np.asarray(im.convert("RGB"))


def _with_named(data: bytes, named: int) -> bytes:
    """A one-tile file of a tuned tile with its preset-and-order byte replaced, every CRC right."""
    (payload,) = container.parse_chunks(data, container.parse_header(data, None))[1]
    assert payload[0] == records.CODER_TUNED
    return _with_record(data, _Raw(payload[:1] + bytes([named]) + payload[2:]))


def test_a_photo_decoded_from_a_jpeg_takes_the_grid_preset(jpeg_photo):
    """The grid preset with secondary estimation of the neighbours' pattern (preset 8, format 17): measured a record
    of 21,260 bytes, against 21,494 with format 12's kind (preset 5), 21,977 with the grid preset alone and 22,547 with
    format 9's coder (all with format 19's bias prior and format 20's far neighbours)."""
    data = rc_plugin.encode(jpeg_photo)
    assert [(t.preset, t.order) for t in tiles(data)] == [(8, 0)]
    # one tile: its candidates coded side by side on the threads (rc_plugin.adaptive.encode), the same bytes
    assert rc_plugin.encode(jpeg_photo, threads=1) == data == rc_plugin.encode(jpeg_photo, threads=3)
    assert rc_plugin.info(data)["version"] == 20  # the oldest that reads it (container.version_for): the far neighbours
    assert np.array_equal(rc_plugin.decode(data), jpeg_photo)
    plain = plane_coder.encode_plane(jpeg_photo)
    assert len(tiles(data)[0].stream) < 0.99 * len(plain)  # measured 0.977 x


def test_the_file_version_is_the_oldest_that_reads_it(jpeg_photo):
    """8-bit images without a stream of the adaptive coder stay format 9, 16-bit ones format 10; a tuned tile makes any
    file 20, as an adaptive or learned tile does (the far neighbours, in every stream the adaptive coder writes); the
    presets each older version reads (11: 0-2, 12: 0-5, 17: 0-8) are refused beyond them."""
    assert tile_kinds(rc_plugin.encode(drawing())) != ["tuned"]
    assert rc_plugin.info(rc_plugin.encode(drawing()))["version"] == 9
    noise = np.random.default_rng(1).integers(0, 65536, (8, 9)).astype(np.uint16)
    assert rc_plugin.info(rc_plugin.encode(noise))["version"] == 10
    assert container.version_for(False) == 9 and container.version_for(True) == 10
    for preset in (1, 2, 3, 5, 6, 8):
        tuned = records.TunedTile(b"", b"", preset)
        assert versions.oldest_version(tuned) == 20 == container.version_for(True, versions.oldest_version(tuned))
        part = records.WidePart(0, 2, 0, 1, 255, b"", tuned)  # a wide tile's part of 8-bit samples: its record's
        assert versions.oldest_version(records.WideTile([part])) == 20
    assert versions.oldest_version(records.AdaptiveTile(b"", b"")) == 20
    assert versions.oldest_version(records.LearnedTile(b"", b"", 1)) == 20
    assert versions.oldest_version(records.GenericTile(b"", b"")) == 0
    data = bytearray(rc_plugin.encode(jpeg_photo))
    data[8] = 10  # a tuned tile in a version-10 file
    with pytest.raises(rc_plugin.RclError, match="unknown coder 6 in a version-10 file"):
        rc_plugin.decode(recrc(bytes(data)))
    for version in (11, 16):  # a preset with secondary estimation in a version-11 file, of the pattern's kind in 16
        data[8] = version
        with pytest.raises(rc_plugin.RclError, match="unknown adaptive preset 8"):
            rc_plugin.decode(recrc(bytes(data)))


@pytest.mark.parametrize("named", [0, len(ADAPTIVE_PRESETS), 15, 3 * ADAPTIVE_ORDER_UNIT, 255])
def test_an_unknown_preset_or_order_is_refused(jpeg_photo, named):
    data = rc_plugin.encode(jpeg_photo[:40, :48])
    if tile_kinds(data) != ["tuned"]:  # make it a tuned tile whatever the encoder chose
        data = bytearray(_with_record(data, records.TunedTile(plane_coder.encode_plane(jpeg_photo[:40, :48], preset=1),
                                                              b"", 1)))
        data[8] = container.VERSION  # a tuned tile needs format 11
        data = recrc(bytes(data))
        assert np.array_equal(rc_plugin.decode(data), jpeg_photo[:40, :48])
    with pytest.raises(rc_plugin.RclError, match="unknown adaptive preset"):
        rc_plugin.decode(_with_named(data, named))


def test_a_grey_tile_has_one_order():
    grey = np.asarray(Image.fromarray(drawing()).convert("L"))[..., None]
    tile = records.TunedTile(plane_coder.encode_plane(grey, preset=1), b"", 1, 1)
    with pytest.raises(rc_plugin.RclError, match="order 1"):
        records.parse_tile(tile.pack(), 1, container.VERSION)
    assert records.parse_tile(tile.pack(), 3, container.VERSION).order == 1  # a colour tile may name it


@pytest.mark.parametrize("order", range(1, len(ADAPTIVE_ORDERS)))
def test_each_order_decodes_to_the_tiles_channels(jpeg_photo, order):
    """A tile coded in another channel order comes back in R, G, B: the order is undone, not just recorded."""
    crop = jpeg_photo[:32, :40]
    stream = plane_coder.encode_plane(crop[..., ADAPTIVE_ORDERS[order]], preset=2)
    from rc_plugin.adaptive.decode import decode_tuned_tile

    version = container.VERSION
    assert np.array_equal(decode_tuned_tile(records.TunedTile(stream, b"", 2, order), 3, 32, 40, version), crop)
    assert not np.array_equal(decode_tuned_tile(records.TunedTile(stream, b"", 2, 0), 3, 32, 40, version), crop)


def test_presets_and_orders_only_add_candidates(jpeg_photo, monkeypatch):
    """Without other presets and orders the encoder writes format 9's record (with formats 19's and 20's estimators);
    with them, never a larger one, and the records it tries beside (palette, generic rows) are the same."""
    images = {"jpeg photo": jpeg_photo, "drawing": drawing()}
    tuned = {name: rc_plugin.encode(image) for name, image in images.items()}
    monkeypatch.setattr(guard, "ADAPTIVE_PRESETS", ADAPTIVE_PRESETS[:1])
    monkeypatch.setattr(guard, "ADAPTIVE_ORDERS", ADAPTIVE_ORDERS[:1])
    monkeypatch.setattr(guard, "SSE_PRESET", {})
    for name, image in images.items():
        plain = rc_plugin.encode(image)
        assert "tuned" not in tile_kinds(plain)
        assert rc_plugin.info(plain)["version"] == (20 if tile_kinds(plain) == ["adaptive"] else 9), name
        assert len(tuned[name]) <= len(plain), name
        assert np.array_equal(rc_plugin.decode(tuned[name]), image)
    assert len(tuned["jpeg photo"]) < len(rc_plugin.encode(jpeg_photo))


def test_each_effort_adds_candidates_to_the_one_below(jpeg_photo, monkeypatch):
    """effort 1 writes format 9's record (the coder before tuned tiles, with formats 19's and 20's estimators); 2 (the
    default) adds every preset without secondary estimation in one order, and the best of them with it (format 12's
    kind and 17's); 3 every preset in every order. Each keeps the smallest, a preset with secondary estimation only where it saves guard.SSE_MIN_SAVING
    (it decodes slower)."""
    files = {effort: rc_plugin.encode(jpeg_photo, effort=effort) for effort in (1, 2, 3)}
    assert files[2] == rc_plugin.encode(jpeg_photo)
    for data in files.values():
        assert np.array_equal(rc_plugin.decode(data), jpeg_photo)
    assert tile_kinds(files[1]) == ["adaptive"] and rc_plugin.info(files[1])["version"] == 20
    assert len(files[1]) > len(files[2]) >= len(files[3])
    # effort 3 keeps the smallest of all twenty-seven codings (every preset in every order), by that rule
    sizes = {(p, k): len(records.TunedTile(plane_coder.encode_plane(jpeg_photo[..., order], preset=p), b"", p, k)
                         .pack()) - (p == k == 0)  # an adaptive tile's head is a byte shorter
             for k, order in enumerate(ADAPTIVE_ORDERS) for p in range(len(ADAPTIVE_PRESETS))}
    without = min(size for (p, _), size in sizes.items() if not ADAPTIVE_PRESETS[p][guard.SSE])
    kept = {key: size for key, size in sizes.items()
            if not ADAPTIVE_PRESETS[key[0]][guard.SSE] or size <= without * (1 - guard.SSE_MIN_SAVING)}
    (tile,) = tiles(files[3])
    assert (tile.preset, tile.order) == min(kept, key=kept.get) and ADAPTIVE_PRESETS[tile.preset][guard.SSE]
    # effort 1 is the encoder with one preset and one order
    monkeypatch.setattr(guard, "ADAPTIVE_PRESETS", ADAPTIVE_PRESETS[:1])
    monkeypatch.setattr(guard, "ADAPTIVE_ORDERS", ADAPTIVE_ORDERS[:1])
    monkeypatch.setattr(guard, "SSE_PRESET", {})
    assert rc_plugin.encode(jpeg_photo, effort=3) == files[1]


def test_effort_is_the_8_bit_records_in_a_wide_tile(jpeg_photo):
    """A 16-bit image whose samples fit 8 bits after mapping (levels times 257) codes its part at the given effort."""
    wide = jpeg_photo.astype(np.uint16) * 257
    fast, default = (rc_plugin.encode(wide, effort=e) for e in (1, 2))
    assert np.array_equal(rc_plugin.decode(fast), wide) and np.array_equal(rc_plugin.decode(default), wide)
    assert [(t.coded.coder, t.coded.preset) for t in tiles(default)[0].parts] == [(records.CODER_TUNED, 8)]
    assert tile_kinds(fast) == ["wide"] and type(tiles(fast)[0].parts[0].coded) is records.AdaptiveTile
    assert len(fast) > len(default)


def test_the_neighbours_pattern_is_kept_and_flips_never_give_a_wrong_image():
    """A photo crop whose colour differences are blocky (colosseum.png[100:164, 40:136]): effort 3 keeps preset 6,
    secondary estimation in the neighbours' pattern (format 17), and so does the default, which tries its best
    preset's twin of that kind; bits flipped across that tile, every CRC right, give the exact image or RclError,
    never a wrong image or a crash."""
    with Image.open(ASSETS / "colosseum.png") as im:
        crop = np.ascontiguousarray(np.asarray(im.convert("RGB"))[100:164, 40:136])
    data = rc_plugin.encode(crop, effort=3)
    (tile,) = tiles(data)
    assert (tile.preset, rc_plugin.info(data)["version"]) == (guard.PATTERN_SSE_PRESET[0], 20)
    assert ADAPTIVE_PRESETS[tile.preset][guard.SSE] == 2
    assert rc_plugin.encode(crop) == data
    assert np.array_equal(rc_plugin.decode(data), crop)
    start = data.index(b"TILE", container.HEADER_SIZE) + container.CHUNK_HEAD.size
    size = len(tile.pack())
    assert_flips_never_give_a_wrong_image(data, range(start + 3, start + size, size // 32), crop)
