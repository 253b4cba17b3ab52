"""Format 14: a colour tile's adaptive stream split by channel, and its channels decoded side by side
(rc_plugin.format.streams, rc_plugin.adaptive.pipeline)."""
import dataclasses

import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin.adaptive import mixers, pipeline, plane_coder
from rc_plugin.format import container, records, streams, versions
from rc_plugin.format.bitstream import ADAPTIVE_FAR_VERSION
from rcl_testutil import assert_flips_never_give_a_wrong_image, recrc, tiles
from test_every_image import _with_record

ASSETS = __import__("pathlib").Path(__file__).resolve().parent / "assets"


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 256x256 photo crop: a tile just large enough to be split."""
    crop = np.asarray(Image.open(ASSETS / "lake.png").convert("RGB"))[:256, :256]
    assert crop.shape[0] * crop.shape[1] == pipeline.SPLIT_PIXELS
    return np.ascontiguousarray(crop)


def test_split_streams_decode_alike_on_one_thread_and_side_by_side(photo):
    """Each channel's stream is the one stream's model, so a split stream codes the same subpixels at the same
    probabilities: the same size but for its lengths and two more flushes, and the same pixels however decoded."""
    # (preset 7's secondary estimation reads the neighbours of the first channel, a band ahead on its own thread)
    for net, preset in ((plane_coder.NO_NET, 0), (plane_coder.NO_NET, 4), (plane_coder.NO_NET, 7), (mixers.load(1), 2)):
        whole = plane_coder.encode_plane(photo, net, preset=preset, split=False)
        split = plane_coder.encode_plane(photo, net, preset=preset)
        assert whole[0] == 0 and split[0] == 3 and 0 < len(split) - len(whole) <= 1 + 2 * 4 + 2 * 5
        for threads in (1, 2, 3):
            assert np.array_equal(plane_coder.decode_plane(split, *photo.shape, net, preset=preset, threads=threads),
                                  photo)


def test_only_colour_tiles_large_enough_are_split(photo):
    grey = np.ascontiguousarray(photo[..., :1])
    assert plane_coder.encode_plane(grey)[0] == 0  # one channel
    assert plane_coder.encode_plane(photo[:255])[0] == 0  # under SPLIT_PIXELS
    assert plane_coder.encode_plane(photo.astype(np.uint16) * 3, top=765)[0] == 0  # a wide tile's samples
    assert plane_coder.encode_plane(photo)[0] == 3


def test_a_stream_of_one_range_coder_starts_with_zero():
    """What tells the layouts apart: the coded number lies in [0, 1), so the first byte is 0, on every path."""
    rng = np.random.default_rng(14)
    for h, w, c in ((1, 1, 3), (3, 5, 1), (17, 9, 3), (40, 30, 3)):
        for kind in ("noise", "flat", "ramp"):
            img = {"noise": rng.integers(0, 256, (h, w, c)), "flat": np.full((h, w, c), 255),
                   "ramp": np.add.outer(np.arange(h), np.arange(w))[..., None].repeat(c, 2) % 256}[kind]
            img = img.astype(np.uint8)
            for preset in range(len(plane_coder.PRESETS)):
                assert plane_coder.encode_plane(img, preset=preset, split=False)[0] == 0
            assert plane_coder.encode_plane(img, mixers.load(1), split=False)[0] == 0
            assert plane_coder.encode_plane(img.astype(np.uint16) * 200, top=51000)[0] == 0


def test_the_split_layout_refuses_what_does_not_fit(photo):
    split = plane_coder.encode_plane(photo)
    assert len(streams.split(split, 3)) == 3 and streams.join(streams.split(split, 3)) == split
    for bad, channels, why in ((split, 4, "split 3 ways for 4 channels"), (b"\x02" + split[1:], 3, "split 2 ways"),
                               (split[:5], 3, "lengths are truncated"),
                               (split[:1] + b"\xff" * 8 + split[9:], 3, "exceed")):
        with pytest.raises(rc_plugin.RclError, match=why):
            streams.split(bad, channels)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_split_stream_cut_short_is_refused(photo, threads):
    """Each channel's stream is checked against its own end: one cut short is refused by the stream decoder, on
    one thread and side by side, where the other threads stop too."""
    parts = streams.split(plane_coder.encode_plane(photo), 3)
    for i in range(3):
        for keep in (0, 7, len(parts[i]) // 2):
            cut = streams.join([p[:keep] if j == i else p for j, p in enumerate(parts)])
            with pytest.raises(rc_plugin.RclError, match="ends too early"):
                plane_coder.decode_plane(cut, *photo.shape, threads=threads)


def test_a_damaged_split_stream_never_gives_a_wrong_image(photo):
    """Bytes flipped in each channel's stream of a file (CRCs mended): refused with RclError, never a wrong image,
    whether decoded on one thread or side by side."""
    data = rc_plugin.encode(photo)
    (tile,) = tiles(data)
    assert streams.is_split(tile.stream) and rc_plugin.info(data)["version"] >= 14
    start = data.index(tile.stream)
    parts = streams.split(tile.stream, 3)
    offsets = np.cumsum([1 + 2 * 4] + [len(p) for p in parts[:-1]])
    positions = [int(o) + d for o, p in zip(offsets, parts) for d in (0, 3, len(p) // 2)]
    for threads in (1, 2):
        for pos in positions:
            bad = bytearray(data)
            bad[start + pos] ^= 0x5A
            with pytest.raises(rc_plugin.RclError):
                rc_plugin.decode(recrc(bytes(bad)), threads=threads)
    assert_flips_never_give_a_wrong_image(data, [start + p for p in positions], photo, 0x5A)


def test_split_streams_need_format_14(photo):
    """A record whose streams are split needs version 14, and one of a single stream does not (a learned tile's
    streams need version 20 either way, for the far neighbours); a version-13 file holding split streams is refused as
    corrupt."""
    data = rc_plugin.encode(photo)
    assert rc_plugin.info(data)["version"] >= 14
    (tile,) = tiles(data)
    assert streams.is_split(tile.stream) and versions.oldest_version(tile) >= 14
    learned = [records.LearnedTile(plane_coder.encode_plane(photo, mixers.load(1), split=split), b"", 1)
               for split in (True, False)]
    assert [versions.oldest_version(record) for record in learned] == [ADAPTIVE_FAR_VERSION] * 2
    data = _with_record(data, learned[0])
    header = rc_plugin.codec.read_header(data)
    old = dataclasses.replace(header, version=13).pack() + data[container.HEADER_SIZE :]
    with pytest.raises(rc_plugin.RclError, match="split by channel in a version-13 file"):
        rc_plugin.decode(old)


def test_the_wavefront_raises_an_error_of_any_band():
    """An error raised while decoding a band reaches the caller, and the other threads stop."""
    seen = []

    def code_band(y0, y1, c, c1):
        assert c1 == c + 1
        seen.append((y0, c))
        if (y0, c) == (2 * pipeline.BAND, 1):
            raise ValueError("band failed")
        return 0

    with pytest.raises(ValueError, match="band failed"):
        pipeline.wavefront(code_band, 40 * pipeline.BAND, 3, 2)
    assert len(seen) < 3 * 40 and (2 * pipeline.BAND, 2) not in seen


def test_the_wavefront_keeps_each_channel_behind_the_one_before():
    """Every band of a channel runs after that band of the channel before it and after its own earlier bands, and
    no channel runs more than LEAD bands ahead of the next: what the ring of rows is sized for."""
    order, bands = [], 30
    pipeline.wavefront(lambda y0, y1, c, _: order.append((y0 // pipeline.BAND, c)) or 0, bands * pipeline.BAND - 1,
                       3, 3)
    assert sorted(order) == [(b, c) for b in range(bands) for c in range(3)]
    at = {task: i for i, task in enumerate(order)}
    for b in range(bands):
        for c in range(3):
            assert c == 0 or at[(b, c - 1)] < at[(b, c)]
            assert b == 0 or at[(b - 1, c)] < at[(b, c)]
            assert c == 2 or b < pipeline.LEAD or at[(b - pipeline.LEAD, c + 1)] < at[(b, c)]
    assert pipeline.RING >= 2 * pipeline.LEAD * pipeline.BAND


def test_only_an_8_bit_colour_stream_may_be_split(photo):
    """A wide stream (samples above 8 bits) and a palette's index plane are one stream: split ones are refused."""
    split = plane_coder.encode_plane(photo)
    with pytest.raises(rc_plugin.RclError, match="split 3 ways for 1 channels"):
        plane_coder.decode_plane(split, *photo.shape, top=765)
    with pytest.raises(rc_plugin.RclError, match="split 3 ways for 1 channels"):
        plane_coder.decode_plane(split, *photo.shape[:2], 1)
