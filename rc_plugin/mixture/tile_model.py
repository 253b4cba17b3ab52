"""A tile's residual model, set up alike by encoder and decoder, and the coding order both walk.

The model starts from x_l as the decoder will see it (decoded from the stored lossy
bytes, never the encoder's own reconstruction), runs the RC on it, and walks the
coding phases with the causal state and, where it is on, the grey shortcut. The
encoder and the decoder run exactly this, so the state they build is the same.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from .context import CausalState, ChannelModel, ContextParams, phase_indices
from .grey import GreyCoding
from .lookup_tables import Tables
from .lossy import LossyLayer
from .logistic_mixture import MixtureParams
from .networks import rc_outputs
from .released import ResidualModel

#: code(c, phase, idx, model, lo, hi) codes or decodes channel c's residuals at the pixels idx and returns them.
Code = Callable[[int, int, np.ndarray, ChannelModel, int, int], np.ndarray]


@dataclasses.dataclass
class TileModel:
    """x_l and the RC's mixture parameters of one tile, with the lookup tables of the model that gave them."""

    xl: np.ndarray  # (C, h * w) int64: the decoder's x_l, colour channels that are coded
    params: MixtureParams
    tables: Tables
    h: int
    w: int

    @classmethod
    def from_lossy(
        cls, layer: LossyLayer, lossy: bytes, h: int, w: int, q: int, channels: int, rc: ResidualModel, device: str,
        threads,
    ) -> "TileModel":
        xl = layer.decode(lossy, h, w)
        params = MixtureParams.from_output(rc_outputs(xl, q, rc, device, threads), rc.tables)
        return cls(xl.reshape(-1, 3).T[:channels].astype(np.int64), params, rc.tables, h, w)

    def phase_indices(self) -> list[np.ndarray]:
        return phase_indices(self.h, self.w)

    def walk(self, tau: np.ndarray, ranges, r: np.ndarray, code: Code, grey: GreyCoding | None = None) -> None:
        """Visit (phase, channel) in coding order, filling r ((C, h * w), the residual) by code.

        With the grey shortcut, G and B are coded only where its flags say the pixel is not grey.
        """
        state = CausalState(self.h, self.w)
        for phase, idx in enumerate(self.phase_indices()):
            same = None  # with the grey shortcut: the phase's pixels whose G and B equal R
            for c, (lo, hi) in enumerate(ranges):
                model = state.channel_model(self.params, c, phase, idx, r, tau, self.xl[c, idx], lo, hi)
                if c and grey is not None:
                    if same is None:
                        same = grey.same(phase, idx)
                    rest = ~same
                    r[c, idx[same]] = r[0, idx[same]]
                    r[c, idx[rest]] = code(c, phase, idx[rest], model.subset(rest), lo, hi)
                else:
                    r[c, idx] = code(c, phase, idx, model, lo, hi) if lo != hi else lo
                state.record(c, idx, r[c, idx], model)
            state.finish_phase(idx)
            if grey is not None:
                grey.finish_phase(idx, r)


def corrected(model: ChannelModel, ctx: ContextParams, c: int, phase: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, logscale) of the model with the context corrections of (c, phase)."""
    if phase == 0:
        return model.mean, model.logscale
    return model.corrected(ctx.coef[c, phase - 1], ctx.offset[c, phase - 1], int(ctx.spread[c, phase - 1]))
