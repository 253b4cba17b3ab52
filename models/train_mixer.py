"""Train the learned mixer (rc_plugin.adaptive.netmix) on the adaptive coder's own state.

    python -m models.train_mixer --hidden 32 --minutes 60 --checkpoint models/checkpoints/mixer32.pt
    python -m models.train_mixer --pack DIR ...   # the photos a lent GPU machine was given (models.mixer_data pack)
    python -m models.train_mixer --hidden 64 --minutes 30 --lr 3e-3 --keep 0.2 --wallpapers 120 --kinds down \
        --init-from models/checkpoints/mixer_cpu/mixer64.pt --checkpoint ...   # mixer 4: the large one fine-tuned

Taps the drawn photos with the compiled coder (cached in --cache, resumable), holds out every 20th image, and
trains with the network's integer rounding in the loop, on CUDA when present. The checkpoint is saved every
minute and on SIGTERM, and a run with the same --checkpoint resumes it. The end writes the integer weights
(--out, an .npz of w1, b1, w2, b2) and prints the held-out code length with and without the network.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import torch

from . import mixer_data
from .mixer import Mixer, code_length

HOLD_OUT_EVERY = 20


def _tensors(data: dict, idx: np.ndarray, device: str) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(data[k][idx]).to(device) for k in ("x", "v", "mu", "row"))


def evaluate(model: Mixer, data: dict, idx: np.ndarray, device: str, exact: bool = True) -> tuple[float, float]:
    """Mean bits per subpixel over idx: the coder alone, and with the network (exact integer form by default)."""
    own = net = 0.0
    with torch.no_grad():
        for s in range(0, len(idx), 1 << 18):
            x, v, mu, row = _tensors(data, idx[s:s + (1 << 18)], device)
            own += code_length(None, v, mu, row).sum().item()
            net += code_length(model(x.float(), exact=exact), v, mu, row).sum().item()
    return own / len(idx), net / len(idx)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=Path, default=mixer_data.TRAIN, help="the training set (manifest.csv)")
    p.add_argument("--pack", type=Path, default=None, help="a folder made by models.mixer_data pack instead")
    p.add_argument("--cache", type=Path, default=Path("/tmp/rcl_mixer_taps"))
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--wallpapers", type=int, default=60)
    p.add_argument("--bsds", type=int, default=150)
    p.add_argument("--kinds", nargs="+", default=None, choices=("down", "crop", "bsds"),
                   help="train on the draw's images of these kinds only (models.mixer_data)")
    p.add_argument("--init-from", type=Path, default=None,
                   help="start from this checkpoint's weights and optimizer state, its clock and steps at zero")
    p.add_argument("--tap-only", action="store_true", help="only tap the photos (fill the cache)")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--minutes", type=float, default=60.0, help="training time (the learning rate decays over it)")
    p.add_argument("--batch", type=int, default=1 << 14, help="(16,384 trained better than 65,536 in the same time)")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--keep", type=float, default=1.0, help="share of each image's subpixels to load")
    p.add_argument("--max-samples", type=int, default=0, help="train on a random subset of this many subpixels")
    p.add_argument("--checkpoint", type=Path, required=False, default=None)
    p.add_argument("--out", type=Path, default=None, help="the integer weights (.npz)")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    root = a.pack or a.train
    items = mixer_data.items_of(a.pack) if a.pack else mixer_data.draw(a.train, a.wallpapers, a.bsds)
    items = [item for item in items if a.kinds is None or item.kind in a.kinds]
    if not items:
        raise SystemExit(f"no image of the kinds {a.kinds} to train on in {root}")
    t0 = time.time()
    files = mixer_data.tap_all(root, items, a.cache, a.workers)
    print(f"tapped {len(files)} images in {time.time() - t0:.0f} s", flush=True)
    if a.tap_only:
        return
    data = mixer_data.load(files, a.keep)
    every = min(HOLD_OUT_EVERY, len(files))  # a small draw still holds one image out
    held = data["image"] % every == every - 1
    rng = np.random.default_rng(a.seed)
    train_idx, val_idx = np.flatnonzero(~held), np.flatnonzero(held)
    if a.max_samples and len(train_idx) > a.max_samples:
        train_idx = np.sort(rng.choice(train_idx, a.max_samples, replace=False))
    val_idx = val_idx[:: max(1, len(val_idx) // 4_000_000)]
    print(f"{len(train_idx)} training subpixels, {len(val_idx)} held out, on {device}", flush=True)
    if device == "cuda":  # the whole set on the GPU: batches are index gathers there
        data = {k: torch.from_numpy(v).to(device) for k, v in data.items() if k != "image"}
        train_idx_t = torch.from_numpy(train_idx).to(device)

    torch.manual_seed(a.seed)
    model = Mixer(a.hidden).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    spent, step = 0.0, 0
    resume = a.checkpoint if a.checkpoint and a.checkpoint.exists() else None
    if resume or a.init_from:  # a run's own checkpoint first: a fine-tune resumes as any run does
        ck = torch.load(resume or a.init_from, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        spent, step = (ck["spent"], ck["step"]) if resume else (0.0, 0)
        print(f"resumed at {spent / 60:.1f} minutes, step {step}" if resume else f"from {a.init_from}", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def save() -> None:
        if a.checkpoint:
            a.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "spent": spent, "step": step,
                        "hidden": a.hidden}, a.checkpoint)

    budget = a.minutes * 60
    start, last_save, running = time.time() - spent, time.time(), None
    while spent < budget and not stop:
        for g in opt.param_groups:  # cosine decay over the time budget
            g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * min(spent / budget, 1.0)))
        if device == "cuda":
            pick = train_idx_t[torch.randint(len(train_idx_t), (a.batch,), device=device)]
            x, v, mu, row = (data[k][pick] for k in ("x", "v", "mu", "row"))
        else:
            x, v, mu, row = _tensors(data, rng.choice(train_idx, a.batch), device)
        loss = code_length(model(x.float()), v, mu, row).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        running = loss.item() if running is None else 0.99 * running + 0.01 * loss.item()
        spent = time.time() - start
        if time.time() - last_save > (60 if device == "cuda" else 20):
            save()
            last_save = time.time()
            print(f"{spent / 60:5.1f} min  step {step}  train {running:.4f} bpsp", flush=True)
    save()
    if device == "cuda":
        data = {k: v.cpu().numpy() for k, v in data.items()}
    own, net = evaluate(model.cpu(), data, val_idx, "cpu")
    print(f"held out: coder {own:.4f} bpsp, with the network {net:.4f} ({net / own:.4f} x), "
          f"hidden {a.hidden}, {step} steps", flush=True)
    if a.out:
        w1, b1, w2, b2 = model.integer_weights()
        np.savez(a.out, w1=w1, b1=b1, w2=w2, b2=b2)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
