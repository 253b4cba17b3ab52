"""Training data: downscaled photo patches paired with their lossy reconstructions.

As in the paper, each JPEG is Lanczos-downscaled by a random factor in [0.6, 0.8]
to remove JPEG artifacts. Random patches of it are coded with the codec's own lossy
layer (the same code path as encoding, so training sees exactly what decoding
sees) at a random Q. The HEVC encoder is the slow part, so the pairs are cached
once in shards under the cache folder and training crops from them.
"""
from __future__ import annotations

import glob
import os
import random
import multiprocessing
from pathlib import Path

import numpy as np
from PIL import Image

from rc_plugin.mixture.lossy import HevcLayer

TRAIN_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "train"
#: Lossless photos for reporting; never trained on.
VAL_DIR = TRAIN_DIR.parent / "val"
CACHE_DIR = Path(os.environ.get("RCL_CACHE", Path.home() / ".cache" / "rcl"))
#: Quantizers the RC is trained on; the Q-classifier chooses among QC_RANGE.
Q_TRAIN = tuple(range(12, 21))
#: The paper's random Lanczos downscaling factors, which remove JPEG artifacts.
SCALE_RANGE = (0.6, 0.8)
PATCH = 192
PATCHES_PER_IMAGE = 4


def list_images(root: Path = TRAIN_DIR) -> list[str]:
    files = sorted(glob.glob(str(root / "**" / "*.jpg"), recursive=True))
    files += sorted(glob.glob(str(root / "**" / "*.png"), recursive=True))
    return files


def downscaled(path: str, rng: random.Random, low: float = SCALE_RANGE[0], high: float = SCALE_RANGE[1],
               min_side: int = 0) -> np.ndarray:
    """Lanczos-downscaled by a random factor in [low, high], but not below min_side pixels."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        f = rng.uniform(low, high)
        f = max(f, min(1.0, min_side / min(im.width, im.height)))
        size = (max(1, round(im.width * f)), max(1, round(im.height * f)))
        return np.asarray(im.resize(size, Image.LANCZOS))


def make_pairs(job: tuple[str, int, int, tuple[int, ...], int]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Patches of one image with their lossy reconstructions at random Q."""
    path, seed, patches, qs, size = job
    rng = random.Random(seed)
    img = downscaled(path, rng)
    h, w = img.shape[:2]
    if h < size or w < size:
        return []
    layer = HevcLayer()
    out = []
    for _ in range(patches):
        y = rng.randrange(0, (h - size) // 8 + 1) * 8
        x = rng.randrange(0, (w - size) // 8 + 1) * 8
        patch = np.ascontiguousarray(img[y : y + size, x : x + size])
        q = rng.choice(qs)
        xl = layer.decode(layer.encode(patch, q), size, size)
        out.append((patch, xl, q))
    return out


def make_packed_pairs(job: tuple[str, int, int, tuple[int, ...], int]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """A patch already downscaled and cut (models.patch_pack), coded at `copies` distinct random Q."""
    path, seed, copies, qs, _size = job
    rng = random.Random(seed)
    with Image.open(path) as im:
        patch = np.asarray(im.convert("RGB"))
    layer = HevcLayer()
    h, w = patch.shape[:2]
    return [(patch, layer.decode(layer.encode(patch, q), h, w), q) for q in rng.sample(qs, copies)]


def build_cache(
    name: str,
    files: list[str],
    patches: int = PATCHES_PER_IMAGE,
    qs: tuple[int, ...] = Q_TRAIN,
    size: int = PATCH,
    workers: int = 2,
    seed: int = 0,
    packed: bool = False,
) -> Path:
    """Write (x, x_l, q) arrays for the given photos to CACHE_DIR/name.npz once; return its path.

    packed: `files` are patches from models.patch_pack, each coded at `patches` distinct Q.
    """
    target = CACHE_DIR / f"{name}.npz"
    if target.exists():
        return target
    from tqdm import tqdm

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    jobs = [(f, seed * 100003 + i, patches, qs, size) for i, f in enumerate(files)]
    xs, xls, q = [], [], []
    # spawn, not fork: a fork after torch has started its thread pools can deadlock
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        work = pool.imap(make_packed_pairs if packed else make_pairs, jobs, chunksize=4)
        for pairs in tqdm(work, total=len(jobs), desc=f"caching {name}", mininterval=10):
            for a, b, c in pairs:
                xs.append(a)
                xls.append(b)
                q.append(c)
    tmp = target.with_suffix(".tmp.npz")
    np.savez(tmp, x=np.stack(xs), xl=np.stack(xls), q=np.array(q, np.uint8))
    os.replace(tmp, target)
    return target


class PatchSampler:
    """Random 8-aligned crops from caches, as (network input, r) float tensors for the RC.

    The patches live on the training device and are cropped there, so a GPU is
    not starved by Python-side slicing. No flips: they would reverse the HEVC
    block phase the network is given.
    """

    def __init__(self, paths: Path | list[Path], crop: int = 64, seed: int = 0, device: str = "cpu") -> None:
        import torch

        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        xs, xls, qs = [], [], []
        for path in paths:
            data = np.load(path)
            xs.append(data["x"])
            xls.append(data["xl"])
            qs.append(data["q"])
        if len({a.shape[1:] for a in xs}) != 1:
            raise ValueError("all caches of one run must hold patches of one size")
        self.x = torch.from_numpy(np.concatenate(xs)).to(device)
        self.xl = torch.from_numpy(np.concatenate(xls)).to(device)
        self.q = torch.from_numpy(np.concatenate(qs).astype(np.int64)).to(device)
        self.crop = crop
        self.device = device
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, n: int):
        """(network input, residual) for n random crops."""
        import torch

        from .rc import batch_input

        size = self.x.shape[1]
        dev = self.device
        idx = torch.randint(0, len(self.x), (n,), generator=self.gen, device=dev)
        # 8-aligned crops keep the HEVC block phase the network sees consistent
        y0, x0 = (torch.randint(0, (size - self.crop) // 8 + 1, (2, n), generator=self.gen, device=dev) * 8).unbind(0)
        ar = torch.arange(self.crop, device=dev)
        rows = (y0[:, None] + ar)[:, :, None]
        cols = (x0[:, None] + ar)[:, None, :]
        pick = idx[:, None, None]
        x = self.x[pick, rows, cols].permute(0, 3, 1, 2).float()
        xl = self.xl[pick, rows, cols].permute(0, 3, 1, 2).float()
        return batch_input(xl, self.q[idx]), x - xl
