"""rcl as a numcodecs codec and a zarr 3 array-to-bytes codec (rc_plugin.adapters.zarr_codec), and Dask reading such arrays.

The tests that need numcodecs, zarr, dask or distributed skip without them; the `test` extra installs them (zarr and
numcodecs on Python 3.11+), and with CI set a missing one that it installs fails the run (tests/rcl_ci.py).
"""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rc_plugin
from rc_plugin import RclError

ROOT = Path(__file__).resolve().parents[1]
# a child Python that imports this checkout's rc_plugin
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def child(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=CHILD_ENV, capture_output=True, text=True, timeout=120,
                          **kw)


@pytest.fixture(scope="module")
def stack(photos) -> np.ndarray:
    """Three 48x64 RGB crops, one from each sample photo: an (N, H, W, C) image stack."""
    return np.stack([photos[name][100:148, 40:104] for name in ("colosseum", "lake", "osprey")])


def test_import_rc_plugin_imports_neither_zarr_nor_numcodecs():
    code = ("import sys, rc_plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numcodecs', 'zarr', 'dask', 'distributed')))")
    out = child(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_rc_plugin_works_without_zarr_and_numcodecs_installed():
    """With numcodecs and zarr unimportable, rc_plugin codes as ever; rc_plugin.adapters.zarr_codec says what to install."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('numcodecs', 'zarr'):
            raise ModuleNotFoundError('No module named ' + repr(name), name=name)
sys.meta_path.insert(0, Block())
import numpy as np, rc_plugin
a = (np.arange(16 * 20 * 3) % 251).astype(np.uint8).reshape(16, 20, 3)
assert (rc_plugin.decode(rc_plugin.encode(a)) == a).all()
try:
    import rc_plugin.adapters.zarr_codec
except ImportError as exc:
    print(exc)
else:
    raise SystemExit('rc_plugin.adapters.zarr_codec imported without numcodecs')
"""
    out = child(code)
    assert out.returncode == 0, out.stderr
    assert "numcodecs" in out.stdout and 'pip install "rc-plugin[zarr]"' in out.stdout


# --- the numcodecs codec ------------------------------------------------------------------------------------------


def test_numcodecs_codec_from_config(photo_crop):
    numcodecs = pytest.importorskip("numcodecs")
    from rc_plugin.adapters.zarr_codec import RclCodec

    codec = numcodecs.get_codec({"id": "rcl", "coder": "mixture", "q": 20})
    assert isinstance(codec, RclCodec) and codec.codec_id == "rcl"
    assert codec.get_config() == {"id": "rcl", "coder": "mixture", "q": 20}
    assert numcodecs.get_codec(codec.get_config()) == codec
    assert RclCodec.from_config({"q": np.int64(20), "coder": "mixture"}).get_config() == codec.get_config()
    assert json.dumps(RclCodec(q=np.int64(7)).get_config()) == '{"id": "rcl", "q": 7}'  # JSON values only
    assert numcodecs.get_codec({"id": "rcl"}).get_config() == {"id": "rcl"}
    assert repr(codec) == "RclCodec(coder='mixture', q=20)"
    assert pickle.loads(pickle.dumps(codec)) == codec

    image = photo_crop[:48, :64]
    data = codec.encode(image)
    assert rc_plugin.info(data)["coder"] == "mixture" and rc_plugin.info(data)["q"] == 20
    assert np.array_equal(codec.decode(data), image)
    # out= of the chunk's shape (the leading 1 of a (1, H, W, C) chunk included) is filled and returned
    out = np.zeros((1, 48, 64, 3), np.uint8)
    assert codec.decode(data, out=out) is out and np.array_equal(out[0], image)
    with pytest.raises(RclError, match=r"out holds 3072 bytes .* shape \(48, 64, 3\)"):
        codec.decode(data, out=np.zeros((48, 64), np.uint8))


@pytest.mark.parametrize("shape", [(24, 32), (24, 32, 1), (24, 32, 3), (24, 32, 4), (1, 24, 32, 3), (1, 24, 32),
                                   (1, 1, 24, 32, 4)])
def test_numcodecs_codec_image_shapes(photo_crop, shape):
    pytest.importorskip("numcodecs")
    from rc_plugin.adapters.zarr_codec import RclCodec

    pixels = np.concatenate([photo_crop, photo_crop[..., :1]], axis=2)[:24, :32]  # RGB + a 4th channel
    chunk = pixels[..., : shape[-1]] if shape[-1] in (1, 3, 4) else pixels[..., 0]
    chunk = np.ascontiguousarray(chunk).reshape(shape)
    codec = RclCodec()
    data = codec.encode(chunk)
    assert rc_plugin.info(data)["coder"] in ("adaptive", "tuned")
    assert np.array_equal(codec.decode(data).reshape(shape), chunk)
    assert np.array_equal(codec.decode(data, out=np.empty(shape, np.uint8)), chunk)


def test_numcodecs_codec_refuses_other_dtypes_shapes_and_options(photo_crop):
    pytest.importorskip("numcodecs")
    from rc_plugin.adapters.zarr_codec import RclCodec

    codec = RclCodec()
    for dtype in (np.float32, np.int16, np.int32):  # uint16 chunks code (tests/test_wide.py)
        with pytest.raises(RclError, match=rf"got {np.dtype(dtype)} data: .* uint8 or uint16 chunks only"):
            codec.encode(photo_crop[:8, :8].astype(dtype))
    for shape in [(8, 8, 5), (2, 8, 8, 3), (8, 8, 2), (64,)]:
        with pytest.raises(RclError, match=rf"got a chunk of shape {re_shape(shape)}: .*\(1, H, W, C\)"):
            codec.encode(np.zeros(shape, np.uint8))
    with pytest.raises(RclError, match=r"q must be an integer quantizer in 0..51, not 99"):
        RclCodec(q=99)
    with pytest.raises(RclError, match="mixture coder"):
        RclCodec(coder="adaptive", q=10)
    with pytest.raises(RclError, match="lossy must be"):
        RclCodec.from_config({"lossy": "jpeg"})
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['threads'\]"):
        RclCodec(threads=2)


def re_shape(shape: tuple) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


# --- zarr 3 ---------------------------------------------------------------------------------------------------------


def test_zarr_image_stack_round_trip_through_disk(tmp_path, stack):
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    path = tmp_path / "stack.zarr"
    z = zarr.create_array(store=zarr.storage.LocalStore(path), shape=stack.shape, chunks=(1, 48, 64, 3),
                          dtype="uint8", serializer=RclZarrCodec(coder="mixture", q=20), compressors=None)
    z[:] = stack

    # the codec and its options are in the array's metadata
    meta = json.loads((path / "zarr.json").read_text())
    assert meta["codecs"] == [{"name": "rcl", "configuration": {"coder": "mixture", "q": 20}}]
    again = zarr.open_array(zarr.storage.LocalStore(path, read_only=True))
    assert again.metadata.codecs == (RclZarrCodec(coder="mixture", q=20),)
    assert np.array_equal(again[:], stack)
    assert np.array_equal(again[1, 10:20, 5:9], stack[1, 10:20, 5:9])
    # each stored chunk is an .rcl file coded as configured
    for i in range(3):
        data = (path / "c" / str(i) / "0" / "0" / "0").read_bytes()
        assert rc_plugin.info(data)["coder"] == "mixture" and rc_plugin.info(data)["q"] == 20
        assert np.array_equal(rc_plugin.decode(data), stack[i])
    # a rewrite with the reopened array codes with the stored options
    again = zarr.open_array(zarr.storage.LocalStore(path))
    again[2] = stack[0]
    data = (path / "c" / "2" / "0" / "0" / "0").read_bytes()
    assert rc_plugin.info(data)["q"] == 20 and np.array_equal(zarr.open_array(path)[2], stack[0])


def test_zarr_tiled_image_and_grey_stack(tmp_path, photo_crop):
    """One image chunked in tiles (edge chunks padded by zarr), and a grey stack (N, H, W) chunked (1, H, W)."""
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    image = photo_crop[:40, :60]
    z = zarr.create_array(store=tmp_path / "tiles.zarr", shape=image.shape, chunks=(32, 32, 3), dtype="uint8",
                          serializer=RclZarrCodec(), compressors=None)
    z[:] = image
    assert np.array_equal(zarr.open_array(tmp_path / "tiles.zarr")[:], image)
    assert rc_plugin.info((tmp_path / "tiles.zarr" / "c" / "1" / "1" / "0").read_bytes())["width"] == 32

    grey = np.stack([photo_crop[:24, :32, 0], photo_crop[24:48, :32, 1]])
    z = zarr.create_array(store=tmp_path / "grey.zarr", shape=grey.shape, chunks=(1, 24, 32), dtype="uint8",
                          serializer={"name": "rcl"}, compressors=None)
    z[:] = grey
    assert np.array_equal(zarr.open_array(tmp_path / "grey.zarr")[:], grey)


def test_zarr_sharded_stack(tmp_path, stack):
    """Inside zarr's sharding codec each inner chunk is an image; zarr does not validate inner codecs when the array
    is made, so a bad inner chunk shape is refused when written, with the same message."""
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    z = zarr.create_array(store=tmp_path / "sharded.zarr", shape=stack.shape, chunks=(1, 48, 64, 3),
                          shards=(3, 48, 64, 3), dtype="uint8", serializer=RclZarrCodec(), compressors=None)
    z[:] = stack
    assert np.array_equal(zarr.open_array(tmp_path / "sharded.zarr")[:], stack)
    z = zarr.create_array(store={}, shape=(2, 48, 64, 3), chunks=(2, 48, 64, 3), shards=(2, 48, 64, 3),
                          dtype="uint8", serializer=RclZarrCodec(), compressors=None)
    with pytest.raises(RclError, match=r"got a chunk of shape \(2, 48, 64, 3\)"):
        z[:] = stack[:2]


def test_zarr_refuses_float_arrays_and_non_image_chunks():
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    def create(shape, chunks, dtype="uint8"):
        return zarr.create_array(store={}, shape=shape, chunks=chunks, dtype=dtype, serializer=RclZarrCodec(),
                                 compressors=None)

    with pytest.raises(RclError, match=r"got float32 data: the rcl codec codes images of unsigned integer samples, "
                                       r"uint8 or uint16 chunks only"):
        create((3, 48, 64, 3), (1, 48, 64, 3), "float32")
    with pytest.raises(RclError, match=r"shape \(2, 48, 64, 3\): .*chunk image stacks as \(1, H, W, C\)"):
        create((3, 48, 64, 3), (2, 48, 64, 3))
    with pytest.raises(RclError, match=r"got a chunk of shape \(48, 64, 5\)"):
        create((48, 64, 5), (48, 64, 5))
    assert create((4, 48, 64, 4), (1, 48, 64, 4)).shape == (4, 48, 64, 4)


def test_zarr_codec_options_and_metadata():
    pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    codec = RclZarrCodec(coder="mixture", q=np.int32(20), effort=1)
    assert codec.to_dict() == {"name": "rcl", "configuration": {"coder": "mixture", "effort": 1, "q": 20}}
    again = RclZarrCodec.from_dict(codec.to_dict())
    assert again == codec and hash(again) == hash(codec)
    assert RclZarrCodec.from_dict({"name": "rcl"}) == RclZarrCodec()
    assert pickle.loads(pickle.dumps(codec)) == codec
    assert repr(codec) == "RclZarrCodec(coder='mixture', effort=1, q=20)"
    with pytest.raises(RclError, match="q must be an integer quantizer"):
        RclZarrCodec(q=-1)
    with pytest.raises(RclError, match="tau must be True or False"):
        RclZarrCodec.from_dict({"name": "rcl", "configuration": {"tau": "no"}})
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        RclZarrCodec(device="cpu")
    # metadata from a newer rcl with an encode option this one lacks still opens (decoding needs no options)
    with pytest.warns(RuntimeWarning, match=r"ignoring encode options this version does not know: \['speed'\]"):
        assert RclZarrCodec.from_dict({"name": "rcl", "configuration": {"q": 5, "speed": 3}}) == RclZarrCodec(q=5)


def test_zarr_format_2_with_the_numcodecs_codec(tmp_path, stack):
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclCodec

    z = zarr.create_array(store=tmp_path / "v2.zarr", shape=stack.shape, chunks=(1, 48, 64, 3), dtype="uint8",
                          compressors=RclCodec(), zarr_format=2)
    z[:2] = stack[:2]
    assert json.loads((tmp_path / "v2.zarr" / ".zarray").read_text())["compressor"] == {"id": "rcl"}
    assert np.array_equal(zarr.open_array(tmp_path / "v2.zarr")[:2], stack[:2])
    assert rc_plugin.info((tmp_path / "v2.zarr" / "1.0.0.0").read_bytes())["coder"] in ("adaptive", "tuned")


def test_zarr_format_2_refuses_what_it_would_read_back_otherwise(tmp_path):
    """zarr format 2 views the codec's bytes as the array's dtype in the array's order: big-endian and Fortran-order
    arrays are refused on writing, never read back byte-swapped or transposed."""
    zarr = pytest.importorskip("zarr")
    from rc_plugin.adapters.zarr_codec import RclCodec

    planes = (np.arange(2 * 24 * 32, dtype=np.uint16).reshape(2, 24, 32) * 37) % 4096
    for dtype, order, match in ((">u2", "C", "big-endian"), ("uint16", "F", "Fortran order")):
        z = zarr.create_array(store=tmp_path / f"{order}.zarr", shape=planes.shape, chunks=(1, 24, 32), dtype=dtype,
                              compressors=RclCodec(), zarr_format=2, order=order)
        with pytest.raises(RclError, match=match):
            z[:] = planes
    z = zarr.create_array(store=tmp_path / "c.zarr", shape=planes.shape, chunks=(1, 24, 32), dtype="uint16",
                          compressors=RclCodec(), zarr_format=2)
    z[:] = planes
    assert np.array_equal(zarr.open_array(tmp_path / "c.zarr")[:], planes)
    # decode(out=) of the samples' type fills their values whatever out's byte order and layout
    data = RclCodec().encode(planes[:1])
    for out in (np.empty((1, 24, 32), ">u2"), np.empty((1, 24, 32), np.uint16, order="F")):
        assert RclCodec().decode(data, out=out) is out and np.array_equal(out, planes[:1])
    raw = RclCodec().decode(data, out=bytearray(planes[:1].nbytes))  # a byte buffer gets the samples' bytes
    assert bytes(raw) == planes[:1].tobytes()


def test_zarr_and_numcodecs_find_the_codec_through_entry_points(tmp_path, stack):
    """A fresh process that never imports rc_plugin reads an rcl zarr array and gets the numcodecs codec."""
    zarr = pytest.importorskip("zarr")
    from importlib.metadata import entry_points

    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    for group in ("numcodecs.codecs", "zarr.codecs"):
        assert entry_points(group=group, name="rcl"), f"no {group} entry point: reinstall with pip install -e ."
    z = zarr.create_array(store=tmp_path / "s.zarr", shape=(2, 48, 64, 3), chunks=(1, 48, 64, 3), dtype="uint8",
                          serializer=RclZarrCodec(), compressors=None)
    z[:] = stack[:2]
    np.save(tmp_path / "want.npy", stack[:2])
    code = f"""
import sys, numpy as np, numcodecs, zarr
assert 'rc_plugin' not in sys.modules
a = zarr.open_array({str(tmp_path / 's.zarr')!r}, mode='r')[:]
assert np.array_equal(a, np.load({str(tmp_path / 'want.npy')!r}))
assert type(numcodecs.get_codec({{'id': 'rcl', 'q': 3}})).__name__ == 'RclCodec'
print('ok')
"""
    out = child(code, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# --- Dask -----------------------------------------------------------------------------------------------------------


def test_dask_reads_rcl_zarr_on_distributed_workers(tmp_path, stack):
    zarr = pytest.importorskip("zarr")
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    path = tmp_path / "stack.zarr"
    z = zarr.create_array(store=path, shape=stack.shape, chunks=(1, 48, 64, 3), dtype="uint8",
                          serializer=RclZarrCodec(coder="mixture", q=20), compressors=None)
    z[:] = stack
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  timeout=60) as cluster, distributed.Client(cluster, timeout=60) as client:
        images = da.from_zarr(str(path))
        assert images.chunks == ((1, 1, 1), (48,), (64,), (3,))
        got = client.compute(images).result(timeout=120)
        assert np.array_equal(got, stack)
        # the chunks were decoded in the worker processes
        decoded_there = client.run(lambda: "rc_plugin.adapters.zarr_codec" in sys.modules)
        assert any(decoded_there.values()), decoded_there
        mean = client.compute(images[1:].mean(axis=(1, 2, 3))).result(timeout=120)
        assert np.allclose(mean, stack[1:].mean(axis=(1, 2, 3)))
