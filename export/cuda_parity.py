"""Check that the integer RC stays exact on a CUDA GPU: ``python -m export.cuda_parity PATCH_DIR``.

onnxruntime's CUDA provider runs the same float32 cuDNN convolutions as PyTorch
on CUDA. The integer design makes them exact only while TF32 is off (TF32 keeps
10 mantissa bits), which is why rc_plugin.runtime disables it. This runs the
trained network on CUDA with and without TF32 and compares every output with the
int64 numpy reference.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.train_rc import CHECKPOINT, load_model
from rc_plugin import grids
from rc_plugin.lossy import HevcLayer
from rc_plugin.models import rc_input

from .export_models import integer_layers
from .int_reference import rc_forward


def cuda_output(model, inp: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(inp[None].astype(np.float32)).cuda())
    return np.round(out[0].double().cpu().numpy() * 2**grids.OUT_FRAC).astype(np.int64)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("patches", type=Path, help="folder of photo patches (png or webp)")
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("-n", type=int, default=4)
    args = p.parse_args(argv)
    model = load_model(args.checkpoint).cuda()
    layers = integer_layers(model.cpu())
    model.cuda()
    layer = HevcLayer(preset="medium")
    files = sorted(args.patches.glob("*.webp")) + sorted(args.patches.glob("*.png"))
    for i, path in enumerate(files[: args.n]):
        img = np.asarray(Image.open(path).convert("RGB"))
        q = 11 + 3 * i % 10
        xl = layer.decode(layer.encode(img, q), *img.shape[:2])
        inp = rc_input(xl, q)[0]
        ref = rc_forward(layers, inp, model.cfg.blocks)
        for tf32 in (False, True):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            got = cuda_output(model, inp)
            print(f"{path.name} Q={q} TF32={'on ' if tf32 else 'off'}: "
                  f"{int(np.sum(got != ref))} of {ref.size} outputs differ from the int64 reference", flush=True)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")


if __name__ == "__main__":
    main()
