"""One file's job, encode or decode, as the ``rcl`` command runs it here and its Dask tasks run it on workers.

Kept apart from the command (rc_plugin.files.cli) so that the workers import what they run and not the command, and the
command and the Dask machinery (rc_plugin.files.distributed) do not import each other.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from . import batch
from ..errors import RclError

#: Formats whose files may hold several images, of which Pillow opens the first: refused when they do.
ANIMATED_FORMATS = {"GIF", "PNG", "WEBP", "TIFF"}


def encode_file(src: str, dst: str, opts: dict, progress=None) -> tuple[str, int, int]:
    """src (any image Pillow opens, and 16-bit PNG and TIFF at 16 bits) coded to dst, written atomically; (dst,
    input bytes, output bytes)."""
    import numpy as np
    from PIL import Image

    from rc_plugin import codec
    from rc_plugin.adapters.pillow_plugin import convert_for_save
    from rc_plugin.pixels import palette_of

    from .wide_files import read_wide

    opts = dict(opts)
    verify = opts.pop("verify", False)
    wide = read_wide(src)  # None: not 16 bits, Pillow opens it
    if wide is not None:
        pixels, meta = wide
        data = codec.encode(pixels, progress=progress, **opts, **meta)
        same = not verify or np.array_equal(codec.decode(data, threads=opts.get("threads")), pixels)
    else:
        with Image.open(src) as im:
            frames = getattr(im, "n_frames", 1)
            if frames > 1 and im.format in ANIMATED_FORMATS:  # never a silent first frame (an MPO JPEG's second
                # picture is a camera's preview: its first is the photo)
                raise RclError(f"{Path(src).name} holds {frames} frames (an animation or a stack), and an .rcl file "
                               "holds one image: save each frame to a file of its own")
            im.load()
            buf = io.BytesIO()
            im.save(buf, format="RCL", progress=progress, **opts)
            data = buf.getvalue()
            same = True
            if verify:  # in the mode it was coded in: a P image's indices and palette, a 1 image's bits
                expected = convert_for_save(im)
                decoded, _ = codec.decode_image(data, threads=opts.get("threads"), device=opts.get("device", "auto"))
                same = np.array_equal(np.asarray(decoded), np.asarray(expected))
                if same and expected.mode == "P":
                    same = palette_of(decoded) == palette_of(expected)
    if not same:
        raise RclError("verification failed: the decoded file differs from the input")
    batch.write_atomic(Path(dst), lambda fh: fh.write(data))
    return dst, os.path.getsize(src), len(data)


def decode_file(src: str, dst: str, opts: dict, progress=None) -> tuple[str, int, int]:
    """The .rcl src decoded to dst in the format its suffix names (a P or 1-bit PNG for such files, a 16-bit PNG or
    TIFF for 16-bit samples), written atomically; (dst, input bytes, output bytes)."""
    from rc_plugin import codec
    from rc_plugin.format import container
    from rc_plugin.pixels import expanded_mode

    fmt, save_options = batch.OUTPUT_FORMATS[Path(dst).suffix.lower()]
    data = Path(src).read_bytes()
    header = codec.read_header(data)
    seen = header.mode
    if header.mode == "P":  # a palette with alpha or a transparent entry is seen as RGBA
        seen = expanded_mode(container.parse_chunks(data, header)[0][container.PALETTE_KEY])
    if seen in ("LA", "RGBA") and fmt not in batch.ALPHA_FORMATS:
        raise RclError(f"{Path(src).name} has alpha, which {Path(dst).suffix} cannot hold: decode it to png, tiff"
                       + ("" if header.wide else " or webp"))  # webp holds 8 bits
    if header.wide:  # never reduced to 8 bits: PNG and TIFF keep 16
        from .wide_files import write_wide

        if fmt not in ("PNG", "TIFF"):
            raise RclError(f"{Path(src).name} holds 16-bit samples, which {Path(dst).suffix} cannot hold: decode it to "
                           "png or tiff")
        pixels, meta = codec.decode_with_metadata(data, progress=progress, **opts)
        batch.write_atomic(Path(dst), lambda fh: write_wide(fh, pixels, fmt, meta))
        return dst, os.path.getsize(src), os.path.getsize(dst)
    im, meta = codec.decode_image(data, progress=progress, **opts)  # P with its palette, 1 as 1 bit
    if im.mode == "P" and fmt != "PNG":  # only PNG keeps a palette and its transparency exactly: the others get
        im = im.convert(seen)  # the colours it stands for
    extra = {k: v for k, v in meta.items() if k in ("icc_profile", "exif") and fmt in ("PNG", "TIFF", "WEBP")}
    batch.write_atomic(Path(dst), lambda fh: im.save(fh, format=fmt, **save_options, **extra))
    return dst, os.path.getsize(src), os.path.getsize(dst)


#: Each kind of job's step, as batch.run and the Dask tasks (rc_plugin.files.distributed) call it.
STEPS = {"encode": encode_file, "decode": decode_file}
