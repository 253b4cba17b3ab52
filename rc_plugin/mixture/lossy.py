"""The lossy layer: HEVC intra 4:4:4 at quantizer Q, behind one small interface.

Two backends mean the same thing by Q:

* ``"hevc"`` (default): x265/libde265 bundled with pillow-heif, configured like
  bpgenc (fixed QP, 4:4:4, psycho-visual tuning off). We convert RGB to YCbCr
  ourselves with integer arithmetic and store the planes in an identity-matrix,
  full-range container so libheif does no arithmetic of its own.
* ``"bpg"``: the BPG command-line tools (``bpgenc``/``bpgdec``), as in the paper.

The decoded reconstruction is always obtained by decoding the stored bytes, on the
encoder side too, so encoder and decoder see the same x_l.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from typing import Protocol

import numpy as np

from ..format.bitstream import LAYER_BPG, LAYER_HEVC, LAYER_NAMES, LOSSY_MIN_SIDE, LOSSY_PAD_MULTIPLE
from .color import rgb_to_ycbcr, ycbcr_to_rgb
from ..errors import RclError

MIN_SIDE, PAD_MULTIPLE = LOSSY_MIN_SIDE, LOSSY_PAD_MULTIPLE
#: Seconds before an external BPG tool is considered hung.
TOOL_TIMEOUT = float(os.environ.get("RCL_TOOL_TIMEOUT", "300"))


class LossyLayer(Protocol):
    name: str
    layer_id: int

    def encode(self, rgb: np.ndarray, q: int) -> bytes:
        """Code an (H, W, 3) uint8 image at quantizer q."""

    def decode(self, data: bytes, height: int, width: int) -> np.ndarray:
        """Decode to (height, width, 3) uint8; raises RclError on bad data."""


def padded_shape(height: int, width: int) -> tuple[int, int]:
    def up(n: int) -> int:
        return max(MIN_SIDE, -(-n // PAD_MULTIPLE) * PAD_MULTIPLE)

    return up(height), up(width)


def pad_edges(rgb: np.ndarray) -> np.ndarray:
    """Replicate the last row/column so HEVC gets a block-aligned plane."""
    ph, pw = padded_shape(*rgb.shape[:2])
    h, w = rgb.shape[:2]
    if (ph, pw) == (h, w):
        return np.ascontiguousarray(rgb)
    return np.pad(rgb, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")


class HevcLayer:
    """HEVC intra 4:4:4 through pillow-heif, set up like bpgenc."""

    name = LAYER_NAMES[LAYER_HEVC]
    layer_id = LAYER_HEVC

    def __init__(self, preset: str = "veryslow") -> None:
        self.preset = preset

    def encode(self, rgb: np.ndarray, q: int) -> bytes:
        import pillow_heif

        ycc = rgb_to_ycbcr(pad_edges(rgb))
        # identity matrix: libheif stores G->Y, B->Cb, R->Cr without arithmetic
        planes = np.ascontiguousarray(ycc[..., [2, 0, 1]])
        heif = pillow_heif.from_bytes(mode="RGB", size=(planes.shape[1], planes.shape[0]), data=planes.tobytes())
        buf = io.BytesIO()
        try:
            heif.save(
                buf,
                format="HEIF",
                chroma=444,
                matrix_coefficients=0,
                full_range_flag=1,
                color_primaries=2,
                transfer_characteristics=2,
                save_nclx_profile=True,
                enc_params={
                    "x265:qp": str(int(q)),
                    "preset": self.preset,
                    "tune": "ssim",
                    "x265:psy-rd": "0",
                    "x265:psy-rdoq": "0",
                },
            )
        except Exception as exc:  # libheif raises plain RuntimeError/ValueError
            raise RclError(f"HEVC encoding failed: {exc}") from exc
        return buf.getvalue()

    def decode(self, data: bytes, height: int, width: int) -> np.ndarray:
        import pillow_heif

        try:
            heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
            nclx = heif.info.get("nclx_profile") or {}
            if nclx.get("matrix_coefficients") != 0 or nclx.get("full_range_flag") != 1:
                raise RclError("lossy layer is not an identity-matrix, full-range HEVC stream")
            if heif.mode != "RGB" or heif.size != padded_shape(height, width)[::-1]:
                raise RclError(f"lossy layer has mode {heif.mode} size {heif.size}, expected RGB {(width, height)}")
            planes = np.asarray(heif)
        except RclError:
            raise
        except Exception as exc:
            raise RclError(f"lossy layer could not be decoded: {exc}") from exc
        ycc = planes[:height, :width][..., [1, 2, 0]]
        return ycbcr_to_rgb(ycc)


def _tool(env: str, name: str) -> str:
    path = os.environ.get(env) or shutil.which(name)
    if not path or not os.path.exists(path):
        raise RclError(
            f"the BPG tool {name!r} was not found: install libbpg's tools (bpgenc, bpgdec) on PATH "
            f"or point {env} at it, or use lossy='hevc'"
        )
    return path


def _run(cmd: list[str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RclError(f"{what} did not finish within {TOOL_TIMEOUT:g} s (RCL_TOOL_TIMEOUT)") from exc
    except OSError as exc:
        raise RclError(f"{what} could not be started: {exc}") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip()[-500:]
        raise RclError(f"{what} failed with exit code {proc.returncode}: {msg}")


def bpg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a BPG file's header, read before bpgdec is trusted with the file."""
    if len(data) < 8 or data[:4] != b"BPG\xfb":
        raise RclError("lossy layer is not a BPG file")
    pos, values = 6, []
    for _ in range(2):  # picture_width, picture_height: ue7(32)
        value = 0
        for _ in range(5):
            if pos >= len(data):
                raise RclError("truncated BPG header")
            byte = data[pos]
            pos += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        else:
            raise RclError("corrupt BPG header")
        values.append(value)
    return values[0], values[1]


class BpgLayer:
    """The BPG command-line tools, ``bpgenc -f 444 -q Q`` and ``bpgdec``."""

    name = LAYER_NAMES[LAYER_BPG]
    layer_id = LAYER_BPG

    def available(self) -> bool:
        try:
            _tool("RCL_BPGENC", "bpgenc")
            _tool("RCL_BPGDEC", "bpgdec")
        except RclError:
            return False
        return True

    def encode(self, rgb: np.ndarray, q: int) -> bytes:
        from PIL import Image

        enc = _tool("RCL_BPGENC", "bpgenc")
        with tempfile.TemporaryDirectory(prefix="rcl-bpg-") as tmp:
            src, dst = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.bpg")
            Image.fromarray(pad_edges(rgb)).save(src, compress_level=1)
            _run([enc, "-f", "444", "-q", str(int(q)), "-o", dst, src], "bpgenc")
            try:
                with open(dst, "rb") as fh:
                    return fh.read()
            except OSError as exc:
                raise RclError("bpgenc exited without writing its output") from exc

    def decode(self, data: bytes, height: int, width: int) -> np.ndarray:
        from PIL import Image

        ph, pw = padded_shape(height, width)
        size = bpg_size(data)
        if size != (pw, ph):
            raise RclError(f"BPG layer is {size}, expected {(pw, ph)}")
        dec = _tool("RCL_BPGDEC", "bpgdec")
        with tempfile.TemporaryDirectory(prefix="rcl-bpg-") as tmp:
            src, dst = os.path.join(tmp, "in.bpg"), os.path.join(tmp, "out.png")
            with open(src, "wb") as fh:
                fh.write(data)
            _run([dec, "-o", dst, src], "bpgdec")
            try:
                with Image.open(dst) as im:
                    im.load()
                    out = np.asarray(im.convert("RGB"))
            except Exception as exc:
                raise RclError(f"bpgdec wrote no readable image: {exc}") from exc
        if out.shape[:2] != (ph, pw):
            raise RclError(f"bpgdec returned {out.shape[1]}x{out.shape[0]}, expected {pw}x{ph}")
        return np.ascontiguousarray(out[:height, :width])


LAYERS = {layer.name: layer for layer in (HevcLayer, BpgLayer)}


def get_layer(name: str) -> LossyLayer:
    try:
        return LAYERS[name]()
    except KeyError:
        raise RclError(f"unknown lossy layer {name!r}; choose one of {sorted(LAYERS)}") from None
