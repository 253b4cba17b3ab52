"""Print the figures that the photo-dependent thresholds of the tests were set from.

    python tests/measure_thresholds.py [NAME ...]     (no NAME: all of them)

Each threshold in tests/ that depends on the sample photos of tests/assets names the figure and the command
here that measures it; rerun it after changing the codec or the photos, and set the threshold a few percent
above (or below) the new figure. The crops are those of tests/conftest.py and the tests.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rc_plugin  # noqa: E402
from rc_plugin import encoder, qsearch  # noqa: E402
from rcl_testutil import mostly_grey  # noqa: E402

ASSETS = Path(__file__).resolve().parent / "assets"


def photo(name: str) -> np.ndarray:
    with Image.open(ASSETS / f"{name}.png") as im:
        return np.asarray(im.convert("RGB")).copy()


def photo_crop() -> np.ndarray:
    return photo("osprey")[100:196, 40:168].copy()  # conftest.photo_crop


def context_ratio() -> str:
    """test_context: the file with the causal pass over the one without, on the sky of lake.png at Q 20."""
    g = photo("lake")[0:96, 384:512].copy()
    a, b = len(rc_plugin.encode(g, q=20)), len(rc_plugin.encode(g, q=20, context=False))
    return f"{a / b:.4f} ({a} / {b} bytes)"


def full_photo_bpsp() -> str:
    """test_codec: colosseum.png whole, Q searched."""
    info = rc_plugin.info(rc_plugin.encode(photo("colosseum")))
    return f"{info['bpsp']:.4f} bpsp (Q {info['q']})"


def grey_shortcut_ratio() -> str:
    """test_codec: mostly_grey(photo_crop) at Q 16 with the grey shortcut over without it."""
    img = mostly_grey(photo_crop())
    a = len(rc_plugin.encode(img, q=16))
    keep = encoder._tile_variants
    encoder._tile_variants = lambda prep, channels: (False,)
    try:
        b = len(rc_plugin.encode(img, q=16))
    finally:
        encoder._tile_variants = keep
    return f"{a / b:.4f} ({a} / {b} bytes)"


def tau_ratio() -> str:
    """test_codec: photo_crop at Q 16 with tau over without it."""
    a, b = (len(rc_plugin.encode(photo_crop(), q=16, tau=t)) for t in (True, False))
    return f"{a / b:.4f} ({a} / {b} bytes)"


def qsearch_ratio() -> str:
    """test_qsearch: photo_crop with the searched Q over the search's start Q."""
    searched = rc_plugin.encode(photo_crop())
    start = rc_plugin.encode(photo_crop(), q=qsearch.SEARCH_START)
    return f"{len(searched) / len(start):.4f} ({len(searched)} / {len(start)} bytes, Q {rc_plugin.info(searched)['q']})"


FIGURES = {f.__name__: f for f in (context_ratio, full_photo_bpsp, grey_shortcut_ratio, tau_ratio, qsearch_ratio)}

if __name__ == "__main__":
    for name in sys.argv[1:] or FIGURES:
        print(f"{name}: {FIGURES[name]()}", flush=True)
