"""Rebuild the 16-bit image sets that benchmarks.deep_sets reads (photo, microscopy, medical_astro) and the small
16-bit test assets, from real public images kept in public Git repositories.

Why: the sets are not stored in this repository; this script makes them again, byte for byte, from fixed commits of
their source repositories, so every result can be reproduced and every image's origin and licence is on record.

    python -m benchmarks.deep_data --mirrors DIR --out /work/data16
    python -m benchmarks.deep_data --mirrors DIR --mirror owner/name=PATH ... --out /work/data16

It needs a local clone or bare mirror of each repository in SOURCES (its history must hold the listed commit; a
shallow clone of the default branch may not). Under --mirrors DIR a repository owner/name is looked for at
DIR/owner+name/repo, DIR/owner+name, DIR/owner/name, DIR/owner/name.git, DIR/name and DIR/name.git; --mirror
owner/name=PATH names one directly. Each file is read with `git show COMMIT:PATH` (no checkout), decoded to uint16,
cropped to a fixed window, and written as a 16-bit PNG (imagecodecs png_encode): grey (H, W) or RGB (H, W, 3).
OUT/SOURCES.md lists every file with its size, the bits it really uses, its source and its licence; OUT/assets
gets the small test assets and OUT/assets/LICENSES.md their licences.

Readers need only numpy, imagecodecs and tifffile: FITS and DICOM are parsed here (FITS BITPIX 16; DICOM little
endian, native or JPEG 2000 pixel data). Signed data with negative values is offset by minus its minimum; the
offset is recorded in SOURCES.md.
"""
from __future__ import annotations

import argparse
import io
import struct
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import imagecodecs
import numpy as np
import tifffile


class Entry(NamedTuple):
    set: str            # output folder under --out
    name: str           # output file name
    repo: str           # GitHub owner/name
    commit: str         # 40-hex commit holding the file
    path: str           # path in the repository
    reader: str         # png, tiff, pnm, y4m, fits, dicom
    crop: tuple | None  # (top, left, height, width) in the decoded image, or None for the whole image
    licence: str
    source: str         # where the image comes from


LIBAVIF = ("AOMediaCodec/libavif", "092276ce89098ead06db80975173191e5fee1826")
LIBJXL = ("libjxl/testdata", "73695d303670c90e4d506ea89d9901b081385089")
HALIDE = ("halide/Halide", "abbf7ff983dc19d9994d32c5a5d11a8cdda88ed8")
HALIDE_2016 = ("halide/Halide", "11eb0382eca8e9fb079584f1bbb8a3de9feef3fd")  # camera_pipe strips, later removed
CELLPROFILER = ("CellProfiler/examples", "4972b59e670a4ae96c3d453803c92eeff378d054")
TESTIMAGES = ("JuliaImages/TestImages.jl", "e6010ed73b376ffb2c0c7d2e67a6842092054424")  # branch "images"
SUNPY = ("sunpy/sample-data", "379d61f85c5425eb4ab5af8a135a2791ed9a32a3")
PHOTUTILS = ("astropy/photutils-datasets", "8c97b4fa3a6c9e6ea072faeed2d49a20585658ba")
PYDICOM_DATA = ("pydicom/pydicom-data", "b0d40d1e0a42c5696936043bbd8059984259cd33")

HALIDE_MIT = ("MIT (Halide LICENSE.txt, Copyright (c) 2012-2020 MIT CSAIL, Google, Facebook, Adobe, NVIDIA "
              "CORPORATION, and other contributors)")
CELLPROFILER_BSD = "BSD-3-Clause (CellProfiler/examples LICENSE, Copyright (c) 2017, CellProfiler)"
NEMA_WG04 = ("unclear: NEMA DICOM WG04 compression test image, freely distributed for testing (in pydicom-data, an "
             "MIT repository); benchmark use only")
GDCM_BSD = ("BSD-3-Clause (GDCM test data: Copyright (c) 2006-2016 Mathieu Malaterre, Copyright (c) 1993-2005 "
            "CREATIS), as stated in pydicom's test_files/README.txt")
IMAGEJ_SAMPLE = ("unclear: ImageJ sample image redistributed by TestImages.jl (MIT package, no licence for the "
                 "image); benchmark use only")

_CP_WORMS = "ExampleUntangleWorms/images/1649_1109_0003_Amp5-1_B_20070424_C01_"


def _e(set_, name, src, path, reader, crop, licence, source):
    return Entry(set_, name, src[0], src[1], path, reader, crop, licence, source)


SOURCES: tuple[Entry, ...] = (
    # photo: 16-bit RGB developments, a 10-bit film frame, raw Bayer mosaics
    _e("photo", "weld_rgb16.png", LIBAVIF, "tests/data/weld_16bit.png", "png", None,
       "Signature Edits free raw photo licence (irrevocable, worldwide, free incl. commercial use, no attribution "
       "required; quoted in libavif tests/data/README.md)",
       "Welder photo from signatureedits.com/free-raw-photos, developed to 16-bit RGB with darktable/GIMP"),
    _e("photo", "hdr_room_rgb16.png", LIBJXL, "jxl/hdr_room.png", "png", None,
       "CC-BY-4.0 (libjxl/testdata LICENSE; the JPEG XL project authors)",
       "HDR photo of a room, 16-bit RGB, libjxl test data"),
    _e("photo", "cosmos1650_yuv444_10bit.png", LIBAVIF, "tests/data/cosmos1650_yuv444_10bpc_p3pq.y4m", "y4m", None,
       "CC-BY-3.0 (Cosmos Laundromat, Blender Foundation; libavif tests/data/README.md)",
       "Frame ~1 min into the film 'Cosmos Laundromat' (rendered), 10-bit 4:4:4 P3/PQ; planes Y, U, V as channels"),
    _e("photo", "bayer_2592x304_10bit.png", HALIDE_2016, "apps/images/bayer_2592_304.pgm", "pnm", None, HALIDE_MIT,
       "Raw Bayer mosaic strip (10 bits), Halide camera_pipe test input"),
    _e("photo", "bayer_small_10bit.png", HALIDE, "apps/images/bayer_small.png", "png", None, HALIDE_MIT,
       "Raw Bayer mosaic (10-11 bits), Halide camera_pipe test input"),
    # microscopy: fluorescence and bright field, 12 to 16 bits
    _e("microscopy", "h2ax_foci_12bit.png", CELLPROFILER, "ExampleSpeckles/images/1-162hrh2ax2.tif", "tiff", None,
       CELLPROFILER_BSD, "gamma-H2AX foci, fluorescence, CellProfiler ExampleSpeckles"),
    _e("microscopy", "hoechst_nuclei_12bit.png", CELLPROFILER, "ExampleSpeckles/images/1-162hrhoe2.tif", "tiff", None,
       CELLPROFILER_BSD, "Hoechst-stained nuclei, fluorescence, CellProfiler ExampleSpeckles"),
    _e("microscopy", "mcherry_cells.png", CELLPROFILER,
       "ExampleIlluminationCorrection/images/--W00001--P00001--Z00000--T00000--cherry.tif", "tiff", None,
       CELLPROFILER_BSD, "mCherry channel with uneven illumination, CellProfiler ExampleIlluminationCorrection"),
    _e("microscopy", "staph_infection_16bit.png", CELLPROFILER,
       "ExampleIlluminationCorrection/images/ADSAStaphInfection2_A01_w2247376DD-6ADD-442D-AE47-F54A05F3EA94.tif",
       "tiff", None, CELLPROFILER_BSD, "Staphylococcus infection assay, CellProfiler ExampleIlluminationCorrection"),
    _e("microscopy", "worms_c01_w1.png", CELLPROFILER, _CP_WORMS + "w1_10E01AFB-34C4-416E-A9D3-51B90AB53728.tif",
       "tiff", None, CELLPROFILER_BSD, "C. elegans, channel w1, CellProfiler ExampleUntangleWorms"),
    _e("microscopy", "worms_c01_w2.png", CELLPROFILER, _CP_WORMS + "w2_CB2F18CD-EDF0-4BCD-98CF-3A07E5A582FF.tif",
       "tiff", None, CELLPROFILER_BSD, "C. elegans, channel w2, CellProfiler ExampleUntangleWorms"),
    _e("microscopy", "worms_c16_w2.png", CELLPROFILER,
       "ExampleStraightenWorms/images/101210OranePlt1_C16_w2_[EFB0F53A-F40F-46D8-A61A-51C2BE61E460].tif", "tiff",
       None, CELLPROFILER_BSD, "C. elegans, channel w2, CellProfiler ExampleStraightenWorms"),
    _e("microscopy", "hela_cells_rgb12.png", TESTIMAGES, "images/hela-cells.tif", "tiff", None, IMAGEJ_SAMPLE,
       "HeLa cells, 3-channel fluorescence (12 bits), ImageJ sample 'HeLa Cells'"),
    # medical_astro: MR, CR, CT, solar EUV, photographic plate scan, CCD
    _e("medical_astro", "trace_171_sun.png", SUNPY, "sunkit-image/trace_1998-05-19T22:21:43.000_171_1024.fits",
       "fits", None, "public domain: NASA TRACE mission data (the repository has no licence file)",
       "TRACE 171 A solar EUV image, 1998-05-19 22:21:43, sunpy sample data"),
    _e("medical_astro", "dss_plate_m6707hh.png", PHOTUTILS, "data/M6707HH.fits", "fits", (17, 17, 1024, 1024),
       "unclear: Digitized Sky Survey plate scan (STScI); the repository says its data rights were not checked; "
       "benchmark use only", "Palomar 48-inch Schmidt plate scan (DSS), centre 1024x1024 of 1059x1059"),
    _e("medical_astro", "m51_ccd.png", PHOTUTILS, "data/isophote/M51.fits", "fits", None,
       "unclear: CCD frame redistributed by photutils-datasets without a licence; benchmark use only",
       "M51 galaxy, B band 600 s CCD frame (1987), signed 16-bit"),
    _e("medical_astro", "mr2_nema.png", PYDICOM_DATA, "data_store/data/MR2_UNCI.dcm", "dicom", None, NEMA_WG04,
       "MR slice, 12 bits stored, NEMA WG04 'MR2'"),
    _e("medical_astro", "rg3_nema_cr.png", PYDICOM_DATA, "data_store/data/RG3_J2KR.dcm", "dicom",
       (368, 368, 1024, 1024), NEMA_WG04,
       "Computed radiograph, 10 bits, NEMA WG04 'RG3' (lossless JPEG 2000), centre 1024x1024 of 1760x1760"),
    _e("medical_astro", "ct_693.png", PYDICOM_DATA, "data_store/data/693_UNCI.dcm", "dicom", None,
       "unclear: pydicom regression dataset for issue #693 (in pydicom-data, an MIT repository); benchmark use only",
       "CT slice, signed 16-bit"),
    _e("medical_astro", "mr_siemens_gdcm.png", PYDICOM_DATA, "data_store/data/MR-SIEMENS-DICOM-WithOverlays.dcm",
       "dicom", None, GDCM_BSD, "MR slice (Siemens), from the GDCM test data"),
    # assets: small crops, permissive licences only
    _e("assets", "microscopy_h2ax_256.png", CELLPROFILER, "ExampleSpeckles/images/1-162hrh2ax2.tif", "tiff",
       (372, 472, 256, 256), CELLPROFILER_BSD, "gamma-H2AX foci (fluorescence), centre 256x256 crop"),
    _e("assets", "photo_parrot_rgb_160.png", HALIDE, "apps/images/low_res_in.png", "png", (10, 16, 160, 160),
       HALIDE_MIT, "Parrot (macaw) photo, 16-bit RGB, Halide apps/images/low_res_in.png, 160x160 crop around the head"),
    _e("assets", "mr_siemens_256.png", PYDICOM_DATA, "data_store/data/MR-SIEMENS-DICOM-WithOverlays.dcm", "dicom",
       (114, 114, 256, 256), GDCM_BSD, "MR slice (Siemens, GDCM test data), centre 256x256 crop"),
)

#: copyright lines to reproduce for the assets, by repository
ASSET_NOTICES = {
    "CellProfiler/examples": "Copyright (c) 2017, CellProfiler. All rights reserved. (BSD 3-Clause License)",
    "halide/Halide": "Copyright (c) 2012-2020 MIT CSAIL, Google, Facebook, Adobe, NVIDIA CORPORATION, and other "
                     "contributors. (MIT License)",
    "pydicom/pydicom-data": "Copyright (c) 2006-2016 Mathieu Malaterre; Copyright (c) 1993-2005 CREATIS (Centre de "
                            "Recherche et d'Applications en Traitement de l'Image). All rights reserved. (BSD 3-Clause "
                            "License, GDCM; the file is distributed in pydicom-data, MIT License, Copyright (c) 2020 "
                            "Dicom in Python)",
}


# ---------------------------------------------------------------------------------------------------- readers

def read_png(data: bytes) -> np.ndarray:
    return imagecodecs.png_decode(data)


def read_tiff(data: bytes) -> np.ndarray:
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        return tif.pages[0].asarray()


def read_pnm(data: bytes) -> np.ndarray:
    """Binary PGM (P5) or PPM (P6), maxval > 255: big-endian uint16 samples."""
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # one whitespace byte ends the header
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    channels = {b"P5": 1, b"P6": 3}[magic]
    if maxval < 256:
        raise ValueError("8-bit PNM")
    arr = np.frombuffer(data, ">u2", h * w * channels, pos).reshape(h, w, channels)
    return arr.astype(np.uint16).squeeze()


def read_y4m(data: bytes) -> np.ndarray:
    """First frame of a YUV4MPEG2 file, 4:4:4 with 9-16 bits: the Y, U and V planes as (H, W, 3)."""
    head_end = data.index(b"\n")
    params = {p[:1]: p[1:] for p in data[:head_end].split()[1:]}
    w, h, colour = int(params[b"W"]), int(params[b"H"]), params.get(b"C", b"420").decode()
    if not colour.startswith("444p") or colour == "444paligned":
        raise ValueError(f"y4m colour space {colour}: only 4:4:4 with more than 8 bits")
    frame = data.index(b"FRAME", head_end)
    pos = data.index(b"\n", frame) + 1
    planes = np.frombuffer(data, "<u2", 3 * h * w, pos).reshape(3, h, w)
    return np.ascontiguousarray(planes.transpose(1, 2, 0))


def read_fits(data: bytes) -> np.ndarray:
    """Primary HDU of a FITS file with BITPIX 16 (big-endian int16; BZERO 32768 gives uint16)."""
    cards, pos = {}, 0
    while True:
        block = data[pos:pos + 2880]
        pos += 2880
        for i in range(0, 2880, 80):
            card = block[i:i + 80].decode("ascii")
            key = card[:8].strip()
            if key == "END":
                break
            if card[8:10] == "= ":
                cards[key] = card[10:].split("/")[0].strip()
        else:
            continue
        break
    if int(cards["BITPIX"]) != 16 or int(cards["NAXIS"]) != 2:
        raise ValueError(f"FITS BITPIX {cards['BITPIX']} NAXIS {cards['NAXIS']}: only 2-D BITPIX 16")
    w, h = int(cards["NAXIS1"]), int(cards["NAXIS2"])
    raw = np.frombuffer(data, ">i2", w * h, pos).reshape(h, w)
    bzero, bscale = float(cards.get("BZERO", 0)), float(cards.get("BSCALE", 1))
    if bscale != 1 or bzero not in (0, 32768):
        raise ValueError(f"FITS BSCALE {bscale} BZERO {bzero}")
    if bzero == 32768:
        return (raw.astype(np.int32) + 32768).astype(np.uint16)
    return raw.astype(np.int16)  # signed: offset later if negative


_LONG_VR = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_NATIVE_TS = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
_J2K_TS = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}


def read_dicom(data: bytes) -> np.ndarray:
    """First frame of a little-endian DICOM file: native pixel data, or JPEG 2000 (decoded by imagecodecs)."""
    if data[128:132] != b"DICM":
        raise ValueError("no DICM preamble")
    found: dict[int, tuple[int, int | None]] = {}

    def walk(pos: int, end: int, explicit: bool, top: bool) -> int:
        while pos < end:
            group, elem = struct.unpack_from("<HH", data, pos)
            if group == 0xFFFE:  # item, item / sequence delimiter
                length = struct.unpack_from("<I", data, pos + 4)[0]
                pos += 8
                if elem in (0xE00D, 0xE0DD):
                    return pos
                if length == 0xFFFFFFFF:
                    pos = walk(pos, end, explicit, False)
                else:
                    pos += length
                continue
            if explicit or group == 2:
                vr = data[pos + 4:pos + 6]
                if vr in _LONG_VR:
                    length = struct.unpack_from("<I", data, pos + 8)[0]
                    pos += 12
                else:
                    length = struct.unpack_from("<H", data, pos + 6)[0]
                    pos += 8
            else:
                length = struct.unpack_from("<I", data, pos + 4)[0]
                pos += 8
            tag = (group << 16) | elem
            if top and tag == 0x7FE00010:
                found[tag] = (pos, None if length == 0xFFFFFFFF else length)
                return end
            if length == 0xFFFFFFFF:
                pos = walk(pos, end, explicit, False)
                continue
            if top:
                found[tag] = (pos, length)
            pos += length
        return pos

    meta_end = 132
    while struct.unpack_from("<H", data, meta_end)[0] == 2:
        meta_end = walk(meta_end, meta_end + 1, True, True)  # one element at a time
    ts_pos, ts_len = found[0x00020010]
    ts = data[ts_pos:ts_pos + ts_len].rstrip(b"\0 ").decode()
    if ts not in _NATIVE_TS | _J2K_TS:
        raise ValueError(f"DICOM transfer syntax {ts} not read here")
    walk(meta_end, len(data), ts != "1.2.840.10008.1.2", True)

    def us(tag: int, default: int | None = None) -> int:
        if tag not in found:
            if default is None:
                raise KeyError(hex(tag))
            return default
        return struct.unpack_from("<H", data, found[tag][0])[0]

    def text(tag: str | int, default: str) -> str:
        if tag not in found:
            return default
        pos, length = found[tag]
        return data[pos:pos + length].rstrip(b"\0 ").decode()

    rows, cols = us(0x00280010), us(0x00280011)
    samples, bits, signed = us(0x00280002, 1), us(0x00280100), us(0x00280103, 0)
    if samples != 1 or bits != 16:
        raise ValueError(f"DICOM SamplesPerPixel {samples} BitsAllocated {bits}: only grey 16-bit")
    pos, length = found[0x7FE00010]
    if ts in _NATIVE_TS:
        arr = np.frombuffer(data, "<i2" if signed else "<u2", rows * cols, pos).reshape(rows, cols)
    else:  # encapsulated: an offset table item, then fragments (one frame: all of them; more: the first)
        fragments = []
        while True:
            group, elem, flen = struct.unpack_from("<HHI", data, pos)
            pos += 8
            if (group, elem) != (0xFFFE, 0xE000):
                break
            fragments.append(data[pos:pos + flen])
            pos += flen
        frames = int(text(0x00280008, "1") or 1)
        stream = b"".join(fragments[1:]) if frames == 1 else fragments[1]
        arr = imagecodecs.jpeg2k_decode(stream).reshape(rows, cols)
        arr = arr.astype(np.int16 if signed else np.uint16, copy=False)
    return arr.copy()


READERS = {"png": read_png, "tiff": read_tiff, "pnm": read_pnm, "y4m": read_y4m, "fits": read_fits,
           "dicom": read_dicom}


# ---------------------------------------------------------------------------------------------------- build

def find_mirror(repo: str, roots: list[Path], overrides: dict[str, Path]) -> Path:
    if repo in overrides:
        return overrides[repo]
    owner, name = repo.split("/")
    for root in roots:
        for cand in (root / f"{owner}+{name}" / "repo", root / f"{owner}+{name}", root / owner / name,
                     root / owner / f"{name}.git", root / name, root / f"{name}.git"):
            if cand.is_dir():
                return cand
    raise SystemExit(f"no clone or mirror of {repo} under {', '.join(map(str, roots)) or '(no --mirrors)'}; "
                     f"give --mirror {repo}=PATH")


def git_show(mirror: Path, commit: str, path: str) -> bytes:
    out = subprocess.run(["git", "-C", str(mirror), "show", f"{commit}:{path}"], capture_output=True)
    if out.returncode:
        raise SystemExit(f"{mirror}: git show {commit}:{path} failed: {out.stderr.decode().strip()}")
    if out.stdout.startswith(b"version https://git-lfs"):
        raise SystemExit(f"{mirror}: {path} is a Git LFS pointer; fetch its LFS content first")
    return out.stdout


def to_uint16(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """uint16 as is; signed 16-bit shifted by minus its minimum where negative. Returns (array, offset added)."""
    if arr.dtype == np.uint16:
        return arr, 0
    if arr.dtype != np.int16:
        raise ValueError(f"dtype {arr.dtype}")
    low = int(arr.min())
    offset = -low if low < 0 else 0
    return (arr.astype(np.int32) + offset).astype(np.uint16), offset


def build(entry: Entry, mirror: Path) -> tuple[np.ndarray, int]:
    arr, offset = to_uint16(READERS[entry.reader](git_show(mirror, entry.commit, entry.path)))
    if entry.crop is not None:
        top, left, h, w = entry.crop
        if top + h > arr.shape[0] or left + w > arr.shape[1]:
            raise ValueError(f"{entry.name}: crop {entry.crop} outside {arr.shape}")
        arr = arr[top:top + h, left:left + w]
    if arr.ndim == 3 and arr.shape[2] != 3:
        raise ValueError(f"{entry.name}: shape {arr.shape}")
    return np.ascontiguousarray(arr), offset


def describe(arr: np.ndarray) -> tuple[str, int, int]:
    size = "x".join(map(str, arr.shape[:2][::-1])) + (f"x{arr.shape[2]}" if arr.ndim == 3 else "")
    return size, int(arr.max()).bit_length(), len(np.unique(arr))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Rebuild the 16-bit benchmark sets from public repositories.")
    ap.add_argument("--mirrors", type=Path, action="append", default=[],
                    help="directory holding clones or bare mirrors of the repositories (repeatable)")
    ap.add_argument("--mirror", action="append", default=[], metavar="OWNER/NAME=PATH",
                    help="where one repository's clone or bare mirror is (repeatable)")
    ap.add_argument("--out", type=Path, default=Path("/work/data16"))
    ap.add_argument("--sets", nargs="*", help="build only these (photo, microscopy, medical_astro, assets)")
    args = ap.parse_args(argv)
    overrides = {}
    for item in args.mirror:
        repo, _, path = item.partition("=")
        overrides[repo] = Path(path)
    rows = []
    for entry in SOURCES:
        if args.sets and entry.set not in args.sets:
            continue
        arr, offset = build(entry, find_mirror(entry.repo, args.mirrors, overrides))
        folder = args.out / entry.set
        folder.mkdir(parents=True, exist_ok=True)
        data = imagecodecs.png_encode(arr)
        back = imagecodecs.png_decode(data)
        if back.dtype != np.uint16 or not np.array_equal(back, arr):
            raise SystemExit(f"{entry.name}: the PNG does not decode to the same uint16 array")
        (folder / entry.name).write_bytes(data)
        size, bits, distinct = describe(arr)
        rows.append((entry, size, bits, distinct, offset, len(data)))
        print(f"{entry.set:14s} {entry.name:30s} {size:>12s} {bits:2d} bits {distinct:7d} values {len(data):10,d} B")
    write_sources(args.out, [r for r in rows if r[0].set != "assets"])
    assets = [r for r in rows if r[0].set == "assets"]
    if assets:
        write_asset_licences(args.out / "assets", assets)


def _crop_text(entry: Entry) -> str:
    if entry.crop is None:
        return "whole image"
    top, left, h, w = entry.crop
    return f"rows {top}:{top + h}, columns {left}:{left + w}"


def write_sources(out: Path, rows: list) -> None:
    if not rows:
        return
    lines = ["# Sources of the 16-bit sets", "",
             "Made by `python -m benchmarks.deep_data`: each file is `git show COMMIT:PATH` in its repository, "
             "decoded to uint16, cropped, written as a 16-bit PNG. bits: bit length of the largest value; values: "
             "distinct sample values.", "",
             "| set | file | size (WxH[xC]) | bits | values | source (repo@commit:path) | crop | licence | what |",
             "| --- | --- | --- | ---: | ---: | --- | --- | --- | --- |"]
    for entry, size, bits, distinct, offset, _ in rows:
        note = f"; signed data, offset +{offset}" if offset else ""
        lines.append(f"| {entry.set} | {entry.name} | {size} | {bits} | {distinct} | "
                     f"{entry.repo}@{entry.commit}:`{entry.path}` | {_crop_text(entry)} | {entry.licence} | "
                     f"{entry.source}{note} |")
    (out / "SOURCES.md").write_text("\n".join(lines) + "\n")


def write_asset_licences(folder: Path, rows: list) -> None:
    lines = ["# Licences of the test assets", "",
             "Small 16-bit PNG crops of permissively licensed images, made by "
             "`python -m benchmarks.deep_data --sets assets`.", ""]
    for entry, size, bits, distinct, offset, nbytes in rows:
        lines += [f"## {entry.name}", "",
                  f"- source: https://github.com/{entry.repo}, commit {entry.commit}, file `{entry.path}`",
                  f"- what: {entry.source}",
                  f"- crop: {_crop_text(entry)}; result {size}, {bits} bits, {distinct} distinct values, "
                  f"{nbytes:,} bytes",
                  f"- licence: {entry.licence}",
                  f"- copyright notice to reproduce: {ASSET_NOTICES[entry.repo]}", ""]
    (folder / "LICENSES.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
