"""The learned mixer in PyTorch: the integer network of rc_plugin.adaptive.netmix, trained with its rounding in the loop
(straight-through), and the code length of the mixture it outputs.

`integer_weights()` gives exactly the int16/int32 arrays the coder runs; `forward(..., exact=True)` evaluates
them in float64, where every integer sum of the network is exact (|sum| < 2**31), so it equals the compiled code.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rc_plugin.format import bitstream as bs

F, K, OUT = bs.MIXER_FEATURES, bs.MIXER_COMPONENTS, bs.MIXER_OUTPUTS
S1, S2 = 1 << bs.MIXER_SHIFT1, 1 << bs.MIXER_SHIFT2
#: The integer weights are the parameters times W_SCALE, the biases times the layer's divisor (parameters of
#: order one for the optimiser; hidden values start near 20, in 0..HIDDEN_MAX).
W1_SCALE = W2_SCALE = 1024


def _round(t: torch.Tensor) -> torch.Tensor:
    return t + (torch.round(t) - t).detach()


def _floor(t: torch.Tensor) -> torch.Tensor:
    return t + (torch.floor(t) - t).detach()


class Mixer(nn.Module):
    """67 features -> hidden (ReLU, clipped) -> 10 outputs, integer in the forward pass."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        if not 1 <= hidden <= bs.MIXER_HIDDEN_LIMIT:
            raise ValueError(f"hidden must be 1..{bs.MIXER_HIDDEN_LIMIT}")
        self.w1 = nn.Parameter(torch.randn(hidden, F) * 2)
        self.b1 = nn.Parameter(torch.full((hidden,), 20.0))
        self.w2 = nn.Parameter(torch.zeros(OUT, hidden))
        self.b2 = nn.Parameter(torch.zeros(OUT))

    def integer_weights(self) -> tuple[np.ndarray, ...]:
        """(w1 int16, b1 int32, w2 int16, b2 int32) as the coder runs them."""
        with torch.no_grad():
            w1 = torch.round(self.w1 * W1_SCALE).clamp(-32767, 32767)
            b1 = torch.round(self.b1 * S1).clamp(-(1 << 30), 1 << 30)
            w2 = torch.round(self.w2 * W2_SCALE).clamp(-32767, 32767)
            b2 = torch.round(self.b2 * S2).clamp(-(1 << 30), 1 << 30)
        return (w1.cpu().numpy().astype(np.int16), b1.cpu().numpy().astype(np.int32),
                w2.cpu().numpy().astype(np.int16), b2.cpu().numpy().astype(np.int32))

    def forward(self, x: torch.Tensor, exact: bool = False) -> torch.Tensor:
        """The network's integer outputs (as floats) for features x (N, F)."""
        if exact:
            w1, b1, w2, b2 = (torch.from_numpy(a.astype(np.float64)).to(x.device) for a in self.integer_weights())
            h = torch.clamp(torch.floor((x.double() @ w1.T + b1) / S1), 0, bs.MIXER_HIDDEN_MAX)
            return torch.floor((h @ w2.T + b2) / S2)
        w1 = _round(self.w1 * W1_SCALE)
        b1 = _round(self.b1 * S1)
        w2 = _round(self.w2 * W2_SCALE)
        b2 = _round(self.b2 * S2)
        h = torch.clamp(_floor((x @ w1.T + b1) / S1), 0, bs.MIXER_HIDDEN_MAX)
        return _floor((h @ w2.T + b2) / S2)


def _sigmoid_cdf(t: torch.Tensor, m: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid((t - m) / s)


def code_length(out: torch.Tensor | None, v: torch.Tensor, mu: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
    """Bits per subpixel of v under the mixture (out None: the coder's own logistic alone), as the coder forms
    it: each component's mass renormalised over 0..255, then 256 of the 2**16 frequencies spread one per value."""
    rows = bs.ADAPTIVE_LOGSCALE_MAX - bs.ADAPTIVE_LOGSCALE_MIN
    v = v.double().unsqueeze(1)
    m0 = (mu.double() / 8).unsqueeze(1)
    r0 = row.double().unsqueeze(1)
    if out is None:
        m, r, logw = m0, r0, torch.zeros_like(m0)
    else:
        out = out.double()
        lim = bs.MIXER_LOGIT_LIMIT
        logits = torch.clamp(out[:, :K], -lim, lim)
        sigma0 = torch.exp2((r0 + bs.ADAPTIVE_LOGSCALE_MIN) / 8)
        off = torch.clamp(out[:, K:2 * K - 1], -bs.MIXER_OFFSET_LIMIT, bs.MIXER_OFFSET_LIMIT)
        dr = torch.clamp(out[:, 2 * K - 1:3 * K - 2], -bs.MIXER_ROW_LIMIT, bs.MIXER_ROW_LIMIT)
        m = torch.cat([m0, torch.clamp(m0 + off * sigma0 / 4, 0, 255)], 1)
        r = torch.cat([r0, torch.clamp(r0 + dr, 0, rows)], 1)
        logw = torch.log_softmax(logits * (math.log(2) / 16), 1)
    s = torch.exp2((r + bs.ADAPTIVE_LOGSCALE_MIN) / 8)
    mass = _sigmoid_cdf(v + 0.5, m, s) - _sigmoid_cdf(v - 0.5, m, s)
    z = _sigmoid_cdf(torch.full_like(v, 255.5), m, s) - _sigmoid_cdf(torch.full_like(v, -0.5), m, s)
    p = (torch.exp(logw) * mass / z.clamp_min(1e-300)).sum(1)
    p = p * (1 - 256 / 65536) + 1 / 65536
    return -torch.log2(p)
