"""Released residual models stay shipped under their id, and the decoder picks the one a file names."""
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import rc_plugin
from rc_plugin.format import container
from rc_plugin.mixture import released, runtime
from rc_plugin.mixture.lookup_tables import read_tables

GOLDEN = Path(__file__).resolve().parent / "golden"


def _golden_model_ids() -> dict[str, list[str]]:
    """Model id -> golden files whose tiles were coded by that residual model (mixture tiles)."""
    found: dict[str, list[str]] = {}
    for path in sorted(GOLDEN.glob("v*/*.rcl")):
        data = path.read_bytes()
        if "mixture" in rc_plugin.info(data)["coder"]:
            found.setdefault(container.parse_header(data, None).model_id.hex(), []).append(path.name)
    return found


def test_every_released_model_has_golden_files():
    """A model shipped without a golden file coded with it could break unnoticed; make_golden.py writes one."""
    shipped = released.shipped_ids()
    assert released.current_id().hex() in shipped
    golden = _golden_model_ids()
    assert set(shipped) <= set(golden), f"no golden file coded with {set(shipped) - set(golden)}"
    assert set(golden) <= set(shipped), f"golden files name models that are not shipped: {set(golden) - set(shipped)}"


def test_released_models_hash_to_their_id_and_are_recorded():
    """Each shipped model's id recomputed from its own files (rc.onnx, tables.npz, grids.txt) is its folder's name,
    the manifest's sha256 fields are those files' hashes, and the loader accepts it."""
    manifest = json.loads(released.MANIFEST.read_text())
    assert sorted(manifest["rc_models"]) == released.shipped_ids()
    for hex_id in released.shipped_ids():
        folder = released.RELEASED / hex_id
        onnx_bytes = (folder / "rc.onnx").read_bytes()
        grids_repr = (folder / "grids.txt").read_text().strip()
        assert grids_repr == released.grids_text(), hex_id
        assert released.compute_id(onnx_bytes, read_tables(folder / "tables.npz"), grids_repr).hex() == hex_id
        record = manifest["rc_models"][hex_id]
        assert record["rc_onnx_sha256"] == hashlib.sha256(onnx_bytes).hexdigest(), hex_id
        assert record["tables_sha256"] == hashlib.sha256((folder / "tables.npz").read_bytes()).hexdigest(), hex_id
        for key in ("config", "training_steps", "data", "validation"):
            assert record.get(key), (hex_id, key)
        assert released.model(bytes.fromhex(hex_id)).onnx == folder / "rc.onnx"


def test_a_model_whose_files_no_longer_hash_to_its_id_is_refused(tmp_path, monkeypatch):
    """Another network (or other tables) under a released id: the loader refuses it, naming the damage."""
    hex_id = released.current_id().hex()
    shutil.copytree(released.RELEASED / hex_id, tmp_path / hex_id)
    monkeypatch.setattr(released, "RELEASED", tmp_path)
    released.model.cache_clear()
    try:
        assert released.model(bytes.fromhex(hex_id)).id.hex() == hex_id  # the copy itself loads
        released.model.cache_clear()
        other_id = _release_changed_model_files(tmp_path / hex_id, tmp_path / "other")
        shutil.copy(tmp_path / "other" / "rc.onnx", tmp_path / hex_id / "rc.onnx")  # another network, the old id
        with pytest.raises(rc_plugin.RclError, match=f"{hex_id}.*damaged"):
            released.model(bytes.fromhex(hex_id))
        assert other_id != hex_id
    finally:
        released.model.cache_clear()


def test_unknown_model_is_refused_naming_what_is_shipped(photo_crop):
    data = rc_plugin.encode(photo_crop[:24, :24], q=24)
    header = container.parse_header(data, None)
    from rcl_testutil import recrc

    raw = bytearray(data)
    start = data.index(header.model_id)
    raw[start : start + 8] = bytes.fromhex("0123456789abcdef")
    unknown = recrc(bytes(raw))
    with pytest.raises(rc_plugin.RclError, match="0123456789abcdef.*does not ship.*" + released.current_id().hex()):
        rc_plugin.decode(unknown)
    assert rc_plugin.info(data)["model_shipped"] and not rc_plugin.info(unknown)["model_shipped"]


def _release_changed_model_files(old: Path, new: Path) -> str:
    """The files of a second residual model in new (the one in old with one output bias moved by a grid step, as a
    retrain would move it); returns its id."""
    net = onnx.load(str(old / "rc.onnx"))
    bias = next(t for t in reversed(net.graph.initializer) if len(t.dims) == 1)
    values = numpy_helper.to_array(bias).copy()
    values[0] += 1.0  # still an integer: the network stays exact
    bias.CopyFrom(numpy_helper.from_array(values, bias.name))
    onnx_bytes = net.SerializeToString()
    new_id = released.compute_id(onnx_bytes, read_tables(old / "tables.npz"), released.grids_text()).hex()
    assert new_id != old.name
    new.mkdir()
    (new / "rc.onnx").write_bytes(onnx_bytes)
    shutil.copy(old / "tables.npz", new / "tables.npz")
    shutil.copy(old / "grids.txt", new / "grids.txt")
    return new_id


def _release_changed_model(pkg: Path) -> str:
    """In a copy of the package, release a second residual model (the current one with one output bias moved by a
    grid step), make it current, and return its id."""
    old = pkg / "weights" / "rc" / released.current_id().hex()
    probe = pkg / "weights" / "rc" / "staged"
    new_id = _release_changed_model_files(old, probe)
    probe.rename(pkg / "weights" / "rc" / new_id)
    manifest_path = pkg / "weights" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["rc_current"] = new_id
    manifest_path.write_text(json.dumps(manifest))
    return new_id


@pytest.mark.slow  # about 6 s: a package copy and a process of its own
def test_files_of_an_earlier_model_decode_after_a_new_one_ships(tmp_path, photo_crop):
    """The archive promise: once a retrained model ships, files coded with the earlier one still decode exactly."""
    pkg = tmp_path / "rc_plugin"
    shutil.copytree(runtime.WEIGHTS.parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    new_id = _release_changed_model(pkg)
    old_file = GOLDEN / "v7" / "rgb_mixture.rcl"
    np.save(tmp_path / "crop.npy", photo_crop[:40, :48])
    code = (
        "import hashlib, numpy as np, rc_plugin\n"
        "from rc_plugin.format import container\n"
        f"old = open({str(old_file)!r}, 'rb').read()\n"
        "pixels = rc_plugin.decode(old).tobytes()\n"
        "print('old', container.parse_header(old, None).model_id.hex(), hashlib.sha256(pixels).hexdigest())\n"
        "crop = np.load('crop.npy')\n"
        "new = rc_plugin.encode(crop, q=24)\n"
        "print('new', container.parse_header(new, None).model_id.hex(), np.array_equal(rc_plugin.decode(new), crop))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    old_data = old_file.read_bytes()
    expected = hashlib.sha256(rc_plugin.decode(old_data).tobytes()).hexdigest()
    assert lines["old"] == f"{container.parse_header(old_data, None).model_id.hex()} {expected}"
    assert lines["new"] == f"{new_id} True"
