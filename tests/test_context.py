"""The causal second pass: exact integer helpers, its parameters on disk, and that it pays on correlated grain."""
import numpy as np
import pytest

import rc_plugin
from rc_plugin import container, context
from rcl_testutil import assert_flips_never_give_a_wrong_image


def test_ilog8_is_floor_of_eight_log2():
    v = np.arange(1, 1 << 17)
    # floor(8 log2 v) >= k  <=>  v**8 >= 2**k, decided on Python integers
    expected = np.array([max(k for k in range(8 * 18) if int(x) ** 8 >= 1 << k) for x in v[::997]])
    assert np.array_equal(context.ilog8(v[::997]), expected)
    assert np.array_equal(context.ilog8(np.array([1, 2, 3, 4, 255, 256])), [0, 8, 12, 16, 63, 64])


def test_phases_cover_every_pixel_once():
    for h, w in [(1, 1), (1, 7), (5, 1), (6, 9)]:
        idx = np.concatenate(context.phase_indices(h, w))
        assert np.array_equal(np.sort(idx), np.arange(h * w))


def test_parameters_round_trip_and_range():
    rng = np.random.default_rng(0)
    p = context.ContextParams(rng.integers(-127, 128, (3, 3, context.COEFS)), rng.integers(-24, 25, (3, 3, context.BINS)))
    data = p.pack()
    assert len(data) == context.PARAM_BYTES
    q = context.ContextParams.unpack(data)
    assert np.array_equal(p.coef, q.coef) and np.array_equal(p.offset, q.offset)
    bad = bytearray(data)
    bad[-1] = 100  # an offset beyond OFFSET_LIMIT
    with pytest.raises(rc_plugin.RclError, match="context parameters"):
        context.ContextParams.unpack(bytes(bad))


@pytest.fixture(scope="module")
def grainy(val_paths) -> np.ndarray:
    """A crop of a smooth validation photo whose fine grain HEVC removes at a high Q: the case the pass is for."""
    from PIL import Image

    return np.asarray(Image.open(val_paths[23]).convert("RGB"))[400:496, 800:928].copy()


def test_context_pays_on_correlated_grain_and_stays_exact(grainy):
    with_ctx = rc_plugin.encode(grainy, q=20)
    without = rc_plugin.encode(grainy, q=20, context=False)
    assert np.array_equal(rc_plugin.decode(with_ctx), grainy)
    assert np.array_equal(rc_plugin.decode(without), grainy)
    assert len(with_ctx) < 0.95 * len(without)  # 0.90 when written
    tile = container.parse_tile(container.parse_chunks(with_ctx, container.parse_header(with_ctx, None))[1][0], 3)
    assert np.any(context.ContextParams.unpack(tile.context).coef)
    assert not np.any(context.ContextParams.unpack(
        container.parse_tile(container.parse_chunks(without, container.parse_header(without, None))[1][0], 3).context
    ).coef)


def test_altered_context_parameters_never_give_a_wrong_image(grainy):
    data = rc_plugin.encode(grainy[:40, :48], q=20)
    start = container.HEADER_SIZE + container.CHUNK_HEAD.size + container.TAU_BYTES
    positions = range(start, start + context.PARAM_BYTES, 7)
    assert_flips_never_give_a_wrong_image(data, positions, grainy[:40, :48])
