"""How the encoder chooses Q: the Q-classifier's class (effort 1), or the quantizer that codes the image
smallest (effort 2 and 3).

The QC is a weak predictor of the best Q: its trained labels depend on the residual
model it was labelled with, and one look at a central crop cannot see everything
that decides the split between the lossy layer and the residual. Yet the file size
is a smooth, nearly unimodal function of Q. So at effort 2 the encoder measures the
image (up to 1 MP of it; small crops misjudge it) as the file would code it (lossy
layer, RC, tau, causal pass; the exact code length instead of the range coder,
which ends within a few bytes of it) at a few Qs, climbs to the Q that codes it
smallest, and codes the image at that Q. Only the chosen Q reaches the file;
decoding is unchanged.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import runtime
from .tile_encoder import tile_size_estimate
from .networks import QC_RANGE
from ..pixels import colour

#: Q used when no Q-classifier is shipped or the image is too small for it.
DEFAULT_Q = 15
#: The QC looks at a central crop of at most this side, so its cost is bounded for any image.
QC_CROP = 1024
#: Qs the search may move to: the QC's range and beyond it, where the causal pass puts the best Q of
#: grainy photos. The RC's last stage trained on Q 12..40, yet the search only keeps a Q that measures
#: smaller: val09 of the validation set codes in 5.447 bpsp at Q 40, 5.400 at 44, 5.375 at 48, 5.364 at 50,
#: and val00 in 4.473, 4.449, 4.478 at 40, 44, 48 (exact code lengths, no grey shortcut), while val12 and
#: val21 stay at 40.
SEARCH_RANGE = (QC_RANGE[0], 50)
#: Where the climb starts. The QC (labelled over 11..26 with an older RC) no longer predicts the best Q:
#: on the validation photos it said 15-22, uncorrelated with the Q the search found (22-40, mean 32 with
#: the crops of format 6, which favoured high Qs); the whole photos of val01, val03, val06 code smallest at
#: 24, 36, 24. Until the QC is relabelled, the climb starts from the middle of that.
SEARCH_START = 28
#: Step sizes of the climb, coarse to fine. A last step of 1 would cost two more codings of the sample for
#: about 0.001 bpsp (the curvature of val03's sizes around its best Q).
STEPS = (4, 2)
#: Crops per image and their side; an image no larger than these crops together (1 MP) is sampled whole.
#: Four 192x192 crops (0.15 MP) put the best Q of val01, val03 and val06 at 32, 36-40 and 28 where the
#: whole photos code smallest at 24, 36 and 24 (up to 0.07 bpsp lost; 3x64-row strips were no better).
CROPS = 4
CROP_SIDE = 512
#: Images with a side below this are coded at the QC's Q (the header and the streams' tails dominate).
MIN_SIDE = 32


def sample_crops(pixels: np.ndarray) -> list[np.ndarray]:
    """The parts of the image the search codes: the centres of its four quadrants, or the whole image."""
    h, w = pixels.shape[:2]
    if h * w <= CROPS * CROP_SIDE * CROP_SIDE:
        return [pixels]
    side_y, side_x = min(CROP_SIDE, h // 2), min(CROP_SIDE, w // 2)
    out = []
    for cy in (h // 4, 3 * h // 4):
        for cx in (w // 4, 3 * w // 4):
            y, x = max(0, cy - side_y // 2), max(0, cx - side_x // 2)
            out.append(np.ascontiguousarray(pixels[y : y + side_y, x : x + side_x]))
    return out


def climb(cost: Callable[[int], float], start: int, lo: int = SEARCH_RANGE[0], hi: int = SEARCH_RANGE[1]) -> int:
    """The Q reached from start by steps of STEPS, each taken only while it lowers cost(Q)."""
    costs: dict[int, float] = {}

    def at(q: int) -> float:
        if q not in costs:
            costs[q] = cost(q)
        return costs[q]

    best = min(max(start, lo), hi)
    for step in STEPS:
        for direction in (step, -step):
            moved = False
            while lo <= best + direction <= hi and at(best + direction) < at(best):
                best += direction
                moved = True
            if moved:
                break
    return best


def qc_available() -> bool:
    return (runtime.WEIGHTS / "qc.onnx").exists()


def classifier_q(rgb: np.ndarray, device: str = "auto", threads: int | None = None) -> int:
    """The Q-classifier's quantizer for this image (one forward pass)."""
    if not qc_available() or min(rgb.shape[:2]) < 32:
        return DEFAULT_Q
    h, w = rgb.shape[:2]
    y, x0 = max(0, (h - QC_CROP) // 2), max(0, (w - QC_CROP) // 2)
    crop = rgb[y : y + QC_CROP, x0 : x0 + QC_CROP]
    x = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32)
    logits = runtime.run(runtime.WEIGHTS / "qc.onnx", x, device, threads)
    return QC_RANGE[int(np.argmax(logits.reshape(-1)[: len(QC_RANGE)]))]


def choose_q(pixels: np.ndarray, channels: int, layer, effort: int, tau: bool, context: bool, device: str,
             threads) -> int:
    """The Q the encoder codes the image at, when the caller did not give one."""
    if effort >= 2 and min(pixels.shape[:2]) >= MIN_SIDE:
        sample = sample_crops(pixels[..., :channels])

        def sample_bytes(q_try: int) -> float:
            return sum(tile_size_estimate(c, channels, layer, q_try, tau, context, device, threads, quick=True)
                       for c in sample)

        return climb(sample_bytes, SEARCH_START)
    return classifier_q(colour(pixels), device, threads)
