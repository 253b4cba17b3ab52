"""Release a trained learned mixer: its integer weights into rc_plugin/weights/mixers/<id>.npz, under a new id.

    python -m export.release_mixer CHECKPOINT ID

A released mixer is never changed or removed: files name the mixer that wrote them (docs/format.md, format 9), and
rc_plugin.adaptive.mixers refuses weights whose digest differs from the one it lists. The steps of a release:
this command; the printed digest into rc_plugin.adaptive.mixers.DIGESTS and a name into
rc_plugin.format.records.MIXER_NAMES (the format stays 9); `python -m export.onnx_mixer ID`;
`python tests/make_golden.py --new-mixer`.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import torch

from models.mixer import Mixer
from rc_plugin.adaptive.mixers import DIGESTS, MIXERS_DIR
from rc_plugin.format import bitstream as bs


def release(checkpoint: Path, mixer_id: int) -> Path:
    ck = torch.load(checkpoint, map_location="cpu")
    model = Mixer(ck["hidden"])
    model.load_state_dict(ck["model"])
    w1, b1, w2, b2 = model.integer_weights()
    out = MIXERS_DIR / f"{mixer_id}.npz"
    if out.exists() or mixer_id in DIGESTS or not 1 <= mixer_id <= 255:
        raise SystemExit(f"mixer {mixer_id} is taken (or not a byte): a released mixer is never replaced; "
                         "choose a new id")
    if not 1 <= w1.shape[0] <= bs.MIXER_HIDDEN_LIMIT or max(np.abs(b1.astype(np.int64)).max(),
                                                              np.abs(b2.astype(np.int64)).max()) > 1 << 30:
        raise SystemExit(f"hidden width {w1.shape[0]} or a bias beyond what the coder's int32 sums allow "
                         "(bitstream MIXER_*)")
    np.savez(out, w1=w1, b1=b1, w2=w2, b2=b2)
    digest = hashlib.sha256(b"".join(a.tobytes() for a in (w1, b1, w2, b2))).hexdigest()[:16]
    print(f"wrote {out}: hidden {w1.shape[0]}, weights digest {digest} (list it in rc_plugin.adaptive.mixers)")
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("id", type=int)
    a = p.parse_args()
    release(a.checkpoint, a.id)
