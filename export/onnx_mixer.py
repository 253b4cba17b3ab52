"""Export the released learned mixers (rc_plugin.adaptive.netmix) to ONNX: ``python -m export.onnx_mixer``.

Each released mixer's weights, rc_plugin/weights/mixers/<id>.npz, become rc_plugin/weights/mixers/<id>.onnx beside
them, and manifest.json lists it under "mixers" with the files' hashes. The graph is all int64 and exact:

    features (N, 67) int32 -> Cast int64 -> MatMul W1^T + b1 -> floor(/ 2**SHIFT1) -> Clip 0..HIDDEN_MAX
                          -> MatMul W2^T + b2 -> floor(/ 2**SHIFT2) -> outputs (N, 10) int64

ONNX's integer Div truncates toward zero and BitShift takes only unsigned integers, so the floor shift is
(a - Mod(a, 2**k)) / 2**k: Mod of integers with fmod=0 takes the divisor's sign, so the division is exact.
Before writing, onnxruntime (CPU) must equal the int64 numpy reference below and the coder's own compiled
netmix.forward on every subpixel of real photos. A written file is never replaced by different bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from rc_plugin.adaptive import mixers
from rc_plugin.format import bitstream as bs

OPSET = 17
ROOT = Path(__file__).resolve().parents[1]
MANIFEST = mixers.MIXERS_DIR.parent / "manifest.json"
#: Real photos tapped for the parity check (the repository's own test images).
PARITY_PHOTOS = (ROOT / "tests" / "assets" / "lake.png", ROOT / "tests" / "assets" / "osprey.png")
#: Each released mixer's training checkpoint (rc_plugin.adaptive.mixers names the runs).
CHECKPOINTS = {1: ROOT / "models" / "checkpoints" / "mixer_cpu" / "mixer16.pt",
               2: ROOT / "models" / "checkpoints" / "mixer_cpu" / "mixer32.pt",
               3: ROOT / "models" / "checkpoints" / "mixer_cpu" / "mixer64.pt",
               4: ROOT / "models" / "checkpoints" / "mixer_cpu" / "mixer64_downscaled.pt"}


def onnx_path(mixer_id: int) -> Path:
    return mixers.MIXERS_DIR / f"{mixer_id}.onnx"


def int64_forward(f: np.ndarray, w1, b1, w2, b2) -> np.ndarray:
    """The integer network in numpy int64, shared with neither onnxruntime nor the coder: f (N, 67) -> (N, 10).
    numpy's >> on int64 is the arithmetic (floor) shift."""
    f = np.asarray(f, np.int64)
    acc = f @ np.asarray(w1, np.int64).T + np.asarray(b1, np.int64)
    h = np.clip(acc >> bs.MIXER_SHIFT1, 0, bs.MIXER_HIDDEN_MAX)
    return (h @ np.asarray(w2, np.int64).T + np.asarray(b2, np.int64)) >> bs.MIXER_SHIFT2


def build_mixer_onnx(w1, b1, w2, b2, doc: str = "") -> onnx.ModelProto:
    """The integer network as an int64 ONNX graph: input "features" (N, 67) int32, output "outputs" (N, 10)
    int64. Deterministic: the same weights give the same bytes."""
    inits, nodes = [], []

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, np.int64), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def floor_shift(x: str, shift: int, name: str) -> str:
        d = const(f"{name}.divisor", 1 << shift)
        rem = node("Mod", [x, d], f"{name}.rem", fmod=0)
        return node("Div", [node("Sub", [x, rem], f"{name}.floored"), d], f"{name}.shifted")

    x = node("Cast", ["features"], "features64", to=TensorProto.INT64)
    acc1 = node("Add", [node("MatMul", [x, const("w1T", np.asarray(w1).T)], "l1.mm"), const("b1", b1)], "l1.acc")
    h = node("Clip", [floor_shift(acc1, bs.MIXER_SHIFT1, "l1"), const("hidden.lo", 0),
                      const("hidden.hi", bs.MIXER_HIDDEN_MAX)], "hidden")
    acc2 = node("Add", [node("MatMul", [h, const("w2T", np.asarray(w2).T)], "l2.mm"), const("b2", b2)], "l2.acc")
    floor_shift(acc2, bs.MIXER_SHIFT2, "l2")
    nodes[-1].output[0] = "outputs"
    graph = helper.make_graph(
        nodes, "rcl_learned_mixer",
        [helper.make_tensor_value_info("features", TensorProto.INT32, ["n", bs.MIXER_FEATURES])],
        [helper.make_tensor_value_info("outputs", TensorProto.INT64, ["n", bs.MIXER_OUTPUTS])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rcl")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model)
    return model


def weights_from_onnx(model: onnx.ModelProto) -> tuple[np.ndarray, ...]:
    """(w1 int16, b1 int32, w2 int16, b2 int32) as stored in a mixer graph."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return (inits["w1T"].T.astype(np.int16), inits["b1"].astype(np.int32),
            inits["w2T"].T.astype(np.int16), inits["b2"].astype(np.int32))


def ort_forward(path: Path, f: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {"features": np.ascontiguousarray(f, np.int32)})[0]


def numba_forward(f: np.ndarray, w1, b1, w2, b2, as_coded: bool = True) -> np.ndarray:
    """The coder's compiled netmix.forward, row by row: as the coder runs it (as_coded: the weights through
    netmix.prepare, int16 features, int32 hidden sums), or on int64 features and the weights as stored."""
    from rc_plugin.adaptive.netmix import forward, prepare

    if as_coded:
        f = np.ascontiguousarray(f, np.int16)
        w1, b1, w2, b2 = prepare((w1, b1, w2, b2))
        hidden = np.zeros(b1.shape[0], np.int32)
    else:
        f = np.ascontiguousarray(f, np.int64)
        hidden = np.zeros(b1.shape[0], np.int64)
    out = np.zeros((len(f), bs.MIXER_OUTPUTS), np.int64)
    for i in range(len(f)):
        forward(f[i], w1, b1, w2, b2, hidden, out[i])
    return out


def photo_features(size: int = 48) -> np.ndarray:
    """The coder's mixer features on the centre size x size crop of each parity photo (tap_plane, raster order)."""
    from PIL import Image

    from rc_plugin.adaptive.tap import tap_plane

    rows = []
    for path in PARITY_PHOTOS:
        img = np.asarray(Image.open(path).convert("RGB"))
        y, x = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
        rows.append(tap_plane(img[y:y + size, x:x + size])[:, :bs.MIXER_FEATURES])
    return np.concatenate(rows)


def export_mixer(mixer_id: int) -> dict:
    """Write the released mixer's ONNX file after the parity check; return its manifest entry."""
    w1, b1, w2, b2 = mixers.load(mixer_id)
    doc = (f"rcl learned mixer {mixer_id} (hidden {w1.shape[0]}): integer network of rc_plugin.adaptive.netmix, "
           f"shifts {bs.MIXER_SHIFT1}/{bs.MIXER_SHIFT2}, hidden clipped to 0..{bs.MIXER_HIDDEN_MAX}")
    data = build_mixer_onnx(w1, b1, w2, b2, doc).SerializeToString()
    path = onnx_path(mixer_id)
    if path.exists() and path.read_bytes() != data:
        raise SystemExit(f"{path} exists with other bytes: a released mixer's export is never replaced")
    staging = path.with_suffix(".onnx.tmp")
    staging.write_bytes(data)
    try:
        f = photo_features()
        ref = int64_forward(f, w1, b1, w2, b2)
        checks = (("onnxruntime", ort_forward(staging, f)), ("netmix.forward", numba_forward(f, w1, b1, w2, b2)))
        for name, got in checks:
            if not np.array_equal(got, ref):
                raise SystemExit(f"mixer {mixer_id}: {name} differs from the int64 reference in {np.sum(got != ref)} "
                                 "outputs")
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)
    print(f"mixer {mixer_id}: onnxruntime == int64 reference == netmix.forward on {len(f)} subpixels; wrote {path}")
    digest = hashlib.sha256(b"".join(a.tobytes() for a in (w1, b1, w2, b2))).hexdigest()[:16]
    return {
        "file": f"mixers/{mixer_id}.onnx",
        "onnx_sha256": hashlib.sha256(data).hexdigest(),
        "npz_sha256": hashlib.sha256((mixers.MIXERS_DIR / f"{mixer_id}.npz").read_bytes()).hexdigest(),
        "weights_digest": digest,
        "hidden": int(w1.shape[0]),
        "features": bs.MIXER_FEATURES,
        "outputs": bs.MIXER_OUTPUTS,
        **({"checkpoint": str(CHECKPOINTS[mixer_id].relative_to(ROOT))} if mixer_id in CHECKPOINTS else {}),
    }


def register(entries: dict[int, dict], manifest_path: Path = MANIFEST) -> None:
    """Add the mixers under "mixers" in manifest.json; every other entry stays as it is. A mixer listed before
    keeps what was recorded about it beyond these fields (its training provenance)."""
    manifest = json.loads(manifest_path.read_text())
    listed = manifest.setdefault("mixers", {})
    for mixer_id, entry in sorted(entries.items()):
        listed[str(mixer_id)] = {**listed.get(str(mixer_id), {}), **entry}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ids", type=int, nargs="*", help="mixer ids (default: every released one)")
    a = p.parse_args()
    register({k: export_mixer(k) for k in (a.ids or sorted(mixers.DIGESTS))})
