"""The learned mixers are exact everywhere (issue 27, export and parity): on real photo patches tapped by the coder,
each released mixer's PyTorch checkpoint in exact integer mode, an int64 numpy reference, the coder's compiled
netmix.forward and the shipped ONNX graph under onnxruntime give the same 10 outputs on every subpixel; the
checkpoint's integer weights are the released ones; and the coder round-trips the same bytes with each mixer."""
import hashlib
import json

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from export import onnx_mixer
from models.mixer import Mixer
from rc_plugin.adaptive import mixers
from rc_plugin.adaptive.plane_coder import decode_plane, encode_plane
from rc_plugin.format import bitstream as bs

IDS = sorted(mixers.DIGESTS)


@pytest.fixture(scope="module")
def photo_features() -> np.ndarray:
    """The coder's features on a 48x48 crop of tests/assets/lake.png and osprey.png (tap_plane)."""
    f = onnx_mixer.photo_features(48)
    assert f.shape == (2 * 48 * 48 * 3, bs.MIXER_FEATURES) and np.abs(f).max() <= bs.MIXER_FEATURE_LIMIT
    return f


def edge_features(w1: np.ndarray) -> np.ndarray:
    """Rows the photos never reach: seeded random features over the whole clipped range, and for each hidden unit
    the row that drives it furthest up and down (the clip at HIDDEN_MAX and 0)."""
    lim = bs.MIXER_FEATURE_LIMIT
    rand = np.random.default_rng(27).integers(-lim, lim + 1, (1000, bs.MIXER_FEATURES))
    push = np.sign(w1.astype(np.int64)) * lim
    return np.concatenate([rand, push, -push])


def checkpoint_model(mixer_id: int) -> Mixer:
    ck = torch.load(onnx_mixer.CHECKPOINTS[mixer_id], map_location="cpu")
    model = Mixer(ck["hidden"])
    model.load_state_dict(ck["model"])
    return model.eval()


def torch_exact(model: Mixer, f: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(f.astype(np.float64)), exact=True).numpy()
    assert np.array_equal(out, np.round(out))
    return out.astype(np.int64)


@pytest.mark.parametrize("mixer_id", IDS)
def test_checkpoint_is_the_released_mixer(mixer_id):
    """integer_weights() of the checkpoint equal the released npz (values and dtypes), and the shipped ONNX graph
    holds those weights, is what the exporter builds from them byte for byte, and is listed in the manifest."""
    released = mixers.load(mixer_id)
    for got, want in zip(checkpoint_model(mixer_id).integer_weights(), released):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    path = onnx_mixer.onnx_path(mixer_id)
    data = path.read_bytes()
    for got, want in zip(onnx_mixer.weights_from_onnx(onnx.load_from_string(data)), released):
        assert np.array_equal(got, want)
    doc = onnx.load_from_string(data).doc_string
    assert onnx_mixer.build_mixer_onnx(*released, doc).SerializeToString() == data
    entry = json.loads(onnx_mixer.MANIFEST.read_text())["mixers"][str(mixer_id)]
    assert entry["onnx_sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["weights_digest"] == mixers.DIGESTS[mixer_id] and entry["hidden"] == released[0].shape[0]
    assert (mixers.MIXERS_DIR.parent / entry["file"]) == path


@pytest.mark.parametrize("mixer_id", IDS)
def test_four_implementations_agree(mixer_id, photo_features):
    """PyTorch exact, int64 numpy, netmix.forward (numba) and onnxruntime: the same outputs on every photo subpixel
    and on the edge rows; the photos exercise the floor of negative sums and the hidden clip at 0, the edge rows
    the clip at HIDDEN_MAX, so truncating instead of flooring or a changed shift or clip fails here."""
    w1, b1, w2, b2 = mixers.load(mixer_id)
    model = checkpoint_model(mixer_id)
    path = onnx_mixer.onnx_path(mixer_id)
    for f in (photo_features, edge_features(w1)):
        ref = onnx_mixer.int64_forward(f, w1, b1, w2, b2)
        assert ref.shape == (len(f), bs.MIXER_OUTPUTS) and ref.dtype == np.int64
        np.testing.assert_array_equal(torch_exact(model, f), ref)
        assert np.abs(f).max() <= bs.MIXER_FEATURE_LIMIT  # what the coder's int16 features hold
        for as_coded in (True, False):  # netmix.prepare's layout with int16/int32, and the int64 loop
            np.testing.assert_array_equal(onnx_mixer.numba_forward(f, w1, b1, w2, b2, as_coded), ref)
        np.testing.assert_array_equal(onnx_mixer.ort_forward(path, f), ref)
    # the checks are not vacuous: the sums' signs and the clips are all reached
    acc1 = photo_features.astype(np.int64) @ w1.T.astype(np.int64) + b1
    assert (acc1 >> bs.MIXER_SHIFT1 < 0).mean() > 0.05
    out_acc = np.clip(acc1 >> bs.MIXER_SHIFT1, 0, bs.MIXER_HIDDEN_MAX) @ w2.T.astype(np.int64) + b2
    assert ((out_acc < 0) & (out_acc % (1 << bs.MIXER_SHIFT2) != 0)).mean() > 0.1
    assert len(np.unique(out_acc >> bs.MIXER_SHIFT2, axis=0)) > 1000
    edge = edge_features(w1).astype(np.int64) @ w1.T.astype(np.int64) + b1
    assert (edge >> bs.MIXER_SHIFT1 > bs.MIXER_HIDDEN_MAX).any(axis=0).all()


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    out = []
    for name in ("lake", "osprey"):
        img = np.asarray(Image.open(onnx_mixer.ROOT / "tests" / "assets" / f"{name}.png").convert("RGB"))
        y, x = img.shape[0] // 3, img.shape[1] // 3
        out.append(np.ascontiguousarray(img[y:y + 48, x:x + 48]))
    return out


@pytest.mark.parametrize("mixer_id", IDS)
def test_same_bytes(mixer_id, crops):
    """encode_plane with the mixer decodes to the image, twice gives the same bytes, and the mixer is in use (other
    bytes than the coder alone)."""
    net = mixers.load(mixer_id)
    for img in crops:
        data = encode_plane(img, net)
        assert encode_plane(img, net) == data
        np.testing.assert_array_equal(decode_plane(data, *img.shape, net), img)
        assert encode_plane(img) != data
