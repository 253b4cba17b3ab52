"""Export the Q-classifier to ONNX (float; it only runs at encode time)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from models.qc import QClassifier
from rc_plugin.mixture.networks import QC_RANGE

WEIGHTS = Path(__file__).resolve().parents[1] / "rc_plugin" / "weights"


def export_qc(checkpoint: Path, out_dir: Path = WEIGHTS) -> dict:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = QClassifier()
    model.load_state_dict(state["model"])
    model.eval()
    path = out_dir / "qc.onnx"
    x = torch.zeros(1, 3, 128, 160)
    torch.onnx.export(model, (x,), str(path), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {2: "height", 3: "width"}}, opset_version=17, dynamo=False)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probe = torch.randint(0, 256, (1, 3, 96, 200)).float()
    with torch.no_grad():
        want = model(probe).numpy()
    got = sess.run(None, {"image": probe.numpy()})[0]
    if not np.allclose(want, got, atol=1e-3) or want.argmax() != got.argmax():
        raise SystemExit("QC parity check failed: onnxruntime and PyTorch disagree")
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "training_steps": state["steps"],
        "heldout_over_optimal_q": state["heldout_over_optimal"],
        "best_fixed_q_over_optimal": state["fixed_over_optimal"],
        "best_fixed_q": state["best_fixed_q"],
        # the label file is named after the residual model that sized the labels
        "labels": f"training photos, downscaled, 192x192 crops, coded at Q {QC_RANGE[0]}..{QC_RANGE[-1]}; "
                  f"label file {Path(state.get('labels', '?')).name}",
        "config": {"width": model.stem.out_channels, "classes": list(QC_RANGE)},
    }
