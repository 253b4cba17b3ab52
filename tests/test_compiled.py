"""The compiled code equals its source: every numba-compiled function of rc_plugin, the whole call graph (the
adaptive coder's loop, its predictors, logistic and range coder; the index coder; the generic tile's row filters),
run again as plain Python (NUMBA_DISABLE_JIT=1, in a process of its own) gives the same bytes and pixels, for every
tile kind the encoder writes.

What the interpreter computes on Python integers (constants, indices, sizes) never wraps, so an intermediate of
them that overflows int64 in the compiled code shows as other bytes; what it computes on values read from arrays
(NumPy scalars) is checked for overflow (np.seterr), so a multiply or add that would wrap silently in the compiled
code stops the interpreted run. (A shift that overflows a NumPy scalar wraps there as it does compiled: not seen.)

A new tile kind is covered by adding an image the encoder codes with it to cases(): the test fails until every kind
rc_plugin.format.records names is among the files written.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba.core.dispatcher import Dispatcher
from PIL import Image

import rc_plugin

from rc_plugin.format import bitstream
from rcl_testutil import all_tile_kinds, assert_compiled_equals_interpreted, wide_part_kinds

ASSETS = Path(__file__).resolve().parent / "assets"


def cases() -> list[tuple[str, np.ndarray, dict, int | None]]:
    """(name, pixels, encode options, tile side or None): small images, as interpreted code is slow, that still
    reach every branch worth checking."""
    rng = np.random.default_rng(25)
    y, x = np.mgrid[0:20, 0:24]
    gradient = np.stack([(7 * x) % 256, (5 * y) % 256, (3 * x + 2 * y) % 256], axis=2).astype(np.uint8)
    checker = np.where((y + x) % 2 == 0, 0, 255).astype(np.uint8)
    wide_checker = checker.astype(np.int64)
    blocks = np.where(((y // 3) + (x // 4)) % 2 == 0, 0, 255).astype(np.uint8)
    smooth = (x[:16, :20] * 2 + y[:16, :20] * 1.5 + rng.normal(0, 1.5, (16, 20))).round().clip(0, 63)
    spaced = (4 * smooth).astype(np.uint8)  # 64 grey levels 4 apart: its palette's indices code smaller
    palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    repeated = palette[np.tile(rng.integers(0, 16, (8, 12)), (3, 3))]
    few = np.tile(rng.integers(0, 256, (6, 24, 3), dtype=np.uint8).repeat(2, axis=1), (4, 1, 1))  # 144 colours
    many = np.tile(rng.integers(0, 256, (12, 24, 3), dtype=np.uint8).repeat(2, axis=1), (3, 1, 1))  # 288 colours
    wrng = np.random.default_rng(29)
    wide_noise = np.clip(wide_ramp(12, 14, 1) + wrng.normal(0, 300, (12, 14, 3)), 0, 65535).astype(np.uint16)
    wide_extremes = wide_noise.copy()
    wide_extremes[2::7, 3::7, 0], wide_extremes[4::7, 1::7, 2] = 0, 65535
    wide_shifted_rgba = np.concatenate([wide_ramp(24, 32, 16) + wrng.integers(-20, 21, (24, 32, 3)) << 4,
                                        wrng.integers(0, 65536, (24, 32, 1))], axis=2).astype(np.uint16)
    wy, wx = np.mgrid[0:24, 0:32]
    wide_levels = np.cumsum(wrng.integers(150, 170, 300))
    wide_table = wide_levels[np.clip(wy * 12 + wx * 3 + wrng.integers(-3, 4, wy.shape), 0, 299)].astype(np.uint16)
    noise_rgba = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    noise_rgba[..., 3] = np.where(x[:9, :11] > 4, 255, 0)
    side = bitstream.MIN_TILE
    return [
        ("noise", rng.integers(0, 256, (14, 17, 3), dtype=np.uint8), {}, None),
        ("noise_grey", rng.integers(0, 256, (15, 18), dtype=np.uint8), {}, None),
        ("noise_rgba", noise_rgba, {}, None),
        ("flat", np.full((9, 13, 3), 77, np.uint8), {}, None),
        ("gradient", gradient, {}, None),
        ("extremes_checkerboard", np.repeat(checker[..., None], 3, axis=2), {}, None),  # grey stored as colour
        ("extremes_colour", np.stack([checker, 255 - checker, checker], axis=2), {}, None),
        # 0/255 beside noise: too many colours for a palette, so the adaptive coder meets the extremes
        ("extremes_adaptive", np.stack([checker, rng.integers(0, 256, checker.shape), 255 - checker], axis=2)
         .astype(np.uint8), {}, None),
        ("one_row", rng.integers(0, 256, (1, 300, 3), dtype=np.uint8), {}, None),
        ("one_column", rng.integers(0, 256, (300, 1, 3), dtype=np.uint8), {}, None),
        ("blocks", np.stack([blocks, blocks, 255 - blocks], axis=2), {}, None),
        ("spaced_grey", spaced, {}, None),
        ("spaced_colour", np.stack([spaced, spaced + 1, 255 - spaced], axis=2), {}, None),
        ("palette_repeats", repeated, {}, None),
        ("few_colours_repeated", few, {}, None),
        ("many_colours_repeated", many, {}, None),
        ("one_pixel", np.array([[[0, 255, 128]]], np.uint8), {}, None),
        ("one_grey_pixel", np.array([[200]], np.uint8), {}, None),
        # tile edges: the smallest tile side, 2 x 2 tiles with edge tiles one pixel wide and high
        ("tile_edges", rng.integers(0, 256, (side + 1, side + 1, 3), dtype=np.uint8), {}, side),
        ("tile_edges_gradient", gradient[: side + 3, : side + 2], {}, side),
        # just over the adaptive coder's own tile side, two pixels high: its tiles as the encoder splits them
        ("over_a_tile", rng.integers(0, 256, (2, 513, 3), dtype=np.uint8), {}, None),
        ("mixture", gradient[:16, :16], {"coder": "mixture", "q": 24}, None),
        # the learned mixer (format 9), on photo crops, where it wins: its network, mixture and search; and in a preset
        # (format 13), on a photo decoded from a JPEG, where that wins
        ("learned", _photo("lake")[150:166, 300:320], {"mixer": "small"}, None),
        ("learned_grey", np.asarray(Image.fromarray(_photo("osprey")[40:56, 6:24]).convert("L")), {"mixer": "large"},
         None),
        ("learned_tuned", _photo("jpeg_decoded/jpeg_photo")[:16, :24], {"mixer": "medium"}, None),
        # a JPEG tile (format 15): the photo decoded from a JPEG, its grid at the crop's corner
        ("jpeg", _photo("jpeg_decoded/jpeg_photo")[:48, :64], {}, None),
        # 16-bit samples (format 10), coded as a wide stream: a noisy ramp, and the same with 0 and 65535 in it (the
        # full 16-bit range at 16 bits a sample); 12-bit values shifted left by 4 (steps of 16) with a full-range
        # noise alpha plane (a part of its own, in generic rows); 300 irregular levels (a table of their values)
        ("wide_noise", wide_noise, {}, None),
        ("wide_extremes", wide_extremes, {}, None),
        ("wide_shifted_rgba", wide_shifted_rgba, {}, None),
        ("wide_table", wide_table, {}, None),
        ("wide_few_levels", spaced.astype(np.uint16) * 1000, {}, None),
        ("wide_tile_edges", rng.integers(0, 65536, (side + 1, side + 2, 3)).astype(np.uint16), {}, side),
    ]


def wide_ramp(h: int, w: int, divisor: int) -> np.ndarray:
    """(h, w, 3) int64 ramps across 16 bits, each channel its own direction, divided by divisor."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([y * 1500 + x * 900, y * 150 + x * 2000 + 7000, 60000 - y * 1500 - x * 900], axis=2) // divisor


def _photo(name: str) -> np.ndarray:
    with Image.open(ASSETS / f"{name}.png") as im:
        return np.asarray(im.convert("RGB"))


def compiled_functions() -> list[str]:
    return sorted(f"{m.__name__}.{k}" for m in list(sys.modules.values()) if m and m.__name__.startswith("rc_plugin")
                  for k, v in vars(m).items() if isinstance(v, Dispatcher))


def test_compiled_equals_its_source_interpreted_for_every_tile_kind(tmp_path):
    kinds = assert_compiled_equals_interpreted(cases(), tmp_path)
    seen = {kind for names in kinds.values() for kind in names}
    assert seen == all_tile_kinds(), f"tile kinds no case reaches: {all_tile_kinds() - seen}; add an image for each"
    assert len(kinds["tile_edges"]) == 4 and len(kinds["over_a_tile"]) == 2
    assert kinds["extremes_adaptive"] in (["adaptive"], ["tuned"]) and kinds["noise"] in (["adaptive"], ["tuned"])
    assert kinds["learned"] == kinds["learned_grey"] == ["learned"] and kinds["learned_tuned"] == ["learned tuned"]
    assert kinds["jpeg"] == ["jpeg"]
    wide = {name: wide_part_kinds(rc_plugin.encode(pixels)) for name, pixels, _, tile in cases()
            if name.startswith("wide") and tile is None}
    assert wide.pop("wide_few_levels") in (["table:adaptive"], ["table:tuned"])
    assert wide == {
        "wide_noise": ["offset:stream"], "wide_extremes": ["offset:stream"], "wide_shifted_rgba": ["offset:stream",
        "offset:rows"], "wide_table": ["table:logistic"]}
    assert kinds["wide_tile_edges"] == ["wide"] * 4
    # here everything ran compiled (in the other process nothing did: it checks that itself)
    assert {"rc_plugin.adaptive.plane_coder.code_plane", "rc_plugin.adaptive.online.learn", "rc_plugin.adaptive.predictors.predict",
            "rc_plugin.adaptive.logistic.below", "rc_plugin.adaptive.rangecoder.shift_low"} <= set(compiled_functions())


_PLANE_CHILD = r"""
import json
import sys
import numba
import numpy as np
import pytest
assert numba.config.DISABLE_JIT
np.seterr(all="raise")
from rc_plugin.adaptive import mixers, plane_coder
pixels, options = np.load(sys.argv[1]), json.loads(sys.argv[2])
if "mixer" in options:  # a released mixer's id
    options["net"] = mixers.load(options.pop("mixer"))
data = plane_coder.encode_plane(pixels, **{k: v for k, v in options.items() if k != "threads"})
assert np.array_equal(plane_coder.decode_plane(data, *pixels.shape, **{k: v for k, v in options.items() if k != "split"}),
                      pixels)
sys.stdout.write(data.hex())
"""


def _interpreted_plane(pixels: np.ndarray, options: dict, tmp_path: Path) -> bytes:
    """The stream plane_coder.encode_plane(pixels, **options) writes interpreted (overflow checks raising), in a
    process of its own, after checking that decode_plane decodes it there (options' threads are decode_plane's)."""
    np.save(tmp_path / "pixels.npy", pixels)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", _PLANE_CHILD, str(tmp_path / "pixels.npy"), json.dumps(options)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return bytes.fromhex(run.stdout)


def test_the_full_range_logistic_stream_compiled_equals_interpreted(tmp_path):
    """The logistic stream at top 65535, which the encoder keeps only where smaller (so no case above need reach it
    there): noise wider than the table's largest scale, one-sided folds at 0 and 65535, coded directly, compiled
    here and interpreted (overflow checks raising) in a process of its own, to the same bytes."""
    from rc_plugin.adaptive import plane_coder

    pixels = np.clip(wide_ramp(12, 14, 1) + np.random.default_rng(33).normal(0, 3000, (12, 14, 3)), 0, 65535)
    pixels = pixels.astype(np.uint16)
    pixels[0, 0], pixels[11, 13] = 0, 65535
    data = plane_coder.encode_plane(pixels, top=65535, logistic=True)
    assert np.array_equal(plane_coder.decode_plane(data, 12, 14, 3, top=65535, logistic=True), pixels)
    assert _interpreted_plane(pixels, {"top": 65535, "logistic": True}, tmp_path) == data


@pytest.mark.parametrize("preset", range(1, len(bitstream.ADAPTIVE_PRESETS)))
def test_every_preset_compiled_equals_interpreted(preset, tmp_path):
    """The coder's presets (format 11), which the encoder keeps only where smaller, so that no case above need reach
    each: a crop of the photo decoded from a JPEG (tests/assets/jpeg_decoded), over several of the grid preset's 8x8
    blocks, coded directly, compiled and interpreted, to the same bytes."""
    from rc_plugin.adaptive import plane_coder

    pixels = np.ascontiguousarray(_photo("jpeg_decoded/jpeg_photo")[20:44, 30:58])
    data = plane_coder.encode_plane(pixels, preset=preset)
    assert np.array_equal(plane_coder.decode_plane(data, *pixels.shape, preset=preset), pixels)
    assert _interpreted_plane(pixels, {"preset": preset}, tmp_path) == data


@pytest.mark.parametrize("preset", [p for p, row in enumerate(bitstream.ADAPTIVE_PRESETS)
                                    if row[3] and p < max(bitstream.ADAPTIVE_LEARNED_PRESETS_OF_VERSION.values())])
def test_secondary_estimation_of_the_mixture_compiled_equals_interpreted(preset, tmp_path):
    """A learned tile's mixture mapped by secondary estimation (format 16; of kind 2 from 18), kept only where
    smaller: the small mixer in each preset with it that a learned tile may name, on the crop above, compiled and
    interpreted, to the same bytes; not the stream without it."""
    from rc_plugin.adaptive import guard, mixers, plane_coder

    pixels = np.ascontiguousarray(_photo("jpeg_decoded/jpeg_photo")[20:44, 30:58])
    data = plane_coder.encode_plane(pixels, mixers.load(1), preset=preset)
    assert np.array_equal(plane_coder.decode_plane(data, *pixels.shape, mixers.load(1), preset=preset), pixels)
    assert data != plane_coder.encode_plane(pixels, mixers.load(1), preset=guard._without_sse(preset))
    assert _interpreted_plane(pixels, {"preset": preset, "mixer": 1}, tmp_path) == data



def test_split_streams_compiled_equal_interpreted(tmp_path):
    """Streams split by channel (format 14), decoded a band of one channel at a time on threads
    (rc_plugin.adaptive.pipeline) in the interpreted process: a crop taller than the pipeline's ring of rows, compiled
    and interpreted to the same bytes."""
    from rc_plugin.adaptive import pipeline, plane_coder

    pixels = np.ascontiguousarray(_photo("jpeg_decoded/jpeg_photo")[: pipeline.RING + 5, :20])
    data = plane_coder.encode_plane(pixels, split=True)
    assert data[0] == 3 and np.array_equal(plane_coder.decode_plane(data, *pixels.shape, threads=2), pixels)
    assert _interpreted_plane(pixels, {"split": True, "threads": 2}, tmp_path) == data


def test_the_coders_loops_count_no_references():
    """The loops over every subpixel, index bit and JPEG coefficient are compiled without numba's reference counts
    (rc_plugin.jitcache.NO_REFCOUNTS: they cost those loops a quarter to a third of their time, docs/models.md
    "Reference counts"). A speed property, checked as the option each is compiled with (speed itself is measured by
    benchmarks, not tests)."""
    from rc_plugin.adaptive import indexed, plane_coder
    from rc_plugin.adaptive.jpeg import coefficients
    from rc_plugin.jitcache import NO_REFCOUNTS

    for loop in (plane_coder.code_plane, indexed._code_pixels, coefficients._code_blocks):
        assert isinstance(loop, Dispatcher) and loop.targetoptions["_nrt"] is NO_REFCOUNTS["_nrt"] is False
