"""The grey shortcut: pixels that are grey in x_l and in x cost one binary flag instead of two residuals.

Photos that are grey but for a few coloured areas (a black-and-white print with a
coloured stamp, a grey sky behind a red roof, a screenshot) have x_l grey wherever
x is, and there r_G = r_B = r_R exactly. The RC, trained on colour photos, still
spreads G and B over several residuals. So, in tiles where the encoder finds it
shorter, every pixel whose x_l is grey carries a flag, coded in the G stream just
before the phase's G residuals: 0 (grey), G and B equal R and are not coded;
1 (coloured), they are coded as usual.

The flag's probability depends on the coding phase and on a context of 0..2: in
phase 0, how many of the 4-connected neighbours have a coloured x_l; in later
phases, how many of the decoded 8 neighbours (at the phase's reach) are coloured in x. The encoder
counts the flags per (phase, context) on the tile and stores the probabilities (42 bytes);
encoder and decoder turn them into the same integer frequencies. The encoder's fit is in
rc_plugin.mixture.fitting.
"""
from __future__ import annotations

import dataclasses
import struct

import numpy as np

from ..format import grids
from ..format.bitstream import GREY_BYTES as PARAM_BYTES
from ..format.bitstream import GREY_CONTEXTS as CONTEXTS
from ..format.bitstream import GREY_PROB_BITS as PROB_BITS
from ..format.bitstream import PHASES as CODING_PHASES
from ..errors import RclError

PHASES = len(CODING_PHASES)
_PARAMS = struct.Struct(f"<{PHASES * CONTEXTS}H")
_PAD = 2  # the farthest neighbour: the ring at reach 2
_EDGE4 = ((-1, 0), (0, -1), (0, 1), (1, 0))
_RING8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def is_grey(colour: np.ndarray) -> np.ndarray:
    """(N,) whether the three rows of a (3, N) array are equal."""
    return (colour[0] == colour[1]) & (colour[1] == colour[2])


@dataclasses.dataclass
class GreyParams:
    """prob (PHASES, CONTEXTS) int64: the probability of flag 1 (x coloured), in 1/2**PROB_BITS."""

    prob: np.ndarray

    def pack(self) -> bytes:
        return _PARAMS.pack(*(int(p) for p in self.prob.ravel()))

    @classmethod
    def unpack(cls, data: bytes) -> "GreyParams":
        if len(data) != PARAM_BYTES:
            raise RclError("corrupt .rcl tile: its grey-shortcut parameters are truncated")
        prob = np.array(_PARAMS.unpack(data), np.int64).reshape(PHASES, CONTEXTS)
        if prob.min() < 1:  # a probability of 0 would leave flag 1 uncodable
            raise RclError("corrupt .rcl tile: grey-shortcut probabilities out of range")
        return cls(prob)

    def frequencies(self, phase: int, ctx: np.ndarray) -> np.ndarray:
        """(N, 2) range-coder frequencies of (grey, coloured) at contexts ctx."""
        coloured = self.prob[phase, ctx] << (grids.FREQ_BITS - PROB_BITS)
        return np.stack([(1 << grids.FREQ_BITS) - coloured, coloured], axis=1)


class GreyState:
    """Which pixels are candidates and which decoded ones are coloured; encoder and decoder update it alike."""

    def __init__(self, xl: np.ndarray, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.candidate = is_grey(xl)
        self.xl_coloured = np.zeros((h + 2 * _PAD, w + 2 * _PAD), np.int64)
        self.xl_coloured[_PAD:-_PAD, _PAD:-_PAD] = ~self.candidate.reshape(h, w)
        self.coloured = np.zeros_like(self.xl_coloured)  # decoded and coloured in x

    def contexts(self, phase: int, idx: np.ndarray) -> np.ndarray:
        """(N,) context 0..CONTEXTS-1 of the pixels idx of the phase."""
        ys, xs = idx // self.w + _PAD, idx % self.w + _PAD
        src, ring = (self.xl_coloured, _EDGE4) if phase == 0 else (self.coloured, _RING8)
        reach = CODING_PHASES[phase][3] if phase else 1
        count = sum(src[ys + reach * dy, xs + reach * dx] for dy, dx in ring)
        return np.minimum(count, CONTEXTS - 1)

    def finish_phase(self, idx: np.ndarray, x: np.ndarray) -> None:
        """x: (3, N) the decoded pixels idx."""
        self.coloured[idx // self.w + _PAD, idx % self.w + _PAD] = ~is_grey(x)


class GreyCoding:
    """The shortcut during one tile's coding: code_flags(idx, freqs) codes or decodes the flags ((N,) 0 = grey,
    1 = coloured) of the candidate pixels idx with these (N, 2) frequencies and returns them."""

    def __init__(self, params: GreyParams, xl: np.ndarray, h: int, w: int, code_flags) -> None:
        self.params, self.xl, self.code_flags = params, xl, code_flags
        self.state = GreyState(xl, h, w)

    def same(self, phase: int, idx: np.ndarray) -> np.ndarray:
        """(N,) bool over idx: the pixels whose G and B equal R, flags coded or decoded on the way."""
        cand = np.nonzero(self.state.candidate[idx])[0]
        freqs = self.params.frequencies(phase, self.state.contexts(phase, idx[cand]))
        coloured = self.code_flags(idx[cand], freqs)
        out = np.zeros(len(idx), bool)
        out[cand[coloured == 0]] = True
        return out

    def finish_phase(self, idx: np.ndarray, r: np.ndarray) -> None:
        """r: (3, N) the tile's residual, decoded at idx."""
        self.state.finish_phase(idx, self.xl[:, idx] + r[:, idx])
