"""Seconds per megapixel of RC configurations and of the QC through onnxruntime on this CPU.

    python -m benchmarks.model_speed

Speed does not depend on the weights, so each configuration is exported with its
initial weights; bits per subpixel for the trained default come from the
ablation and comparison benchmarks.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from export.export_models import integer_layers
from export.onnx_rc import build_rc_onnx
from models.rc import RCConfig, ResidualCompressor
from rc_plugin.format import grids
from rc_plugin.mixture import runtime

CONFIGS = [RCConfig(8, 16, 2), RCConfig(16, 32, 4), RCConfig(24, 48, 4), RCConfig(32, 64, 6), RCConfig.paper()]


def seconds_per_mp(path: Path, channels: int, side: int = 1024, repeat: int = 3) -> float:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).integers(0, 256, (1, channels, side, side)).astype(np.float32)
    sess.run(None, {name: x[:, :, :64, :64]})
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        sess.run(None, {name: x})
        best = min(best, time.perf_counter() - t)
    return best / (side * side / 1e6)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--side", type=int, default=1024)
    args = p.parse_args(argv)
    print(f"onnxruntime {ort.__version__}, {os.cpu_count()} cores, best of 3 on a {args.side}x{args.side} input\n")
    print("| RC config (full, half, blocks) | parameters | s/MP |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in CONFIGS:
            model = ResidualCompressor(cfg)
            path = Path(tmp) / "rc.onnx"
            path.write_bytes(build_rc_onnx(integer_layers(model), cfg.blocks, grids.OUT_CHANNELS).SerializeToString())
            side = args.side if cfg.full <= 32 else args.side // 2
            n = sum(p.numel() for p in model.parameters())
            print(f"| {cfg.full}, {cfg.half}, {cfg.blocks} | {n} | {seconds_per_mp(path, grids.IN_CHANNELS, side, 2 if side < args.side else 3):.3f} |")
    qc = runtime.WEIGHTS / "qc.onnx"
    if qc.exists():
        print(f"\nQC: {seconds_per_mp(qc, 3, args.side):.3f} s/MP")


if __name__ == "__main__":
    main()
