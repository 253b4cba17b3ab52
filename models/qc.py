"""The Q-classifier (QC): picks the lossy layer's quantizer from the image in one cheap pass.

As in the paper: residual blocks without normalization (so the prediction does
not depend on the input size), strided downsampling, average pooling and a linear
layer over the candidate Q values. It only runs at encode time and its choice is
stored in the file, so it need not be integer-exact.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from rc_plugin.mixture.networks import QC_RANGE


class _Block(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(F.relu(self.c1(x)))


class QClassifier(nn.Module):
    def __init__(self, width: int = 32, classes: int = len(QC_RANGE)) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, width, 5, stride=4, padding=2)
        self.stage1 = nn.Sequential(_Block(width), _Block(width))
        self.down1 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.stage2 = nn.Sequential(_Block(2 * width), _Block(2 * width))
        self.down2 = nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1)
        self.stage3 = nn.Sequential(_Block(4 * width), _Block(4 * width))
        self.fc = nn.Linear(4 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, H, W) pixels 0..255 -> (B, classes) logits over QC_RANGE."""
        h = F.relu(self.stem(x / 127.5 - 1.0))
        h = F.relu(self.down1(self.stage1(h)))
        h = F.relu(self.down2(self.stage2(h)))
        h = self.stage3(h)
        return self.fc(h.mean(dim=(2, 3)))
