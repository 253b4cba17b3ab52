"""No silent skips in CI: with the environment variable CI set, a test skipped because an optional dependency that
the `test` extra installs on this Python is missing (pytest.importorskip of zarr, numcodecs, dask, distributed)
fails instead; a dependency the extra does not install here (zarr and numcodecs before Python 3.11) still skips.

tests/conftest.py imports these hooks; `python -m pytest -p rcl_ci` loads them elsewhere.
"""
from __future__ import annotations

import functools
import os
import re

import pytest

#: Modules whose distribution has another name ("dask[distributed]" installs distributed).
DISTRIBUTION_OF = {"distributed": "dask"}
IMPORT_SKIP = re.compile(r"could not import '([\w.]+)'")


@functools.lru_cache(maxsize=None)
def required_here(module: str) -> bool:
    """Whether the installed rc-plugin's `test` extra installs module's distribution on this Python."""
    from importlib import metadata

    from packaging.requirements import Requirement

    top = module.split(".")[0]
    wanted = DISTRIBUTION_OF.get(top, top).lower()
    try:
        requires = metadata.requires("rc-plugin") or []
    except metadata.PackageNotFoundError:  # not installed: CI installs it, so say what is missing
        return True
    for line in requires:
        req = Requirement(line)
        if req.name.lower() == wanted and (req.marker is None or req.marker.evaluate({"extra": "test"})):
            return True
    return False


def missing_dependency(report) -> str | None:
    """The module a skipped report's importorskip could not import, when CI is set and the test extra has it."""
    if not os.environ.get("CI") or not report.skipped:
        return None
    longrepr = report.longrepr
    message = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    match = IMPORT_SKIP.search(message)
    if match and required_here(match[1]):
        return match[1]
    return None


def _fail(report, module: str) -> None:
    longrepr = report.longrepr
    where = f"{longrepr[0]}:{longrepr[1]}: " if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
    reason = longrepr[2] if where else str(longrepr)
    report.outcome = "failed"
    report.longrepr = (f"{module} is missing, but the test extra installs it on this Python and CI runs every test "
                       f'(pip install -e ".[test]"): {where}{reason}')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    module = missing_dependency(report)
    if module:
        _fail(report, module)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    module = missing_dependency(report)
    if module:
        _fail(report, module)
