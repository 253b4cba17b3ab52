"""The released learned mixers (rc_plugin.adaptive.netmix): each under its id (format.records.MIXER_NAMES), as
files of format 9 name them.

A released mixer is never changed or removed, so every file keeps decoding; each file's weights are checked
against the digest listed here before use.
"""
from __future__ import annotations

import functools
import hashlib
import zipfile

import numpy as np

from ..errors import RclError
from ..format import bitstream as bs
from ..shipped import WEIGHTS

MIXERS_DIR = WEIGHTS / "mixers"
#: id -> digest of its weights (w1, b1, w2, b2 bytes): what export.release_mixer printed.
DIGESTS = {
    1: "62e3bd43850c35e2",  # hidden 16, 10 minutes on 2 CPU cores (models/checkpoints/mixer_cpu/mixer16.pt)
    2: "6268468026e6b5d5",  # hidden 32, 13 minutes on 2 CPU cores (models/checkpoints/mixer_cpu/mixer32.pt)
    3: "1836eae97091bf35",  # hidden 64, 24 minutes on 2 CPU cores (models/checkpoints/mixer_cpu/mixer64.pt)
    4: "caf02596d680e4bd",  # hidden 64: 3 fine-tuned 30 minutes on downscaled photos (mixer_cpu/mixer64_downscaled.pt)
}


@functools.lru_cache(maxsize=None)
def load(mixer_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The mixer's (w1 int16, b1 int32, w2 int16, b2 int32), as plane_coder.code_plane takes them."""
    if mixer_id not in DIGESTS:
        raise RclError(f"this .rcl file was written with learned mixer {mixer_id}, which this rc_plugin does not have "
                       f"(it has {sorted(DIGESTS)}); upgrade rc_plugin")
    path = MIXERS_DIR / f"{mixer_id}.npz"
    try:
        with np.load(path) as data:
            arrays = (np.ascontiguousarray(data["w1"], np.int16), np.ascontiguousarray(data["b1"], np.int32),
                      np.ascontiguousarray(data["w2"], np.int16), np.ascontiguousarray(data["b2"], np.int32))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RclError(f"cannot read learned mixer {mixer_id} at {path}: {exc}; reinstall rc_plugin") from exc
    w1, b1, w2, b2 = arrays
    digest = hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()[:16]
    hidden = w1.shape[0]
    if (digest != DIGESTS[mixer_id] or w1.shape != (hidden, bs.MIXER_FEATURES) or b1.shape != (hidden,)
            or w2.shape != (bs.MIXER_OUTPUTS, hidden) or b2.shape != (bs.MIXER_OUTPUTS,)
            or not 1 <= hidden <= bs.MIXER_HIDDEN_LIMIT or np.abs(b1.astype(np.int64)).max() > 1 << 30
            or np.abs(b2.astype(np.int64)).max() > 1 << 30):
        raise RclError(f"learned mixer {mixer_id} at {path} is damaged; reinstall rc_plugin")
    return arrays
