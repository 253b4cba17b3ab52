"""The layout of an adaptive stream split by channel (format 14, docs/format.md "Split streams").

A colour tile's adaptive stream may be k range-coded streams, one per channel, so that a decoder can decode the
channels of one tile side by side. It is laid out as the byte k, k - 1 lengths (SPLIT_LENGTH each), then the k
streams. A stream of one range coder always starts with the byte 0 (the coded number lies in [0, 1)), so the first
byte tells the two layouts apart. Like the rest of rc_plugin.format, this knows lengths only.
"""
from __future__ import annotations

import struct

from ..errors import RclError

#: The length of each split stream but the last (the last takes what is left).
SPLIT_LENGTH = struct.Struct("<I")
#: The first file version whose records may hold split streams.
SPLIT_VERSION = 14


def is_split(stream: bytes) -> bool:
    """Whether an adaptive record's stream is split by channel."""
    return len(stream) > 0 and stream[0] != 0


def join(parts: list[bytes]) -> bytes:
    """One record's stream from the streams of its channels (one stream: as it is)."""
    if len(parts) == 1:
        return parts[0]
    lengths = b"".join(SPLIT_LENGTH.pack(len(p)) for p in parts[:-1])
    return bytes([len(parts)]) + lengths + b"".join(parts)


def split(stream: bytes, channels: int) -> list[bytes]:
    """The streams of a record's stream: itself where it is not split, else one per channel (refused unless there
    are `channels` of them and their lengths fit the bytes present)."""
    if not is_split(stream):
        return [stream]
    count = stream[0]
    start = 1 + SPLIT_LENGTH.size * (count - 1)
    if count != channels or channels < 2:
        raise RclError(f"corrupt .rcl tile: an adaptive stream split {count} ways for {channels} channels")
    if len(stream) < start:
        raise RclError("corrupt .rcl tile: its split streams' lengths are truncated")
    parts, at = [], start
    for i in range(count - 1):
        (n,) = SPLIT_LENGTH.unpack_from(stream, 1 + SPLIT_LENGTH.size * i)
        parts.append(stream[at : at + n])
        at += n
    if at > len(stream):
        raise RclError("corrupt .rcl tile: its split streams' lengths exceed the stream")
    return parts + [stream[at:]]
