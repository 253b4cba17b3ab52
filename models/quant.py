"""Quantization-aware building blocks whose inference is exact integer arithmetic.

Every tensor between layers is an integer on a fixed power-of-two grid: an
activation ``a_real = a_int / 2**fa``. A convolution has int8 weights on a
per-output-channel power-of-two grid ``w_real = w_int / 2**fw`` and an integer
bias on the accumulator grid, and its output is ``round(acc_int / 2**s)`` clipped
to a fixed integer range. ``fw`` is also capped so that every partial sum stays
below 2**24 in magnitude, which makes float32 convolution of those integers exact
in any summation order (CPU GEMM, CUDA implicit GEMM, ARM).

Training uses straight-through rounding, so the float model is the integer model.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Bound on |partial sum| of a convolution, far enough below 2**24 to leave room for the bias.
ACC_LIMIT = (1 << 24) - (1 << 22) - 1
BIAS_LIMIT = 1 << 22
WEIGHT_MAX = 127


#: When False, QConv is a plain float convolution with ReLU (for measuring what integer-exactness costs).
QUANTIZE = True


def set_quantization(enabled: bool) -> None:
    global QUANTIZE
    QUANTIZE = enabled


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round half to even forward, identity backward."""
    return x + (torch.round(x) - x).detach()


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x) - x).detach()


def clamp_ste(x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """Clamp forward; gradient passes where the input is inside [lo, hi]."""
    return torch.clamp(x, lo, hi)


class QConv(nn.Module):
    """Convolution with int8 weights, integer bias and an integer output grid."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        stride: int = 1,
        fa_in: int = 4,
        fa_out: int = 4,
        lo: int = 0,
        hi: int = 255,
        in_max: int = 255,
    ) -> None:
        super().__init__()
        self.cin, self.cout, self.kernel, self.stride = cin, cout, kernel, stride
        self.fa_in, self.fa_out, self.lo, self.hi, self.in_max = fa_in, fa_out, lo, hi, in_max
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    @torch.no_grad()
    def weight_shifts(self) -> torch.Tensor:
        """Per-output-channel fw: as fine as int8 allows, capped by the partial-sum bound."""
        w = self.weight.detach().double()
        wmax = w.abs().amax(dim=(1, 2, 3)).clamp_min(1e-12)
        fw_range = torch.floor(torch.log2(WEIGHT_MAX / wmax))
        wsum = w.abs().sum(dim=(1, 2, 3)).clamp_min(1e-12)
        fw_acc = torch.floor(torch.log2(ACC_LIMIT / (wsum * self.in_max)))
        # and the bias must fit its integer range on the accumulator grid 2**-(fw + fa_in)
        babs = self.bias.detach().double().abs().clamp_min(1e-12)
        fw_bias = torch.floor(torch.log2(BIAS_LIMIT / babs)) - self.fa_in
        fw = torch.minimum(torch.minimum(fw_range, fw_acc), fw_bias)
        # the partial-sum check uses the rounded weights; lower fw until it holds
        for _ in range(4):
            wint = torch.round(w * torch.exp2(fw)[:, None, None, None]).clamp(-WEIGHT_MAX, WEIGHT_MAX)
            bad = wint.abs().sum(dim=(1, 2, 3)) * self.in_max > ACC_LIMIT
            bad |= torch.round(self.bias.detach().double() * torch.exp2(fw + self.fa_in)).abs() > BIAS_LIMIT
            if not bad.any():
                break
            fw = fw - bad.double()
        return fw.clamp(min=self.fa_out - self.fa_in, max=30)

    def quantized(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Fake-quantized (weight, bias) on their grids, with straight-through gradients."""
        fw = self.weight_shifts().to(self.weight.dtype)
        wscale = torch.exp2(fw)[:, None, None, None]
        wq = clamp_ste(round_ste(self.weight * wscale), -WEIGHT_MAX, WEIGHT_MAX) / wscale
        bscale = torch.exp2(fw + self.fa_in)
        bq = clamp_ste(round_ste(self.bias * bscale), -BIAS_LIMIT, BIAS_LIMIT) / bscale
        return wq, bq

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not QUANTIZE:
            y = F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.kernel // 2)
            return F.relu(y) if self.lo == 0 else y
        wq, bq = self.quantized()
        y = F.conv2d(x, wq, bq, stride=self.stride, padding=self.kernel // 2)
        g = 2.0**self.fa_out
        return clamp_ste(round_ste(y * g), self.lo, self.hi) / g

    @torch.no_grad()
    def integer_params(self) -> dict:
        """The exact integer form: w_int, b_int and per-channel right shift s."""
        fw = self.weight_shifts()
        w_int = torch.round(self.weight.double() * torch.exp2(fw)[:, None, None, None]).clamp(-WEIGHT_MAX, WEIGHT_MAX)
        b_int = torch.round(self.bias.double() * torch.exp2(fw + self.fa_in)).clamp(-BIAS_LIMIT, BIAS_LIMIT)
        shift = fw + self.fa_in - self.fa_out
        return {
            "w": w_int.to(torch.int64).numpy(),
            "b": b_int.to(torch.int64).numpy(),
            "shift": shift.to(torch.int64).numpy(),
            "stride": self.stride,
            "lo": self.lo,
            "hi": self.hi,
        }
