"""The JPEG layer's probe: its integer decoder (benchmarks/jpeg_baseline.py) gives the very pixels Pillow decodes from
JPEGs that Pillow writes from the sample photos, at every chroma subsampling Pillow writes, at low and high quality,
grey, with restart markers and with sizes that leave partial blocks and MCUs; and the encoder's side
(benchmarks/jpeg_layer.py) finds the grid of a decoded JPEG at its offset and not in a photo that never went through
JPEG, the planes and blocks from pixels, and subsampled chroma from its upsampled samples."""
import io

import numpy as np
import pytest
from PIL import Image

from benchmarks import jpeg_baseline, jpeg_layer


def jpeg_bytes(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def pillow_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
@pytest.mark.parametrize("quality", [30, 95])
def test_decoder_equals_pillow(photos, subsampling, quality):
    crop = Image.fromarray(photos["lake"][3:190, 5:306])  # 187x301: partial blocks and MCUs at both edges
    data = jpeg_bytes(crop, quality=quality, subsampling=subsampling)
    jpeg = jpeg_baseline.read_baseline(data)
    assert [(c.h, c.v) for c in jpeg.components][0] == {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2)}[subsampling]
    assert np.array_equal(jpeg_baseline.decode(jpeg), pillow_pixels(data))


def test_decoder_equals_pillow_grey_and_restarts(photos):
    grey = Image.fromarray(photos["osprey"][:99, :130]).convert("L")
    data = jpeg_bytes(grey, quality=80)
    assert np.array_equal(jpeg_baseline.decode(jpeg_baseline.read_baseline(data)), pillow_pixels(data))
    colour = Image.fromarray(photos["colosseum"][:77, :141])
    data = jpeg_bytes(colour, quality=60, subsampling="4:2:0", restart_marker_blocks=3)
    assert b"\xff\xdd" in data  # a restart interval
    assert np.array_equal(jpeg_baseline.decode(jpeg_baseline.read_baseline(data)), pillow_pixels(data))


def test_decoder_is_the_integer_one(photos):
    """A changed rotation constant or rounding bias of the inverse DCT changes pixels (the test above can fail)."""
    data = jpeg_bytes(Image.fromarray(photos["lake"][:128, :128]), quality=90, subsampling="4:4:4")
    jpeg = jpeg_baseline.read_baseline(data)
    from rc_plugin.adaptive.jpeg import inverse

    names = ("_C0_541", "idct_blocks", "idct_block", "_rotate")
    saved = {name: getattr(inverse, name) for name in names}
    try:  # the compiled code has the constant built in: the Python sources read it when called
        inverse._C0_541 += 1
        for name in names[1:]:
            setattr(inverse, name, saved[name].py_func)
        assert not np.array_equal(jpeg_baseline.decode(jpeg), pillow_pixels(data))
    finally:
        for name, value in saved.items():
            setattr(inverse, name, value)


def test_progressive_is_refused(photos):
    data = jpeg_bytes(Image.fromarray(photos["lake"][:64, :64]), quality=80, progressive=True)
    with pytest.raises(ValueError, match="progressive"):
        jpeg_baseline.read_baseline(data)


def test_trace_finds_the_grid(photos):
    photo = photos["lake"]
    decoded = pillow_pixels(jpeg_bytes(Image.fromarray(photo), quality=75, subsampling="4:4:4"))
    strength, offset, steps = jpeg_layer.trace(decoded[3:, 5:])  # the grid now starts at (5, 3)
    assert strength > 0.2 and offset == (5, 3) and min(steps[:4]) >= 3
    assert jpeg_layer.trace(photo)[0] < 0.1  # the sample photo itself was not saved as a JPEG at this size


def test_planes_and_blocks_come_back_from_pixels(photos):
    """The encoder's side on a JPEG Pillow writes (quality 75, 4:4:4): every unclamped pixel has one (y, cb, cr), and
    coefficients_for finds, for every luma block, coefficients whose inverse DCT is the decoder's samples exactly."""
    data = jpeg_bytes(Image.fromarray(photos["osprey"][:64, :96]), quality=75, subsampling="4:4:4")
    jpeg = jpeg_baseline.read_baseline(data)
    every, unclamped = jpeg_layer.unique_ycc(pillow_pixels(data))
    assert unclamped == 1.0 and every > 0.5
    table = jpeg.tables[jpeg.components[0].table]
    samples = jpeg_baseline.idct(jpeg.coefficients[0].reshape(-1, 8, 8), table)
    k, found = jpeg_layer.coefficients_for(samples, table)
    assert found.all() and np.array_equal(jpeg_baseline.idct(k, table), samples)


def test_subsampled_chroma_comes_back_through_the_upsampling(photos):
    """4:2:0 chroma from its upsampled samples alone (chroma_from_upsampled): at quality 50 on the lake photo the
    exact decoding of what it finds gives back every upsampled sample."""
    data = jpeg_bytes(Image.fromarray(photos["lake"]), quality=50, subsampling="4:2:0")
    jpeg = jpeg_baseline.read_baseline(data)
    h, w = -(-jpeg.height // 2), -(-jpeg.width // 2)
    for comp, coefs in zip(jpeg.components[1:], jpeg.coefficients[1:]):
        table = jpeg.tables[comp.table]
        up = jpeg_baseline.upsample(jpeg_baseline.plane(coefs, table)[:h, :w], 2, 2)
        back = jpeg_baseline.plane(jpeg_layer.chroma_from_upsampled(up, table, h, w), table)[:h, :w]
        assert np.array_equal(jpeg_baseline.upsample(back, 2, 2), up)


def test_context_model_beats_the_huffman_codes(photos):
    """context_bits, the sketch of a coefficient coder, spends fewer bits than the JPEG's own Huffman-coded scan
    (Pillow's optimised tables) and more than nothing; and a JPEG's coefficients cost less than its pixels do in
    rcl's pixel coders, which is the point of a JPEG layer."""
    from rc_plugin.adaptive.guard import code_lossless_tile

    image = Image.fromarray(photos["osprey"])
    data = jpeg_bytes(image, quality=75, subsampling="4:2:0", optimize=True)
    jpeg = jpeg_baseline.read_baseline(data)
    bits = jpeg_layer.context_bits(jpeg)
    assert 0.5 * 8 * len(data) < bits < 8 * len(data)
    assert bits < 0.5 * 8 * len(code_lossless_tile(np.ascontiguousarray(pillow_pixels(data)), 3).pack())


def test_luma_from_pixels_is_the_decoders_plane(photos):
    """Where one (y, cb, cr) gives a pixel that has no channel at 0 or 255, luma_from_pixels returns the decoder's own
    luma sample there; and the steps estimate_table finds from that plane are the file's at the lowest frequencies."""
    data = jpeg_bytes(Image.fromarray(photos["lake"][:128, :192]), quality=70, subsampling="4:2:0")
    jpeg = jpeg_baseline.read_baseline(data)
    luma, count = jpeg_layer.luma_from_pixels(pillow_pixels(data))
    truth = jpeg_baseline.plane(jpeg.coefficients[0], jpeg.tables[jpeg.components[0].table])[:128, :192]
    pixels = pillow_pixels(data)
    fixed = (count == 1) & np.all((pixels > 0) & (pixels < 255), axis=-1)
    assert np.mean(fixed) > 0.8 and np.array_equal(luma[fixed], truth[fixed])
    blocks = truth.reshape(16, 8, 24, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    table = jpeg_layer.estimate_table(jpeg_layer.forward_dct(blocks))
    file_table = jpeg.tables[jpeg.components[0].table]
    assert np.array_equal(table[0, 1:3], file_table[0, 1:3]) and np.array_equal(table[1:3, 0], file_table[1:3, 0])
