"""Where the files shipped inside the package lie: the networks and released residual models (rc_plugin.mixture)
and the adaptive coder's CDF table (rc_plugin.adaptive.logistic)."""
from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
