"""Every constant that decides what a file's bytes mean, in one place.

Encoder and decoder must agree on each of these; changing one changes the bitstream, so it needs a new format
version (rc_plugin.format.container.VERSION) and a decoder kept for the old one. fingerprint() hashes them all,
with the network's grids (rc_plugin.format.grids, which the model id covers too), and a test pins that hash to the
format version the golden files were written with. The encoder's own choices (which Q, which fits, how hard to
search) are not here: they change which bytes are written, never what they mean. Nor are the sizes that the shape of
the code itself fixes (how many predictions, features or contexts the adaptive coder has, the quantisers of its
context indexes): those change only with the code around them, which the golden files of tests/golden catch.
"""
from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

from . import grids, jpeg_bits

# --- tiles -------------------------------------------------------------------------------------
#: Sides of the square tiles a decoder accepts (the header records the side; which one to write is the
#: encoder's choice, rc_plugin.codec.TILE and, for 16-bit images, codec.tile_side); a tile is coded on its own, and
#: the bound caps decoding memory.
MIN_TILE, MAX_TILE = 16, 1024

# --- lossy layer -------------------------------------------------------------------------------
#: The header's lossy-layer byte: HEVC in a HEIF container, a BPG file, or none (every tile codes without one).
LAYER_HEVC, LAYER_BPG, LAYER_NONE = 0, 1, 2
LAYER_NAMES = {LAYER_HEVC: "hevc", LAYER_BPG: "bpg", LAYER_NONE: "none"}
#: Smallest plane side given to an HEVC encoder (smaller tiles are padded by edge replication), and the multiple the
#: planes are padded to (HEVC works on 8x8 blocks at least).
LOSSY_MIN_SIDE, LOSSY_PAD_MULTIPLE = 16, 8
#: Integer RGB <-> YCbCr (JFIF full range): fixed point with this many fraction bits, and the coefficients.
YCC_FRAC_BITS = 14
YCC_FORWARD = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
YCC_INVERSE = (1.402, -0.344136, -0.714136, 1.772)  # R from Cr, G from Cb and Cr, B from Cb

# --- range coding ------------------------------------------------------------------------------
#: Frequency-table entries (subpixels x alphabet size) per call into the coder. A channel's buckets and
#: values are coded chunk by chunk, so the chunk size decides the order of symbols in the stream.
CHUNK_ELEMENTS = 1 << 22
#: Channels with more residual values than this are coded in two steps (bucket, then value within it).
DIRECT_LIMIT = 16

# --- coding phases and the causal pass (rc_plugin.mixture.context) -------------------------------------
#: The coding phases in coding order, each (step, y, x, reach): the pixels (y + step i, x + step j), whose
#: context neighbours lie reach pixels apart. The even-even pixels come first, as the 4x4 grid's four cells
#: (0, 0), (2, 2), (0, 2), (2, 0) at reach 2; then the other three cells of the 2x2 grid at reach 1.
PHASES = ((4, 0, 0, 2), (4, 2, 2, 2), (4, 0, 2, 2), (4, 2, 0, 2), (2, 1, 1, 1), (2, 0, 1, 1), (2, 1, 0, 1))
#: Phases with a context (phase 0 has no decoded neighbours).
CONTEXT_PHASES = len(PHASES) - 1
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
#: Mean-correction inputs: the 8 neighbours' errors (at the phase's reach); the pixel's errors in channels R and G;
#: for each of the two other channels, the sums of its errors over the 4-connected and over the diagonal neighbours.
OWN_COEFS = len(NEIGHBOURS) + 2
#: Knight's-move offsets (times the reach): the next ring out's pixels of other phases (one offset odd).
KNIGHTS = ((-2, -1), (-2, 1), (-1, -2), (-1, 2), (1, -2), (1, 2), (2, -1), (2, 1))
#: ... and the sum of the same channel's errors over the decoded KNIGHTS.
COEFS = OWN_COEFS + 5
COEF_FRAC = 6
COEF_LIMIT = 127
#: Activity bins: width in 1/8 octaves of (neighbours' mean |e|) / sigma, and their count.
BINS = 12
BIN_WIDTH = 3
OFFSET_LIMIT = 24
#: The spread of the mixture's means about their centre is scaled by spread / SPREAD_ONE (0..SPREAD_ONE).
SPREAD_BITS = 6
SPREAD_ONE = 1 << SPREAD_BITS
#: ceil(2**16 * 2**(i / 8)) for i = 1..7: thresholds of the fractional part of the integer 8 log2.
LOG8_THRESHOLDS = (71468, 77936, 84990, 92682, 101071, 110218, 120194)
#: Bytes of a tile's context parameters: int8 coef, offset and spread per (channel, context phase).
CONTEXT_BYTES = 3 * CONTEXT_PHASES * (COEFS + BINS + 1)

# --- the grey shortcut (rc_plugin.mixture.grey) --------------------------------------------------------
#: Contexts of the grey flag per phase (0..2 coloured neighbours).
GREY_CONTEXTS = 3
#: The stored probabilities of "coloured" are in 1/2**GREY_PROB_BITS, each 1 .. 2**GREY_PROB_BITS - 1.
GREY_PROB_BITS = 16
GREY_BYTES = 2 * len(PHASES) * GREY_CONTEXTS

# --- per-image tau -----------------------------------------------------------------------------
TAU_BYTES = 3 * grids.K

# --- tile coders (format 7 on) -----------------------------------------------------------------
#: The first byte of a tile record (format 7 on): which coder wrote it.
CODER_MIXTURE = 0  # the paper's path: lossy layer, RC mixture, tau, causal pass, grey shortcut
CODER_ADAPTIVE = 1  # the per-pixel online-adaptive coder (rc_plugin.adaptive), no lossy layer
#: Format 8 adds two: a palette and its tile's indices (coded as PLANE_* says), and a tile of filtered rows under
#: LZMA, the guard for what neither model fits.
CODER_PALETTE = 2
CODER_GENERIC = 3
#: Format 9 adds an adaptive tile coded with a learned mixer (rc_plugin.adaptive.netmix), named by its id.
CODER_LEARNED = 4
#: Format 10 adds a wide tile: samples of up to 16 bits (below, "samples of more than 8 bits").
CODER_WIDE = 5
#: Format 11 adds a tuned tile: the adaptive coder with one of its presets and channel orders (ADAPTIVE_PRESETS,
#: ADAPTIVE_ORDERS), named by their indices.
CODER_TUNED = 6
#: Format 13 adds a learned tuned tile: a learned tile whose coder runs with a preset (one of the first
#: ADAPTIVE_LEARNED_PRESETS_OF_VERSION[version]: those without sse up to format 15, every one from 16) and a channel
#: order, named as a tuned tile names them.
CODER_LEARNED_TUNED = 7
#: Format 15 adds a JPEG tile: a window of a JPEG's decoding and a residual record (format/jpeg_bits.py).
CODER_JPEG = 8
#: How a palette tile's index plane is coded: by the adaptive coder as a grey plane, by the index coder
#: (rc_plugin.adaptive.indexed), or as the generic tile codes its rows.
PLANE_ADAPTIVE, PLANE_INDEXED, PLANE_GENERIC = 0, 1, 2
#: A palette holds 1..PALETTE_MAX colours; the adaptive coder and generic rows code index planes of up to
#: PLANE_BYTE_COLOURS, whose indices fit a byte.
PALETTE_MAX = 1 << 16
PLANE_BYTE_COLOURS = 256

# --- the index coder (rc_plugin.adaptive.indexed) -------------------------------------------------------
#: Its hash tables have 2**b entries per context set, b the bit length of (pixels x bits per index), at least
#: 2**TABLE_BITS_MIN and at most 2**TABLE_BITS_MAX.
INDEX_TABLE_BITS_MIN, INDEX_TABLE_BITS_MAX = 12, 20
#: The neighbours each index's contexts read, (dy, dx), nearest first; one outside the tile reads as OUTSIDE. Context
#: set s hashes the first SET_SIZES[s] of them: k = s + 1, then k = (k HASH_STEP + v + 1) mod 2**32 for each value v;
#: the node m of the bits coded so far picks the slot ((((k XOR m NODE_MULTIPLIER) mod 2**32) SLOT_MULTIPLIER)
#: >> SLOT_SHIFT) mod 2**T. Every product stays below 2**63, so compiled and interpreted code agree.
INDEX_TEMPLATE = ((0, -1), (-1, 0), (-1, -1), (-1, 1), (0, -2), (-2, 0), (-1, -2), (-1, 2), (-2, -1), (-2, 1), (0, -3),
                  (0, -4), (-3, 0), (-1, -3), (-1, 3), (-2, -2), (-2, 2))
INDEX_SET_SIZES = (0, 1, 2, 3, 4, 6, 12, 17)
INDEX_OUTSIDE = 1 << 16
INDEX_HASH_STEP, INDEX_NODE_MULTIPLIER, INDEX_SLOT_MULTIPLIER, INDEX_SLOT_SHIFT = 0x2F0F3, 0x9E3779B1, 0x2545F491, 20
#: squash(x) = 4096 / (1 + e^(-x/256)) at x = -2048, -1920, ..., 2048, rounded; squash interpolates these integers.
INDEX_SQUASH_POINTS = (1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994, 3348,
                       3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094)
#: The probability map's context: bit j of the first APM_NEIGHBOURS of the template (W, N, NW, NE) above the node's
#: last APM_NODE_BITS bits.
INDEX_APM_NEIGHBOURS, INDEX_APM_NODE_BITS = 4, 4
#: The mixer's bias input; the coded probability is (mixed + APM_SHARE x mapped) / (APM_SHARE + 1).
INDEX_BIAS_INPUT = 256
INDEX_APM_SHARE = 3
#: A context's probability moves by 1/(n + 1.5) of its error after n observations, n at most COUNT_LIMIT.
INDEX_COUNT_LIMIT = 60
#: Mixer weights in 1/2**16, starting at WEIGHT_INIT, clipped to +-WEIGHT_LIMIT; a step is stretch x error
#: >> MIXER_SHIFT. The probability map moves by 1/2**APM_RATE of its error.
INDEX_WEIGHT_INIT = 26214
INDEX_WEIGHT_LIMIT = 1 << 22
INDEX_MIXER_SHIFT = 11
INDEX_APM_RATE = 6

# --- the generic tile (rc_plugin.adaptive.generic) ------------------------------------------------------
#: Raw LZMA2 with this dictionary size (the decoder needs it; the encoder's other settings are its choice), over
#: rows each led by one of GENERIC_FILTERS row filters (PNG's).
GENERIC_DICT_SIZE = 1 << 22
GENERIC_FILTERS = 5

# --- the adaptive coder (rc_plugin.adaptive) ---------------------------------------------------
#: Its logistic CDF table (weights/adaptive_cdf.npz): log2 of the scale in 1/8 octaves from MIN to MAX, and
#: offsets of a boundary from the mean in 1/8 grey levels up to +-HALF_WIDTH; values in 1/2**16.
ADAPTIVE_LOGSCALE_MIN, ADAPTIVE_LOGSCALE_MAX = -40, 56
ADAPTIVE_TABLE_HALF_WIDTH, ADAPTIVE_CDF_BITS = 4096, 16
#: The range coder's frequencies of one subpixel sum to 2**ADAPTIVE_FREQ_BITS; each of the 256 values gets >= 1.
ADAPTIVE_FREQ_BITS = 16
#: Predictor weights are 2**WEIGHT_ONE_BITS / (s + WEIGHT_BIAS)**2, s a predictor's nearby errors (1/8 levels).
ADAPTIVE_WEIGHT_ONE_BITS, ADAPTIVE_WEIGHT_BIAS = 40, 8
#: The logistic's scale from a context's mean absolute error (in 1/512 levels): scale = mad * this / 2**16,
#: i.e. mad / (2 ln 2), the mean absolute deviation of a logistic.
ADAPTIVE_SCALE_FROM_MAD = 739
#: Normalised LMS: weights in 1/2**LMS_FRAC; steps of the neighbour-difference predictor and of the correction stage
#: that predicts the blend's error from the neighbours' and earlier channels' errors: from format FAR_VERSION it also
#: reads the errors at WW and NN with step FAR_CORRECTION_STEP, and a second bias table (BIAS_*) keyed by the texture.
ADAPTIVE_LMS_FRAC = 14
ADAPTIVE_LMS_STEP, ADAPTIVE_FAST_LMS_STEP = 41, 160
ADAPTIVE_CORRECTION_STEP, ADAPTIVE_FAR_CORRECTION_STEP, ADAPTIVE_FAR_VERSION = 100, 150, 20
ADAPTIVE_WEIGHT_LIMIT = 1 << 20
#: Context statistics are halved when their count reaches this, so they follow the image.
ADAPTIVE_COUNT_LIMIT = 256
ADAPTIVE_SCALE_INIT = 32  # a scale context starts as if it had seen one error of this size (1/8 levels)
#: Errors within +-DEAD_ZONE (1/8 levels) count as zero in the bias context's sign pattern, whose other part is one
#: of BIAS_LEVELS error levels; from format BIAS_PRIOR_VERSION, in a stream without a learned mixer, each context's
#: mean error is shrunk towards 0 as if it had also seen BIAS_PRIOR errors of 0.
ADAPTIVE_DEAD_ZONE, ADAPTIVE_BIAS_LEVELS, ADAPTIVE_BIAS_PRIOR, ADAPTIVE_BIAS_PRIOR_VERSION = 2, 8, 128, 19
#: Scale calibration: contexts per channel (the log-scale index in half octaves), and the ratio of errors seen to
#: the logistic's mean deviation starting at 1 as if seen CALIBRATION_START times.
ADAPTIVE_CALIBRATION_BINS, ADAPTIVE_CALIBRATION_START = 32, 64
#: The adaptive coder's presets: (the LMS predictors' step, the fast one's, grid, sse); preset 0 is an adaptive tile's,
#: a tuned tile names another. With grid, the scale calibration is kept per position in GRID x GRID blocks (JPEG's),
#: each with CALIBRATION_BINS >> GRID_BINS_SHIFT bins; with sse, secondary estimation (ADAPTIVE_SSE_*), whose first
#: table's context is of kind sse: 1 (format 12) the W and N errors' signs, 2 (format 17) the neighbours' pattern.
ADAPTIVE_PRESETS = ((ADAPTIVE_LMS_STEP, ADAPTIVE_FAST_LMS_STEP, 0, 0), (120, 480, 0, 0), (120, 480, 1, 0),
                    (ADAPTIVE_LMS_STEP, ADAPTIVE_FAST_LMS_STEP, 0, 1), (120, 480, 0, 1), (120, 480, 1, 1),
                    (ADAPTIVE_LMS_STEP, ADAPTIVE_FAST_LMS_STEP, 0, 2), (120, 480, 0, 2), (120, 480, 1, 2))
ADAPTIVE_PRESETS_OF_VERSION = {11: 3, 12: 6, 13: 6, 14: 6, 15: 6, 16: 6, 17: 9, 18: 9, 19: 9, 20: 9}  # a tuned tile may
#: name ... and a learned tuned tile: no sse up to format 15, format 12's from 16 (the mixture's CDF mapped), 17's from 18.
ADAPTIVE_LEARNED_PRESETS_OF_VERSION = {13: 3, 14: 3, 15: 3, 16: 6, 17: 6, 18: 9, 19: 9, 20: 9}
ADAPTIVE_SSE_PATTERN_STEP = 2  # sse kind 2: the neighbours' differences clamped to +-this (docs/format.md)
#: Secondary estimation (docs/format.md): the coded CDF is the logistic's mapped through the mean of SSE_TABLES
#: histograms (SSE_BINS bins of that CDF each, in their contexts) of where values fell; a value adds SSE_UNIT; each
#: starts as SSE_PRIOR values spread evenly and is halved past SSE_LIMIT values.
ADAPTIVE_SSE_BINS, ADAPTIVE_SSE_TABLES, ADAPTIVE_SSE_UNIT, ADAPTIVE_SSE_PRIOR, ADAPTIVE_SSE_LIMIT = 16, 2, 1024, 8, 1024
#: The orders a tuned tile may code a colour tile's channels in (format 11): coded channel j is the tile's channel
#: ORDERS[k][j], so R, G, B; B, G, R; G, B, R. The cross-channel predictors read the channels coded before.
ADAPTIVE_ORDERS = ((0, 1, 2), (2, 1, 0), (1, 2, 0))
ADAPTIVE_ORDER_UNIT = 16  # a tuned tile's byte names its preset p and order k as p + ORDER_UNIT k
ADAPTIVE_GRID, ADAPTIVE_GRID_BINS_SHIFT = 8, 2  # the grid preset's block side, and its calibration bins' shift


def compiled_for(callees: tuple[str, ...] = (), folder: Path | None = None) -> str:
    """The fingerprint, and a digest of the source files named in callees (in folder: the calling module's)."""
    digest = hashlib.sha256(b"".join((folder / name).read_bytes() for name in callees)).hexdigest()[:16]
    return f"{fingerprint()}+{digest}" if callees else fingerprint()


def check_compiled_for(module: str, recorded: str, callees: tuple[str, ...] = ()) -> None:
    """Refuse to run numba-compiled code written against other constants or other compiled callees.

    numba caches a compiled function by the contents of its own file, not by the constants it reads from this
    one nor by the compiled functions of other files it calls, so after a change there it would go on running
    the old code from its cache. Each module that reads these constants in compiled code records what it was
    written for (callees: the files of the compiled functions it calls); changing that line is what makes numba
    recompile it. A developer's error, not a user's: installed files always agree.
    """
    now = compiled_for(callees, Path(sys.modules[module].__file__).parent)
    if recorded != now:
        raise RuntimeError(f"{module} was written for {recorded}, but rc_plugin/format/bitstream.py's constants and "
                           f"{', '.join(callees) or 'no callee'} now give {now}: check {module} against them and set "
                           "its COMPILED_FOR to the new value, so numba recompiles it")


def constants(module) -> list[tuple[str, object]]:
    """A module's upper-case constants as sorted (name, value) pairs: what the fingerprint and the model id hash."""
    return sorted((k, v) for k, v in vars(module).items() if k.isupper())


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """Hex digest of every bitstream-deciding constant (this module's, the grids' and the JPEG tile's)."""
    h = hashlib.sha256()
    for module in (sys.modules[__name__], grids, jpeg_bits):
        h.update(repr(constants(module)).encode())
    return h.hexdigest()[:16]

# --- samples of more than 8 bits (format 10) --------------------------------------------------------------
#: A wide tile (uint16 samples) codes its colour, then its alpha, each as a part: the part's samples mapped to
#: 0..top, by their offset from the part's smallest value in steps of their common divisor, or by their rank among
#: the values it holds (a table of them, for a part that leaves many values unused: a gain that skips levels).
WIDE_MAP_OFFSET, WIDE_MAP_TABLE = 0, 1
#: How a part's values 0..top are coded: by the adaptive coder's wide path (a stream of tokens, their frequencies
#: adaptive counts, or the shipped logistic's: LOGISTIC), as generic rows of 16-bit big-endian values
#: (rc_plugin.adaptive.generic over 2 bytes a sample: exact repeats, as in scans decompressed from a lossy format),
#: or, for top <= BYTE_TOP, as any 8-bit record of format 9.
WIDE_CODED_STREAM, WIDE_CODED_ROWS, WIDE_CODED_RECORD, WIDE_CODED_LOGISTIC = 0, 1, 2, 3
WIDE_BYTE_TOP, WIDE_MAX = 255, 65535
#: The token of a folded error u: u itself below TOKEN_DIRECT (a power of two), else 16 + 4 (bit length - 5) + the
#: TOKEN_MSB bits after the leading one; TOKENS covers u < 2**16.
WIDE_TOKEN_DIRECT = 16
WIDE_TOKEN_MSB = 2
WIDE_TOKENS = 64
#: Token frequencies are kept per channel and per context: the coder's log scale (1/8 octaves, from
#: ADAPTIVE_LOGSCALE_MIN) >> CONTEXT_SHIFT (quarter octaves), up to CONTEXTS - 1. Each starts at FREQ_START plus,
#: where the shipped logistic table reaches the context's scale, FREQ_PRIOR spread as that logistic spreads the
#: tokens (rc_plugin.adaptive.tokens); a coded token adds FREQ_STEP, and a context's counts halve (rounding up) when
#: their total passes FREQ_LIMIT.
WIDE_CONTEXTS = 80
WIDE_CONTEXT_SHIFT = 1
WIDE_FREQ_START = 1
WIDE_FREQ_PRIOR = 1024
WIDE_FREQ_STEP = 32
WIDE_FREQ_LIMIT = 1 << 16
#: A wide sample's fifth scale context: its predicted level mu (eighths), as ilog8(mu + 1) >> LEVEL_SHIFT (the noise
#: of a photon-counting sensor grows with the signal).
WIDE_LEVEL_SHIFT = 1

# --- the learned mixer over the adaptive coder's state (rc_plugin.adaptive.netmix), format 9 ------------
#: Its inputs at each subpixel (docs/format.md): the 17 predictions' offsets from the coder's mean and the 6 blend
#: errors, the correction's and the bias's shifts, each in 1/8 of the coder's scale (clipped to +-FEATURE_LIMIT);
#: the 17 blend shares in 1/64, 4 log-domain error levels, the scale row, the mean's level, and one-hot (ONE_HOT)
#: the channel and x and y mod 8.
MIXER_FEATURES = 67
MIXER_FEATURE_LIMIT = 127
MIXER_ONE_HOT = 64
#: The network: hidden = clip((W1 x + b1) >> SHIFT1, 0, HIDDEN_MAX); out = (W2 hidden + b2) >> SHIFT2; weights
#: int16, biases int32 within +-2**30, sums int32 (|W1 x + b1| < 2**31 for any int16 weights and these inputs, hidden
#: width <= HIDDEN_LIMIT).
MIXER_SHIFT1, MIXER_SHIFT2 = 14, 12
MIXER_HIDDEN_MAX = 255
MIXER_HIDDEN_LIMIT = 64
#: Its outputs: COMPONENTS logits (1/16 octaves; a component's weight is 2**(-(top - logit) / 16) in 1/2**12, at
#: least 1, from EXP_FRACTIONS = round(4096 * 2**(-j/16))), then for components 1.. a mean offset in 1/4 of the
#: coder's scale (clipped to +-OFFSET_LIMIT) and a scale-row offset (+-ROW_LIMIT); component 0 is the coder's own.
MIXER_COMPONENTS = 4
MIXER_OUTPUTS = 10
MIXER_EXP_FRACTIONS = (4096, 3922, 3756, 3597, 3444, 3298, 3158, 3025, 2896, 2774, 2656, 2543, 2435, 2332, 2233, 2139)
MIXER_LOGIT_LIMIT = 255
MIXER_OFFSET_LIMIT = 255
MIXER_ROW_LIMIT = 32
#: The guard: the coded mixture is share/4096 of the network's and the rest the coder's own logistic, share =
#: squash(state >> 8) (the index coder's table), state per channel in 1/65536 of a logit, starting at GUARD_START,
#: moved after each value by ((f_net - f_own) share (4096 - share) + den / 2) // den, den = f_coded << GUARD_SHIFT
#: (half a logit per unit of the log loss's gradient), and clipped to +-GUARD_LIMIT.
MIXER_GUARD_START = 3 << 16
MIXER_GUARD_SHIFT = 9
MIXER_GUARD_LIMIT = (2047 << 8) + 255
#: The coder's scale in 1/64 grey levels from its row's mean deviation (1/8192 levels): mad * SIGMA_MUL >> 20.
MIXER_SIGMA_MUL = 5909
#: An offset (1/8 levels) in 1/8 of the scale: (d * NORM_MUL) // mad, mad = 8192 * 2 ln 2 * scale.
MIXER_NORM_MUL = 11357
