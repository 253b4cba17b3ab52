"""Print the figures that the measured thresholds of the tests were set from.

    python tests/measure_thresholds.py [NAME ...]     (no NAME: all of them)

Each size bound in tests/ (on the sample photos of tests/assets, or a seeded synthetic case), each Q a test
expects the encoder to choose, and each timeout names the figure and the command here that measures it; rerun
it after changing the codec or the photos. Size bounds sit a few percent above (or below) the figure; timeouts
are ten times the measured time or more. The crops are those of tests/conftest.py and the tests.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rc_plugin  # noqa: E402
from rc_plugin.mixture import tile_encoder as encoder, qsearch  # noqa: E402
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
    """test_codec: colosseum.png whole, with the default (adaptive) coder and with the mixture coder (Q searched)."""
    adaptive = rc_plugin.info(rc_plugin.encode(photo("colosseum")))
    mixture = rc_plugin.info(rc_plugin.encode(photo("colosseum"), coder="mixture"))
    return f"adaptive {adaptive['bpsp']:.4f} bpsp; mixture {mixture['bpsp']:.4f} bpsp (Q {mixture['q']})"


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
    """test_qsearch: photo_crop, and the sky of lake.png, with the searched Q over the search's start Q."""
    out = []
    for img in (photo_crop(), photo("lake")[0:96, 384:512].copy()):
        searched = rc_plugin.encode(img, coder="mixture")
        start = rc_plugin.encode(img, q=qsearch.SEARCH_START)
        out.append(f"{len(searched) / len(start):.4f} ({len(searched)} / {len(start)} bytes, "
                   f"Q {rc_plugin.info(searched)['q']})")
    return "; sky ".join(out)


def classifier_qs() -> str:
    """test_codec, test_cli: the Q-classifier's Q (effort 1) for photo_crop and for the sky of lake.png."""
    sky = photo("lake")[0:96, 384:512]
    return f"photo_crop Q {qsearch.classifier_q(photo_crop())}, lake sky Q {qsearch.classifier_q(sky)}"


def searched_qs() -> str:
    """test_qsearch, test_cli: the searched Q (effort 2) for photo_crop and for the sky of lake.png."""
    a = rc_plugin.info(rc_plugin.encode(photo_crop(), coder="mixture"))["q"]
    b = rc_plugin.info(rc_plugin.encode(photo("lake")[0:96, 384:512].copy(), coder="mixture"))["q"]
    return f"photo_crop Q {a}, lake sky Q {b}"


def flat_residual_bytes() -> str:
    """test_codec: the residual of a flat 40x30 image (value 77) at Q 14."""
    flat = np.full((40, 30, 3), 77, np.uint8)
    return f"{rc_plugin.info(rc_plugin.encode(flat, q=14))['residual_bytes']} bytes"


def tool_seconds(runs: int = 20) -> str:
    """test_reliability: the slowest of `runs` encodes whose stand-in bpgenc (a shell script) fails at once; the
    tool timeout of test_failing_bpgenc is ten times this."""
    import os
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as tmp:
        tool = Path(tmp) / "bpgenc"
        tool.write_text("#!/bin/sh\necho 'bpgenc: boom' >&2; exit 3\n")
        tool.chmod(0o755)
        os.environ["RCL_BPGENC"] = os.environ["RCL_BPGDEC"] = str(tool)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            try:
                rc_plugin.encode(photo_crop()[:16, :16], lossy="bpg", q=16)
            except rc_plugin.RclError:
                pass
            times.append(time.perf_counter() - t)
    return f"slowest {max(times):.3f} s, median {sorted(times)[runs // 2]:.3f} s over {runs} runs"


def size_estimate_gaps() -> str:
    """test_qsearch: a coded tile's bytes less the Q search's estimate, for photo_crop at Q 14 and 26."""
    from rc_plugin.mixture.lossy import get_layer

    layer = get_layer("hevc")
    gaps = [len(encoder.code_tile(photo_crop(), 3, layer, q, True, True, "cpu", 1).pack())
            - encoder.tile_size_estimate(photo_crop(), 3, layer, q, True, True, "cpu", 1) for q in (14, 26)]
    return f"{gaps[0]:.1f} and {gaps[1]:.1f} bytes"


def context_fit_ratio() -> str:
    """test_context: the synthetic neighbour model's code length with the fitted causal pass over without it."""
    from rc_plugin.mixture import context, fitting
    from rc_plugin.mixture.released import current
    from rc_plugin.mixture.logistic_mixture import symbol_bits
    from test_context import _neighbour_model

    tables = current().tables
    model, sym = _neighbour_model(3000, seed=5, outliers=0.02)
    lo, hi = int(sym.min()), int(sym.max())

    def bits(coef, offset, spread):
        mean, logscale = model.corrected(coef, offset, spread)
        return symbol_bits(tables, model.weight, mean, logscale, sym, lo, hi, model.floor, model.ceil)

    fitted = bits(*fitting.fit_context(tables, model, sym, lo, hi, stride=1))
    plain = bits(np.zeros(context.COEFS, np.int64), np.zeros(context.BINS, np.int64), context.SPREAD_ONE)
    return f"{fitted / plain:.4f} ({fitted:.0f} / {plain:.0f} bits)"


def seed_decode_seconds(runs: int = 5) -> str:
    """test_reliability: the slowest decode of the fuzz seeds (what one example costs at most, whole); the
    examples' deadline is at least ten times this."""
    import time

    from rc_plugin import codec

    crop = photo_crop()
    seeds = [
        rc_plugin.encode(crop[:24, :40], q=16),
        rc_plugin.encode(np.dstack([crop[:20, :20, 0], crop[:20, :20, 1]]), q=18),
        rc_plugin.encode(mostly_grey(crop[:32, :48]), q=16),
    ]
    old, codec.TILE = codec.TILE, dict.fromkeys(codec.TILE, 16)
    try:
        seeds.append(rc_plugin.encode(crop[:20, :36], q=14, icc_profile=b"icc", xmp=b"<x/>"))
    finally:
        codec.TILE = old
    slowest = 0.0
    for data in seeds:
        for _ in range(runs):
            t = time.perf_counter()
            rc_plugin.decode(data)
            slowest = max(slowest, time.perf_counter() - t)
    return f"slowest {slowest:.3f} s"


FIGURES = {f.__name__: f for f in (context_ratio, full_photo_bpsp, grey_shortcut_ratio, tau_ratio, qsearch_ratio,
                                   classifier_qs, searched_qs, flat_residual_bytes, tool_seconds, seed_decode_seconds,
                                   size_estimate_gaps, context_fit_ratio)}

if __name__ == "__main__":
    for name in sys.argv[1:] or FIGURES:
        print(f"{name}: {FIGURES[name]()}", flush=True)
