"""Range coding of residual symbols with integer frequencies (constriction).

We hand constriction ``freqs - 1`` as float64 rows summing to 2**24 - L with
``perfect=False``: its quantizer then reproduces our integer frequencies exactly,
so the probabilities are fixed by our integer arithmetic, not by floating point.

A channel's stream is written in several pieces (one per coding phase), so the
coders stay open between calls.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ..format.bitstream import CHUNK_ELEMENTS
from ..errors import RclError

FreqsFor = Callable[[slice], np.ndarray]


def chunks(n: int, alphabet: int) -> Iterator[slice]:
    step = max(1, CHUNK_ELEMENTS // max(1, alphabet))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


class StreamEncoder:
    def __init__(self) -> None:
        import constriction

        self._model = constriction.stream.model.Categorical(perfect=False)
        self._enc = constriction.stream.queue.RangeEncoder()

    def encode(self, symbols: np.ndarray, freqs_for: FreqsFor, alphabet: int) -> None:
        """Append symbols (0..alphabet-1); freqs_for(slice) gives the frequency rows of that slice."""
        for sl in chunks(len(symbols), alphabet):
            freqs = freqs_for(sl)
            self._enc.encode(np.ascontiguousarray(symbols[sl], dtype=np.int32), self._model,
                             (freqs - 1).astype(np.float64))

    def finish(self) -> bytes:
        return self._enc.get_compressed().astype("<u4").tobytes()


class StreamDecoder:
    """Inverse of StreamEncoder; a corrupt stream raises RclError or yields symbols the checksum rejects."""

    def __init__(self, data: bytes) -> None:
        import constriction

        if len(data) % 4:
            raise RclError("corrupt residual stream: its length is not a multiple of 4 bytes")
        self._model = constriction.stream.model.Categorical(perfect=False)
        self._dec = constriction.stream.queue.RangeDecoder(np.frombuffer(data, dtype="<u4").astype(np.uint32))

    def decode(self, n: int, freqs_for: FreqsFor, alphabet: int) -> np.ndarray:
        out = np.empty(n, np.int64)
        for sl in chunks(n, alphabet):
            probabilities = (freqs_for(sl) - 1).astype(np.float64)
            try:
                out[sl] = self._dec.decode(self._model, probabilities)
            except BaseException as exc:  # pyo3 turns Rust panics into BaseException subclasses
                if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
                    raise
                raise RclError(f"corrupt residual stream: {exc}") from exc
        return out
