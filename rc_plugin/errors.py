"""The one exception type a bad file or bad input may raise."""


class RclError(ValueError):
    """Raised for invalid input, corrupt or foreign `.rcl` data, and failing external tools.

    It subclasses ValueError so that callers who already catch ValueError for bad
    data keep working; Pillow and imageio wrappers re-raise it as OSError.
    """
