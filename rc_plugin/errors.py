"""The one exception type a bad file or bad input may raise, and its translation for the adapters."""
from __future__ import annotations

import contextlib
from typing import Iterator


class RclError(ValueError):
    """Raised for invalid input, corrupt or foreign `.rcl` data, and failing external tools.

    It subclasses ValueError so that callers who already catch ValueError for bad
    data keep working; Pillow and imageio wrappers re-raise it as OSError.
    """


@contextlib.contextmanager
def as_oserror(what: str) -> Iterator[None]:
    """Re-raise RclError as OSError("<what>: <message>"), the error Pillow and imageio users catch."""
    try:
        yield
    except RclError as exc:
        raise OSError(f"{what}: {exc}") from exc
