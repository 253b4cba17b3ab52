"""The range coder of the adaptive and index coders, as LZMA's: 32-bit range, a cache byte and a run of pending 0xFF
bytes for the carry. Each model (rc_plugin.adaptive.plane_coder, rc_plugin.adaptive.indexed) keeps low, range and
code in its own loop and calls these to move whole bytes out and in.
"""
import numba
import numpy as np

from ..jitcache import shipped


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


@numba.njit(cache=True)
def encoder_normalise(low, rng, cache, pending, pos, out):
    """Shift bytes out until the range holds at least 24 bits again."""
    while rng < (1 << 24):
        rng <<= 8
        low, cache, pending, pos = shift_low(low, cache, pending, pos, out)
    return low, rng, cache, pending, pos


@numba.njit(cache=True)
def decoder_normalise(code, rng, inp, pos):
    """Read bytes in until the range holds at least 24 bits again (0 past the end; the code kept to 40 bits)."""
    while rng < (1 << 24):
        b, pos = next_byte(inp, pos)
        code = ((code << 8) | b) & 0xFFFFFFFFFF
        rng <<= 8
    return code, rng, pos


@numba.njit(cache=True, inline="always")
def code_bit(bit, p1, decoding, inp, out, low, rng, cache, pending, pos, code):
    """One binary decision with probability p1 / 4096 of a 1 (1..4095): encoded (bit given) or decoded (bit read);
    returns the bit and the coder's state (low, range, cache, pending, pos, code)."""
    bound = (rng >> 12) * p1
    if decoding:
        bit = 1 if code < bound else 0
        if bit:
            rng = bound
        else:
            code -= bound
            rng -= bound
        code, rng, pos = decoder_normalise(code, rng, inp, pos)
    else:
        if bit:
            rng = bound
        else:
            low += bound
            rng -= bound
        low, rng, cache, pending, pos = encoder_normalise(low, rng, cache, pending, pos, out)
    return bit, low, rng, cache, pending, pos, code


@numba.njit(cache=True)
def open_stream(decoding, inp):
    """(low, range, cache, pending, pos, code) at the start of a stream: the decoder has read its first five bytes."""
    pos, code = 0, 0
    if decoding:
        for _ in range(5):
            b, pos = next_byte(inp, pos)
            code = (code << 8) | b
    return 0, 0xFFFFFFFF, 0, 1, pos, code


@numba.njit(cache=True)
def close_stream(low, cache, pending, pos, out):
    """The encoder's last five bytes; returns the stream's length."""
    for _ in range(5):
        low, cache, pending, pos = shift_low(low, cache, pending, pos, out)
    return pos


#: A stream's range coder state between calls, a row of a coders array (int64): the encoder's low, range, cache
#: byte and pending 0xFF run, the position in the buffer, the decoder's code, and where the stream's bytes end. A row
#: is 16 long, so that streams decoded on different threads share no cache line.
LOW, RANGE, CACHE, PENDING, POS, CODE, END = range(7)
STATE_COLUMNS = 16


@shipped  # called from Python: machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True)
def open_streams(decoding, inp, starts, ends):
    """Each stream's state at its start: stream s's bytes lie at starts[s]..ends[s] of the buffer (decoding: inp,
    zeros after each end; encoding: the output buffer, ends its capacity)."""
    coders = np.zeros((starts.shape[0], STATE_COLUMNS), np.int64)
    for s in range(starts.shape[0]):
        low, rng, cache, pending, pos, code = open_stream(decoding, inp[starts[s] :])
        store(coders, s, low, rng, cache, pending, starts[s] + pos, code)
        coders[s, END] = ends[s]
    return coders


@shipped
@numba.njit(cache=True)
def close_streams(coders, out):
    """The encoder's last bytes of each stream; coders' POS is then where each stream ends in out."""
    for s in range(coders.shape[0]):
        coders[s, POS] = close_stream(coders[s, LOW], coders[s, CACHE], coders[s, PENDING], coders[s, POS], out)


@numba.njit(cache=True, inline="always")
def load(coders, s):
    """(low, range, cache, pending, pos, code) of stream s."""
    return (coders[s, LOW], coders[s, RANGE], coders[s, CACHE], coders[s, PENDING], coders[s, POS],
            coders[s, CODE])


@numba.njit(cache=True, inline="always")
def store(coders, s, low, rng, cache, pending, pos, code):
    """Keep stream s's state (load's order)."""
    coders[s, LOW], coders[s, RANGE], coders[s, CACHE], coders[s, PENDING] = low, rng, cache, pending
    coders[s, POS], coders[s, CODE] = pos, code
