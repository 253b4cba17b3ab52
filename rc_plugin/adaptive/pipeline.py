"""Decoding one colour tile on several threads: its channels as a wavefront of bands (format 14's split streams).

A tile's range-coded stream is sequential, so a photo of one tile decodes on one core however many it has. With a
stream per channel (rc_plugin.format.streams) that changes: channel c at a pixel reads only channels 0..c - 1 at that
pixel and before it, and each channel's model state is its own, so channel 0 can decode band b + 1 while channel 1
decodes band b and channel 2 band b - 1. Each band of a channel is a call of the compiled coder (which releases the
GIL) on whichever thread is free; a band waits only where the channel before it has not yet decoded that band, or
where it would run more than LEAD bands ahead of the channel after it, which reads its recent errors from a ring of
RING rows. The pixels and the model's arithmetic are those of one thread (docs/models.md, "A tile's channels side by
side").
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from ..format.bitstream import WIDE_BYTE_TOP

#: Rows a call decodes: a call costs about 3 us, 1 % of a band of 4 rows of 512 pixels.
BAND = 4
#: How many bands a channel may run ahead of the next one: at least 2, else they would take turns; more lets a
#: thread that fell behind catch up without stalling the others (docs/models.md has the measurements).
LEAD = 8
#: Rows of recent errors the model keeps (plane_state.new_state): a channel reads the two channels before it on its
#: own row, and those may be up to 2 LEAD - 1 bands ahead.
RING = 2 * LEAD * BAND
#: The smallest tile (pixels) whose colour is written as a stream per channel: below it the streams' lengths and
#: ends (about 20 bytes) would cost over 0.03 %.
SPLIT_PIXELS = 1 << 16
#: Zero bytes after each stream in the decoder's buffer: what a decoder reads past a stream's end before it stops.
PAD = 16


def split_by_channel(h: int, w: int, channels: int, top: int) -> bool:
    """Whether the encoder writes a stream per channel (format 14): for 8-bit colour tiles of at least SPLIT_PIXELS,
    so that a decoder with cores to spare decodes their channels side by side."""
    return channels > 1 and top <= WIDE_BYTE_TOP and h * w >= SPLIT_PIXELS


def padded(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The decoder's input: the streams one after another, each followed by PAD zero bytes, and where each starts
    and ends (a single stream is used where it lies)."""
    if len(parts) == 1:
        data = np.frombuffer(parts[0], np.uint8)
        return data, np.zeros(1, np.int64), np.array([data.shape[0]], np.int64)
    sizes = np.array([len(p) for p in parts], np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes + PAD)[:-1])).astype(np.int64)
    buffer = np.zeros(int(sizes.sum()) + PAD * len(parts), np.uint8)
    for part, start in zip(parts, starts):
        buffer[start : start + len(part)] = np.frombuffer(part, np.uint8)
    buffer.flags.writeable = False  # read-only as a single stream's: one compiled specialisation, the one shipped
    return buffer, starts, starts + sizes


def wavefront(code: Callable[[int, int, int, int], int], h: int, channels: int, workers: int) -> bool:
    """Run code(y0, y1, c, c + 1) (rows y0..y1 - 1 of channel c) for every band of every channel on `workers`
    threads: channel c's band b after its band b - 1, channel c - 1's band b and channel c + 1's band b - LEAD; a
    free thread takes the ready band furthest behind. True where a band returned non-zero (a stream ran short), the
    threads then stopping at their next band; an error raised in a thread is raised here."""
    bands = -(-h // BAND)
    done = [0] * channels  # bands each channel has finished
    busy = [False] * channels
    stop: list[BaseException | bool] = []
    turn = threading.Condition()

    def ready(c: int) -> bool:
        b = done[c]
        return (not busy[c] and b < bands and (c == 0 or done[c - 1] > b)
                and (c == channels - 1 or done[c + 1] > b - LEAD))

    def run() -> None:
        try:
            while True:
                with turn:
                    turn.wait_for(lambda: stop or min(done) == bands or any(ready(c) for c in range(channels)))
                    if stop or min(done) == bands:
                        return
                    c = min((c for c in range(channels) if ready(c)), key=lambda c: (done[c], -c))
                    busy[c], b = True, done[c]
                short = code(b * BAND, min(h, (b + 1) * BAND), c, c + 1)
                with turn:
                    if short:
                        stop.append(True)
                    busy[c], done[c] = False, b + 1
                    turn.notify_all()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            with turn:
                stop.append(error)
                turn.notify_all()

    threads = [threading.Thread(target=run, name=f"rcl-wavefront-{i}") for i in range(max(1, min(workers, channels)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as error:  # an interrupt while waiting: the threads stop at their next band
        with turn:
            stop.append(error)
            turn.notify_all()
        raise
    for reason in stop:
        if isinstance(reason, BaseException):
            raise reason
    return bool(stop)
