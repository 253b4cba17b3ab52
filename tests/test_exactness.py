"""The integer network is exact: onnxruntime equals an independent int64 numpy implementation."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image

import rc_plugin
from export.int_reference import rc_forward
from export.onnx_rc import layers_from_onnx
from rc_plugin.mixture import networks, released, runtime
from rc_plugin.mixture.lossy import HevcLayer

RC_PATH = released.current().onnx


@pytest.fixture(scope="module")
def reference():
    return layers_from_onnx(onnx.load(str(RC_PATH)))


@pytest.fixture(scope="module")
def lossy_crops(photo_paths):
    layer = HevcLayer()
    out = []
    for i, path in enumerate(photo_paths):
        img = np.asarray(Image.open(path).convert("RGB"))[48 * i : 48 * i + 130, 32 * i : 32 * i + 162]
        assert img.shape == (130, 162, 3)
        q = 14 + 2 * i
        out.append((layer.decode(layer.encode(img, q), *img.shape[:2]), q))
    return out


def test_weights_respect_the_exactness_bounds(reference):
    layers, _ = reference
    for name, p in layers.items():
        assert np.abs(p["w"]).max() <= 127, name
        # every partial sum of an input in 0..255 stays below 2**24: float32 sums are exact in any order
        assert (np.abs(p["w"]).sum(axis=(1, 2, 3)) * 255 + np.abs(p["b"])).max() < 2**24, name
        assert (p["shift"] >= 0).all(), name


def test_onnxruntime_equals_int64_reference_on_photos(reference, lossy_crops):
    layers, blocks = reference
    for xl, q in lossy_crops:
        h, w = xl.shape[:2]
        ref = rc_forward(layers, networks.rc_input(xl, q)[0], blocks)
        got = networks.rc_outputs(xl, q)
        assert np.array_equal(ref[:, :h, :w], got)


@pytest.fixture(scope="module")
def level_case(reference, lossy_crops):
    """A 128x160 x_l, its Q, and the int64 reference's outputs for it (independent of onnxruntime)."""
    layers, blocks = reference
    xl, q = lossy_crops[0]
    xl = xl[:128, :160]
    return xl, q, rc_forward(layers, networks.rc_input(xl, q)[0], blocks)


@pytest.mark.parametrize("level", ["ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL"])
@pytest.mark.parametrize("threads", [1, 2])
def test_every_optimization_level_and_thread_count_agree(level_case, level, threads):
    """Each level and thread count equals the int64 reference, not onnxruntime at the codec's own level."""
    xl, q, ref = level_case
    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(RC_PATH), opts, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"xl": networks.rc_input(xl, q)})[0][0]
    assert np.array_equal(got, ref)


def test_numpy_and_torch_inputs_agree():
    import torch

    from models.rc import batch_input

    xl = np.random.default_rng(0).integers(0, 256, (20, 34, 3)).astype(np.uint8)
    a = networks.rc_input(xl, 17)
    b = batch_input(torch.from_numpy(xl.transpose(2, 0, 1)[None].astype(np.float32)), torch.tensor([17])).numpy()
    assert np.array_equal(a, b)


@pytest.mark.slow  # two encodes and two decodes of photo_crop: 5.8-6.4 s in full runs on 2 CPU cores (1.5 s alone)
def test_same_bytes_with_different_thread_counts(photo_crop):
    a = rc_plugin.encode(photo_crop, q=15, threads=1)
    b = rc_plugin.encode(photo_crop, q=15, threads=2)
    assert a == b
    assert np.array_equal(rc_plugin.decode(a, threads=2), rc_plugin.decode(b, threads=1))


def test_provider_reported():
    """The provider that actually runs the model is the one asked for: no silent CUDA -> CPU fallback."""
    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    assert networks.active_provider("cpu") == "CPUExecutionProvider"
    assert networks.active_provider("auto") == ("CUDAExecutionProvider" if cuda else "CPUExecutionProvider")
    # what is reported is what the shared session runs
    assert runtime.session(RC_PATH, "auto").get_providers()[0] == networks.active_provider("auto")
