"""models.train_mixer end to end on the repository's photos: tapping through the compiled coder, training with the
integer rounding in the loop, resuming from its checkpoint, and weights the coder takes."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from models import mixer_data, train_mixer
from models.mixer import Mixer, code_length
from rc_plugin.adaptive import plane_coder
from rc_plugin.format import bitstream as bs

ASSETS = Path(__file__).resolve().parent / "assets"


@pytest.fixture
def pack(tmp_path) -> Path:
    """A pack as models.mixer_data writes one: photos and their items.json (whole images, the "bsds" kind)."""
    folder = tmp_path / "pack"
    folder.mkdir()
    items = []
    for name in ("lake.png", "osprey.png"):
        shutil.copyfile(ASSETS / name, folder / name)
        items.append(mixer_data.Item(name, "bsds", 0)._asdict())
    (folder / "items.json").write_text(json.dumps(items))
    return folder


def test_tap_is_what_the_coder_reads(pack):
    img = mixer_data.prepare(pack, mixer_data.items_of(pack)[0])
    tap = mixer_data.tap_image(img[:40, :56])
    assert tap.shape == (40 * 56 * 3, bs.MIXER_FEATURES + 3)
    assert np.array_equal(tap[:, bs.MIXER_FEATURES], img[:40, :56].reshape(-1))  # the values, in raster order
    assert np.abs(tap[:, : bs.MIXER_FEATURES]).max() <= bs.MIXER_FEATURE_LIMIT


def test_train_resume_and_code_with_the_weights(pack, tmp_path, capsys):
    args = ["--pack", str(pack), "--cache", str(tmp_path / "taps"), "--workers", "1", "--hidden", "4", "--batch", "2048",
            "--checkpoint", str(tmp_path / "m.pt"), "--out", str(tmp_path / "m.npz")]
    train_mixer.main(args + ["--minutes", "0.05"])
    first = torch.load(tmp_path / "m.pt")
    assert first["step"] > 0 and "held out: coder" in capsys.readouterr().out
    train_mixer.main(args + ["--minutes", "0.1"])
    assert "resumed at" in capsys.readouterr().out and torch.load(tmp_path / "m.pt")["step"] > first["step"]
    with np.load(tmp_path / "m.npz") as w:
        net = (w["w1"], w["b1"], w["w2"], w["b2"])
    assert net[0].dtype == np.int16 and net[0].shape == (4, bs.MIXER_FEATURES)
    img = np.asarray(mixer_data.prepare(pack, mixer_data.items_of(pack)[1]))[:32, :40].copy()
    data = plane_coder.encode_plane(img, net)
    assert np.array_equal(plane_coder.decode_plane(data, 32, 40, 3, net), img)


def test_fine_tune_from_a_checkpoint_on_some_kinds(pack, tmp_path, capsys):
    """--init-from starts from a trained run's weights with its own clock at zero (mixer 4: the large mixer fine-tuned
    on downscaled photos); --kinds keeps the draw's images of those kinds, and none left is an error."""
    args = ["--pack", str(pack), "--cache", str(tmp_path / "taps"), "--workers", "1", "--hidden", "4", "--batch", "2048"]
    train_mixer.main(args + ["--minutes", "0.05", "--checkpoint", str(tmp_path / "base.pt")])
    base = torch.load(tmp_path / "base.pt")
    train_mixer.main(args + ["--minutes", "0.02", "--kinds", "bsds", "--init-from", str(tmp_path / "base.pt"),
                             "--checkpoint", str(tmp_path / "tuned.pt"), "--lr", "0"])
    assert f"from {tmp_path / 'base.pt'}" in capsys.readouterr().out
    tuned = torch.load(tmp_path / "tuned.pt")
    assert 0 < tuned["step"] and tuned["spent"] < base["spent"]
    for name, weights in base["model"].items():  # at learning rate 0 the weights stay the checkpoint's
        torch.testing.assert_close(tuned["model"][name], weights)
    with pytest.raises(SystemExit, match="no image of the kinds"):
        train_mixer.main(args + ["--minutes", "0.02", "--kinds", "down"])


def test_untrained_network_is_the_coder_alone():
    """Zero output weights: four equal copies of the coder's logistic, so the code length is the coder's own."""
    model = Mixer(8)
    x = torch.randint(-127, 128, (64, bs.MIXER_FEATURES)).float()
    v, mu, row = torch.randint(0, 256, (64,)), torch.randint(0, 2041, (64,)), torch.randint(0, 97, (64,))
    torch.testing.assert_close(code_length(model(x), v, mu, row), code_length(None, v, mu, row))
