"""Residual bits per subpixel of RC checkpoints on whole validation photos.

``python -m models.evaluate CKPT... --q 14 16``: the model's cross-entropy of the
true residual, the quantity the coder spends (before tau) at a fixed Q, so
checkpoints and float/integer variants can be compared on the photos the
benchmark uses without running the codec. A checkpoint trained with --float is
evaluated as float with --float.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import quant
from .data import CACHE_DIR, VAL_DIR
from .rc import mixture_bits, batch_input
from .train_rc import load_model



def val_pairs(q: int, folder: Path = VAL_DIR) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, x_l) for every photo of the folder at Q, the lossy side cached once."""
    from rc_plugin.mixture.lossy import HevcLayer

    files = sorted(folder.glob("*.png"))
    target = CACHE_DIR / f"val_{folder.name}_{len(files)}_q{q}.npz"
    xs = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    if target.exists():
        data = np.load(target)
        return list(zip(xs, [data[f"xl{i}"] for i in range(len(xs))]))
    layer = HevcLayer()
    xls = [layer.decode(layer.encode(x, q), *x.shape[:2]) for x in xs]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(target, **{f"xl{i}": a for i, a in enumerate(xls)})
    return list(zip(xs, xls))


@torch.no_grad()
def residual_bits(model, pairs: list[tuple[np.ndarray, np.ndarray]], q: int) -> float:
    """Mean over photos of the residual bits per subpixel."""
    out = []
    for x, xl in pairs:
        h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
        xt = torch.from_numpy(np.array(x[:h, :w])).permute(2, 0, 1)[None].float()
        xlt = torch.from_numpy(np.array(xl[:h, :w])).permute(2, 0, 1)[None].float()
        out.append(float(mixture_bits(model(batch_input(xlt, torch.tensor([q]))), xt - xlt, xlt)))
    return float(np.mean(out))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("checkpoints", type=Path, nargs="+")
    p.add_argument("--q", type=int, nargs="+", default=[14, 16])
    p.add_argument("--float", action="store_true", help="evaluate as the float model")
    p.add_argument("--folder", type=Path, default=VAL_DIR)
    p.add_argument("--limit", type=int, default=0, help="only the first N photos")
    args = p.parse_args(argv)
    quant.set_quantization(not args.float)
    pairs = {q: val_pairs(q, args.folder)[: args.limit or None] for q in args.q}
    for ckpt in args.checkpoints:
        model = load_model(ckpt)
        row = "  ".join(f"Q{q} {residual_bits(model, pairs[q], q):.4f}" for q in args.q)
        print(f"{ckpt}: {row} bpsp of residual", flush=True)


if __name__ == "__main__":
    main()
