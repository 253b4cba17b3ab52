"""The released residual models, by id.

Every .rcl file names the RC model it was coded with: 8 bytes of a hash over the network, its lookup tables
and the integer grids (rc_plugin.format.grids). Every model ever released stays shipped in weights/rc/<id>/, so a
file written by any release decodes with every later one; the encoder writes with the current model, which
weights/manifest.json names ("rc_current").
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path

from ..format import bitstream, grids
from ..errors import RclError
from .lookup_tables import Tables, read_tables
from ..shipped import WEIGHTS

RELEASED = WEIGHTS / "rc"
MANIFEST = WEIGHTS / "manifest.json"
REINSTALL = "reinstall rc_plugin"


@dataclasses.dataclass(frozen=True)
class ResidualModel:
    """One released RC: its id, its ONNX file and its lookup tables."""

    id: bytes
    onnx: Path
    tables: Tables


def grids_text() -> str:
    """The integer grids as this decoder implements them (hashed into every model id)."""
    return repr(bitstream.constants(grids))


def compute_id(onnx_bytes: bytes, tables: Tables, grids_repr: str) -> bytes:
    h = hashlib.sha256(onnx_bytes)
    h.update(tables.digest)
    h.update(grids_repr.encode())
    return h.digest()[:8]


def shipped_ids() -> list[str]:
    """Hex ids of the models in this installation, sorted."""
    if not RELEASED.is_dir():
        return []
    return sorted(p.name for p in RELEASED.iterdir() if len(p.name) == 16 and (p / "rc.onnx").exists())


@functools.lru_cache(maxsize=None)
def model(model_id: bytes) -> ResidualModel:
    """The released model with this id, its files checked against the id (a damaged install is refused)."""
    folder = RELEASED / model_id.hex()
    if not folder.is_dir():
        shipped = ", ".join(shipped_ids()) or "none"
        raise RclError(
            f"this file was coded with residual model {model_id.hex()}, which this rc_plugin does not ship "
            f"(it ships {shipped}): decode it with the rc_plugin release that wrote it or a later one"
        )
    onnx_path = folder / "rc.onnx"
    try:
        onnx_bytes = onnx_path.read_bytes()
        grids_repr = (folder / "grids.txt").read_text().strip()
    except OSError as exc:
        raise RclError(f"model file {exc.filename} is missing or unreadable; {REINSTALL}") from exc
    if grids_repr != grids_text():
        raise RclError(f"residual model {model_id.hex()} needs integer grids this decoder does not implement; "
                       f"{REINSTALL}")
    tables = read_tables(folder / "tables.npz")
    if compute_id(onnx_bytes, tables, grids_repr) != model_id:
        raise RclError(f"the files of residual model {model_id.hex()} in {folder} are damaged "
                       f"(rc.onnx or tables.npz no longer hash to the id); {REINSTALL}")
    return ResidualModel(model_id, onnx_path, tables)


@functools.lru_cache(maxsize=1)
def current_id() -> bytes:
    """The id of the model the encoder writes with."""
    try:
        return bytes.fromhex(json.loads(MANIFEST.read_text())["rc_current"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RclError(f"cannot read the current model's id from {MANIFEST} ({exc}); {REINSTALL}") from exc


def current() -> ResidualModel:
    return model(current_id())
