"""Write the integer RC network as an ONNX graph of exact float32 operations.

Each layer is Conv (integer weights and bias) -> Mul by 2**-shift -> Round -> Clip,
built directly from the integer parameters so what ships is what the int64
reference computes.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from rc_plugin.format import grids

OPSET = 17


class _Graph:
    def __init__(self) -> None:
        self.nodes: list = []
        self.inits: list = []
        self.n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        self.n += 1
        out = f"{op.lower()}_{self.n}"
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def qconv(self, x: str, name: str, p: dict) -> str:
        k = p["w"].shape[2]
        w = self.const(f"{name}.w", p["w"])
        b = self.const(f"{name}.b", p["b"])
        y = self.node("Conv", [x, w, b], kernel_shape=[k, k], strides=[p["stride"]] * 2, pads=[k // 2] * 4)
        scale = self.const(f"{name}.scale", np.exp2(-p["shift"].astype(np.float64)).reshape(1, -1, 1, 1))
        y = self.node("Round", [self.node("Mul", [y, scale])])
        return self.clip(y, name, p["lo"], p["hi"])

    def clip(self, x: str, name: str, lo: float, hi: float) -> str:
        return self.node("Clip", [x, self.const(f"{name}.lo", np.array(lo)), self.const(f"{name}.hi", np.array(hi))])


def build_rc_onnx(layers: dict, blocks: int, out_channels: int, doc: str = "") -> onnx.ModelProto:
    g = _Graph()
    f = g.qconv("xl", "head", layers["head"])
    d = g.qconv(f, "down", layers["down"])
    for i in range(blocks):
        y = g.qconv(g.qconv(d, f"blocks.{i}.c1", layers[f"blocks.{i}.c1"]), f"blocks.{i}.c2", layers[f"blocks.{i}.c2"])
        d = g.clip(g.node("Add", [d, y]), f"blocks.{i}.sum", 0, 255)
    u = g.node("DepthToSpace", [g.qconv(d, "up", layers["up"])], blocksize=2, mode="CRD")
    m = g.qconv(g.node("Concat", [f, u], axis=1), "merge", layers["merge"])
    out = g.qconv(g.qconv(m, "tail", layers["tail"]), "out", layers["out"])
    g.nodes[-1].output[0] = "params"
    graph = helper.make_graph(
        g.nodes,
        "rcl_residual_compressor",
        [helper.make_tensor_value_info("xl", TensorProto.FLOAT, [1, grids.IN_CHANNELS, "height", "width"])],
        [helper.make_tensor_value_info("params", TensorProto.FLOAT, [1, out_channels, "height", "width"])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rcl")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model)
    return model


def layers_from_onnx(model: onnx.ModelProto) -> tuple[dict, int]:
    """Recover the integer layers (and the block count) from a shipped RC graph."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convs = {n.input[1][: -len(".w")]: n for n in model.graph.node if n.op_type == "Conv"}
    layers = {}
    for name, node in convs.items():
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        w = inits[f"{name}.w"]
        layers[name] = {
            "w": w.astype(np.int64),
            "b": inits[f"{name}.b"].astype(np.int64),
            "shift": np.round(-np.log2(inits[f"{name}.scale"].reshape(-1).astype(np.float64))).astype(np.int64),
            "stride": int(attrs["strides"][0]),
            "lo": int(inits[f"{name}.lo"]),
            "hi": int(inits[f"{name}.hi"]),
        }
    blocks = sum(1 for n in layers if n.endswith(".c1"))
    return layers, blocks
