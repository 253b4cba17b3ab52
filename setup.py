"""The build step pyproject.toml cannot say: after the package's files, the coders' machine code, compiled by numba
on the installing machine and shipped inside the package, so that a first encode does not wait for the compiler
(rc_plugin/jitcache.py, rc_plugin/jitbuild.py). Everything else about the package is in pyproject.toml."""
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
        source = next(package.rglob("jitbuild.py"))
        spec = importlib.util.spec_from_file_location("rcl_jitbuild", source)
        jitbuild = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(jitbuild)  # the standard library only, until its build's own process
        try:
            jitbuild.build(source.parent / "_jitcache", package)  # beside jitcache.py
        except Exception as exc:  # noqa: BLE001  the package works without it: numba compiles at first use
            print(f"rcl: WARNING: the coders' machine code was not built ({exc}); numba will compile it at the first "
                  "encode (a few seconds)", file=sys.stderr)


setup(cmdclass={"build_py": BuildPyAndCompiledCode})
