"""A few real training steps on tiny data, resuming from the checkpoint, and the export's parity check."""
import numpy as np
import pytest
import torch
from PIL import Image

from models import data as data_mod
from models import train_rc
from models.quant import QConv
from models.rc import RCConfig, ResidualCompressor, mixture_bits


@pytest.fixture
def tiny_photos(tmp_path, photo_crop):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        base = np.asarray(Image.fromarray(photo_crop).resize((400, 340), Image.BICUBIC)).astype(np.int16)
        img = np.clip(base + rng.integers(-3, 4, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"p{i}.png")
    return folder


@pytest.fixture
def parity_photos(monkeypatch, photo_paths):
    """export_rc's parity check reads crops of ../shared/data/val by default, and checks nothing where that is
    missing: the sample photos instead."""
    from export import export_models

    monkeypatch.setattr(export_models, "VAL_DIR", photo_paths[0].parent)
    assert len(export_models.parity_inputs(n=1, size=16)) == 1


def _adam_steps(state: dict) -> set:
    """The optimizer's own step counters in a checkpoint: how many updates the weights have had in all."""
    return {int(s["step"]) for s in state["opt"]["state"].values()}


@pytest.mark.slow  # trains (two runs of 3 steps and an export): 3.6-4.8 s on 2 CPU cores
def test_train_resume_and_export(tmp_path, tiny_photos, monkeypatch, parity_photos, capsys):
    monkeypatch.setattr(data_mod, "CACHE_DIR", tmp_path / "cache")
    ckpt = tmp_path / "rc.pt"
    common = ["--images", str(tiny_photos), "--cache", "tiny", "--checkpoint", str(ckpt), "--batch", "2",
              "--crop", "32", "--full", "4", "--half", "8", "--blocks", "1", "--threads", "1"]
    train_rc.main(common + ["--total-steps", "3"])
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 3 and state["config"] == {"full": 4, "half": 8, "blocks": 1, "k": 5, "fracs": None}
    assert _adam_steps(state) == {3}
    first = {k: v.clone() for k, v in state["model"].items()}
    capsys.readouterr()

    # resumes at step 3 and takes the three steps left to 6, from the saved model and optimizer
    batches = []
    real_batch = data_mod.PatchSampler.batch
    monkeypatch.setattr(data_mod.PatchSampler, "batch", lambda self, n: batches.append(n) or real_batch(self, n))
    train_rc.main(common + ["--total-steps", "6"])
    assert f"resumed from {ckpt} at step 3" in capsys.readouterr().out
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 6 and len(batches) == 3
    # a resume that restarted at step 0 would take six more updates (9 in all); one that dropped the saved
    # optimizer would count 3
    assert _adam_steps(state) == {6}
    assert any(not torch.equal(first[k], state["model"][k]) for k in first)

    from export.export_models import export_rc

    model_id, entry = export_rc(ckpt, tmp_path / "weights")  # raises unless onnxruntime == PyTorch == int64 ref.
    folder = tmp_path / "weights" / "rc" / model_id
    assert entry["training_steps"] == 6 and sorted(p.name for p in folder.iterdir()) == [
        "grids.txt", "rc.onnx", "tables.npz"]
    # the folder's files hash to its name, as the decoder checks when it loads a released model
    from rc_plugin.mixture.lookup_tables import read_tables
    from rc_plugin.mixture.released import compute_id

    tables = read_tables(folder / "tables.npz")
    assert compute_id((folder / "rc.onnx").read_bytes(), tables, (folder / "grids.txt").read_text().strip()).hex() \
        == model_id


@pytest.mark.slow  # about 11 s on 2 CPU cores
def test_float_calibrate_finetune_export(tmp_path, tiny_photos, monkeypatch, parity_photos):
    """The float -> calibrated grids -> integer fine-tune path ends in an exact export."""
    from models import calibrate
    from models.quant import set_quantization

    monkeypatch.setattr(data_mod, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(calibrate, "CACHE_DIR", tmp_path / "cache")
    common = ["--images", str(tiny_photos), "--cache", "tiny", "--batch", "2", "--crop", "32",
              "--full", "4", "--half", "8", "--blocks", "2", "--threads", "1"]
    try:
        train_rc.main(common + ["--checkpoint", str(tmp_path / "float.pt"), "--total-steps", "20", "--float"])
    finally:
        set_quantization(True)
    calibrate.main([str(tmp_path / "float.pt"), str(tmp_path / "cal.pt"), "--cache", "tiny"])
    fracs = torch.load(tmp_path / "cal.pt", weights_only=False)["config"]["fracs"]
    assert len(fracs) == 4 + 2 and all(0 <= f <= 8 for f in fracs)

    ckpt = tmp_path / "int.pt"
    train_rc.main(common + ["--checkpoint", str(ckpt), "--init-from", str(tmp_path / "cal.pt"),
                            "--schedule-minutes", "0.05"])
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] > 0 and state["seconds"] >= 3 and tuple(state["config"]["fracs"]) == tuple(fracs)

    from export.export_models import export_rc

    export_rc(ckpt, tmp_path / "weights")  # parity: onnxruntime == PyTorch == int64 reference


def test_loss_is_bits_per_subpixel():
    """A model that predicts a wide, centred logistic gives about log2(alphabet) bits on uniform residuals."""
    model = ResidualCompressor(RCConfig(full=4, half=8, blocks=1))
    with torch.no_grad():
        for _, layer in model.layers():
            layer.weight.zero_()
            layer.bias.zero_()
        # log-scale index 40 -> sigma = 32 for every mixture
        model.out.bias[30:45] = 5.0
    xl = torch.full((1, 6, 16, 16), 128.0)
    r = torch.randint(-2, 3, (1, 3, 16, 16)).float()
    bits = mixture_bits(model(xl), r).item()
    # a logistic with sigma 32 puts about 1/(4*32) on each value near its centre: 7 bits
    assert 6.9 < bits < 7.1


def test_qconv_partial_sums_bounded():
    layer = QConv(64, 8, 3)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    p = layer.integer_params()
    assert (np.abs(p["w"]).sum(axis=(1, 2, 3)) * 255 + np.abs(p["b"])).max() < 2**24


def test_packed_patches_and_device_crops(tmp_path, tiny_photos, monkeypatch):
    """Packed patches are downscaled crops of the photos; the sampler pairs x and x_l at one 8-aligned place."""
    from models.patch_pack import pack

    monkeypatch.setattr(data_mod, "CACHE_DIR", tmp_path / "cache")
    folder = tmp_path / "pack"
    n = pack(folder, budget_mib=1.0, size=64, files=data_mod.list_images(tiny_photos))
    files = sorted(str(f) for f in folder.glob("*.webp"))
    assert n == len(files) >= 2
    cache = data_mod.build_cache("packed_tiny", files, patches=2, workers=1, packed=True)
    stored = np.load(cache)
    assert stored["x"].shape == (2 * n, 64, 64, 3) and set(stored["q"]) <= set(data_mod.Q_TRAIN)
    assert all(stored["q"][2 * i] != stored["q"][2 * i + 1] for i in range(n))  # distinct Q per patch

    sampler = data_mod.PatchSampler([cache, cache], crop=32, seed=3)
    assert len(sampler) == 4 * n
    inp, r = sampler.batch(8)
    xl, x = inp[:, :3].numpy(), (inp[:, :3] + r).numpy()
    for b in range(8):
        hits = [(i, y, x0) for i in range(len(stored["x"])) for y in range(0, 33, 8) for x0 in range(0, 33, 8)
                if np.array_equal(stored["xl"][i, y:y + 32, x0:x0 + 32].transpose(2, 0, 1), xl[b])
                and np.array_equal(stored["x"][i, y:y + 32, x0:x0 + 32].transpose(2, 0, 1), x[b])]
        assert hits, "a crop's x and x_l do not come from one place of one stored pair"
        assert inp[b, 3].unique().numel() == 1  # the Q plane is constant


def test_pack_records_its_downscaling(tmp_path, tiny_photos):
    """A pack made at another scale says so, training's data lineage reads it, and no photo goes below the patch size."""
    from models.patch_pack import pack

    low = tmp_path / "low"
    # 400x340 photos at 0.1-0.12 would be 34-41 px high: they are kept at 64 px instead, one patch each
    n = pack(low, budget_mib=1.0, size=64, files=data_mod.list_images(tiny_photos), scale=(0.1, 0.12))
    patches = sorted(low.glob("*.webp"))
    assert n == len(patches) == 2 and all(Image.open(f).size == (64, 64) for f in patches)
    assert train_rc.pack_scale(low) == (0.1, 0.12)
    # a folder without a record was made with the paper's range
    bare = tmp_path / "bare"
    bare.mkdir()
    assert train_rc.pack_scale(bare) == data_mod.SCALE_RANGE


@pytest.mark.slow  # trains (one step, after building a cache): about 1 s on 2 CPU cores
def test_wider_q_range_gets_its_own_cache(tmp_path, tiny_photos, monkeypatch):
    """--q-max trains on Q beyond the default range from a cache of its own, and the lineage says so."""
    monkeypatch.setattr(data_mod, "CACHE_DIR", tmp_path / "cache")
    ckpt = tmp_path / "rc.pt"
    train_rc.main(["--images", str(tiny_photos), "--cache", "tiny", "--checkpoint", str(ckpt), "--batch", "2",
                   "--crop", "32", "--full", "4", "--half", "8", "--blocks", "1", "--threads", "1",
                   "--total-steps", "1", "--q-max", "26", "--workers", "1"])
    stored = np.load(tmp_path / "cache" / "tiny_q12-26.npz")
    assert set(stored["q"]) <= set(range(12, 27))
    assert not (tmp_path / "cache" / "tiny.npz").exists()
    assert "in 12..26" in torch.load(ckpt, weights_only=False)["data"]


def test_release_keeps_what_was_recorded_about_the_same_weights():
    """Exporting the same weights again without --data/--validation must not overwrite their recorded provenance,
    and releasing new weights keeps every earlier model in the manifest."""
    from export.export_models import release_rc

    manifest = {"rc_models": {"ab": {"data": "recorded", "validation": "v1", "training_steps": 5}}}
    release_rc(manifest, "ab", {"data": "the checkpoint's", "training_steps": 6}, keep=("data", "validation"))
    assert manifest["rc_models"]["ab"] == {"data": "recorded", "validation": "v1", "training_steps": 6}
    release_rc(manifest, "cd", {"data": "new"}, keep=("data", "validation"))
    assert manifest["rc_models"]["cd"] == {"data": "new"} and manifest["rc_current"] == "cd"
    assert manifest["rc_models"]["ab"]["data"] == "recorded"
    release_rc(manifest, "ab", {"data": "given now"})
    assert manifest["rc_models"]["ab"]["data"] == "given now" and manifest["rc_current"] == "ab"
