"""16-bit samples (format 10): every entry point takes and gives uint16 exactly, a narrower depth costs what it uses,
extreme images code exactly, and 8-bit files are unchanged.

Images here are three real 16-bit images (tests/assets/wide: a microscope's 12 bits, an MR scanner's 10, a 16-bit
RGB photo; SOURCES.md there), the sample photos widened with seeded low bits (wide()), and arrays made to reach the
edges of the 16-bit range; the benchmark's sets of real 16-bit images are in benchmarks/deep_sets.py.
"""
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import rc_plugin
from rc_plugin.format import container, versions
from rcl_testutil import first_tile, rcl, wide_part_kinds


WIDE_ASSETS = sorted((Path(__file__).resolve().parent / "assets" / "wide").glob("*.png"))


def wide(arr: np.ndarray, bits: int, seed: int = 0) -> np.ndarray:
    """8-bit samples widened to `bits` bits, the new low bits seeded noise: a photo of that depth."""
    rng = np.random.default_rng(seed)
    return ((arr.astype(np.int64) << (bits - 8)) + rng.integers(0, 1 << (bits - 8), arr.shape)).astype(np.uint16)


@pytest.fixture(scope="module")
def rgb16(photo_crop) -> np.ndarray:
    return wide(photo_crop[:48, :64], 16)


@pytest.fixture(scope="module")
def grey12(photo_crop) -> np.ndarray:
    return wide(photo_crop[:48, :64, 1], 12)


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 1), (20, 30, 2), (20, 30, 3), (20, 30, 4)])
def test_every_shape_round_trips_as_uint16(shape):
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    arr = rng.integers(0, 65536, shape).astype(np.uint16)
    data = rc_plugin.encode(arr)
    out = rc_plugin.decode(data)
    assert out.dtype == np.uint16 and out.shape == arr.shape and np.array_equal(out, arr)
    assert rc_plugin.info(data)["version"] == container.WIDE_VERSION and rc_plugin.info(data)["bit_depth"] == 16


@pytest.mark.parametrize("name", ["checkerboard", "noise", "constant_max", "constant_zero", "one_pixel", "one_row",
                                  "ramp", "big_endian"])
def test_extreme_images_round_trip(name):
    """The edges of the 16-bit range: every value in the coder's arithmetic reaches 65535 or jumps by it."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:33, 0:47]
    arr = {
        "checkerboard": np.where((y + x) % 2, 65535, 0),
        "noise": rng.integers(0, 65536, (33, 47, 3)),
        "constant_max": np.full((33, 47, 3), 65535),
        "constant_zero": np.zeros((9, 5)),
        "one_pixel": np.array([[[65535, 0, 32768]]]),
        "one_row": rng.integers(0, 65536, (1, 300)),
        "ramp": (x * 1393 + y * 7) % 65536,
        "big_endian": rng.integers(0, 65536, (17, 19, 3)),
    }[name].astype(">u2" if name == "big_endian" else np.uint16)
    out = rc_plugin.decode(rc_plugin.encode(arr))
    assert out.dtype == np.uint16 and np.array_equal(out, arr)


def test_real_16_bit_images_through_the_rcl_command(tmp_path):
    """The assets' 16-bit PNGs in, .rcl files of their own depth (12, 10, 16 bits), the same samples out as 16-bit
    PNG; each .rcl smaller than JPEG XL's lossless (effort 7) of the same samples."""
    import imagecodecs

    assert len(WIDE_ASSETS) == 3
    out = rcl("encode", "--verify", *WIDE_ASSETS, "-o", tmp_path / "rcl", "--quiet")
    assert out.returncode == 0, out.stderr
    out = rcl("decode", tmp_path / "rcl", "-o", tmp_path / "png", "--quiet")
    assert out.returncode == 0, out.stderr
    info = rcl("info", tmp_path / "rcl" / "microscopy_h2ax_256.rcl").stdout
    assert "256x256 L 12-bit, wide coder" in info, info
    for path in WIDE_ASSETS:
        arr = imagecodecs.png_decode(path.read_bytes())
        data = (tmp_path / "rcl" / f"{path.stem}.rcl").read_bytes()
        back = imagecodecs.png_decode((tmp_path / "png" / path.name).read_bytes())
        assert back.dtype == np.uint16 and np.array_equal(back, arr), path.name
        assert rc_plugin.info(data)["bit_depth"] == int(arr.max()).bit_length()
        assert len(data) < len(imagecodecs.jpegxl_encode(arr, lossless=True, effort=7)), path.name


def test_a_narrower_depth_costs_what_it_uses(photo_crop, grey12):
    """A 12-bit image costs what 12 bits cost, shifted left by 4 in 16 bits or not; 8-bit levels times 257 (a
    common widening) cost what the 8-bit image costs; the recorded depth is the samples'."""
    d12, shifted = rc_plugin.encode(grey12), rc_plugin.encode(grey12 << 4)
    assert rc_plugin.info(d12)["bit_depth"] == 12 and rc_plugin.info(shifted)["bit_depth"] == 16
    assert len(shifted) <= len(d12) + 32, (len(shifted), len(d12))
    assert first_tile(shifted).parts[0].step == 16
    eight = photo_crop[:48, :64]
    widened = rc_plugin.encode(eight.astype(np.uint16) * 257)
    assert wide_part_kinds(widened)[0].split(":")[1] in ("adaptive", "tuned", "palette/indexed", "generic", "learned")
    assert len(widened) <= len(rc_plugin.encode(eight)) + 32
    # 12 bits of noise cost about 12 bits a sample (and the file's head), not 16
    noise = np.random.default_rng(3).integers(0, 4096, (128, 128)).astype(np.uint16)
    assert 8 * len(rc_plugin.encode(noise)) / noise.size < 12.2


def test_16_bit_images_take_tiles_that_decode_side_by_side():
    """A 16-bit image of one or two 512 tiles is cut into about four (half its longer side, 384 to 512); an 8-bit
    one keeps the coder's 512; the header records the side."""
    from rc_plugin.codec import TILE, tile_side

    side = TILE["adaptive"]
    assert [tile_side(side, h, w, True) for h, w in ((1000, 1000), (600, 600), (300, 300), (200, 900), (4000, 30))] \
        == [512, 384, 384, 464, 512]
    assert tile_side(side, 600, 600, False) == 512
    data = rc_plugin.encode(np.zeros((600, 600), np.uint16))
    assert container.parse_header(data, None).tile == 384 and rc_plugin.info(data)["tiles"] == 4
    assert container.parse_header(rc_plugin.encode(np.zeros((600, 600), np.uint8)), None).tile == 512


def test_alpha_and_grey_as_colour(rgb16, grey12):
    rgba = np.dstack([rgb16, (grey12 * 16 + 15)])
    la = np.dstack([grey12, np.full_like(grey12, 65535)])
    grey_rgb = np.repeat(grey12[..., None], 3, axis=2)
    for arr in (rgba, la, grey_rgb):
        data = rc_plugin.encode(arr)
        assert np.array_equal(rc_plugin.decode(data), arr)
    assert container.parse_header(rc_plugin.encode(grey_rgb), None).coded_channels == 1


def test_eight_bit_files_are_written_in_the_oldest_version_that_reads_them(photo_crop):
    """8-bit images are written in the oldest version that reads their tiles: an adaptive tile's stream (with the far
    neighbours) in format 20, a palette of indices in format 9, the bytes an rcl of format 9 reads."""
    from rcl_testutil import tiles
    from rc_plugin.format.bitstream import ADAPTIVE_FAR_VERSION

    data = rc_plugin.encode(photo_crop[:32, :32])
    assert data[8] == container.version_for(False, max(map(versions.oldest_version, tiles(data))))
    assert rc_plugin.encode(photo_crop[:32, :32], effort=1)[8] == ADAPTIVE_FAR_VERSION == 20
    assert container.BYTE_VERSION == 9 and rc_plugin.decode(data).dtype == np.uint8
    drawing = np.repeat(np.repeat(photo_crop[:8, :8] // 64 * 64, 4, axis=0), 4, axis=1)  # few colours: a palette
    assert rc_plugin.encode(drawing)[8] == 9


def test_other_dtypes_and_the_mixture_coder_are_refused(rgb16):
    for dtype in (np.int32, np.float32, np.int16, np.uint32):
        with pytest.raises(rc_plugin.RclError, match="uint8 or uint16"):
            rc_plugin.encode(np.zeros((8, 8), dtype))
    with pytest.raises(rc_plugin.RclError, match="8-bit images only"):
        rc_plugin.encode(rgb16, coder="mixture")


def test_progress_and_threads(rgb16):
    seen = []
    data = rc_plugin.encode(np.tile(rgb16, (12, 9, 1)), threads=2, progress=lambda done, total: seen.append(total))
    assert seen == [4] * 4 and rc_plugin.info(data)["tiles"] == 4  # 576 x 576: 2 x 2 tiles of 512
    assert np.array_equal(rc_plugin.decode(data, threads=2), np.tile(rgb16, (12, 9, 1)))


# --- Pillow ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_pillow_saves_16_bit_grey_and_opens_it_as_i16(grey12, mode, tmp_path):
    if mode == "I;16":
        im = Image.fromarray(grey12)
    elif mode == "I;16B":
        im = Image.frombytes("I;16B", grey12.shape[::-1], grey12.astype(">u2").tobytes())
    else:
        im = Image.fromarray(grey12.astype(np.int32))
    assert im.mode == mode
    im.save(tmp_path / "x.rcl")
    with Image.open(tmp_path / "x.rcl") as back:
        assert back.mode == "I;16" and np.array_equal(np.asarray(back), grey12)


def test_pillow_refuses_what_it_cannot_hold(rgb16, tmp_path):
    with pytest.raises(OSError, match="0..65535"):
        Image.fromarray(np.array([[70000, 1]], np.int32)).save(tmp_path / "big.rcl")
    (tmp_path / "rgb16.rcl").write_bytes(rc_plugin.encode(rgb16))
    with pytest.raises(OSError, match="no 16-bit mode but grey"):
        Image.open(tmp_path / "rgb16.rcl")


def test_a_16_bit_grey_png_opened_by_pillow_saves_at_16_bits(grey12, tmp_path):
    Image.fromarray(grey12).save(tmp_path / "g.png")
    with Image.open(tmp_path / "g.png") as im:
        im.save(tmp_path / "g.rcl")
    assert np.array_equal(rc_plugin.decode((tmp_path / "g.rcl").read_bytes()), grey12)


# --- imageio -----------------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The legacy `DICOM` plugin:DeprecationWarning")  # imageio trying its plugins
def test_imageio_v2_and_v3(rgb16, grey12, tmp_path):
    import imageio.v2 as iio2
    import imageio.v3 as iio3

    for arr in (rgb16, grey12, grey12[..., None], np.dstack([rgb16, grey12])):
        iio3.imwrite(tmp_path / "a.rcl", arr)
        props = iio3.improps(tmp_path / "a.rcl")
        assert props.dtype == np.uint16 and props.shape == arr.shape
        assert np.array_equal(iio3.imread(tmp_path / "a.rcl"), arr)
        iio2.imwrite(tmp_path / "b.rcl", arr)
        back = iio2.imread(tmp_path / "b.rcl")
        assert back.dtype == np.uint16 and np.array_equal(back, arr)
    assert np.array_equal(iio3.imread(iio3.imwrite("<bytes>", rgb16, extension=".rcl"), extension=".rcl"), rgb16)
    # bytes, a file object and a path without the suffix: imageio tries Pillow first, which declines 16-bit colour
    for arr in (rgb16, np.dstack([grey12, grey12])):
        data = rc_plugin.encode(arr)
        (tmp_path / "no_suffix").write_bytes(data)
        for source in (data, io.BytesIO(data), tmp_path / "no_suffix"):
            assert np.array_equal(iio3.imread(source), arr)
        assert np.array_equal(iio2.imread(data), arr)


# --- the rcl command ---------------------------------------------------------------------------------------------------


def test_rcl_command_keeps_16_bits_through_png_and_tiff(rgb16, grey12, tmp_path):
    """16-bit PNG (grey, RGB, RGBA) and TIFF in, 16-bit PNG and TIFF out; Pillow alone would read the colour PNGs as
    8 bits. A format that cannot hold 16 bits is refused."""
    import tifffile

    from rc_plugin.files.wide_files import png_bytes, read_wide

    arrays = {"grey": grey12, "rgb": rgb16, "rgba": np.dstack([rgb16, grey12 * 16])}
    for name, arr in arrays.items():
        (tmp_path / f"{name}.png").write_bytes(png_bytes(arr if arr.ndim == 3 else arr[..., None], {}))
        tifffile.imwrite(tmp_path / f"{name}_t.tif", arr, photometric="minisblack" if arr.ndim == 2 else "rgb")
    with Image.open(tmp_path / "rgb.png") as im:
        assert im.mode == "RGB"  # Pillow's 8 bits: why rcl reads these itself
    out = rcl("encode", "--verify", *sorted(tmp_path.glob("*.png")), *sorted(tmp_path.glob("*.tif")), "-o",
              tmp_path / "rcl", "--quiet")
    assert out.returncode in (0, 1), out.stderr  # 1: some grew, noise being noise
    for fmt in ("png", "tiff"):
        out = rcl("decode", *sorted((tmp_path / "rcl").glob("*.rcl")), "-o", tmp_path / fmt, "--format", fmt, "--quiet")
        assert out.returncode == 0, out.stderr
    for name, arr in arrays.items():
        for stem in (name, f"{name}_t"):
            assert np.array_equal(read_wide(tmp_path / "png" / f"{stem}.png")[0], arr), stem
            assert np.array_equal(tifffile.imread(tmp_path / "tiff" / f"{stem}.tiff"), arr), stem
    out = rcl("decode", tmp_path / "rcl" / "rgb.rcl", "-o", tmp_path / "x.webp")
    assert out.returncode != 0 and "16-bit samples" in out.stderr


def test_rcl_command_keeps_deep_pnm_samples_and_refuses_deep_colour_jpeg_2000(rgb16, grey12, tmp_path):
    """A PPM or PGM of more than 8 bits keeps its samples as stored (Pillow would reduce the PPM to 8 bits and rescale
    a 12-bit PGM to 16); a JPEG 2000 of 16-bit colour, which Pillow reads at 8 bits, is refused."""
    import imagecodecs

    from rc_plugin.files.wide_files import read_wide

    (tmp_path / "rgb16.ppm").write_bytes(b"P6\n%d %d\n65535\n" % rgb16.shape[1::-1] + rgb16.astype(">u2").tobytes())
    (tmp_path / "grey12.pgm").write_bytes(b"P5\n# a comment\n%d %d 4095\n" % grey12.shape[::-1]
                                          + grey12.astype(">u2").tobytes())
    plain = grey12[:5, :7]
    (tmp_path / "plain.pgm").write_bytes(b"P2 7 5 4095\n" + " ".join(map(str, plain.ravel())).encode() + b"\n")
    out = rcl("encode", "--verify", tmp_path / "rgb16.ppm", tmp_path / "grey12.pgm", tmp_path / "plain.pgm", "-o",
              tmp_path / "rcl", "--quiet")
    assert out.returncode in (0, 1), out.stderr  # 1: some grew, noise being noise
    for stem, arr in (("rgb16", rgb16), ("grey12", grey12), ("plain", plain)):
        data = (tmp_path / "rcl" / f"{stem}.rcl").read_bytes()
        assert rc_plugin.info(data)["bit_depth"] == int(arr.max()).bit_length() > 8, stem  # unscaled
        assert np.array_equal(rc_plugin.decode(data), arr), stem
    (tmp_path / "short.ppm").write_bytes(b"P6 4 4 65535\n" + bytes(20))
    assert read_wide(tmp_path / "rgb16.ppm") is not None and read_wide(tmp_path / "rgb16.ppm")[0].dtype == np.uint16
    with pytest.raises(rc_plugin.RclError, match="shorter"):
        read_wide(tmp_path / "short.ppm")
    (tmp_path / "rgb16.jp2").write_bytes(imagecodecs.jpeg2k_encode(rgb16, level=0, reversible=True, codecformat="jp2"))
    (tmp_path / "rgb8.j2k").write_bytes(imagecodecs.jpeg2k_encode((rgb16 >> 8).astype(np.uint8), level=0,
                                                                  reversible=True, codecformat="j2k"))
    (tmp_path / "grey12.j2k").write_bytes(imagecodecs.jpeg2k_encode(grey12, level=0, reversible=True, bitspersample=12))
    for name, what in (("rgb16.jp2", "3 component(s) of 16 bits"), ("grey12.j2k", "1 component(s) of 12 bits")):
        out = rcl("encode", tmp_path / name, "-o", tmp_path / "x.rcl")
        assert out.returncode != 0 and what in out.stderr, out.stderr
    assert read_wide(tmp_path / "rgb8.j2k") is None  # 8-bit colour: Pillow's, as before


def test_rcl_command_refuses_a_16_bit_stack(tmp_path):
    import tifffile

    with tifffile.TiffWriter(tmp_path / "stack.tif") as tif:
        for _ in range(3):
            tif.write(np.zeros((8, 8), np.uint16), photometric="minisblack")
    out = rcl("encode", tmp_path / "stack.tif", "-o", tmp_path / "x.rcl")
    assert out.returncode != 0 and "3 pages" in out.stderr


def test_rcl_command_refuses_16_bit_tiffs_whose_samples_mean_otherwise(tmp_path):
    """A TIFF where 0 is white, or of CMYK, would come back as grey or RGB samples that mean something else."""
    from rc_plugin.files.wide_files import read_wide
    import tifffile

    tifffile.imwrite(tmp_path / "white.tif", np.arange(64, dtype=np.uint16).reshape(8, 8), photometric="miniswhite")
    tifffile.imwrite(tmp_path / "cmyk.tif", np.zeros((8, 8, 4), np.uint16), photometric="separated")
    for name, kind in (("white", "MINISWHITE"), ("cmyk", "SEPARATED")):
        with pytest.raises(rc_plugin.RclError, match=f"photometric {kind}"):
            read_wide(tmp_path / f"{name}.tif")


# --- zarr --------------------------------------------------------------------------------------------------------------


def test_zarr_ome_chunks_and_stacks(grey12, rgb16, tmp_path):
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclCodec, RclZarrCodec

    ome = np.stack([np.stack([grey12, grey12[::-1]])] * 2)[:, :, None]  # (T=2, C=2, Z=1, Y, X)
    z = zarr.create_array(store=str(tmp_path / "ome.zarr"), shape=ome.shape, chunks=(1, 1, 1, *grey12.shape),
                          dtype="uint16", serializer=RclZarrCodec())
    z[:] = ome
    assert np.array_equal(zarr.open_array(str(tmp_path / "ome.zarr"))[:], ome)
    stack = np.stack([rgb16, rgb16[::-1]])
    z = zarr.create_array(store={}, shape=stack.shape, chunks=(1, *rgb16.shape), dtype=">u2", serializer=RclZarrCodec())
    z[:] = stack
    assert np.array_equal(z[:], stack)
    chunk = RclCodec().encode(grey12[None, None, None])
    out = np.empty((1, 1, 1, *grey12.shape), np.uint16)
    assert np.array_equal(RclCodec().decode(chunk, out=out)[0, 0, 0], grey12)
    for dtype in ("int32", "float32", "int16"):
        with pytest.raises(rc_plugin.RclError, match="uint8 or uint16"):
            zarr.create_array(store={}, shape=(8, 8), chunks=(8, 8), dtype=dtype, serializer=RclZarrCodec())
    with pytest.raises(rc_plugin.RclError, match="OME-Zarr planes"):
        zarr.create_array(store={}, shape=(2, 8, 8), chunks=(2, 8, 8), dtype="uint16", serializer=RclZarrCodec())


# --- damaged files -----------------------------------------------------------------------------------------------------


def test_damaged_wide_files_are_refused(rgb16, photo_crop):
    from rcl_testutil import recrc

    data = rc_plugin.encode(np.dstack([rgb16, rgb16[..., 0]]))
    header = container.parse_header(data, None)
    eight = rc_plugin.encode(photo_crop[:48, :64])

    def with_header(raw: bytes, **changes) -> bytes:
        h = container.parse_header(raw, None)
        for k, v in changes.items():
            setattr(h, k, v)
        return h.pack() + raw[container.HEADER_SIZE :]

    with pytest.raises(rc_plugin.RclError, match="corrupt .rcl header"):  # 16-bit samples in a version-9 file
        rc_plugin.decode(with_header(data, version=9))
    with pytest.raises(rc_plugin.RclError, match="width"):  # a wide tile in a header of 8-bit samples
        rc_plugin.decode(with_header(data, flags=header.flags & ~(container.FLAG_WIDE | container.DEPTH_MASK)))
    with pytest.raises(rc_plugin.RclError, match="width"):  # 8-bit tiles under a header of 16-bit samples
        rc_plugin.decode(with_header(eight, flags=container.FLAG_WIDE | (15 << container.DEPTH_SHIFT),
                                     version=container.VERSION))
    with pytest.raises(rc_plugin.RclError, match="depth"):
        rc_plugin.decode(with_header(data, flags=header.flags & ~container.DEPTH_MASK | (11 << container.DEPTH_SHIFT)))
    grey = rc_plugin.encode(rgb16[..., 0])
    for raw, mode in ((data, "RGB"), (data, "L"), (grey, "RGBA"), (grey, "LA")):  # alpha's part missing or extra
        with pytest.raises(rc_plugin.RclError, match="whether it has alpha"):
            rc_plugin.decode(with_header(raw, mode=mode))
    for cut in (60, 70, len(data) // 2, len(data) - 20):
        with pytest.raises(rc_plugin.RclError):
            rc_plugin.decode(data[:cut])
    for pos in range(container.HEADER_SIZE + 8, len(data) - 16, max(1, len(data) // 60)):
        raw = bytearray(data)
        raw[pos] ^= 0x24
        try:
            out = rc_plugin.decode(recrc(bytes(raw)))
        except rc_plugin.RclError:
            continue
        assert np.array_equal(out, np.dstack([rgb16, rgb16[..., 0]])), f"wrong pixels after a flip at {pos}"
