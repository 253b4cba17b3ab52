"""Time to a first encode and decode in a fresh process, as a new user, a CI job or a cluster worker meets it.

    python -m benchmarks.first_use [--runs N]

Each run starts a Python process of its own with an empty numba cache (NUMBA_CACHE_DIR set to a new folder), then
times the import of rc_plugin, the first encode and the first decode of a small photo crop (a 64x64 crop of
tests/assets/lake.png: the adaptive coder) and of a small drawing (a 64x64 four-colour image: the index coder and
generic rows); the same again with the cache that run wrote (a second process, as after an install whose cache
can be written); and the first again with RCL_JITCACHE=off, the install's compiled code left unused, so numba
compiles the coders (what every fresh process paid before rc_plugin.jitcache). Prints the medians in seconds.

It runs the rc_plugin of this tree: its compiled code (rc_plugin/_jitcache/) is what `pip install -e .` built, or
`python -m rc_plugin.jitbuild` rebuilds.
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


def run_child(cache: str, shipped: bool = True) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "RCL_JITCACHE": "on" if shipped else "off",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "tests" / "assets" / "lake.png")], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not any((ROOT / "rc_plugin" / "_jitcache").glob("*.nbi")):
        print("(rc_plugin/_jitcache/ is empty: this tree was not installed; `pip install -e .` or "
              "`python -m rc_plugin.jitbuild` builds its compiled code)")
    cold, warm, compiling = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run_child(cache))
            warm.append(run_child(cache))
        with tempfile.TemporaryDirectory() as cache:
            compiling.append(run_child(cache, shipped=False))
    columns = cold, warm, compiling
    print("| step | empty cache, s | cache written, s | empty cache, RCL_JITCACHE=off (numba compiles), s |")
    print("|---|---:|---:|---:|")
    for key in cold[0]:
        print(f"| {key} | " + " | ".join(f"{statistics.median(r[key] for r in runs):.2f}" for runs in columns) + " |")
    print("| **total** | " + " | ".join(f"**{statistics.median(sum(r.values()) for r in runs):.2f}**"
                                       for runs in columns) + " |")


if __name__ == "__main__":
    main()
