"""Train the residual compressor, resumably: ``python -m models.train_rc --minutes 150``.

Runs on CUDA when there is a GPU, on the CPU otherwise. Every few minutes the
model, optimizer and step are written atomically to the checkpoint, and a rerun
resumes from it; the learning rate follows a cosine schedule over --total-steps.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import signal
import time
from pathlib import Path

import torch

from rc_plugin.mixture.qsearch import SEARCH_RANGE

from .data import PATCH, Q_TRAIN, SCALE_RANGE, PatchSampler, build_cache, list_images
from .patch_pack import PACK_INFO
from .rc import RCConfig, ResidualCompressor, mixture_bits

CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "rc.pt"


def save_checkpoint(path: Path, model, opt, step: int, history: list, seconds: float = 0.0,
                    data: str | None = None) -> None:
    """Write atomically; data describes the training data and recipe, for the export's manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {"config": dataclasses.asdict(model.cfg), "model": model.state_dict(), "opt": opt.state_dict(),
             "step": step, "history": history, "seconds": seconds}
    if data:
        state["data"] = data
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path = CHECKPOINT) -> tuple[ResidualCompressor, dict]:
    """The model (on the CPU, in eval mode) and the whole checkpoint it came from."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = ResidualCompressor(RCConfig(**state["config"]))
    model.load_state_dict(state["model"])
    return model.eval(), state


def pack_scale(folder: Path) -> tuple[float, float]:
    """The downscaling range a patch folder was made with (packs without a record used the paper's)."""
    info = folder / PACK_INFO
    return tuple(json.loads(info.read_text())["scale"]) if info.exists() else SCALE_RANGE


def load_model(path: Path = CHECKPOINT) -> ResidualCompressor:
    return load_checkpoint(path)[0]


def lr_at(step: int, base: float, total: int, warmup: int = 200, progress: float | None = None) -> float:
    """Warm-up, then cosine decay to 5 %; progress (0..1) replaces step/total when the schedule is timed."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup)) if progress is None else min(1.0, progress)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this run")
    p.add_argument("--total-steps", type=int, default=60000, help="length of the learning-rate schedule")
    p.add_argument("--schedule-minutes", type=float, default=None,
                   help="time the schedule instead: it ends after this much training time, summed over resumes")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--full", type=int, default=RCConfig.full)
    p.add_argument("--half", type=int, default=RCConfig.half)
    p.add_argument("--blocks", type=int, default=RCConfig.blocks)
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("--cache", default="rc_train_v1", help="name of the patch cache (built if missing)")
    p.add_argument("--images", type=str, default=None, help="folder of training photos (default: shared train set)")
    p.add_argument("--packed", type=Path, nargs="*", default=None,
                   help="folders from models.patch_pack to train on instead of the photos (one cache each)")
    p.add_argument("--copies", type=int, default=2, help="with --packed: distinct Q per patch")
    p.add_argument("--q-min", type=int, default=Q_TRAIN[0], help="train on Q Q_MIN..Q_MAX")
    p.add_argument("--q-max", type=int, default=Q_TRAIN[-1],
                   help=f"train on Q Q_MIN..Q_MAX (the encoder picks up to {SEARCH_RANGE[1]})")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes coding the cache")
    p.add_argument("--init-from", type=Path, default=None,
                   help="start a new run (new optimizer, step 0) from this checkpoint's weights")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all)")
    p.add_argument("--save-every", type=float, default=300.0, help="seconds between checkpoints")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--float", action="store_true", help="train the float model of the same size (not exportable)")
    args = p.parse_args(argv)
    if args.float:
        from .quant import set_quantization

        set_quantization(False)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device)
    qs = tuple(range(args.q_min, args.q_max + 1))
    q_tag = "" if qs == Q_TRAIN else f"_q{qs[0]}-{qs[-1]}"  # caches are per Q range
    if args.packed:
        caches = []
        for folder in args.packed:
            files = sorted(str(f) for f in folder.glob("*.webp"))
            if not files:
                raise SystemExit(f"no packed patches in {folder}")
            caches.append(build_cache(f"packed_{folder.name}_{args.copies}{q_tag}", files, patches=args.copies,
                                      qs=qs, workers=args.workers, packed=True))
    else:
        files = list_images(Path(args.images)) if args.images else list_images()
        if not files:
            raise SystemExit("no training images found")
        caches = [build_cache(f"{args.cache}{q_tag}", files, qs=qs, workers=args.workers)]
    sampler = PatchSampler(caches, crop=args.crop, seed=int(time.time()), device=device)
    print(f"{len(sampler)} patch pairs on {device}", flush=True)
    if args.packed:
        scales = sorted({tuple(pack_scale(f)) for f in args.packed})
        source = f"packed patches {' '.join(f.name for f in args.packed)} (models.patch_pack) x{args.copies} Q"
    else:
        scales = [SCALE_RANGE]
        source = f"{args.images or 'shared/data/train'} {PATCH}px patches, one Q each"
    lanczos = " / ".join(f"x[{lo},{hi}]" for lo, hi in scales)
    run = (f"{source} in {qs[0]}..{qs[-1]}, Lanczos {lanczos}; batch {args.batch}x{args.crop}px, "
           f"lr {args.lr}, {'float' if args.float else 'integer QAT'} on {device}")

    if args.checkpoint.exists():
        model, state = load_checkpoint(args.checkpoint)
        model.to(device)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        opt.load_state_dict(state["opt"])
        step, history = state["step"], state["history"]
        seconds = state.get("seconds", 0.0)
        data = state.get("data") or run
        if run not in data:
            data = f"{data} | then {run}"
        print(f"resumed from {args.checkpoint} at step {step}", flush=True)
    else:
        data = run
        if args.init_from:
            model, before = load_checkpoint(args.init_from)
            data = f"{before.get('data', args.init_from.name)} ({before['step']} steps) | then {run}"
            print(f"new run from the weights of {args.init_from}", flush=True)
        else:
            model = ResidualCompressor(RCConfig(full=args.full, half=args.half, blocks=args.blocks))
        model.to(device)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        step, history, seconds = 0, [], 0.0

    from tqdm import tqdm

    deadline = time.time() + args.minutes * 60
    stop = []
    # an interrupted run (Ctrl-C, kill, end of a session) still writes its checkpoint
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(True))
    last_save = time.time()
    running = None
    bar = tqdm(desc="train rc", unit="step", initial=step)
    model.train()
    budget = None if args.schedule_minutes is None else args.schedule_minutes * 60
    t_last = time.time()
    while time.time() < deadline and not stop and (step < args.total_steps if budget is None else seconds < budget):
        inp, r = sampler.batch(args.batch)
        inp, r = inp.to(device), r.to(device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.lr, args.total_steps, progress=None if budget is None else seconds / budget)
        loss = mixture_bits(model(inp), r, inp[:, :3])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        now = time.time()
        seconds += now - t_last
        t_last = now
        # a running mean kept on the device: no host sync every step
        loss = loss.detach()
        running = loss if running is None else 0.98 * running + 0.02 * loss
        bar.update(1)
        if step % 100 == 0:
            running = float(running)
            history.append((step, running))
            bar.set_postfix(bpsp=f"{running:.4f}", lr=f"{opt.param_groups[0]['lr']:.2e}")
            print(f"step {step} loss_bpsp {running:.4f} lr {opt.param_groups[0]['lr']:.3e}", flush=True)
        if time.time() - last_save > args.save_every:
            save_checkpoint(args.checkpoint, model.cpu(), opt, step, history, seconds, data)
            model.to(device)
            last_save = time.time()
    save_checkpoint(args.checkpoint, model.cpu(), opt, step, history, seconds, data)
    print(f"saved {args.checkpoint} at step {step}", flush=True)


if __name__ == "__main__":
    main()
