"""The paper's Table 2 for the shipped model: fixed Q, QC, optimal Q', QC + tau; then our causal pass and Q search.

    python -m benchmarks.ablation ../shared/data/val [--limit N]

All rows are real encodes (bytes of the .rcl file, every one decoded and checked);
the optimal Q' is the Q giving the smallest file without tau and the causal pass.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

import rc_plugin
from rc_plugin.mixture.networks import QC_RANGE, choose_q

FIXED_Q = 14
SEARCH_ROW = "... + Q searched on the image (effort 2)"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "ablation.json")
    args = p.parse_args(argv)

    from tqdm import tqdm

    files = sorted(f for d in args.dirs for f in d.glob("*.png"))[: args.limit or None]
    rows = []
    for f in tqdm(files, desc="ablation"):
        img = np.ascontiguousarray(np.asarray(Image.open(f).convert("RGB")))

        def bpsp(data: bytes) -> float:
            assert np.array_equal(rc_plugin.decode(data), img)
            return 8 * len(data) / img.size

        qc = choose_q(img)
        # the paper's rows: no tau, no causal pass; one encode per Q serves the fixed, QC and optimal rows
        plain = {q: rc_plugin.encode(img, q=q, tau=False, context=False) for q in sorted({*QC_RANGE, FIXED_Q})}
        best = min(QC_RANGE, key=lambda q: len(plain[q]))
        sizes = {
            f"fixed Q={FIXED_Q}": bpsp(plain[FIXED_Q]),
            "QC": bpsp(plain[qc]),
            "optimal Q'": bpsp(plain[best]),
            "QC + tau": bpsp(rc_plugin.encode(img, q=qc, tau=True, context=False)),
            "QC + tau + causal pass": bpsp(rc_plugin.encode(img, q=qc)),
        }
        searched = rc_plugin.encode(img)  # the default: effort 2
        sizes[SEARCH_ROW] = bpsp(searched)
        rows.append({"image": f.name, "qc": qc, "optimal_q": best, "searched_q": rc_plugin.info(searched)["q"],
                     **sizes})
    names = ["fixed Q=14", "QC", "optimal Q'", "QC + tau", "QC + tau + causal pass", SEARCH_ROW]
    passes = {"fixed Q=14": "1", "QC": "1 (+1 QC)", "optimal Q'": f"{len(QC_RANGE)}", "QC + tau": "1 (+1 QC)",
              "QC + tau + causal pass": "1 (+1 QC)",
              SEARCH_ROW: "1, plus the image (up to 1 MP) per Q tried"}
    lines = ["| setting | bpsp | RC forward passes |", "|---|---:|---|"]
    for n in names:
        lines.append(f"| {n} | {np.mean([r[n] for r in rows]):.3f} | {passes[n]} |")
    agree = np.mean([r["qc"] == r["optimal_q"] for r in rows])
    lines.append("")
    mean_q = {key: np.mean([r[key] for r in rows]) for key in ("qc", "optimal_q", "searched_q")}
    lines.append(f"{len(rows)} images; QC chose the optimal Q' for {100 * agree:.0f}% of them; "
                 f"mean QC Q {mean_q['qc']:.1f}, mean optimal Q' {mean_q['optimal_q']:.1f}, "
                 f"mean refined Q {mean_q['searched_q']:.1f}.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
