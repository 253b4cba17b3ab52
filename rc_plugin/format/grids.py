"""Fixed integer grids shared by the residual model, its training and the coder.

The RC network outputs integers; these constants say what they mean. Changing any
of them changes the file format's meaning, so they are hashed into the model id.
"""

#: RC input planes: x_l's R, G, B, then the quantizer Q and the HEVC block phase (x mod 8, y mod 8),
#: all as integers 0..255: Q * Q_PLANE_SCALE and phase * PHASE_PLANE_SCALE.
IN_CHANNELS = 6
Q_PLANE_SCALE = 5
PHASE = 8
PHASE_PLANE_SCALE = 32

#: Mixture components per subpixel (the paper's K).
K = 5
#: Output groups of the RC network, each 3 x K channels, in this order.
GROUPS = ("logit", "mean", "logscale", "lambda")
OUT_CHANNELS = len(GROUPS) * 3 * K
#: RC outputs are on a grid of 1/2**OUT_FRAC.
OUT_FRAC = 3

#: Means in 1/8 residual units, clipped to +-32 before and +-255 after the R->G->B shift.
MEAN_LIMIT = 32 << OUT_FRAC
MEAN_SHIFTED_LIMIT = 255 << OUT_FRAC
#: Log2 of the logistic scale in 1/8 steps: sigma = 2**(index / 8), index in [min, max].
LOGSCALE_MIN = -16
LOGSCALE_MAX = 40
#: Mixture logits are base-2, in 1/8 steps; weights below 2**-15 are floored.
LOGIT_SPAN = 15 << OUT_FRAC
#: R->G->B coefficients lambda = index / 64, index in [-64, 64].
LAMBDA_FRAC = 6
LAMBDA_LIMIT = 1 << LAMBDA_FRAC

#: Bits of the logistic CDF table and of the mixture weights' exponential table.
CDF_BITS = 16
WEIGHT_BITS = 15
#: Mixture weights are normalized to sum to at most this, so sum_k w_k * CDF fits in int32.
WEIGHT_SUM = 32000
assert WEIGHT_SUM << CDF_BITS < 2**31
#: The range coder's frequencies sum to 2**FREQ_BITS.
FREQ_BITS = 24
#: tau: integer offsets of the log-scale index per (channel, mixture).
TAU_LIMIT = 24
