"""Export the trained models into the package: ``python -m export.export_models``.

Writes a released residual model, rc_plugin/weights/rc/<id>/{rc.onnx,tables.npz,grids.txt}, makes it the
current one in manifest.json, and optionally qc.onnx, after checking that onnxruntime's integer outputs equal
both PyTorch's and the numpy int64 reference on real photos. Models released before stay in the package under
their ids (the files they coded keep decoding); this never removes one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from models.rc import ResidualCompressor
from models.data import VAL_DIR
from models.train_rc import CHECKPOINT, load_checkpoint
from rc_plugin.format import grids
from rc_plugin.mixture.lookup_tables import read_tables
from rc_plugin.mixture.released import compute_id, grids_text, shipped_ids

from .int_reference import rc_forward
from .onnx_rc import build_rc_onnx
from .tables import write_tables

WEIGHTS = Path(__file__).resolve().parents[1] / "rc_plugin" / "weights"


def integer_layers(model: ResidualCompressor) -> dict:
    return {name: layer.integer_params() for name, layer in model.layers()}


def torch_integer_output(model: ResidualCompressor, inp: np.ndarray, device: str = "cpu") -> np.ndarray:
    """PyTorch's output as integers on the output grid; model must already be on device."""
    with torch.no_grad():
        out = model(torch.from_numpy(inp[None].astype(np.float32)).to(device))
    return np.round(out[0].double().cpu().numpy() * 2**grids.OUT_FRAC).astype(np.int64)


def ort_output(path: Path, inp: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {"xl": inp[None].astype(np.float32)})[0][0].astype(np.int64)


def parity_inputs(n: int = 3, size: int = 256, files: list[Path] | None = None) -> list[np.ndarray]:
    """Network inputs (IN_CHANNELS, H, W) for lossy reconstructions of crops of real photos
    (default: the validation photos), the i-th coded at Q = 12 + 3i."""
    from PIL import Image

    from rc_plugin.mixture.lossy import HevcLayer
    from rc_plugin.mixture.networks import rc_input

    out = []
    layer = HevcLayer(preset="medium")
    for i, path in enumerate((files if files is not None else sorted(VAL_DIR.glob("*.png")))[:n]):
        img = np.asarray(Image.open(path).convert("RGB"))[:size, :size]
        q = 12 + 3 * i
        xl = layer.decode(layer.encode(img, q), *img.shape[:2])
        out.append(rc_input(xl, q)[0])
    return out


def check_parity(model: ResidualCompressor, onnx_path: Path, layers: dict) -> None:
    for inp in parity_inputs():
        ref = rc_forward(layers, inp, model.cfg.blocks)
        got = ort_output(onnx_path, inp)
        if not np.array_equal(ref, got):
            raise SystemExit(f"onnxruntime differs from the int64 reference in {np.sum(ref != got)} outputs")
        tor = torch_integer_output(model, inp)
        if not np.array_equal(ref, tor):
            raise SystemExit(f"PyTorch differs from the int64 reference in {np.sum(ref != tor)} outputs")
    print("parity: onnxruntime == int64 reference == PyTorch on real photos")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DEFAULT_DATA = "shared/data/train (669 photos), Lanczos x[0.6,0.8], 192px patches, HEVC Q in 12..20"


def export_rc(checkpoint: Path = CHECKPOINT, out_dir: Path = WEIGHTS, data: str | None = None,
              validation: str | None = None) -> tuple[str, dict]:
    """Write the checkpoint as a released model folder after the parity check; return its id and manifest entry.

    data and validation: provenance for the manifest (training data and recipe, measured
    validation figures); data defaults to what the checkpoint records.
    """
    model, state = load_checkpoint(checkpoint)
    layers = integer_layers(model)
    doc = json.dumps({"config": state["config"], "steps": state["step"]})
    onnx_bytes = build_rc_onnx(layers, model.cfg.blocks, grids.OUT_CHANNELS, doc).SerializeToString()
    staging = out_dir / "rc.staging"  # beside weights/rc/, so a failed export never looks like a released model
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "rc.onnx").write_bytes(onnx_bytes)
    check_parity(model, staging / "rc.onnx", layers)
    write_tables(staging / "tables.npz")
    (staging / "grids.txt").write_text(grids_text() + "\n")
    model_id = compute_id(onnx_bytes, read_tables(staging / "tables.npz"), grids_text()).hex()
    folder = out_dir / "rc" / model_id
    if folder.exists():  # the same weights again: nothing to release
        for f in staging.iterdir():
            f.unlink()
        staging.rmdir()
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(folder)
    entry = {
        "rc_onnx_sha256": sha256(folder / "rc.onnx"),
        "tables_sha256": sha256(folder / "tables.npz"),
        "config": state["config"],
        "training_steps": state["step"],
        "final_train_loss_bpsp": state["history"][-1][1] if state["history"] else None,
        "data": data or state.get("data", DEFAULT_DATA),
    }
    if validation:
        entry["validation"] = validation
    return model_id, entry


def update_manifest(update, out_dir: Path = WEIGHTS) -> None:
    """Apply update(manifest dict) to manifest.json and stamp the time."""
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    update(manifest)
    manifest["exported"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def release_rc(manifest: dict, model_id: str, entry: dict, keep: tuple[str, ...] = ()) -> None:
    """Record the model under its id and make it current. The same weights released again keep what was recorded
    about them under the keys in keep (the provenance not given this time)."""
    models = manifest.setdefault("rc_models", {})
    before = models.get(model_id, {})
    models[model_id] = {**before, **entry, **{k: before[k] for k in keep if k in before}}
    manifest["rc_current"] = model_id


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("--qc-checkpoint", type=Path, default=None)
    p.add_argument("--data", default=None, help="training data and recipe, for the manifest")
    p.add_argument("--validation", default=None, help="measured validation figures, for the manifest")
    args = p.parse_args(argv)
    model_id, rc = export_rc(args.checkpoint, data=args.data, validation=args.validation)
    not_given = tuple(key for key in ("data", "validation") if getattr(args, key) is None)
    qc = None
    if args.qc_checkpoint:
        from .onnx_qc import export_qc

        qc = export_qc(args.qc_checkpoint)

    def update(manifest: dict) -> None:
        release_rc(manifest, model_id, rc, not_given)
        if qc is not None:
            manifest["qc"] = qc

    update_manifest(update)  # manifest.json read and written once
    print(f"wrote {WEIGHTS}: residual model {model_id} is current; released models: "
          f"{', '.join(shipped_ids())}")


if __name__ == "__main__":
    main()
