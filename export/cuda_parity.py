"""Check that the integer RC stays exact on a CUDA GPU: ``python -m export.cuda_parity PATCH_DIR``.

onnxruntime's CUDA provider runs the same float32 cuDNN convolutions as PyTorch
on CUDA. This runs the trained network through them with TF32 off (as
rc_plugin.mixture.runtime configures the provider) and on, and compares every output
with the int64 numpy reference. TF32 keeps 10 mantissa bits, which still holds
every operand of the integer design exactly (activations of 8 bits, weights of 7
plus sign), so both are expected to match.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from models.train_rc import CHECKPOINT, load_model

from .export_models import integer_layers, parity_inputs, torch_integer_output
from .int_reference import rc_forward


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("patches", type=Path, help="folder of photo patches (png or webp)")
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("-n", type=int, default=4)
    args = p.parse_args(argv)
    model = load_model(args.checkpoint)
    layers = integer_layers(model)
    model.cuda()
    files = (sorted(args.patches.glob("*.webp")) + sorted(args.patches.glob("*.png")))[: args.n]
    for path, inp in zip(files, parity_inputs(args.n, files=files)):
        ref = rc_forward(layers, inp, model.cfg.blocks)
        for tf32 in (False, True):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            got = torch_integer_output(model, inp, "cuda")
            print(f"{path.name} TF32 {'on ' if tf32 else 'off'}: "
                  f"{int(np.sum(got != ref))} of {ref.size} outputs differ from the int64 reference", flush=True)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")


if __name__ == "__main__":
    main()
