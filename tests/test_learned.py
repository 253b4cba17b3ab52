"""The learned mixer's tiles (format 9; in a preset and channel order, format 13): exact, never larger than without
the mixer, and refused with a clear error when a file names a mixer this rc_plugin lacks or its weights are damaged."""
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin.adaptive import mixers
from rc_plugin.format import container
from rc_plugin.format.bitstream import ADAPTIVE_FAR_VERSION, CODER_LEARNED, CODER_LEARNED_TUNED
from rc_plugin.format.records import MIXER_NAMES
from rcl_testutil import first_tile, recrc, tile_kinds

ASSETS = Path(__file__).resolve().parent / "assets"


@pytest.fixture(scope="module")
def crop(photos) -> np.ndarray:
    """A 48x64 crop of osprey.png that each mixer codes smaller than the coder alone, at effort 1 and 2 (on smaller
    crops format 19's bias prior, which a learned tile does without, may win)."""
    return np.ascontiguousarray(photos["osprey"][150:198, 200:264])


#: A learned tile of format 9 (preset 0, channels R, G, B) or of format 13 (in a preset and order).
LEARNED = ("learned", "learned tuned")


@pytest.mark.parametrize("name", MIXER_NAMES.values())
def test_each_mixer_codes_exactly_and_never_larger(crop, name):
    """At effort 1 (one preset, one order) the mixer writes format 9's learned tile; at the default, where a tuned
    tile is smaller than the adaptive one, the learned tile in its preset and order too (format 13); both written as
    version 20, whose far neighbours every learned stream codes with."""
    for effort, kind, version in ((1, "learned", ADAPTIVE_FAR_VERSION), (2, "learned tuned", ADAPTIVE_FAR_VERSION)):
        plain = rc_plugin.encode(crop, effort=effort)
        data = rc_plugin.encode(crop, mixer=name, effort=effort)
        assert np.array_equal(rc_plugin.decode(data), crop)
        assert len(data) <= len(plain)
        assert tile_kinds(data) == [kind], "the mixer should win on a photo crop"
        assert MIXER_NAMES[first_tile(data).mixer] == name
        assert rc_plugin.info(data)["version"] == version


def test_grey_and_alpha_images_take_the_mixer(photo_crop):
    crop = photo_crop  # 96x128: on the smaller crop's grey the bias prior, which a learned tile does without, wins
    grey = np.asarray(Image.fromarray(crop).convert("L"))
    rgba = np.dstack([crop, np.where(np.arange(crop.shape[1]) < 20, 255, 0)[None].repeat(crop.shape[0], 0)])
    for arr in (grey, rgba.astype(np.uint8)):
        data = rc_plugin.encode(arr, mixer="medium")
        assert tile_kinds(data)[0] in LEARNED
        assert np.array_equal(rc_plugin.decode(data), arr)
        assert len(data) <= len(rc_plugin.encode(arr))


def test_off_writes_what_the_default_writes(crop):
    assert rc_plugin.encode(crop, mixer="off") == rc_plugin.encode(crop)
    assert tile_kinds(rc_plugin.encode(crop))[0] in ("adaptive", "tuned")


def _with_mixer_byte(data: bytes, value: int) -> bytes:
    """The file with its one learned tile's mixer id replaced (its checksums left as they are)."""
    start = data.index(b"TILE", container.HEADER_SIZE) + container.CHUNK_HEAD.size  # the record's first byte
    assert data[start] in (CODER_LEARNED, CODER_LEARNED_TUNED)  # both name the mixer in the byte after the coder
    return data[: start + 1] + bytes([value]) + data[start + 2 :]


@pytest.mark.parametrize("effort", [1, 2])  # a learned tile, a learned tuned one
def test_unknown_or_swapped_mixer_is_refused(crop, effort):
    data = rc_plugin.encode(crop, mixer="small", effort=effort)
    assert tile_kinds(data) == [LEARNED[effort - 1]]
    unknown = max(MIXER_NAMES) + 1
    with pytest.raises(rc_plugin.RclError, match=f"learned mixer {unknown}, which this rc_plugin does not know"):
        rc_plugin.decode(recrc(_with_mixer_byte(data, unknown)))
    with pytest.raises(rc_plugin.RclError):  # the chunk's CRC
        rc_plugin.decode(_with_mixer_byte(data, 3))
    with pytest.raises(rc_plugin.RclError, match="checksum|ends too early"):  # another released mixer, refused
        rc_plugin.decode(recrc(_with_mixer_byte(data, 3)))


def test_mixer_option_checked():
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(rc_plugin.RclError, match="mixer must be one of"):
        rc_plugin.encode(img, mixer="huge")
    with pytest.raises(rc_plugin.RclError, match="mixer applies to the adaptive coder"):
        rc_plugin.encode(img, mixer="small", coder="mixture")
    with pytest.raises(rc_plugin.RclError, match="mixer applies to the adaptive coder"):
        rc_plugin.encode(img, mixer="small", q=20)
    assert rc_plugin.info(rc_plugin.encode(img, mixer="off", coder="mixture", q=20))["coder"] == "mixture"


def test_damaged_or_missing_weights_are_refused(tmp_path, monkeypatch):
    for i in MIXER_NAMES:
        shutil.copyfile(mixers.MIXERS_DIR / f"{i}.npz", tmp_path / f"{i}.npz")
    w = dict(np.load(tmp_path / "1.npz"))
    w["w2"][0, 0] += 1
    np.savez(tmp_path / "1.npz", **w)
    (tmp_path / "2.npz").unlink()
    monkeypatch.setattr(mixers, "MIXERS_DIR", tmp_path)
    mixers.load.cache_clear()
    try:
        with pytest.raises(rc_plugin.RclError, match="damaged"):
            mixers.load(1)
        with pytest.raises(rc_plugin.RclError, match="cannot read learned mixer 2"):
            mixers.load(2)
        assert mixers.load(3)[0].shape[0] == 64
        with pytest.raises(rc_plugin.RclError, match="does not have"):
            mixers.load(99)
    finally:
        mixers.load.cache_clear()


def test_adapters_and_command_pass_the_mixer(crop, tmp_path):
    """Pillow's save, imageio's write and `rcl encode --mixer` ask for the learned mixer as the API does."""
    import imageio.v3 as iio

    from rcl_testutil import rcl

    Image.fromarray(crop).save(tmp_path / "pil.rcl", mixer="small")
    iio.imwrite(tmp_path / "iio.rcl", crop, mixer="small")
    Image.fromarray(crop).save(tmp_path / "in.png")
    assert rcl("encode", tmp_path / "in.png", "-o", tmp_path / "cli.rcl", "--mixer", "small", "--quiet").returncode == 0
    for name in ("pil.rcl", "iio.rcl", "cli.rcl"):
        data = (tmp_path / name).read_bytes()
        assert tile_kinds(data)[0] in LEARNED, name
        assert np.array_equal(np.asarray(Image.open(tmp_path / name)), crop)


def _ramps_and_bars() -> np.ndarray:
    """Horizontal ramps and colour bars (the non-photo set's pattern-gradients-bars): generic rows win, by a wide
    margin, and a record made smaller by the mixer must not stop them from being tried."""
    g = np.zeros((256, 512, 3), np.uint8)
    g[:128, :, 0] = np.linspace(0, 255, 512)[None, :]
    g[:128, :, 2] = np.linspace(255, 0, 512)[None, :]
    g[128:, :, :] = np.linspace(0, 255, 512).astype(np.uint8)[None, :, None]
    for k, c in enumerate([(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0)]):
        g[200:, k * 73 : (k + 1) * 73] = c
    return g


def test_the_mixer_never_makes_an_image_larger(crop):
    """Images of every kind: with a mixer each is at most its size without, whichever record the tile keeps."""
    images = {"ramps and bars": _ramps_and_bars(), "photo": crop}
    for path in sorted((ASSETS / "nonphoto").glob("*.png")):
        with Image.open(path) as im:
            images[path.name] = np.asarray(im.convert("RGB"))
    for name, image in images.items():
        plain = rc_plugin.encode(image)
        for mixer in MIXER_NAMES.values():
            data = rc_plugin.encode(image, mixer=mixer)
            assert len(data) <= len(plain), (name, mixer, len(data), len(plain))
            assert np.array_equal(rc_plugin.decode(data), image), (name, mixer)
    assert tile_kinds(rc_plugin.encode(images["ramps and bars"], mixer="large")) == ["generic"]
