"""What the adaptive coder (rc_plugin.adaptive.plane_coder) learns over a tile, kept between its calls: the tables,
weights and recent errors that its model reads and updates, as one tuple of arrays; and the constants it runs with.

A tile coded in one call needs the last three rows of recent errors; a tile decoded a band of rows and a channel at a
time (rc_plugin.adaptive.pipeline) needs more, since a channel reads the earlier channels' errors on its own row and
those may have run ahead: `ring` rows.
"""
from __future__ import annotations

import numpy as np

from ..format import bitstream as bs
from ..format.container import VERSION
from . import sse
from .netmix import COMPONENTS, FEATURES
from .predictors import LMS_FEATURES, PREDICTORS, WIDE_FEATURES

CALIBRATION_BINS, CALIBRATION_START = bs.ADAPTIVE_CALIBRATION_BINS, bs.ADAPTIVE_CALIBRATION_START
GRID, BIAS_LEVELS = bs.ADAPTIVE_GRID, bs.ADAPTIVE_BIAS_LEVELS
#: Correction-stage features: the blend's errors at the two earlier channels of this pixel and at W, N, NW, NE, and
#: from format FAR_VERSION at WW and NN (0 before: a weight whose feature is 0 never moves, so older files code as
#: they did).
CORRECTION_FEATURES = 8
#: The bias contexts: the sign patterns of the W, N, NW and NE errors (3 ** 4) x BIAS_LEVELS; then, from format
#: FAR_VERSION, the texture's: whether each of TEXTURE_NEIGHBOURS (N, W, NW, NE, NN, WW) lies above the corrected
#: prediction, x BIAS_LEVELS, after BIAS_LEVELS for subpixels too near the tile's edge to have them all.
SIGN_CONTEXTS, TEXTURE_NEIGHBOURS = 81 * BIAS_LEVELS, 6
TEXTURE_CONTEXTS = BIAS_LEVELS * (1 + (1 << TEXTURE_NEIGHBOURS))
#: Scale contexts: the error estimate, the neighbours' errors, the earlier channels' error x the error estimate, the
#: predictions' spread; each has 64 bins but the third, which has 256.
SCALE_CONTEXTS, SCALE_BINS = 4, 256
#: The rows of recent errors a tile coded in one call keeps: this row and the two above.
RING = 3
#: Row lengths (int64) of the per-channel weights: each row's used part ends over 64 bytes before the next begins, so
#: channels decoded on different threads never write one cache line (which would cost a third of their speed).
WEIGHT_ROW, SMALL_ROW = 24, 16
#: Each preset's (LMS step, fast LMS step, grid, sse), as bitstream.ADAPTIVE_PRESETS says.
PRESETS = np.array(bs.ADAPTIVE_PRESETS, np.int64)


def estimators(learned: bool, version: int = VERSION) -> np.ndarray:
    """The part of code_plane's preset row that the file's `version` (by default the newest, which the encoder writes)
    and the stream's kind (learned: coded with a learned mixer) decide: the bias prior (bs.ADAPTIVE_BIAS_PRIOR from
    format BIAS_PRIOR_VERSION without a learned mixer, else 0: the mixers read the coder's bias as they were trained
    on it), the correction stage's step, and whether the far neighbours take part (format FAR_VERSION on: the WW and
    NN errors in the correction stage, the texture's bias table)."""
    prior = bs.ADAPTIVE_BIAS_PRIOR if not learned and version >= bs.ADAPTIVE_BIAS_PRIOR_VERSION else 0
    far = version >= bs.ADAPTIVE_FAR_VERSION
    step = bs.ADAPTIVE_FAR_CORRECTION_STEP if far else bs.ADAPTIVE_CORRECTION_STEP
    return np.array([prior, step, far], np.int64)


def preset_row(preset: int, learned: bool, version: int = VERSION) -> np.ndarray:
    """plane_coder.code_plane's preset argument: row `preset` of PRESETS, then estimators(learned, version)."""
    return np.concatenate((PRESETS[preset], estimators(learned, version)))


def new_state(w: int, channels: int, preset: np.ndarray, deep: bool, ring: int = RING) -> tuple:
    """A tile's model before its first subpixel, for tiles w wide of `channels` channels coded with `preset` (a row
    of PRESETS); deep: samples above 8 bits. The tuple's order is what plane_coder.code_plane unpacks."""
    nc = channels
    perr = np.zeros((ring, w + 4, nc, PREDICTORS), np.int64)  # |error| of each predictor; x offset 2
    berr = np.zeros((ring, w + 4, nc), np.int64)  # signed error of the blend, 1/8 levels
    bias_total = np.zeros((nc, SIGN_CONTEXTS + TEXTURE_CONTEXTS), np.int64)
    bias_count = np.zeros((nc, SIGN_CONTEXTS + TEXTURE_CONTEXTS), np.int64)
    scale_total = np.full(((SCALE_CONTEXTS + 1) * nc, SCALE_BINS), bs.ADAPTIVE_SCALE_INIT, np.int64)  # row t*nc+c
    scale_count = np.ones(((SCALE_CONTEXTS + 1) * nc, SCALE_BINS), np.int64)
    # the LMS weights (predictors.LMS_FEATURES used of each row, WIDE_FEATURES of wide's)
    lms, fast, wide = (np.zeros((nc, WEIGHT_ROW), np.int64) for _ in range(3))
    sse_bins, sse_totals = sse.new_state(nc, preset[3] if not deep else 0)  # secondary estimation's kind (0: none)
    cells = GRID * GRID if preset[2] != 0 else 1  # calibration bins per channel: a set per grid position
    cal_total = np.full((nc, cells * CALIBRATION_BINS), 64 * CALIBRATION_START, np.int64)
    cal_count = np.full((nc, cells * CALIBRATION_BINS), CALIBRATION_START, np.int64)
    corr_w = np.zeros((nc, SMALL_ROW), np.int64)  # CORRECTION_FEATURES used
    guard = np.full((nc, SMALL_ROW), bs.MIXER_GUARD_START, np.int64)  # column 0 used
    return (perr, berr, bias_total, bias_count, scale_total, scale_count, lms, fast, wide, sse_bins, sse_totals,
            cal_total, cal_count, corr_w, guard)


def new_scratch(hidden: int) -> tuple:
    """The working arrays of one call of plane_coder.code_plane for a learned mixer of `hidden` units (0 for none),
    zeros: what a subpixel's steps hand each other (predictions, features, the mixture's components). code_plane
    allocates nothing (it runs without reference counts), so each call, and each thread, gets its own set."""
    z = lambda n, dtype=np.int64: np.zeros(n, dtype)  # noqa: E731
    return (z(bs.ADAPTIVE_SSE_TABLES), z(bs.ADAPTIVE_SSE_BINS + 1),  # sse's contexts and knots
            z(PREDICTORS), z(PREDICTORS), z(PREDICTORS),  # the blend's weights, the predictions, which are valid
            z(LMS_FEATURES), z(WIDE_FEATURES), z(CORRECTION_FEATURES), z(SCALE_CONTEXTS + 1),  # features, contexts
            z(FEATURES, np.int16),  # the mixer's features, each within +-127: the network's int32 sums read them
            z(6), z(4), z(hidden, np.int32), z(bs.MIXER_OUTPUTS),  # the features' errors and levels, the network
            *(z(COMPONENTS) for _ in range(7)))  # the mixture: means, rows, mults, clos, spans, weights, coded mults
