"""The causal second pass: exact integer helpers, its parameters on disk, and that it pays on correlated grain."""
import dataclasses

import numpy as np
import pytest

import rc_plugin
from rc_plugin.format import bitstream, container, grids
from rc_plugin.mixture import context, fitting
from rcl_testutil import assert_flips_never_give_a_wrong_image, first_tile


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
    shape = (3, context.CONTEXT_PHASES)
    p = context.ContextParams(
        rng.integers(-127, 128, (*shape, context.COEFS)),
        rng.integers(-24, 25, (*shape, context.BINS)),
        rng.integers(0, 65, shape),
    )
    data = p.pack()
    assert len(data) == context.PARAM_BYTES
    q = context.ContextParams.unpack(data)
    assert all(np.array_equal(a, b) for a, b in zip((p.coef, p.offset, p.spread), (q.coef, q.offset, q.spread)))
    for position, value in ((-1, 65), (-1, -1), (-1 - len(p.spread.ravel()), 100)):  # spreads, then an offset
        bad = bytearray(data)
        bad[position] = value % 256
        with pytest.raises(rc_plugin.RclError, match="context parameters"):
            context.ContextParams.unpack(bytes(bad))


@pytest.fixture(scope="module")
def grainy(photos) -> np.ndarray:
    """The smooth sky of lake.png (96x128), whose faint grain HEVC removes at a high Q: the case the pass is for."""
    return photos["lake"][0:96, 384:512].copy()


def test_context_pays_on_correlated_grain_and_stays_exact(grainy):
    with_ctx = rc_plugin.encode(grainy, q=20)
    without = rc_plugin.encode(grainy, q=20, context=False)
    assert np.array_equal(rc_plugin.decode(with_ctx), grainy)
    assert np.array_equal(rc_plugin.decode(without), grainy)
    # measured 0.8564 (9182 / 10722 bytes): python tests/measure_thresholds.py context_ratio
    assert len(with_ctx) < 0.88 * len(without)
    fitted = context.ContextParams.unpack(first_tile(with_ctx).context)
    assert np.any(fitted.coef) and fitted.spread.min() < context.SPREAD_ONE
    off = context.ContextParams.unpack(first_tile(without).context)
    assert not np.any(off.coef) and not np.any(off.offset) and np.all(off.spread == context.SPREAD_ONE)


def test_altered_context_parameters_never_give_a_wrong_image(grainy):
    data = rc_plugin.encode(grainy[:40, :48], q=20)
    start = container.HEADER_SIZE + container.CHUNK_HEAD.size + bitstream.TAU_BYTES
    spreads = start + context.PARAM_BYTES - 3 * context.CONTEXT_PHASES
    positions = [*range(start, spreads, 7), *range(spreads, start + context.PARAM_BYTES, 2)]
    assert_flips_never_give_a_wrong_image(data, positions, grainy[:40, :48])


def _set_at(mask: np.ndarray, y: int, x: int, dy: int, dx: int, reach: int) -> bool:
    """Whether the neighbour (dy, dx) times reach of pixel (y, x) lies inside the (h, w) mask and is set there."""
    ny, nx = y + reach * dy, x + reach * dx
    return bool(0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx])


def _naive_features(err: np.ndarray, known: np.ndarray, c: int, y: int, x: int, reach: int) -> list[int]:
    """The context inputs of subpixel (c, y, x) read pixel by pixel, as the module docstring defines them."""

    def at(ch, dy, dx):
        return int(err[ch, y + reach * dy, x + reach * dx]) if _set_at(known, y, x, dy, dx, reach) else 0

    own = [at(c, dy, dx) for dy, dx in context.NEIGHBOURS]
    earlier = [int(err[j, y, x]) if j < c else 0 for j in range(2)]
    cross = []
    for o in (o for o in range(3) if o != c):
        cross.append(sum(at(o, dy, dx) for dy, dx in context.NEIGHBOURS if dy == 0 or dx == 0))
        cross.append(sum(at(o, dy, dx) for dy, dx in context.NEIGHBOURS if dy != 0 and dx != 0))
    return own + earlier + cross + [sum(at(c, dy, dx) for dy, dx in context.KNIGHTS)]


@pytest.mark.parametrize("h, w", [(1, 5), (4, 1), (2, 2), (3, 3), (2, 7), (5, 7), (6, 8), (9, 6), (13, 11)])
def test_strided_neighbourhood_matches_a_pixel_by_pixel_reading(h, w):
    from rc_plugin.mixture.logistic_mixture import MixtureParams

    rng = np.random.default_rng(h * 100 + w)
    n = h * w
    params = MixtureParams(
        weight=rng.integers(1, 6000, (3, 5, n)).astype(np.int32),
        mean=rng.integers(-200, 200, (3, 5, n)).astype(np.int32),
        logscale=rng.integers(-16, 40, (3, 5, n)).astype(np.int32),
        lam=np.zeros((3, 5, n), np.int32),
    )
    r = rng.integers(-30, 31, (3, n))
    tau = np.zeros((3, 5), np.int64)
    state = context.CausalState(h, w)
    err = np.zeros((3, h, w), np.int64)
    known = np.zeros((h, w), bool)
    for phase, idx in enumerate(context.phase_indices(h, w)):
        for c in range(3):
            model = state.channel_model(params, c, phase, idx, r, tau, np.full(len(idx), 128), -30, 30)
            if phase == 0:
                assert model.feats is None
            else:
                reach = context.PHASES[phase][3]
                expected = [_naive_features(err, known, c, i // w, i % w, reach) for i in idx]
                assert np.array_equal(model.feats, np.array(expected, np.int64).reshape(len(idx), context.COEFS))
                count = [sum(_set_at(known, y, x, dy, dx, reach) for dy, dx in context.NEIGHBOURS)
                         for y, x in zip(idx // w, idx % w)]
                assert np.array_equal(state._neighbourhood(phase).count, count)
            state.record(c, idx, r[c, idx], model)
            limit = grids.MEAN_SHIFTED_LIMIT
            err[c].flat[idx] = np.clip((r[c, idx] << grids.OUT_FRAC) - model.centre, -limit, limit)
        state.finish_phase(idx)
        known.flat[idx] = True
    assert np.any(err)


def test_spread_draws_the_means_towards_their_centre():
    n = 4
    mean = np.array([[-400, 0, 37, 1000], [200, 8, -37, 1000], [0, 16, 1, 1000]], np.int64)
    weight = np.array([[1, 3, 1, 1], [1, 1, 1, 1], [2, 1, 1, 1]], np.int64)
    centre = (weight * mean).sum(axis=0) // weight.sum(axis=0)
    model = context.ChannelModel(
        weight, mean, np.zeros_like(mean), centre, np.zeros((n, context.COEFS), np.int64), np.zeros(n, np.int64),
        np.full(n, -255), np.full(n, 255),
    )
    coef, offset = np.zeros(context.COEFS, np.int64), np.zeros(context.BINS, np.int64)
    assert np.array_equal(model.corrected(coef, offset, context.SPREAD_ONE)[0], mean)
    assert np.array_equal(model.corrected(coef, offset, 0)[0], np.broadcast_to(centre, mean.shape))
    half = model.corrected(coef, offset, context.SPREAD_ONE // 2)[0]
    assert np.array_equal(half, centre + ((mean - centre) * 32 + 32 >> 6))  # the formula of docs/format.md
    assert np.all(np.abs(half - centre) <= np.abs(mean - centre))
    # drawn together first, then shifted, then clipped
    coef[0] = 64
    model.feats[:, 0] = [0, 1000, -3, 2000]
    shifted = model.corrected(coef, offset, context.SPREAD_ONE // 2)[0]
    limit = grids.MEAN_SHIFTED_LIMIT
    assert np.array_equal(shifted, np.clip(half + model.feats[:, 0], -limit, limit))
    assert shifted[:, 3].max() == limit
    # phase 0 has no context, and nothing moves
    no_context = dataclasses.replace(model, feats=None, bins=None)
    assert no_context.corrected(coef, offset, 0)[0] is mean


def _neighbour_model(n: int, seed: int, outliers: float = 0.0):
    """Half the pixels narrow (scale 1) whose error is 0.75 of the first neighbour's, half wide (scale 16) where
    it is -0.5 of it, lost in noise; a share of the narrow ones (outliers) at -4 times it instead."""
    rng = np.random.default_rng(seed)
    narrow = np.arange(n) < n // 2
    logscale = np.where(narrow, 0, 32)[None].repeat(grids.K, 0)  # log2 of the scale in 1/8 octaves
    feats = np.zeros((n, context.COEFS), np.int64)
    feats[:, 0] = rng.integers(-64, 65, n)
    target = np.where(narrow, 0.75 * feats[:, 0] + rng.logistic(0, 8, n), -0.5 * feats[:, 0] + rng.logistic(0, 128, n))
    target = np.where(narrow & (rng.random(n) < outliers), -4 * feats[:, 0], target)
    sym = np.round(target / 8).astype(np.int64)  # residuals; the model's centre is 0
    weight = np.full((grids.K, n), grids.WEIGHT_SUM // grids.K, np.int64)
    model = context.ChannelModel(
        weight, np.zeros((grids.K, n), np.int64), logscale, np.zeros(n, np.int64),
        feats, np.zeros(n, np.int64), np.full(n, -255), np.full(n, 255),
    )
    return model, sym


def test_coefficients_follow_the_narrow_pixels_not_the_wide_ones():
    # the narrow pixels are where coding gains, and the fit must follow them, not the wide ones
    model, sym = _neighbour_model(4000, seed=3)
    weighted = fitting._robust_coefficients(model, sym)
    plain, *_ = np.linalg.lstsq(model.feats.astype(float), (sym << grids.OUT_FRAC).astype(float), rcond=None)
    assert abs(weighted[0] - 0.75) < 0.05
    assert abs(plain[0] - 0.75) > 0.5
    # nor the few narrow pixels far off (without the reweighting step: 0.659)
    model, sym = _neighbour_model(4000, seed=3, outliers=0.02)
    assert abs(fitting._robust_coefficients(model, sym)[0] - 0.75) < 0.07


def test_fit_never_codes_its_sample_longer_and_finds_the_correlation():
    from rc_plugin.mixture.logistic_mixture import symbol_bits
    from rc_plugin.mixture.released import current

    tables = current().tables
    model, sym = _neighbour_model(3000, seed=5, outliers=0.02)
    lo, hi = int(sym.min()), int(sym.max())

    def bits(coef, offset, spread, symbols):
        mean, logscale = model.corrected(coef, offset, spread)
        return symbol_bits(tables, model.weight, mean, logscale, symbols, lo, hi, model.floor, model.ceil)

    no_correction = (np.zeros(context.COEFS, np.int64), np.zeros(context.BINS, np.int64), context.SPREAD_ONE)
    coef, offset, spread = fitting.fit_context(tables, model, sym, lo, hi, stride=1)
    # measured 0.8290 (15422 / 18602 bits): python tests/measure_thresholds.py context_fit_ratio
    assert bits(coef, offset, spread, sym) < 0.85 * bits(*no_correction, sym)
    assert 0.6 * 64 < coef[0] < 0.8 * 64  # 0.75 in 1/64 units, or a fraction of it the code length preferred
    # on errors the neighbours cannot predict, whatever the fit keeps never codes the sample longer than nothing
    unrelated = np.random.default_rng(6).permutation(sym)
    fitted = fitting.fit_context(tables, model, unrelated, lo, hi, stride=1)
    assert bits(*fitted, unrelated) <= bits(*no_correction, unrelated)


def test_grey_contexts_match_a_pixel_by_pixel_reading():
    from rc_plugin.mixture import grey

    rng = np.random.default_rng(5)
    h, w = 11, 13
    xl = rng.integers(0, 2, (3, h * w))  # grey where all three agree: about a quarter
    x = rng.integers(0, 2, (3, h * w))
    state = grey.GreyState(xl, h, w)
    xl_coloured = ~grey.is_grey(xl).reshape(h, w)
    coloured = np.zeros((h, w), bool)  # decoded so far and coloured in x
    for phase, idx in enumerate(context.phase_indices(h, w)):
        ring, src, reach = (
            ([(-1, 0), (0, -1), (0, 1), (1, 0)], xl_coloured, 1) if phase == 0
            else (context.NEIGHBOURS, coloured, context.PHASES[phase][3])
        )
        expected = [min(2, sum(_set_at(src, y, x_, dy, dx, reach) for dy, dx in ring))
                    for y, x_ in zip(idx // w, idx % w)]
        assert np.array_equal(state.contexts(phase, idx), expected)
        state.finish_phase(idx, x[:, idx])
        coloured.flat[idx] = ~grey.is_grey(x[:, idx])
