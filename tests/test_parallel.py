"""An image's adaptive tiles code side by side on threads: the same bytes and pixels as one at a time."""
import argparse
import os
import threading
import time

import numpy as np
import pytest

import rc_plugin
from rc_plugin.adaptive import plane_coder as adaptive
from rc_plugin.files import cli
from rc_plugin import codec
from rc_plugin.parallel import map_tiles, tile_threads
from rcl_testutil import assert_flips_never_give_a_wrong_image, tile_kinds


@pytest.fixture
def small_tiles(monkeypatch, photo_crop):
    """A crop coded in tiles of 32 pixels, at least 3 x 3 of them."""
    monkeypatch.setattr(codec, "TILE", dict.fromkeys(codec.TILE, 32))
    assert min(photo_crop.shape[:2]) > 64
    return np.ascontiguousarray(photo_crop)


def test_tiles_on_threads_give_the_same_bytes_and_pixels(small_tiles):
    one_at_a_time = rc_plugin.encode(small_tiles, threads=1)
    calls = []
    side_by_side = rc_plugin.encode(small_tiles, threads=3, progress=lambda done, total: calls.append((done, total)))
    h, w = small_tiles.shape[:2]
    tiles = -(-h // 32) * -(-w // 32)
    assert side_by_side == one_at_a_time and rc_plugin.info(side_by_side)["tiles"] == tiles
    assert calls == [(i, tiles) for i in range(1, tiles + 1)]
    for threads in (1, 3, None):
        assert np.array_equal(rc_plugin.decode(one_at_a_time, threads=threads), small_tiles)


def test_a_damaged_tile_among_parallel_ones_is_refused(small_tiles):
    data = rc_plugin.encode(small_tiles)
    middle = len(data) // 2
    assert_flips_never_give_a_wrong_image(data, range(middle, middle + 40, 4), small_tiles)


@pytest.mark.parametrize("direction", ["encode", "decode"])
def test_an_images_tiles_are_in_the_compiled_coder_at_once(monkeypatch, photos, direction):
    """rc_plugin.encode and decode, two tiles on two threads: each call of the adaptive module's compiled coder
    (code_plane) first waits at a barrier of two, which breaks unless the two tiles reach the coder together (so
    not one tile at a time, nor a lock around the coder), and the two compiled runs start together (the loop
    releases the GIL; holding it, the second would start only when the first had ended)."""
    side = 192
    monkeypatch.setattr(codec, "TILE", dict.fromkeys(codec.TILE, side))
    img = np.ascontiguousarray(photos["osprey"][:side, : 2 * side])  # two tiles, each about 50 ms of coding
    data = rc_plugin.encode(img, threads=1)  # both directions compiled (or loaded) before anything is timed
    assert set(tile_kinds(data)) <= {"adaptive", "tuned"} and np.array_equal(rc_plugin.decode(data, threads=1), img)
    real = adaptive.code_plane
    barrier = threading.Barrier(2, timeout=15)
    spans = []
    first = threading.local()

    def meet_then_code(*args):
        if not getattr(first, "met", False):  # each tile's first run (the encoder codes a tile more than once)
            first.met = True
            barrier.wait()  # BrokenBarrierError unless the other tile arrives within the timeout
            start = time.perf_counter()
            result = real(*args)
            spans.append((start, time.perf_counter()))
            return result
        return real(*args)

    monkeypatch.setattr(adaptive, "code_plane", meet_then_code)
    try:
        if direction == "encode":
            assert rc_plugin.encode(img, threads=2) == data
        else:
            assert np.array_equal(rc_plugin.decode(data, threads=2), img)
    except threading.BrokenBarrierError:
        pytest.fail(f"{direction}: the image's two tiles never reached the compiled coder at the same time")
    assert len(spans) == 2
    (a0, a1), (b0, b1) = spans
    # holding the GIL, the second thread could only note its start once the first tile's whole run was over
    assert abs(b0 - a0) < 0.5 * min(a1 - a0, b1 - b0), f"{direction}: the compiled runs took turns: {spans}"


def test_compiled_loop_is_compiled_without_the_gil():
    """The flag the overlap above depends on (without nogil the threads would take turns)."""
    assert adaptive.code_plane.targetoptions.get("nogil") is True


def test_map_tiles_runs_at_once_keeps_order_and_raises():
    barrier = threading.Barrier(2)

    def meet(i):
        barrier.wait(timeout=20)  # broken unless two tiles run at the same time
        return i * i

    assert map_tiles(meet, 4, 2, None) == [0, 1, 4, 9]

    def fail_on_three(i):
        if i == 3:
            raise rc_plugin.RclError("tile 3 is damaged")
        return i

    with pytest.raises(rc_plugin.RclError, match="tile 3"):
        map_tiles(fail_on_three, 6, 2, None)

    started = []

    def fail_first(i):
        started.append(i)
        if i == 0:
            raise rc_plugin.RclError("tile 0 is damaged")
        threading.Event().wait(0.2)
        return i

    with pytest.raises(rc_plugin.RclError, match="tile 0"):
        map_tiles(fail_first, 50, 2, None)
    assert len(started) < 50, "the tiles after a damaged one were all coded anyway"
    assert tile_threads(3) == 3 and tile_threads(None) >= 1


def test_one_file_on_the_command_line_gets_every_core():
    cores = os.cpu_count() or 1
    assert cli._workers(argparse.Namespace(jobs=None, threads=None), 1) == (1, cores)
    assert cli._workers(argparse.Namespace(jobs=None, threads=None), 100)[0] == max(1, min(cores, 4))
    assert cli._workers(argparse.Namespace(jobs=3, threads=2), 2) == (2, 2)
