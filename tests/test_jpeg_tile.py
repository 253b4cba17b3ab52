"""The JPEG tile (format 15, rc_plugin.adaptive.jpeg): its decoder gives the pixels Pillow (libjpeg-turbo) decodes,
at every sampling it names; its coefficient coder's compiled code equals its Python source and round-trips; a photo
decoded from a JPEG comes back exactly as a JPEG tile far smaller than the other records, grey, colour, with alpha,
over several tiles and cropped off its grid; the sampling and steps are found; a photo that never went through JPEG
is not tried; damaged records are refused."""
import io

import numpy as np
import pytest
from PIL import Image

import rc_plugin
from benchmarks import jpeg_baseline
from rc_plugin.adaptive.jpeg import coefficients, inverse, layout, recover
from rc_plugin.adaptive.jpeg.decode import decode_coefficients
from rc_plugin.adaptive.jpeg.encode import encode_coefficients
from rc_plugin.errors import RclError
from rc_plugin.format import records
from rc_plugin.format.container import VERSION
from rc_plugin.format.jpeg_bits import JPEG_420, JPEG_422, JPEG_444, JPEG_COEF_LIMIT, JPEG_GREY
from rc_plugin.format.jpeg_record import JPEG_HEAD, JpegTile
from rcl_testutil import tile_kinds, tiles


def decoded_jpeg(image: np.ndarray, **options) -> tuple[bytes, np.ndarray]:
    """(the JPEG Pillow writes of the image, the pixels Pillow decodes from it)."""
    out = io.BytesIO()
    Image.fromarray(image).save(out, "JPEG", **options)
    with Image.open(io.BytesIO(out.getvalue())) as im:
        return out.getvalue(), np.asarray(im)


@pytest.mark.parametrize("subsampling", [0, 1, 2, None])  # 4:4:4, 4:2:2, 4:2:0, grey
def test_the_decoder_gives_pillows_pixels(photos, subsampling):
    crop = photos["lake"][3:190, 5:306]  # partial blocks and MCUs at both edges
    if subsampling is None:
        data, theirs = decoded_jpeg(np.asarray(Image.fromarray(crop).convert("L")), quality=70)
    else:
        data, theirs = decoded_jpeg(crop, quality=85, subsampling=subsampling)
    jpeg = jpeg_baseline.read_baseline(data)
    factors = (jpeg.components[0].h, jpeg.components[0].v)
    mine = inverse.decode(jpeg.coefficients, [jpeg.tables[c.table] for c in jpeg.components], factors, jpeg.height,
                         jpeg.width)
    assert np.array_equal(mine[..., 0] if subsampling is None else mine, theirs)


def test_upsampling_down_only_reads_its_rows_neighbours():
    p = np.array([[0, 40], [100, 200], [255, 7]])
    # 4:4:0 (which Pillow does not write): each row twice, 3/4 of its own and 1/4 of the nearer row above or below,
    # the upper rounded with a bias of 1, the lower of 2, as libjpeg-turbo's h1v2 (on the training set's 4:4:0 JPEGs
    # benchmarks/jpeg_layer.py exact gives Pillow's pixels)
    out = inverse.upsample(p, 1, 2)
    assert out.tolist() == [[0, 40], [25, 80], [75, 160], [139, 152], [216, 55], [255, 7]]


def _blocks(rng: np.random.Generator, sampling: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    lay = layout.block_layout(sampling, height, width)
    n = int(lay[-1, 1] * lay[-1, 2] + lay[-1, 3])
    blocks = np.zeros((n, 64), np.int32)
    for z in range(64):  # sparse, larger at low frequencies, as a JPEG's
        keep = rng.random(n) < 0.9 / (1 + z / 4)
        blocks[:, z] = np.where(keep, rng.laplace(0, 40 / (1 + z), n).round(), 0)
    blocks[:, 0] = rng.integers(-1000, 1000, n)
    blocks[0, 0], blocks[-1, 63] = JPEG_COEF_LIMIT, -JPEG_COEF_LIMIT  # the extremes
    return blocks, lay


@pytest.mark.parametrize("sampling", [JPEG_GREY, JPEG_420])
def test_coefficients_round_trip_and_compiled_equals_source(sampling):
    blocks, lay = _blocks(np.random.default_rng(sampling), sampling, 40, 56)
    coded = []
    for code in (coefficients.code_coefficients, coefficients.code_coefficients.py_func):
        out = np.zeros(blocks.size * 8 + 8192, np.uint8)
        n = code(blocks.copy(), lay, False, np.zeros(1, np.uint8), out, coefficients.BANDS, coefficients.BUCKET_BOUNDS,
                 coefficients.RATES)
        coded.append(out[:n].tobytes())
        back = np.zeros_like(blocks)
        read = code(back, lay, True, np.frombuffer(coded[-1], np.uint8), np.zeros(1, np.uint8), coefficients.BANDS,
                    coefficients.BUCKET_BOUNDS, coefficients.RATES)
        assert read <= n + 8 and np.array_equal(back, blocks)
    assert coded[0] == coded[1]


def test_the_compiled_inverse_dct_and_searches_equal_their_source():
    """The decoder's inverse DCT, and the encoder's (Y, Cb, Cr) and block searches, compiled and interpreted alike
    (the interpreted inverse DCT with its helpers interpreted too)."""
    from rc_plugin.adaptive.jpeg import blocks, planes

    rng = np.random.default_rng(3)
    coefs = rng.integers(-60, 60, (40, 64)) * (rng.random((40, 64)) < 0.3)
    coefs[0, 0], coefs[1, 0] = JPEG_COEF_LIMIT, -JPEG_COEF_LIMIT  # clamped both ways
    table = rng.integers(1, 256, 64)
    compiled = np.empty_like(coefs)
    inverse.idct_blocks(coefs, table, compiled)
    saved = inverse.idct_block, inverse._rotate
    try:
        inverse.idct_block, inverse._rotate = inverse.idct_block.py_func, inverse._rotate.py_func
        interpreted = np.empty_like(coefs)
        inverse.idct_blocks.py_func(coefs, table, interpreted)
    finally:
        inverse.idct_block, inverse._rotate = saved
    assert np.array_equal(compiled, interpreted) and compiled.min() == 0 and compiled.max() == 255
    _, image = decoded_jpeg(np.ascontiguousarray(np.random.default_rng(4).integers(0, 256, (16, 24, 3), np.uint8)),
                            quality=90)
    found = [np.empty((16, 24), np.int64) for _ in range(3)] + [np.empty((16, 24), np.bool_)]
    again = [np.empty_like(a) for a in found]
    planes._search_ycc(np.ascontiguousarray(image), planes._OFFSETS, planes._FACTORS, 16, *found)
    planes._search_ycc.py_func(np.ascontiguousarray(image), planes._OFFSETS, planes._FACTORS, 16, *again)
    assert all(np.array_equal(a, b) for a, b in zip(found, again)) and found[3].mean() > 0.9
    target = inverse.idct(coefs[:6].reshape(6, 8, 8), table.reshape(8, 8)).reshape(6, 64)
    start = coefs[:6] + rng.integers(-1, 2, (6, 64)) * (rng.random((6, 64)) < 0.05)  # a few steps off
    results = []
    for search in (blocks.search_blocks, blocks.search_blocks.py_func):
        moved, done = start.copy(), np.zeros(6, np.bool_)
        search(moved, target, np.ones((6, 64), np.bool_), table, blocks._BASIS, 200, 10, done)
        results.append((moved, done))
    assert np.array_equal(results[0][0], results[1][0]) and np.array_equal(results[0][1], results[1][1])
    assert results[0][1].any()


def test_a_coefficient_beyond_the_limit_is_refused():
    blocks, lay = _blocks(np.random.default_rng(1), JPEG_GREY, 16, 16)
    blocks[1, 0] = JPEG_COEF_LIMIT  # its DC's difference from its neighbour's is twice the limit: coded, then refused
    blocks[0, 0] = -JPEG_COEF_LIMIT
    stream = encode_coefficients(layout.split_blocks(blocks, lay), JPEG_GREY, 16, 16)
    tile = JpegTile(JPEG_GREY, 16, 16, 0, 0, bytes([1]) * 64, stream, None, b"")
    assert np.array_equal(layout.join_blocks(decode_coefficients(tile)), blocks)
    blocks[1, 0] = JPEG_COEF_LIMIT + 1
    lay_blocks = layout.split_blocks(blocks, lay)
    with pytest.raises(RclError, match="beyond its limit"):
        decode_coefficients(JpegTile(JPEG_GREY, 16, 16, 0, 0, bytes([1]) * 64,
                                             encode_coefficients(lay_blocks, JPEG_GREY, 16, 16), None, b""))


@pytest.mark.parametrize("subsampling, sampling", [(2, JPEG_420), (0, JPEG_444)])
def test_a_decoded_jpeg_is_a_jpeg_tile_and_comes_back_exactly(photos, subsampling, sampling):
    _, image = decoded_jpeg(photos["osprey"][:120, :200], quality=80, subsampling=subsampling)
    data = rc_plugin.encode(image)
    assert tile_kinds(data) == ["jpeg"] and tiles(data)[0].sampling == sampling
    assert np.array_equal(rc_plugin.decode(data), image)
    assert rc_plugin.info(data)["version"] == 15


def test_a_decoded_jpeg_is_far_smaller_than_the_pixel_coders_make_it(photos):
    from rc_plugin.adaptive.guard import code_lossless_tile
    from rc_plugin.adaptive.jpeg.encode import code_jpeg_tile

    _, image = decoded_jpeg(photos["colosseum"][:128, :128], quality=75)
    jpeg = code_jpeg_tile(image, recover.detect(image), lambda residual: code_lossless_tile(residual, 3, effort=1))
    assert jpeg is not None and len(jpeg.pack()) < 0.6 * len(code_lossless_tile(image, 3).pack())


def test_a_residual_takes_the_index_coder_and_is_no_larger_than_the_pixel_coders_record(photos):
    """A JPEG tile's residual, mostly 0 and a few differences modulo 256: the index coder's record, no larger than
    what code_lossless_tile makes of it; one of more colours than a palette holds takes code_lossless_tile's."""
    from rc_plugin.adaptive.guard import code_lossless_tile, code_residual_tile
    from rc_plugin.adaptive.jpeg.encode import code_jpeg_tile
    from rc_plugin.format.bitstream import PALETTE_MAX, PLANE_INDEXED

    _, image = decoded_jpeg(photos["osprey"][:160, :240], quality=95)
    residuals = []
    code_jpeg_tile(image, recover.detect(image), lambda r: residuals.append(r.copy()) or code_residual_tile(r, 3))
    (residual,) = residuals
    assert 0 < np.count_nonzero(residual) < 0.5 * residual.size
    record = code_residual_tile(residual, 3)
    assert isinstance(record, records.PaletteTile) and record.plane == PLANE_INDEXED
    assert len(record.pack()) <= len(code_lossless_tile(residual, 3, effort=1).pack())
    noise = np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    assert len(np.unique(noise.reshape(-1, 3), axis=0)) > PALETTE_MAX
    assert code_residual_tile(noise, 3).pack() == code_lossless_tile(noise, 3, effort=1).pack()


def _wrong_samples(image: np.ndarray, grid: recover.Grid) -> int:
    """How many samples the recovered JPEG of image (one tile) decodes other than the image's."""
    from rc_plugin.format.jpeg_bits import JPEG_SAMPLINGS

    found = recover.recover_tile(image, grid)
    decoded = inverse.decode(found.coefficients, grid.tables, JPEG_SAMPLINGS[grid.sampling], found.height, found.width)
    return int(np.count_nonzero(decoded[grid.top :, grid.left :] != image))


def test_the_blocks_rounding_leaves_are_searched_however_many(photos):
    """At quality 97 (steps of 1) rounding and its corrections give back under a third of the luma blocks of this
    crop; the search, which once ran only where at most half were left, finds more than half."""
    from rc_plugin.adaptive.jpeg.blocks import quantise
    from rc_plugin.adaptive.jpeg.planes import ycc_planes

    _, image = decoded_jpeg(photos["colosseum"][:128, :192], quality=97, subsampling=0)
    grid = recover.detect(image)
    luma = ycc_planes(image)[0].reshape(16, 8, 24, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    assert quantise(luma, grid.tables[0])[1].mean() > 0.55


def test_blocks_of_clamped_pixels_are_found_from_their_other_pixels(photos, monkeypatch):
    """A pixel with a channel at 0 or 255 has several (Y, Cb, Cr), and the planes hold a guess; a block its guess
    keeps from being found is tried again on its other pixels, which leaves fewer samples to the residual."""
    bright = np.clip(photos["osprey"][:128, :192].astype(np.int64) * 2 - 40, 0, 255).astype(np.uint8)
    _, image = decoded_jpeg(bright, quality=90, subsampling=0)
    grid = recover.detect(image)
    assert np.mean(np.any((image == 0) | (image == 255), axis=-1)) > 0.05
    loose = _wrong_samples(image, grid)  # 809 of 73,728 when written
    monkeypatch.setattr(recover, "_quantise_loosely", lambda samples, table, known, exact: recover.quantise(
        samples, table, known)[0])
    assert loose < 0.5 * _wrong_samples(image, grid)  # 4,856


def test_subsampled_chroma_is_corrected_by_its_decodings_error(photos, monkeypatch):
    """4:2:0 chroma, solved back through the upsampling and rounded, then corrected by what its decoding gets wrong:
    fewer wrong samples than the rounding alone leaves."""
    _, image = decoded_jpeg(photos["osprey"][:128, :192], quality=95, subsampling=2)
    grid = recover.detect(image)
    assert grid.sampling == JPEG_420
    corrected = _wrong_samples(image, grid)  # 149 when written
    monkeypatch.setattr(recover, "CHROMA_CORRECTIONS", 0)
    assert corrected < 0.7 * _wrong_samples(image, grid)  # 375


def test_a_crop_of_a_4_4_0_jpeg_is_a_jpeg_tile_and_comes_back_exactly(photos):
    """Pillow writes no 4:4:0, so the decoder's own decoding of chroma halved down makes one; cropped off its grid, it
    takes the subsampled chroma's corrections along the vertical axis alone."""
    from rc_plugin.adaptive.jpeg.planes import forward_dct, to_blocks
    from rc_plugin.adaptive.jpeg.quant_tables import standard_tables
    from rc_plugin.format.jpeg_bits import JPEG_440

    ycc = np.asarray(Image.fromarray(photos["lake"][:160, :240]).convert("YCbCr")).astype(np.int64)
    luma_steps, chroma_steps = standard_tables(85)
    planes = [ycc[..., 0]] + [(ycc[0::2, :, c] + ycc[1::2, :, c]) // 2 for c in (1, 2)]
    coefficients = [np.round(forward_dct(to_blocks(p)) / t).astype(np.int64)
                    for p, t in zip(planes, (luma_steps, chroma_steps, chroma_steps))]
    decoded = inverse.decode(coefficients, [luma_steps, chroma_steps, chroma_steps], (1, 2), 160, 240)
    crop = np.ascontiguousarray(decoded.astype(np.uint8)[13:, 6:])
    data = rc_plugin.encode(crop)
    assert tile_kinds(data) == ["jpeg"] and tiles(data)[0].sampling == JPEG_440
    assert np.array_equal(rc_plugin.decode(data), crop)


@pytest.mark.parametrize("top, left", [(5, 3), (11, 14)])
def test_a_crop_of_a_decoded_jpeg_is_found_at_its_grid(photos, top, left):
    """A crop that starts inside the JPEG's first MCU: the tile is the window at (top, left) of a JPEG of its own."""
    _, image = decoded_jpeg(photos["lake"][:176, :272], quality=80, subsampling=2)
    crop = np.ascontiguousarray(image[top : top + 150, left : left + 240])
    grid = recover.detect(crop)
    assert (grid.sampling, grid.top, grid.left) == (JPEG_420, top % 16, left % 16)
    data = rc_plugin.encode(crop)
    assert tile_kinds(data) == ["jpeg"] and (tiles(data)[0].top, tiles(data)[0].left) == (grid.top, grid.left)
    assert np.array_equal(rc_plugin.decode(data), crop)


def test_grey_with_alpha_over_several_tiles(photos, monkeypatch):
    monkeypatch.setitem(rc_plugin.codec.TILE, "adaptive", 64)  # tiles on the MCU grid; the residual fixes their edges
    _, grey = decoded_jpeg(np.asarray(Image.fromarray(photos["lake"][:100, :150]).convert("L")), quality=60)
    alpha = np.tile(np.arange(150, dtype=np.uint8), (100, 1))
    image = np.dstack([grey, alpha])
    data = rc_plugin.encode(image)
    kinds = tile_kinds(data)  # a small tile of flat sky shows too few of its steps, and codes smaller as pixels
    assert len(kinds) == 6 and kinds.count("jpeg") >= 3 and rc_plugin.info(data)["mode"] == "LA", kinds
    assert np.array_equal(rc_plugin.decode(data), image)


def test_a_photo_that_never_went_through_jpeg_is_not_tried(photos):
    from rc_plugin.adaptive.jpeg.planes import reachable

    assert recover.detect(photos["lake"][:128, :128]) is None  # its pixels mostly have no exact (Y, Cb, Cr)
    assert not reachable(photos["lake"][:128, :128])
    grey = np.asarray(Image.fromarray(photos["lake"][:128, :128]).convert("L"))[..., None]
    assert recover.detect(grey) is None  # no 8x8 grid stands out
    assert "jpeg" not in tile_kinds(rc_plugin.encode(photos["lake"][:64, :64]))
    assert "jpeg" not in tile_kinds(rc_plugin.encode(photos["lake"][:64, :64], effort=1))


@pytest.mark.parametrize("subsampling, sampling", [(0, JPEG_444), (1, JPEG_422), (2, JPEG_420)])
def test_the_sampling_and_standard_steps_are_found(photos, subsampling, sampling):
    from rc_plugin.adaptive.jpeg.quant_tables import standard_tables

    jpeg_data, image = decoded_jpeg(photos["osprey"][:160, :240], quality=60, subsampling=subsampling)
    grid = recover.detect(image)
    truth = jpeg_baseline.read_baseline(jpeg_data)
    assert grid.sampling == sampling and (grid.top, grid.left) == (0, 0)
    for mine, comp in zip(grid.tables, truth.components):
        assert np.array_equal(mine, truth.tables[comp.table])
    assert np.array_equal(standard_tables(60)[0], truth.tables[0])


def test_a_small_image_finds_the_standard_steps_by_trying_them(photos):
    """80 rows of a grey JPEG show too few textured blocks to find the steps; the quality whose standard tables round
    back the most blocks is tried, and the image is a JPEG tile."""
    jpeg_data, grey = decoded_jpeg(np.asarray(Image.fromarray(photos["lake"][150:230]).convert("L")), quality=70)
    grid = recover.detect(grey[..., None])
    assert grid is not None and np.array_equal(grid.tables[0], jpeg_baseline.read_baseline(jpeg_data).tables[0])
    data = rc_plugin.encode(grey)
    assert tile_kinds(data) == ["jpeg"] and np.array_equal(rc_plugin.decode(data), grey)


def test_steps_are_estimated_from_where_values_cluster():
    """A step where the values lie on its multiples (with the rounding's noise); a large one for a frequency that is
    nearly always 0 (a step of 1 would code its noise); 1 where the values are spread."""
    from rc_plugin.adaptive.jpeg.quant_tables import estimate_steps

    rng = np.random.default_rng(0)
    steps = rng.integers(2, 40, (8, 8))
    coefficients = rng.laplace(0, 3, (2000, 8, 8)).round()
    coefficients[:, 7, 7] = np.where(rng.random(2000) < 0.002, 1, 0)  # a frequency nearly always 0
    values = coefficients * steps + rng.normal(0, 0.3, (2000, 8, 8))
    values[:, 0, 1] = rng.normal(0, 20, 2000)  # spread: no step
    table = estimate_steps(values)
    expected = steps.copy()
    expected[0, 1] = 1
    assert np.array_equal(table[:7], expected[:7]) and np.array_equal(table[7, :7], expected[7, :7])
    assert table[7, 7] % steps[7, 7] == 0 or table[7, 7] >= steps[7, 7]


def _jpeg_record(photos) -> tuple[bytes, np.ndarray]:
    _, image = decoded_jpeg(photos["osprey"][:48, :64], quality=70)
    data = rc_plugin.encode(image)
    return tiles(data)[0].pack(), image


@pytest.mark.parametrize("damage, message", [
    (lambda t: t[:1] + bytes([9]) + t[2:], "sampling 9"),  # an unknown sampling
    (lambda t: t[:1] + bytes([JPEG_GREY]) + t[2:], "coded channels"),  # grey in a colour image
    (lambda t: t[: JPEG_HEAD.size] + bytes([0]) + t[JPEG_HEAD.size + 1:], "steps"),  # a step of 0
    (lambda t: t[:-1], "do not add up"),  # truncated
])
def test_a_damaged_jpeg_record_is_refused(photos, damage, message):
    record, _ = _jpeg_record(photos)
    with pytest.raises(RclError, match=message):
        records.parse_tile(damage(record), 3, 15)


def test_a_window_beyond_its_jpeg_and_a_jpeg_tile_before_format_15_are_refused(photos):
    from rc_plugin.adaptive.decode import decode_jpeg_tile

    record, image = _jpeg_record(photos)
    tile = records.parse_tile(record, 3, 15)
    assert np.array_equal(decode_jpeg_tile(tile, 3, 48, 64, VERSION), image)
    tile.top = 1
    with pytest.raises(RclError, match="a 64x48 tile at"):
        decode_jpeg_tile(tile, 3, 48, 64, VERSION)
    with pytest.raises(RclError, match="unknown coder 8 in a version-14 file"):
        records.parse_tile(record, 3, 14)


def test_a_damaged_coefficient_stream_never_gives_a_wrong_image(photos):
    from rcl_testutil import assert_flips_never_give_a_wrong_image

    _, image = decoded_jpeg(photos["osprey"][:32, :48], quality=70)
    data = rc_plugin.encode(image)
    start = data.index(b"TILE") + 8 + JPEG_HEAD.size + 3 * 64
    assert_flips_never_give_a_wrong_image(data, range(start, start + 40, 3), image)
