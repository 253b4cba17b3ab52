"""An OME-Zarr-shaped uint16 array written and read back through zarr 3 with rcl chunks, against Blosc-zstd.

    python -m benchmarks.ome_zarr DIR                        # planes cut from DIR's 16-bit grey PNGs
    python -m benchmarks.ome_zarr DIR --shape 4 2 8 1024 1024

The array is (T, C, Z, Y, X) uint16, chunked (1, 1, 1, Y, X) as OME-Zarr stores microscopy: one plane a chunk.
Real planes, not noise: each is a window of one of DIR's 16-bit grey images (sorted by name), tiled by mirroring
where the image is smaller than the plane, the windows moving with T and Z so that no two planes are equal. The same
array is stored three times in temporary zarr stores, with rcl (`serializer=RclZarrCodec()`) and with Blosc zstd
level 5 under byte shuffle (OME-Zarr writers' usual setting) and bitshuffle; each store is read back in full and
compared with the array. Printed: the stored bytes, bits per sample, and write and read throughput in megabytes
of samples per second and seconds per megapixel (zarr's own thread pool over chunks, as a user gets it).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def planes(folder: Path, shape: tuple[int, ...]) -> np.ndarray:
    """The (T, C, Z, Y, X) uint16 array of windows of folder's 16-bit grey PNGs."""
    import imagecodecs

    sources = [a for a in (imagecodecs.png_decode(p.read_bytes()) for p in sorted(folder.glob("*.png")))
               if a.dtype == np.uint16 and a.ndim == 2]
    if not sources:
        raise SystemExit(f"{folder} holds no 16-bit grey PNG")
    t_n, c_n, z_n, h, w = shape
    out = np.empty(shape, np.uint16)
    for t in range(t_n):
        for c in range(c_n):
            src = sources[c % len(sources)]
            pad = ((0, max(h + 64 - src.shape[0], 0)), (0, max(w + 64 - src.shape[1], 0)))
            big = np.pad(src, pad, mode="symmetric")
            for z in range(z_n):
                dy, dx = (7 * t + 3 * z) % 64, (5 * t + 11 * z) % 64
                out[t, c, z] = big[dy:dy + h, dx:dx + w]
    return out


def store(array: np.ndarray, serializer, compressors, root: Path) -> dict:
    """Write array to a new zarr store under root and read it back; sizes and times."""
    import zarr

    path = root / "a.zarr"
    start = time.perf_counter()
    kwargs = {"serializer": serializer} if serializer is not None else {}
    z = zarr.create_array(store=str(path), shape=array.shape, chunks=(1, 1, 1) + array.shape[3:], dtype="uint16",
                          compressors=compressors, **kwargs)
    z[:] = array
    written = time.perf_counter() - start
    start = time.perf_counter()
    back = zarr.open_array(str(path))[:]
    read = time.perf_counter() - start
    if not np.array_equal(back, array):
        raise SystemExit("a store read back differs from the array written")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.name.startswith("zarr."))
    shutil.rmtree(path)
    return {"bytes": size, "write_s": written, "read_s": read}


def main() -> None:
    import numcodecs
    from zarr.codecs import BloscCodec

    from rc_plugin.adapters.zarr_codec import RclZarrCodec

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--shape", type=int, nargs=5, default=(4, 2, 8, 1024, 1024), metavar=("T", "C", "Z", "Y", "X"))
    args = ap.parse_args()
    array = planes(args.folder, tuple(args.shape))
    mb, mp = array.nbytes / 1e6, array.size / 1e6
    codecs = [("rcl", RclZarrCodec(), None),
              ("Blosc zstd 5, byte shuffle", None, BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")),
              ("Blosc zstd 5, bitshuffle", None, BloscCodec(cname="zstd", clevel=5, shuffle="bitshuffle"))]
    print(f"array {tuple(array.shape)} uint16, chunks {(1, 1, 1) + array.shape[3:]}, {mb:.0f} MB of samples; "
          f"numcodecs {numcodecs.__version__}")
    print("| codec | stored MB | bits/sample | write MB/s | read MB/s | write s/MP | read s/MP |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, serializer, compressors in codecs:
            r = store(array, serializer, compressors, Path(tmp))
            print(f"| {name} | {r['bytes'] / 1e6:.1f} | {8 * r['bytes'] / array.size:.3f} | {mb / r['write_s']:.1f} | "
                  f"{mb / r['read_s']:.1f} | {r['write_s'] / mp:.3f} | {r['read_s'] / mp:.3f} |", flush=True)


if __name__ == "__main__":
    main()
