import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# with CI set, a test skipped for a missing dependency that the test extra installs here fails instead
from rcl_ci import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401
ASSETS = ROOT / "tests" / "assets"  # three small CC0 photos kept in the repository: see assets/SOURCES.md


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    """The sample photos, sorted by name: colosseum.png (384x256), lake.png (512x288), osprey.png (384x256)."""
    paths = sorted(ASSETS.glob("*.png"))
    assert [p.name for p in paths] == ["colosseum.png", "lake.png", "osprey.png"], f"sample photos missing in {ASSETS}"
    return paths


@pytest.fixture(scope="session")
def photos(photo_paths) -> dict[str, np.ndarray]:
    """The sample photos as (H, W, 3) uint8 arrays by stem: "colosseum", "lake", "osprey"."""
    from PIL import Image

    out = {}
    for path in photo_paths:
        with Image.open(path) as im:
            out[path.stem] = np.asarray(im.convert("RGB")).copy()
    return out


@pytest.fixture(scope="session")
def photo_crop(photos) -> np.ndarray:
    """A 96x128 crop of osprey.png: pine needles and flowers, a trunk and the bird's wing, a textured region."""
    return photos["osprey"][100:196, 40:168].copy()


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def pixel_coders_only():
    """For tests of the pixel coders' choices on a photo decoded from a JPEG: the JPEG tile, which codes that photo far
    smaller (tests/test_jpeg_tile.py), left out of the encoder's candidates for the module."""
    from rc_plugin.adaptive.jpeg import recover

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recover, "detect", lambda image: None)
        yield
