"""Train the Q-classifier: ``python -m models.train_qc --images 120 --minutes 10``.

As in the paper: each training photo (downscaled like the RC's data) is coded at
every Q in QC_RANGE with the shipped lossy layer and residual model; its label is
the Q' with the smallest file (the codec as it ships: tau and the causal pass,
which favour a higher Q than the paper's plain residual model). The QC is then
trained with cross-entropy on random crops. Labels are cached, as they need the
slow HEVC encoder.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from rc_plugin.format.container import VERSION
from rc_plugin.mixture.networks import QC_RANGE

from .data import CACHE_DIR, SCALE_RANGE, downscaled, list_images
from .qc import QClassifier

CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "qc.pt"
LABEL_SIZE = 192


def total_bits(img: np.ndarray, q: int, tau: bool = True, context: bool = True, threads: int | None = None) -> float:
    """Size in bits of the .rcl file of img coded at q: what the QC should minimise."""
    import rc_plugin

    return 8.0 * len(rc_plugin.encode(img, q=q, tau=tau, context=context, threads=threads))


def _label_one(job: tuple[str, int, int, float]) -> tuple[np.ndarray, list[float]] | None:
    """(central crop, bits at every Q) of one photo, or None when it is too small once downscaled."""
    path, seed, i, min_scale = job
    img = downscaled(path, random.Random(seed * 7919 + i), min_scale, SCALE_RANGE[1], min_side=LABEL_SIZE)
    h, w = img.shape[:2]
    if min(h, w) < LABEL_SIZE:
        return None
    y, x = (h - LABEL_SIZE) // 2, (w - LABEL_SIZE) // 2
    crop = np.ascontiguousarray(img[y : y + LABEL_SIZE, x : x + LABEL_SIZE])
    return crop, [total_bits(crop, q, threads=1) for q in QC_RANGE]


def make_labels(n: int, seed: int = 1, min_scale: float = SCALE_RANGE[0],
                workers: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (n, S, S, 3), labels (n,) indices into QC_RANGE, bits (n, |Q|)).

    min_scale below the RC's SCALE_RANGE also labels more strongly downscaled photos, which
    are sharper and cleaner and want a higher Q. Each photo has its own random downscale, so
    the labels do not depend on the number of worker processes.
    """
    from multiprocessing import Pool

    from tqdm import tqdm

    files = random.Random(seed).sample(list_images(), n)
    jobs = [(str(f), seed, i, min_scale) for i, f in enumerate(files)]
    with Pool(workers) as pool:
        done = [r for r in tqdm(pool.imap(_label_one, jobs), total=len(jobs), desc="labelling Q") if r is not None]
    costs = np.array([bits for _, bits in done])
    return np.stack([crop for crop, _ in done]), costs.argmin(axis=1), costs


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--images", type=int, default=120, help="training photos to label")
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--min-scale", type=float, default=SCALE_RANGE[0],
                   help=f"downscale labelled photos by a random factor in [MIN_SCALE, {SCALE_RANGE[1]}]")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--labels", type=Path, default=None, help="label cache (default: in the cache folder, per model)")
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes coding the labels")
    args = p.parse_args(argv)

    from rc_plugin.mixture.networks import model_id

    scales = "" if args.min_scale == SCALE_RANGE[0] else f"_s{args.min_scale:g}"
    qs = f"q{QC_RANGE[0]}-{QC_RANGE[-1]}"
    label_path = args.labels or CACHE_DIR / f"qc_labels_{model_id().hex()}_v{VERSION}_{qs}_{args.images}{scales}.npz"
    if label_path.exists():
        d = np.load(label_path)
        imgs, labels, costs = d["imgs"], d["labels"], d["costs"]
    else:
        imgs, labels, costs = make_labels(args.images, min_scale=args.min_scale, workers=args.workers)
        label_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(label_path, imgs=imgs, labels=labels, costs=costs)
    hist = np.bincount(labels, minlength=len(QC_RANGE))
    print("label histogram over Q", dict(zip(QC_RANGE, hist.tolist())), flush=True)

    n_val = max(1, len(imgs) // 6)
    model = QClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(0)
    deadline = time.time() + args.minutes * 60
    step = 0
    while time.time() < deadline:
        idx = rng.integers(n_val, len(imgs), args.batch)
        ys, xs = rng.integers(0, imgs.shape[1] - args.crop + 1, (2, args.batch))
        batch = np.stack([imgs[i, y : y + args.crop, x : x + args.crop] for i, y, x in zip(idx, ys, xs)])
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
        loss = torch.nn.functional.cross_entropy(model(x), torch.from_numpy(labels[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.3f}", flush=True)
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(imgs[:n_val]).permute(0, 3, 1, 2).float()).argmax(1).numpy()
    chosen = costs[np.arange(n_val), pred].sum()
    best = costs[np.arange(n_val), labels[:n_val]].sum()
    fixed = costs[:n_val].sum(axis=0).min()
    print(f"held-out: QC costs {100 * (chosen / best - 1):.2f}% over the optimal Q', "
          f"the best fixed Q costs {100 * (fixed / best - 1):.2f}%", flush=True)
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "steps": step, "labels": str(label_path),
                "heldout_over_optimal": float(chosen / best - 1), "fixed_over_optimal": float(fixed / best - 1),
                "best_fixed_q": int(QC_RANGE[int(np.argmin(costs[:n_val].sum(axis=0)))])}, args.checkpoint)


if __name__ == "__main__":
    main()
