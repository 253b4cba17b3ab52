"""Time to a first encode and decode in a fresh process, as a new user, a CI job or a cluster worker meets it.

    python -m benchmarks.first_use [--runs N]

Each run starts a Python process of its own with an empty numba cache (NUMBA_CACHE_DIR set to a new folder), then
times the import of rc_plugin, the first encode and the first decode of a small photo crop (a 64x64 crop of
tests/assets/lake.png: the adaptive coder) and of a small drawing (a 64x64 four-colour image: the index coder and
generic rows); the same again with the cache that run wrote (a second process, as after an install whose cache
can be written). Prints the medians in seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from PIL import Image
import rc_plugin
t1 = time.perf_counter()
photo = np.asarray(Image.open(sys.argv[1]).convert("RGB"))[100:164, 200:264].copy()
drawing = np.zeros((64, 64, 3), np.uint8)
drawing[8:40, 8:56] = (200, 30, 30)
drawing[20:60, 30:34] = (20, 20, 160)
drawing[::9] = (250, 250, 250)
out = {"import": t1 - t0}
for name, image in (("photo", photo), ("drawing", drawing)):
    t = time.perf_counter(); data = rc_plugin.encode(image); out[name + " encode"] = time.perf_counter() - t
    t = time.perf_counter(); back = rc_plugin.decode(data); out[name + " decode"] = time.perf_counter() - t
    assert np.array_equal(back, image)
print(json.dumps(out))
"""


def run_child(cache: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "tests" / "assets" / "lake.png")], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run_child(cache))
            warm.append(run_child(cache))
    print("| step | empty cache, s | cache written, s |")
    print("|---|---:|---:|")
    for key in cold[0]:
        print(f"| {key} | {statistics.median(r[key] for r in cold):.2f} | {statistics.median(r[key] for r in warm):.2f} |")
    total = [sum(r.values()) for r in cold], [sum(r.values()) for r in warm]
    print(f"| **total** | **{statistics.median(total[0]):.2f}** | **{statistics.median(total[1]):.2f}** |")


if __name__ == "__main__":
    main()
