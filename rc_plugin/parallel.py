"""One image's tiles coded at once on threads.

The compiled loops of the tiles coded without a lossy layer (the adaptive coder, the index coder, generic rows'
filters) release the GIL, as LZMA and zlib do, and tiles are independent, so a large image's tiles encode and
decode side by side on every core; the bytes and pixels are the same as one at a time. The mixture coder's tiles
stay one at a time: onnxruntime already uses the cores for each.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, TypeVar

T = TypeVar("T")


def usable_cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def tile_threads(threads: int | None) -> int:
    """How many tiles to code at once: the threads option when given, else every core this process may use."""
    return int(threads) if threads else usable_cores()


def map_tiles(code: Callable[[int], T], count: int, threads: int | None,
              progress: Callable[[int, int], None] | None) -> list[T]:
    """[code(i) for i in range(count)] on up to tile_threads(threads) threads; progress(done, count) is called from
    this thread after each tile. The first error raised by a tile is raised here."""
    workers = min(tile_threads(threads), count)
    if workers <= 1:
        results = []
        for i in range(count):
            results.append(code(i))
            if progress:
                progress(i + 1, count)
        return results
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(code, i) for i in range(count)]
        try:
            for done, future in enumerate(as_completed(futures), 1):
                future.result()  # an error stops here, before more progress is reported
                if progress:
                    progress(done, count)
        except BaseException:  # a damaged tile or an interrupt: the tiles not yet started are not coded
            for future in futures:
                future.cancel()
            raise
        return [future.result() for future in futures]
