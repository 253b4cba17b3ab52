"""The JPEG-decoded set's draw (benchmarks.jpeg_set) and the five-set run (benchmarks.five_sets), on a made-up
training manifest and tiny images: the draw is the same every time, keeps clear of the check set, and
held_out covers both; five_sets checks every decode and reuses its JPEG XL e9 cache."""
import csv
import json

import numpy as np
import pytest
from PIL import Image

from benchmarks import check_set, five_sets, jpeg_set

pytest.importorskip("imagecodecs")

SIZES = [("bsds500", 481, 321)] * 15 + [("bsds500", 321, 481)] * 5 + [("wall", 2000, 1200)] * 16 \
    + [("wall", 1000, 700)] * 10 + [("wall", 700, 500)] * 3


@pytest.fixture(scope="module")
def train(tmp_path_factory):
    """A training folder: manifest.csv and a JPEG per row (a gradient with a little noise)."""
    root = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(0)
    rows = []
    for n, (source, w, h) in enumerate(SIZES):
        file = f"{source}/{n:03d}.jpg"
        (root / source).mkdir(exist_ok=True)
        img = (np.add.outer(np.arange(h) % 200, np.arange(w) % 50)[..., None] + rng.integers(0, 4, (h, w, 3)))
        Image.fromarray(img.astype(np.uint8)).save(root / file, quality=90)
        rows.append({"file": file, "source": source, "kind": "JPEG (original bytes)", "width": w, "height": h})
    with open(root / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_draw_is_seeded_and_clear_of_the_check_set(train):
    picks = jpeg_set.draw(train)
    assert picks == jpeg_set.draw(train)
    assert len(picks) == 24 and len({p.file for p in picks}) == 24
    whole, crops = picks[:12], picks[12:]
    assert all(p.file.startswith("bsds500/") and p.box is None for p in whole)
    assert not {p.file for p in crops} & set(check_set.chosen(train))
    sizes = {f"{s}/{n:03d}.jpg": (w, h) for n, (s, w, h) in enumerate(SIZES)}
    for p in crops:
        left, top, right, bottom = p.box
        assert (right - left, bottom - top) == (768, 512)
        assert right <= sizes[p.file][0] and bottom <= sizes[p.file][1]
    assert jpeg_set.held_out(train) == set(check_set.chosen(train)) | {p.file for p in picks}


def test_build_decodes_without_scaling(train, tmp_path):
    paths = jpeg_set.build(train, tmp_path, log=lambda line: None)
    pick = jpeg_set.draw(train)[12]
    with Image.open(train / pick.file) as src:
        want = np.asarray(src.convert("RGB").crop(pick.box))
    assert np.array_equal(np.asarray(Image.open(paths[12])), want)
    assert Image.open(paths[0]).size in ((481, 321), (321, 481))


def test_five_sets_checks_decodes_and_caches_e9(tmp_path, photos):
    data, out = tmp_path / "data", tmp_path / "out"
    (data / "val").mkdir(parents=True)
    for name, img in photos.items():
        Image.fromarray(img[:48, :64]).save(data / "val" / f"{name}.png")
    argv = ["--sets", "val", "--limit", "2", "--data", str(data), "--out", str(out), "--variant", "a={}"]
    five_sets.main(argv)
    first = json.loads((out / "five_sets.json").read_text())
    five_sets.main(argv)
    second = json.loads((out / "five_sets.json").read_text())
    assert [t["codec"] for t in second["table"]] == [five_sets.E7, five_sets.E9, "rcl (a)"]
    assert all(r["exact"] for r in second["rows"])
    assert [t["e9_cached"] for t in first["table"]] == [0, 0, 0] and second["table"][1]["e9_cached"] == 2
    assert second["table"][1]["bpsp"] == first["table"][1]["bpsp"]
    assert second["table"][1]["vs_e9"] == 1.0
