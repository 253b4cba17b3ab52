"""The rcl command: a folder with a corrupt file, effort, the reported provider, metadata, alpha per output format."""
import shutil

import numpy as np
import pytest
from PIL import Image

from rcl_testutil import rcl


def test_encode_decode_folder_with_a_bad_file(tmp_path, photo_crop):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(photo_crop).save(src / "a.png")
    Image.fromarray(photo_crop[:33, :21]).convert("L").save(src / "sub" / "b.png")
    (src / "broken.png").write_bytes(b"not an image at all")

    enc = rcl("encode", src, "-o", tmp_path / "rcl", "--q", 16, "-j", 2, "--verify")
    assert enc.returncode == 1  # one file failed
    assert "broken.png" in enc.stderr
    assert "2 of 3 files done" in enc.stderr
    assert sorted(p.name for p in (tmp_path / "rcl").rglob("*")) == ["a.rcl", "b.rcl", "sub"]
    assert not list((tmp_path / "rcl").rglob("*.part"))

    again = rcl("encode", src / "a.png", "-o", tmp_path / "rcl")
    assert again.returncode == 1 and "exists" in again.stderr

    # a corrupt .rcl among good ones: reported, the rest decoded
    shutil.copy(tmp_path / "rcl" / "a.rcl", tmp_path / "rcl" / "c.rcl")
    data = bytearray((tmp_path / "rcl" / "c.rcl").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "rcl" / "c.rcl").write_bytes(bytes(data))
    dec = rcl("decode", tmp_path / "rcl", "-o", tmp_path / "out")
    assert dec.returncode == 1 and "c.rcl" in dec.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "a.png")), photo_crop)
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "out" / "sub" / "b.png")),
        np.asarray(Image.fromarray(photo_crop[:33, :21]).convert("L")),
    )
    assert not (tmp_path / "out" / "c.png").exists()

    info = rcl("info", tmp_path / "rcl" / "a.rcl", "--json")
    assert info.returncode == 0 and '"q": 16' in info.stdout


def expected_provider(device: str) -> str:
    """The provider that must run the model: CUDA for "auto" exactly where onnxruntime offers it."""
    import onnxruntime as ort

    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    return "CUDAExecutionProvider" if device == "cuda" or (device == "auto" and cuda) else "CPUExecutionProvider"


def test_info_device():
    out = rcl("info", "--device")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"residual model runs on: {expected_provider('auto')}"
    cpu = rcl("info", "--device", "--device-name", "cpu")
    assert cpu.returncode == 0 and cpu.stdout.strip() == "residual model runs on: CPUExecutionProvider", cpu.stderr


def test_single_file_progress_and_lossless_outputs_only(tmp_path, photo_crop):
    Image.fromarray(photo_crop).save(tmp_path / "one.png")
    enc = rcl("encode", tmp_path / "one.png", "--q", 15)
    assert enc.returncode == 0 and "tile" in enc.stderr  # per-tile progress for a single file
    bad = rcl("decode", tmp_path / "one.rcl", "--format", "jpg")
    assert bad.returncode == 2 and "lossless" in bad.stderr
    for fmt in ("tiff", "webp"):
        dec = rcl("decode", tmp_path / "one.rcl", "--format", fmt)
        assert dec.returncode == 0, dec.stderr
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"one.{fmt}")), photo_crop)


@pytest.mark.slow  # two encodes, one with the Q search, in fresh processes: 3.6-6.6 s on 2 CPU cores
def test_effort_option(tmp_path, photo_crop):
    import rc_plugin
    from rc_plugin.mixture import qsearch

    Image.fromarray(photo_crop).save(tmp_path / "e.png")
    fast = rcl("encode", tmp_path / "e.png", "--coder", "mixture", "-e", 1, "-o", tmp_path / "e1", "--verify")
    refined = rcl("encode", tmp_path / "e.png", "--coder", "mixture", "-e", 2, "-o", tmp_path / "e2", "--verify")
    assert fast.returncode == 0 and refined.returncode == 0, fast.stderr + refined.stderr
    e1, e2 = ((tmp_path / d / "e.rcl").read_bytes() for d in ("e1", "e2"))
    # -e 1 codes at the Q-classifier's Q, -e 2 at the searched one, which differ on this crop. Measured:
    # classifier Q 17, searched Q 40: python tests/measure_thresholds.py classifier_qs searched_qs
    q1, q2 = rc_plugin.info(e1)["q"], rc_plugin.info(e2)["q"]
    assert q1 == qsearch.classifier_q(photo_crop)
    assert q2 != q1 and qsearch.SEARCH_RANGE[0] <= q2 <= qsearch.SEARCH_RANGE[1]
    # this image is small enough to be searched whole, so effort 2 is never larger
    assert len(e2) <= len(e1)
    bad = rcl("encode", tmp_path / "e.png", "-e", 4, "-o", tmp_path / "e3")
    assert bad.returncode == 2 and "effort must be an effort level 1, 2 or 3" in bad.stderr


def _decode_in_process(capsys, *args) -> tuple[int, str]:
    """rcl decode run here (one file runs in this process, as the command runs it): (exit status, stderr)."""
    from rc_plugin.files import cli

    capsys.readouterr()
    status = cli.main(["decode", *map(str, args), "--quiet"])
    return status, capsys.readouterr().err


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, photo_crop):
    """An .rcl file with a real ICC profile (sRGB) and EXIF (two text tags), and what it holds."""
    from PIL import ImageCms

    import rc_plugin

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010E] = "an image description"
    exif[0x0131] = "rcl tests"
    img = photo_crop[:24, :32]
    path = tmp_path_factory.mktemp("tagged") / "t.rcl"
    path.write_bytes(rc_plugin.encode(img, q=18, icc_profile=icc, exif=exif.tobytes()))
    return path, img, icc


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_decode_keeps_icc_and_exif(tmp_path, capsys, tagged, suffix):
    src, img, icc = tagged
    dst = tmp_path / f"t{suffix}"
    status, err = _decode_in_process(capsys, src, "-o", dst)
    assert status == 0, err
    with Image.open(dst) as im:
        assert np.array_equal(np.asarray(im), img)
        assert im.info.get("icc_profile") == icc
        assert im.getexif().get(0x010E) == "an image description" and im.getexif().get(0x0131) == "rcl tests"




@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff", ".webp", ".bmp", ".ppm", ".pnm"])
def test_rgba_decodes_exactly_or_fails_clearly(tmp_path, capsys, photo_crop, suffix):
    """Every output format rcl decode offers: the exact RGBA where the format holds alpha; otherwise a clear
    error (non-zero exit, naming alpha) and no file."""
    import rc_plugin
    from rc_plugin.files import batch

    assert suffix in batch.OUTPUT_FORMATS
    rgba = np.dstack([photo_crop[:24, :32], np.random.default_rng(5).integers(0, 256, (24, 32), dtype=np.uint8)])
    rgba[:, :8, 3] = 0  # fully transparent pixels keep their colour in an .rcl file
    rgba[:, 8:16, 3] = 255
    src = tmp_path / "a.rcl"
    src.write_bytes(rc_plugin.encode(rgba, q=18))
    dst = tmp_path / f"a{suffix}"
    status, err = _decode_in_process(capsys, src, "-o", dst)
    if status == 0:
        with Image.open(dst) as im:
            assert im.mode == "RGBA", f"{suffix}: written as {im.mode}"
            assert np.array_equal(np.asarray(im), rgba), f"{suffix}: pixels differ"
    else:
        assert "alpha" in err.lower() and not dst.exists(), err


def test_what_the_input_means_is_kept_or_refused(tmp_path, photo_crop):
    """Never a silent change of what an input means: a transparent colour (tRNS) becomes alpha; an animation, an
    8-bit TIFF stack and signed samples are refused; '-o y.jpg' is refused, not made a folder."""
    import tifffile

    import rc_plugin  # noqa: F401  (registers the Pillow plugin)

    grey, rgb = photo_crop[:24, :32, 0], np.ascontiguousarray(photo_crop[:24, :32])
    Image.fromarray(grey).save(tmp_path / "key.png", transparency=int(grey[0, 0]))
    Image.fromarray(rgb).save(tmp_path / "key_rgb.png", transparency=tuple(int(v) for v in rgb[0, 0]))
    for name, mode in (("key", "LA"), ("key_rgb", "RGBA")):
        with Image.open(tmp_path / f"{name}.png") as src:
            src.save(tmp_path / f"{name}.rcl")  # through Pillow
            expected = np.asarray(src.convert(mode))
        assert expected[0, 0, -1] == 0  # the keyed colour is transparent
        out = rcl("encode", "--verify", tmp_path / f"{name}.png", "-o", tmp_path / f"{name}_cli.rcl", "--quiet")
        assert out.returncode == 0, out.stderr
        for stored in (f"{name}.rcl", f"{name}_cli.rcl"):
            with Image.open(tmp_path / stored) as back:
                assert back.mode == mode and np.array_equal(np.asarray(back), expected), stored
    frames = [Image.fromarray(np.roll(rgb, k, axis=1)) for k in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])
    tifffile.imwrite(tmp_path / "stack8.tif", np.stack([grey, 255 - grey]))
    tifffile.imwrite(tmp_path / "signed.tif", grey.astype(np.int8))
    for name, why in (("anim.gif", "3 frames"), ("anim.png", "3 frames"), ("stack8.tif", "2 pages"),
                      ("signed.tif", "int8 samples")):
        out = rcl("encode", tmp_path / name, "-o", tmp_path / "refused.rcl")
        assert out.returncode != 0 and why in out.stderr, (name, out.stderr)
    assert not (tmp_path / "refused.rcl").exists()
    out = rcl("decode", tmp_path / "key.rcl", "-o", tmp_path / "y.jpg")
    assert out.returncode != 0 and "lossless format" in out.stderr and not (tmp_path / "y.jpg").exists()
