"""The adaptive coder's range coder, as LZMA's: 32-bit range, a cache byte and a run of pending 0xFF bytes for the
carry. The model (rc_plugin.adaptive) keeps low, range and code in its own loop and calls these for bytes.
"""
import numba
import numpy as np


@numba.njit(cache=True)
def shift_low(low, cache, pending, pos, out):
    """The range encoder's byte output with carry propagation (a pending 0xFF run waits for the carry)."""
    if low < 0xFF000000 or low >= (1 << 32):
        carry = low >> 32
        byte = cache
        while pending > 0:
            out[pos] = (byte + carry) & 0xFF
            pos += 1
            byte = 0xFF
            pending -= 1
        cache = (low >> 24) & 0xFF
    pending += 1
    return (low << 8) & 0xFFFFFFFF, cache, pending, pos


@numba.njit(cache=True)
def next_byte(inp, pos):
    return (np.int64(inp[pos]) if pos < inp.shape[0] else 0), pos + 1
