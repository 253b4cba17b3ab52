import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
VAL_DIR = ROOT.parent / "shared" / "data" / "val"


@pytest.fixture(scope="session")
def val_paths() -> list[Path]:
    paths = sorted(VAL_DIR.glob("*.png"))
    if not paths:
        pytest.skip(f"validation photos not found in {VAL_DIR}")
    return paths


@pytest.fixture(scope="session")
def photo_crop(val_paths) -> np.ndarray:
    """A 96x128 crop of a real validation photo."""
    from PIL import Image

    return np.asarray(Image.open(val_paths[1]).convert("RGB"))[100:196, 200:328].copy()


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
