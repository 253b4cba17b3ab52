"""With CI set, a missing optional dependency that the test extra installs fails the run instead of skipping
(tests/rcl_ci.py); without CI, or for a dependency the extra does not install on this Python, it skips."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rcl_ci import required_here

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import sys
import pytest

for name in ("zarr", "numcodecs", "distributed", "dask"):
    sys.modules[name] = None  # as if not installed

def test_zarr():
    pytest.importorskip("zarr")

def test_dask_array():
    pytest.importorskip("dask.array")

def test_not_of_the_extra():
    pytest.importorskip("rcl_no_such_module")
'''

MODULE_SKIP = '''
import sys
import pytest

sys.modules["distributed"] = None
distributed = pytest.importorskip("distributed")

def test_never_runs():
    pass
'''


def run(tmp_path, source: str, ci: bool) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "rcl_ci", "-p", "no:cacheprovider", "-q", "-rfEs",
                           "--rootdir", str(tmp_path), "-c", os.devnull, "test_sample.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_test_extra_decides_what_ci_requires():
    assert required_here("distributed") and required_here("dask.array")
    assert required_here("zarr") == required_here("numcodecs") == (sys.version_info >= (3, 11))
    assert not required_here("rcl_no_such_module")


@pytest.mark.parametrize("ci", [False, True])
def test_a_missing_dependency_fails_only_in_ci(tmp_path, ci):
    out = run(tmp_path, SAMPLE, ci)
    tail = out.stdout.strip().splitlines()[-1]
    if not ci:
        assert out.returncode == 0 and "3 skipped" in tail, out.stdout
        return
    zarr_fails = sys.version_info >= (3, 11)
    assert out.returncode == 1, out.stdout
    assert f"{1 + zarr_fails} failed" in tail and f"{2 - zarr_fails} skipped" in tail, out.stdout
    assert "FAILED test_sample.py::test_dask_array" in out.stdout and "dask is missing" not in out.stdout
    assert "dask.array is missing, but the test extra installs it" in out.stdout
    assert ("FAILED test_sample.py::test_zarr" in out.stdout) == zarr_fails


@pytest.mark.parametrize("ci", [False, True])
def test_a_module_skipped_for_a_missing_dependency_fails_in_ci(tmp_path, ci):
    out = run(tmp_path, MODULE_SKIP, ci)
    if ci:
        assert out.returncode != 0 and "distributed is missing" in out.stdout, out.stdout
    else:
        assert out.returncode == pytest.ExitCode.NO_TESTS_COLLECTED and "1 skipped" in out.stdout, out.stdout
