"""The comparison benchmark runs end to end and reports every codec."""
import json

import numpy as np
from PIL import Image

from benchmarks import compare


def test_compare_two_small_images(tmp_path, photo_crop):
    images = tmp_path / "imgs"
    images.mkdir()
    Image.fromarray(photo_crop).save(images / "a.png")
    Image.fromarray(np.ascontiguousarray(photo_crop[::-1, :64])).save(images / "b.png")
    out = tmp_path / "out"
    report = tmp_path / "results.md"
    compare.main([str(images), "--out", str(out), "--results", str(report), "--lossy", "hevc"])
    result = json.loads((out / "results.json").read_text())
    names = {t["codec"] for t in result["table"]}
    assert names == {"rcl (hevc)", "PNG", "WebP-LL m6", "JPEG2000-LL", "JPEG-LS", "JPEG-XL-LL e7", "JPEG-XL-LL e9"}
    assert all(t["all_exact"] and t["images"] == 2 for t in result["table"])
    rcl = next(t for t in result["table"] if t["codec"] == "rcl (hevc)")
    assert 0 < rcl["lossy_bpsp"] < rcl["bpsp"] and 1 <= rcl["mean_q"] <= 51
    table = (out / "table.md").read_text()
    assert all(name in table for name in names)
    assert (out / "per_image_bpsp.png").stat().st_size > 0 and (out / "bpsp_vs_decode_time.png").stat().st_size > 0
    assert "| rcl (hevc) |" in report.read_text()
