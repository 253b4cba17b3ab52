"""Peak memory of encoding and decoding one large photo: ``python -m benchmarks.memory --megapixels 50``.

The image is made by mirroring a validation photo up to the requested size (so it
has photo statistics everywhere); encode and decode each run in a fresh process,
whose peak resident memory (VmHWM) is reported with the time taken.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

CHILD = r"""
import sys, time, numpy as np, rc_plugin
mode, src, dst = sys.argv[1:4]
t = time.perf_counter()
if mode == "encode":
    data = rc_plugin.encode(np.load(src, mmap_mode="r"))
    open(dst, "wb").write(data)
else:
    img = rc_plugin.decode(open(src, "rb").read())
    ok = np.array_equal(img, np.load(dst, mmap_mode="r"))
    if not ok:
        sys.exit("decode differs from the input")
dt = time.perf_counter() - t
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(dt, int(peak) / 1024)
"""


def make_image(megapixels: float, src: Path) -> np.ndarray:
    base = np.asarray(Image.open(src).convert("RGB"))
    side = int(np.sqrt(megapixels * 1e6 * 3 / 2))
    h, w = side * 2 // 3, side
    reps = (-(-h // base.shape[0]), -(-w // base.shape[1]))
    rows = [np.concatenate([base if (i + j) % 2 == 0 else base[:, ::-1] for j in range(reps[1])], 1) for i in range(reps[0])]
    return np.ascontiguousarray(np.concatenate(rows, 0)[:h, :w])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--megapixels", type=float, default=50.0)
    p.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/val/val05.png")
    args = p.parse_args(argv)
    img = make_image(args.megapixels, args.source)
    with tempfile.TemporaryDirectory() as tmp:
        raw, rcl = Path(tmp) / "img.npy", Path(tmp) / "img.rcl"
        np.save(raw, img)
        result = {"width": img.shape[1], "height": img.shape[0], "megapixels": img.shape[0] * img.shape[1] / 1e6,
                  "raw_mib": img.nbytes / 2**20}
        for mode, a, b in (("encode", raw, rcl), ("decode", rcl, raw)):
            out = subprocess.run([sys.executable, "-c", CHILD, mode, str(a), str(b)], capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr)
            seconds, peak = map(float, out.stdout.split())
            result[f"{mode}_s"] = seconds
            result[f"{mode}_peak_mib"] = peak
        result["bpsp"] = 8 * rcl.stat().st_size / img.size if rcl.exists() else None
        result["date"] = time.strftime("%Y-%m-%d")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
