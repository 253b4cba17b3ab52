"""A decoded JPEG's planes from its pixels (encoder only): for each pixel the (Y, Cb, Cr) that JFIF's integer
conversion turns into it, subsampled chroma from its upsampled samples, and the float DCT the recovery rounds."""
from __future__ import annotations

import numba
import numpy as np

from ...format.jpeg_bits import JPEG_YCC_BITS, JPEG_YCC_FACTORS
from ...jitcache import shipped

#: The (cb, cr) offsets from the float inverse, nearest first, tried per pixel (and y within 1 of what green asks).
CHROMA_OFFSETS = sorted(((a, b) for a in range(-2, 3) for b in range(-2, 3)), key=lambda ab: abs(ab[0]) + abs(ab[1]))
#: Pixels look decoded from a JPEG where at least this share of those with no channel at 0 or 255 have an exact
#: (Y, Cb, Cr): on decoded JPEGs all do, on photos that never went through JPEG a quarter to nine tenths.
REACHABLE_SHARE = 0.995
#: Landweber steps of the subsampled chroma's solve.
CHROMA_ROUNDS = 30
_OFFSETS = np.array(CHROMA_OFFSETS, np.int64)
_FACTORS = np.array(JPEG_YCC_FACTORS, np.int64)


def _dct_matrix() -> np.ndarray:
    u, x = np.arange(8)[:, None], np.arange(8)[None, :]
    return np.cos((2 * x + 1) * u * np.pi / 16) * np.where(u == 0, np.sqrt(1 / 8), np.sqrt(1 / 4))


_DCT = _dct_matrix()


def forward_dct(samples: np.ndarray) -> np.ndarray:
    """The float orthonormal (JPEG's scaling) DCT of (..., 8, 8) samples less 128."""
    return _DCT @ (np.asarray(samples, np.float64) - 128) @ _DCT.T


def to_blocks(a: np.ndarray) -> np.ndarray:
    """A plane whose sides are multiples of 8 as its blocks: (down, across, 8, 8)."""
    return a.reshape(a.shape[0] // 8, 8, a.shape[1] // 8, 8).transpose(0, 2, 1, 3)


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def _search_ycc(rgb, offsets, factors, frac_bits, y_plane, cb_plane, cr_plane, found):
    """ycc_planes' search, pixel by pixel: the first (cb, cr) offset from the float inverse and y within 1 of what
    green asks whose integer conversion (inverse.ycc_to_rgb's) gives the pixel exactly."""
    r_cr, g_cb, g_cr, b_cb = factors[0], factors[1], factors[2], factors[3]
    half = 1 << (frac_bits - 1)
    for i in range(rgb.shape[0]):
        for j in range(rgb.shape[1]):
            r, g, b = np.int64(rgb[i, j, 0]), np.int64(rgb[i, j, 1]), np.int64(rgb[i, j, 2])
            y_plane[i, j] = min(max(round(0.299 * r + 0.587 * g + 0.114 * b), 0), 255)
            cb0 = round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128)
            cr0 = round(0.5 * r - 0.418688 * g - 0.081312 * b + 128)
            cb_plane[i, j], cr_plane[i, j], found[i, j] = cb0, cr0, False
            for k in range(offsets.shape[0]):
                cb = min(max(cb0 + offsets[k, 0], 0), 255)
                cr = min(max(cr0 + offsets[k, 1], 0), 255)
                green = (-g_cb * (cb - 128) - g_cr * (cr - 128) + half) >> frac_bits
                red = (r_cr * (cr - 128) + half) >> frac_bits
                blue = (b_cb * (cb - 128) + half) >> frac_bits
                for dy in (0, -1, 1):
                    y = g - green + dy
                    if y < 0 or y > 255:
                        continue
                    if (min(max(y + red, 0), 255) == r and min(max(y + green, 0), 255) == g
                            and min(max(y + blue, 0), 255) == b):
                        y_plane[i, j], cb_plane[i, j], cr_plane[i, j], found[i, j] = y, cb, cr, True
                        break
                if found[i, j]:
                    break


def ycc_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Y, Cb, Cr, found): per pixel the first (y, cb, cr) that ycc_to_rgb turns into its RGB exactly, the chroma
    within 2 of the float inverse's (nearest first), y within 1 of what green asks; found: whether one was (else Y
    is the float luma, Cb and Cr the float inverse's). A pixel with a channel at 0 or 255 may have several (the
    clamp): the first is a guess the residual corrects."""
    rgb = np.require(rgb, np.uint8, ["C", "W"])  # the compiled code's one signature (a read-only array is another)
    planes = [np.empty(rgb.shape[:2], np.int64) for _ in range(3)]
    found = np.empty(rgb.shape[:2], np.bool_)
    _search_ycc(rgb, _OFFSETS, _FACTORS, JPEG_YCC_BITS, *planes, found)
    return planes[0], planes[1], planes[2], found


def reachable(pixels: np.ndarray, found: np.ndarray | None = None) -> bool:
    """Whether at least REACHABLE_SHARE of the pixels (h, w, 3) with no channel at 0 or 255 have an exact
    (Y, Cb, Cr) (found: ycc_planes' answer, if known)."""
    unclamped = ~np.any((pixels == 0) | (pixels == 255), axis=-1)
    if found is None:
        found = ycc_planes(pixels)[3]
    return bool(unclamped.any()) and float(found[unclamped].mean()) >= REACHABLE_SHARE


def _upsample_real(c: np.ndarray, h_factor: int, v_factor: int) -> np.ndarray:
    """upsample without its floors and biases: the real-valued triangular interpolation."""
    c = np.asarray(c, np.float64)
    if v_factor == 2:
        rows = np.empty((2 * c.shape[0], c.shape[1]))
        rows[0::2] = (3 * c + np.vstack([c[:1], c[:-1]])) / 4
        rows[1::2] = (3 * c + np.vstack([c[1:], c[-1:]])) / 4
        c = rows
    if h_factor == 2:
        cols = np.empty((c.shape[0], 2 * c.shape[1]))
        cols[:, 0::2] = (3 * c + np.hstack([c[:, :1], c[:, :-1]])) / 4
        cols[:, 1::2] = (3 * c + np.hstack([c[:, 1:], c[:, -1:]])) / 4
        cols[:, 0], cols[:, -1] = c[:, 0], c[:, -1]
        c = cols
    return c


def subsampled_chroma(up: np.ndarray, h_factor: int, v_factor: int, rounds: int = CHROMA_ROUNDS) -> np.ndarray:
    """The real-valued chroma plane that upsamples closest to the upsampled samples `up`: `rounds` Landweber steps
    on the means of each sample's h x v outputs, from those means."""
    hh, ww = -(-up.shape[0] // v_factor), -(-up.shape[1] // h_factor)
    padded = np.pad(np.asarray(up, np.float64), ((0, hh * v_factor - up.shape[0]), (0, ww * h_factor - up.shape[1])),
                    mode="edge")

    def means(a: np.ndarray) -> np.ndarray:
        return a.reshape(hh, v_factor, ww, h_factor).mean(axis=(1, 3))

    c = means(padded)
    for _ in range(rounds):
        c = c + means(padded - _upsample_real(c, h_factor, v_factor))
    return c
