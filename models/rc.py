"""The residual compressor (RC): p(r | x_l) as a K-logistic mixture per subpixel.

The paper's layout (head, stride-2 down, residual blocks, up, U-Net skip, tails
for pi, mu, sigma, lambda) with width and depth as configuration, built from
integer-exact QConv layers. GDN is not integer-exact, so the residual blocks use
clipped ReLUs; the transposed convolution is a 1x1 convolution followed by a
depth-to-space, which is the same operator and exact.
"""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from rc_plugin.format import grids
from . import quant
from .quant import QConv, clamp_ste, floor_ste

ACT = 4  # activations on a 1/16 grid in [0, 255/16]


@dataclasses.dataclass(frozen=True)
class RCConfig:
    full: int = 24
    half: int = 48
    blocks: int = 4
    k: int = grids.K
    #: Activation grids as powers of two (an activation is int / 2**frac, int in 0..255):
    #: (head/up, body stream, merge, tail, then one per block's inner layer). None: all ACT.
    #: Chosen per layer from a float model's activation ranges (models.calibrate), so
    #: that neither clipping nor rounding dominates.
    fracs: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.fracs is not None:
            object.__setattr__(self, "fracs", tuple(int(f) for f in self.fracs))
            if len(self.fracs) != 4 + self.blocks:
                raise ValueError(f"fracs needs {4 + self.blocks} entries, got {len(self.fracs)}")

    def grid_fracs(self) -> tuple[int, int, int, int, tuple[int, ...]]:
        f = self.fracs or (ACT,) * (4 + self.blocks)
        return f[0], f[1], f[2], f[3], tuple(f[4:])

    @classmethod
    def paper(cls) -> "RCConfig":
        return cls(full=128, half=128, blocks=16)


class ResBlock(nn.Module):
    def __init__(self, ch: int, stream: int = ACT, inner: int = ACT) -> None:
        super().__init__()
        self.stream = stream
        self.c1 = QConv(ch, ch, 3, fa_in=stream, fa_out=inner)
        self.c2 = QConv(ch, ch, 3, fa_in=inner, fa_out=stream, lo=-255, hi=255)
        with torch.no_grad():  # start near identity so the residual stream does not saturate
            self.c2.weight.mul_(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x + self.c2(self.c1(x))
        return clamp_ste(y, 0.0, 255 / 2**self.stream) if quant.QUANTIZE else F.relu(y)


class ResidualCompressor(nn.Module):
    def __init__(self, cfg: RCConfig = RCConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        f, d, m, t, inner = cfg.grid_fracs()
        # the input planes are integers 0..255 presented on the 1/2**ACT grid
        self.head = QConv(grids.IN_CHANNELS, cfg.full, 3, fa_in=ACT, fa_out=f)
        self.down = QConv(cfg.full, cfg.half, 3, stride=2, fa_in=f, fa_out=d)
        self.blocks = nn.ModuleList(ResBlock(cfg.half, d, inner[i]) for i in range(cfg.blocks))
        self.up = QConv(cfg.half, 4 * cfg.full, 1, fa_in=d, fa_out=f)  # shares the head's grid: they are concatenated
        self.merge = QConv(2 * cfg.full, cfg.full, 1, fa_in=f, fa_out=m)
        self.tail = QConv(cfg.full, cfg.full, 1, fa_in=m, fa_out=t)
        self.out = QConv(cfg.full, 12 * cfg.k, 1, fa_in=t, fa_out=grids.OUT_FRAC, lo=-32767, hi=32767)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """inp: (B, IN_CHANNELS, H, W) from batch_input(), integers 0..255, H and W even -> (B, 12K, H, W) on the 1/8 grid."""
        f = self.head(inp / 2**ACT)
        d = self.down(f)
        for blk in self.blocks:
            d = blk(d)
        u = F.pixel_shuffle(self.up(d), 2)
        m = self.merge(torch.cat([f, u], dim=1))
        return self.out(self.tail(m))

    def layers(self) -> list[tuple[str, QConv]]:
        return [(n, m) for n, m in self.named_modules() if isinstance(m, QConv)]


def batch_input(xl: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """The network input of rc_plugin.mixture.networks.rc_input for a batch: xl (B, 3, H, W), q (B,) quantizers."""
    b, _, h, w = xl.shape
    qp = torch.clamp(q.to(xl.device).float() * grids.Q_PLANE_SCALE, max=255).view(b, 1, 1, 1).expand(b, 1, h, w)
    px = (torch.arange(w, device=xl.device) % grids.PHASE * grids.PHASE_PLANE_SCALE).float().view(1, 1, 1, w).expand(b, 1, h, w)
    py = (torch.arange(h, device=xl.device) % grids.PHASE * grids.PHASE_PLANE_SCALE).float().view(1, 1, h, 1).expand(b, 1, h, w)
    return torch.cat([xl, qp, px, py], dim=1)


#: A logistic argument whose sigmoid is 1 (or 0) in float32: an open end of a bin.
_TAIL = 1e4


def _log_prob_bin(upper: torch.Tensor, lower: torch.Tensor) -> torch.Tensor:
    """log(sigmoid(upper) - sigmoid(lower)), stable on both tails."""
    mid = 0.5 * (upper + lower)
    pos = mid > 0
    a = torch.where(pos, -lower, upper)
    b = torch.where(pos, -upper, lower)
    # sigmoid(a) - sigmoid(b) with a > b
    diff = torch.sigmoid(a) - torch.sigmoid(b)
    return torch.log(diff.clamp_min(1e-12))


def mixture_bits(out: torch.Tensor, r: torch.Tensor, xl: torch.Tensor | None = None, k: int = grids.K) -> torch.Tensor:
    """Bits per subpixel of r (B, 3, H, W, integer-valued) under the RC output, as the coder computes it.

    With xl (B, 3, H, W, 0..255), the mass beyond the residuals that keep x in 0..255 is folded onto
    the extremes, as the coder does (rc_plugin.mixture.logistic_mixture.support).
    """
    b, _, h, w = out.shape
    o = out.view(b, 4, 3, k, h, w) * 2**grids.OUT_FRAC  # integer indices
    logit = clamp_ste(o[:, 0], -32767, 32767)
    mean = clamp_ste(o[:, 1], -grids.MEAN_LIMIT, grids.MEAN_LIMIT)
    logscale = clamp_ste(o[:, 2], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)
    lam = clamp_ste(o[:, 3], -grids.LAMBDA_LIMIT, grids.LAMBDA_LIMIT)
    rr = r[:, :, None]  # (B, 3, 1, H, W)
    half_unit = 1 << (grids.LAMBDA_FRAC - grids.OUT_FRAC - 1)
    div = 2 ** (grids.LAMBDA_FRAC - grids.OUT_FRAC)
    mg = mean[:, 1] + floor_ste((lam[:, 0] * rr[:, 0] + half_unit) / div)
    mb = mean[:, 2] + floor_ste((lam[:, 1] * rr[:, 0] + lam[:, 2] * rr[:, 1] + half_unit) / div)
    mean = torch.stack([mean[:, 0], mg, mb], 1)
    mean = clamp_ste(mean, -grids.MEAN_SHIFTED_LIMIT, grids.MEAN_SHIFTED_LIMIT)
    inv_sigma = torch.exp2(-logscale / 2**grids.OUT_FRAC)
    unit = 2**grids.OUT_FRAC
    centre = rr * unit - mean
    upper = (centre + unit / 2) / unit * inv_sigma
    lower = (centre - unit / 2) / unit * inv_sigma
    if xl is not None:
        xx = xl[:, :, None]
        upper = torch.where(rr >= 255 - xx, torch.full_like(upper, _TAIL), upper)
        lower = torch.where(rr <= -xx, torch.full_like(lower, -_TAIL), lower)
    logp = _log_prob_bin(upper, lower)
    logit = logit - logit.amax(dim=2, keepdim=True).detach()
    logit = torch.clamp(logit, min=-grids.LOGIT_SPAN)
    log_pi = torch.log_softmax(logit / unit * math.log(2), dim=2)
    logp_mix = torch.logsumexp(log_pi + logp, dim=2)
    return -logp_mix.mean() / math.log(2)
