"""Range coding of residual symbols with integer frequencies (constriction).

We hand constriction ``freqs - 1`` as float64 rows summing to 2**24 - L with
``perfect=False``: its quantizer then reproduces our integer frequencies exactly,
so the probabilities are fixed by our integer arithmetic, not by floating point.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .errors import RclError

#: Frequency-table entries (subpixels x alphabet size) per call into the coder; bounds memory.
CHUNK_ELEMENTS = 1 << 22


def chunks(n: int, alphabet: int) -> Iterator[slice]:
    step = max(1, CHUNK_ELEMENTS // max(1, alphabet))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def encode(symbols: np.ndarray, freqs_for: Callable[[slice], np.ndarray], alphabet: int) -> bytes:
    """Code symbols (0..alphabet-1); freqs_for(slice) gives the frequency rows of that slice."""
    import constriction

    model = constriction.stream.model.Categorical(perfect=False)
    enc = constriction.stream.queue.RangeEncoder()
    for sl in chunks(len(symbols), alphabet):
        freqs = freqs_for(sl)
        enc.encode(np.ascontiguousarray(symbols[sl], dtype=np.int32), model, (freqs - 1).astype(np.float64))
    return enc.get_compressed().astype("<u4").tobytes()


def decode(data: bytes, n: int, freqs_for: Callable[[slice], np.ndarray], alphabet: int) -> np.ndarray:
    """Inverse of encode(); a corrupt stream raises RclError or yields symbols the checksum rejects."""
    import constriction

    if len(data) % 4:
        raise RclError("corrupt residual stream: its length is not a multiple of 4 bytes")
    words = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    model = constriction.stream.model.Categorical(perfect=False)
    out = np.empty(n, np.int64)
    dec = constriction.stream.queue.RangeDecoder(words)
    for sl in chunks(n, alphabet):
        probabilities = (freqs_for(sl) - 1).astype(np.float64)
        try:
            out[sl] = dec.decode(model, probabilities)
        except BaseException as exc:  # pyo3 turns Rust panics into BaseException subclasses
            if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
                raise
            raise RclError(f"corrupt residual stream: {exc}") from exc
    return out
