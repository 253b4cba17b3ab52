"""The coders' machine code, compiled when the package is installed and shipped inside it, so that a first encode
does not wait for numba.

numba compiles a coder's loop at its first call (about 6 s for the adaptive coder's on a 2-core machine) and keeps
the machine code in a cache: NUMBA_CACHE_DIR, else a ``__pycache__`` beside the source, else the user's cache
folder. A fresh container, a CI job or a cluster worker starts with none of these. So ``pip install`` (setup.py)
runs rc_plugin.jitbuild: it runs the coders' entry points once on tiny images, in the numba of the build, and keeps
their cache files in ``rc_plugin/_jitcache/`` of the installed package (of the source tree for an editable install).
A function decorated with :func:`shipped` looks there first, then in numba's own cache, and only then compiles;
what it compiles goes to numba's own cache, never into the package, so an installed package that cannot be written
is fine.

The shipped files are numba's own cache files, checked by numba as its own: an entry is used only where the numba
version, the Python version, the CPU (name and features), the function's bytecode, its argument types and a hash of
its source file's contents all match; otherwise numba compiles as before. So the code that runs is the code numba
compiles from the source the tests check (tests/test_compiled.py), or none.

RCL_JITCACHE=off leaves the shipped code unused (what a first use costs without it: benchmarks/first_use.py).
"""
from __future__ import annotations

import os
from pathlib import Path

#: Where the shipped code lies: numba's index (.nbi) and data (.nbc) files, flat.
SHIPPED = Path(__file__).resolve().parent / "_jitcache"
#: The environment variable that, set to "off", leaves the shipped code unused.
SWITCH = "RCL_JITCACHE"
#: The package's top folder (rc_plugin/).
PACKAGE = Path(__file__).resolve().parents[__name__.count(".") - 1]
#: The functions whose machine code is shipped: what shipped() decorated.
FUNCTIONS: list = []
#: numba's option compiling a function without reference counts, for the coders' loops over every subpixel, bit or
#: coefficient: every array they read is their caller's, alive until they return. Otherwise numba counts, atomically,
#: each array handed to an inlined helper, twice a call, which cost the loops a quarter to a third of their time
#: (docs/models.md, "Reference counts"). Such a loop allocates no array (numba refuses to compile one that does).
NO_REFCOUNTS = {"_nrt": False}


def _last_resort_locator():
    """numba refuses to define a cache=True function when it finds no folder it can write (NUMBA_CACHE_DIR unset, the
    package read-only, no writable home: a read-only container), even where every function is shipped. For
    rc_plugin's files only, and after every locator of numba's own, this one gives a private temporary folder of
    the process's own (made when first needed, removed at exit) instead."""
    import atexit
    import shutil
    import tempfile

    from numba.core.caching import UserProvidedCacheLocator

    folder: list[str] = []

    class LastResortLocator(UserProvidedCacheLocator):
        def __init__(self, py_func, py_file):
            super().__init__(py_func, py_file)
            if not folder:
                folder.append(tempfile.mkdtemp(prefix="rcl-numba-"))
                atexit.register(shutil.rmtree, folder[0], True)
            self._cache_path = os.path.join(folder[0], self.get_suitable_cache_subpath(py_file))

        @classmethod
        def from_function(cls, py_func, py_file):
            if not Path(py_file).resolve().is_relative_to(PACKAGE):
                return None
            return super(UserProvidedCacheLocator, cls).from_function(py_func, py_file)

    return LastResortLocator


def _install_last_resort() -> None:
    from numba.core.caching import CacheImpl

    if not any(c.__name__ == "LastResortLocator" for c in CacheImpl._locator_classes):
        CacheImpl._locator_classes.append(_last_resort_locator())


_install_last_resort()


def enabled() -> bool:
    return os.environ.get(SWITCH, "").lower() not in ("off", "0", "no")


def shipped(dispatcher):
    """Decorate a numba.njit(cache=True) function called from Python (a coder's entry point; the compiled functions
    it calls are compiled into it): its machine code is built at install and loaded from the package."""
    from numba.core.caching import FunctionCache, IndexDataCacheFile
    from numba.core.dispatcher import Dispatcher

    if not isinstance(dispatcher, Dispatcher) or getattr(dispatcher, "_cache", None) is None:
        return dispatcher  # NUMBA_DISABLE_JIT (plain Python) or not cached: nothing to load

    class ShippedFirstCache(FunctionCache):
        """numba's cache of the function, read after the package's copy of it."""

        def __init__(self, py_func):
            super().__init__(py_func)
            self.shipped = IndexDataCacheFile(cache_path=str(SHIPPED), filename_base=self._impl.filename_base,
                                              source_stamp=self._impl.locator.get_source_stamp())

        def _load_overload(self, sig, target_context):
            if self._enabled and enabled():
                data = self.shipped.load(self._index_key(sig, target_context.codegen()))
                if data is not None:
                    return self._impl.rebuild(target_context, data)
            return super()._load_overload(sig, target_context)

    dispatcher._cache = ShippedFirstCache(dispatcher.py_func)
    FUNCTIONS.append(dispatcher)
    return dispatcher
