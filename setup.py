"""The build step pyproject.toml cannot say: after the package's files, the coders' machine code (rc_plugin.jitcache),
compiled by numba on the installing machine and shipped inside the package, so a first encode does not wait for
the compiler. Everything else about the package is in pyproject.toml."""
import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyAndCompiledCode(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # pip install -e: the package is the source tree, so its code goes there
            package = Path(self.get_package_dir("rc_plugin")).resolve()
        else:
            package = Path(self.build_lib).resolve() / "rc_plugin"
        spec = importlib.util.spec_from_file_location("rcl_build_jitcache", package / "jitcache.py")
        jitcache = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(jitcache)  # the standard library only, until its build's own process
        try:
            jitcache.build(package / "_jitcache", package)
        except Exception as exc:  # noqa: BLE001  the package works without it: numba compiles at first use
            print(f"rcl: WARNING: the coders' machine code was not built ({exc}); numba will compile it at the first "
                  "encode (a few seconds)", file=sys.stderr)


setup(cmdclass={"build_py": BuildPyAndCompiledCode})
