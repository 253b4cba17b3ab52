"""Golden files: .rcl files earlier builds wrote (tests/golden/v<version>, made by tests/make_golden.py) still decode
to exactly the pixels, mode, shape and metadata recorded when they were written.

A failure here means the decoder no longer reads files already in users' hands. Do not regenerate the files to
make it pass: restore the decoder, or bump rc_plugin.format.container.VERSION and keep a decoder for the old version.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import rc_plugin
import rc_plugin.format.container
from rc_plugin.codec import decode_with_metadata
from rcl_testutil import all_tile_kinds, first_tile, metadata_bytes, recrc, tile_kinds, tiles, wide_part_kinds

GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFESTS = {int(d.name[1:]): json.loads((d / "manifest.json").read_text()) for d in sorted(GOLDEN.glob("v*"))}
ENTRIES = [(v, e) for v, m in MANIFESTS.items() for e in m["files"]]
REGENERATE = "python tests/make_golden.py"
#: The format each mixer released after format 13 came with: older versions' golden cases were written without it.
MIXER_SINCE = {4: 18}
#: Format 18's photo crop: the encoder's choice at effort 3 with the large mixer (preset less 6, order, mixer): the
#: second large mixer in preset 7, secondary estimation of its mixture in the neighbours' pattern.
PHOTO18 = (1, 0, 4)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(version: int, name: str) -> bytes:
    return (GOLDEN / f"v{version}" / name).read_bytes()


def test_every_readable_version_has_golden_files():
    assert sorted(MANIFESTS) == list(rc_plugin.format.container.READABLE_VERSIONS)
    for version, manifest in MANIFESTS.items():
        assert manifest["format_version"] == version
        listed = sorted(entry["name"] for entry in manifest["files"])
        assert listed == sorted(p.name for p in (GOLDEN / f"v{version}").glob("*.rcl"))
        assert len(listed) >= 8
        assert {e["mode"] for e in manifest["files"]} >= {"RGB", "L", "LA", "RGBA"}
        assert any(e["tiles"] > 1 for e in manifest["files"]) and any(e["metadata_sha256"] for e in manifest["files"])


@pytest.mark.parametrize("version, entry", ENTRIES, ids=lambda e: e if isinstance(e, int) else e["name"])
def test_golden_file_decodes_exactly(version, entry):
    data = read(version, entry["name"])
    # the file itself is the one make_golden.py wrote (an edited file would test nothing)
    assert sha256(data) == entry["file_sha256"], f"{entry['name']} changed on disk: restore it from git"
    pixels, meta = decode_with_metadata(data)
    assert pixels.dtype == (bool if entry["mode"] == "1" else np.dtype(entry.get("dtype", "uint8")))
    assert list(pixels.shape) == entry["shape"]
    assert sha256(np.ascontiguousarray(pixels).tobytes()) == entry["pixel_sha256"], (
        f"{entry['name']} (written by {entry['encode']}) no longer decodes to its pixels"
    )
    assert {k: sha256(metadata_bytes(v)) for k, v in meta.items()} == entry["metadata_sha256"]
    if "plane_sha256" in entry:  # from format 8: the plane as Pillow opens it (a P file's indices, a 1 file's bits)
        assert sha256(np.asarray(rc_plugin.codec.decode_image(data)[0]).tobytes()) == entry["plane_sha256"]
        assert tile_kinds(data) == entry["tile_kinds"]
    assert np.array_equal(rc_plugin.decode(data), pixels)
    info = rc_plugin.info(data)
    assert (info["mode"], info["q"], info["tiles"], info["version"]) == (entry["mode"], entry["q"], entry["tiles"],
                                                                        version)
    assert [info["height"], info["width"]] == entry["shape"][:2]


def test_golden_files_cover_the_coding_paths():
    """The special cases are really in the files, not only in their names."""
    byte_version = rc_plugin.format.container.BYTE_VERSION
    for version in [v for v in MANIFESTS if v <= byte_version]:  # the files of 8-bit images
        assert first_tile(read(version, "rgb_grey_shortcut.rcl")).grey != b""
        header = rc_plugin.format.container.parse_header(read(version, "rgb_all_grey.rcl"), None)
        assert header.flags & rc_plugin.format.container.FLAG_GREY_COLOUR and header.coded_channels == 1
        assert rc_plugin.info(read(version, "rgb_two_tiles.rcl"))["tiles"] == 2
        assert rc_plugin.info(read(version, "rgb_metadata.rcl"))["metadata"] == ["exif", "icc_profile", "xmp"]
        for name in ("la.rcl", "rgba.rcl"):
            alpha = rc_plugin.decode(read(version, name))[..., -1]
            assert 0 < (alpha == 255).mean() < 1 and (alpha == 0).any() and ((alpha > 0) & (alpha < 255)).any()
    assert first_tile(read(6, "rgb.rcl")).grey == b""
    assert rc_plugin.info(read(7, "rgb.rcl"))["coder"] == "adaptive"
    assert rc_plugin.info(read(7, "rgb_mixture.rcl"))["coder"] == "mixture"
    latest = [(v, e["name"]) for v in MANIFESTS if v >= byte_version for e in MANIFESTS[v]["files"]]
    assert {kind for v, name in latest for kind in tile_kinds(read(v, name))} == all_tile_kinds(), (
        "every tile kind the format has is pinned by a golden file")
    assert {e["mode"] for e in MANIFESTS[byte_version]["files"]} >= {"P", "1"}
    assert rc_plugin.codec.decode_image(read(byte_version, "p_transparency.rcl"))[0].info["transparency"] == 3


def test_golden_wide_files_cover_their_paths():
    """Format 10's files hold what their names say: a wide stream mapped by offset, by offset in steps of 16, by a
    table, tokens from the logistic, an 8-bit record of a few levels, generic rows, an alpha part, the bit depth of the samples, grey stored as
    colour, two tiles."""
    version = rc_plugin.format.container.WIDE_VERSION
    wide = {e["name"][:-4]: read(version, e["name"]) for e in MANIFESTS[version]["files"]}
    assert all(tile_kinds(data) == ["wide"] * rc_plugin.info(data)["tiles"] for data in wide.values())
    assert wide_part_kinds(wide["wide_grey12"]) == ["offset:stream"]
    assert first_tile(wide["wide_grey12_shifted"]).parts[0].step == 16
    assert wide_part_kinds(wide["wide_few_levels"])[0].split(":")[1] != "stream"
    assert wide_part_kinds(wide["wide_table"]) == ["table:logistic"]
    assert wide_part_kinds(wide["wide_noise_rows"]) == ["offset:rows"]
    assert wide_part_kinds(wide["wide_microscopy"]) == ["offset:logistic"]
    assert wide_part_kinds(wide["wide_photo"]) == ["offset:stream"]
    for name in ("wide_rgba", "wide_la"):  # a 16-bit colour, and an alpha plane of 8-bit levels times 257
        colour, alpha = wide_part_kinds(wide[name])
        assert colour == "offset:stream" and not alpha.endswith("stream"), (colour, alpha)
    depths = [rc_plugin.info(wide[n])["bit_depth"] for n in ("wide_rgb16", "wide_grey12", "wide_la", "wide_microscopy")]
    assert depths == [16, 12, 16, 12]
    header = rc_plugin.format.container.parse_header(wide["wide_rgb_all_grey"], None)
    assert header.flags & rc_plugin.format.container.FLAG_GREY_COLOUR and header.coded_channels == 1
    assert rc_plugin.info(wide["wide_two_tiles"])["tiles"] == 2
    assert rc_plugin.info(wide["wide_metadata"])["metadata"] == ["exif", "icc_profile", "xmp"]


@pytest.mark.parametrize("version, prefix", [(11, "tuned"), (12, "sse"), (17, "sse2")])
def test_golden_tuned_files_cover_their_paths(version, prefix):
    """Format 11's files hold tuned tiles of every preset and channel order (preset 0 in order 0 is an adaptive tile),
    format 12's of every preset with secondary estimation and format 17's with it in the neighbours' pattern, in the
    modes, tiles and parts their names say; the photo decoded from a JPEG is the encoder's own choice, the grid preset
    (with secondary estimation in format 12); format 17's photo crop is its choice of the second preset with it."""
    from rc_plugin.format.bitstream import ADAPTIVE_ORDERS, ADAPTIVE_PRESETS_OF_VERSION

    first = ADAPTIVE_PRESETS_OF_VERSION.get(version - 1, 0)  # the presets this version added
    tuned = {e["name"][:-4].replace(prefix, "tuned"): read(version, e["name"]) for e in MANIFESTS[version]["files"]}
    named = {name: [(t.preset - first, t.order) for t in tiles(data)] for name, data in tuned.items()
             if name != "tuned_wide_record"}
    assert all(tile_kinds(tuned[name]) == ["tuned"] * len(p) for name, p in named.items())
    assert {p for ps in named.values() for p, _ in ps} == set(range(ADAPTIVE_PRESETS_OF_VERSION[version] - first))
    assert {k for ps in named.values() for _, k in ps} == set(range(len(ADAPTIVE_ORDERS)))
    if version < 17:
        assert named["tuned_jpeg_photo"] == [(2, 0)]
    else:
        assert named["tuned_photo"] == [(1, 0)]
    assert named["tuned_two_tiles"] == [(2, 0), (2, 0)]
    assert named["tuned_bgr"] == [(0, 1)] and named["tuned_gbr_grid"] == [(2, 2)]
    assert wide_part_kinds(tuned["tuned_wide_record"]) == ["offset:tuned"]
    _assert_modes_metadata_and_grey(tuned, "tuned")


@pytest.mark.parametrize("version, prefix", [(13, "learned_tuned"), (16, "learned_sse"), (18, "learned_sse2")])
def test_golden_learned_tuned_files_cover_their_paths(version, prefix):
    """Format 13's files hold learned tuned tiles of every preset a learned tile may name, format 16's and 18's of
    every preset with secondary estimation each added (of kinds 1 and 2), each in every channel order and with every
    mixer released by then, in the modes, tiles and parts their names say; format 13's photo decoded from a JPEG is
    the encoder's own choice with the large mixer, the grid preset, format 16's photo crop its choice of the second
    preset with secondary estimation, and format 18's at effort 3 a twin of kind 2 too."""
    from rc_plugin.format.bitstream import ADAPTIVE_LEARNED_PRESETS_OF_VERSION, ADAPTIVE_ORDERS
    from rc_plugin.format.records import MIXER_NAMES

    first = ADAPTIVE_LEARNED_PRESETS_OF_VERSION.get(version - 1, 0)  # the presets this version added
    learned = {e["name"][:-4].replace(prefix, "learned_tuned"): read(version, e["name"])
               for e in MANIFESTS[version]["files"]}
    named = {name: [(t.preset - first, t.order, t.mixer) for t in tiles(data)] for name, data in learned.items()
             if name != "learned_tuned_wide_record"}
    assert all(tile_kinds(learned[name]) == ["learned tuned"] * len(n) for name, n in named.items())
    added = ADAPTIVE_LEARNED_PRESETS_OF_VERSION[version] - first
    assert {n[0] for ns in named.values() for n in ns} == set(range(added))
    assert {n[1] for ns in named.values() for n in ns} == set(range(len(ADAPTIVE_ORDERS)))
    assert {n[2] for ns in named.values() for n in ns} == {m for m in MIXER_NAMES if MIXER_SINCE.get(m, 0) <= version}
    if version == 13:
        assert named["learned_tuned_jpeg_photo"] == [(2, 0, 3)]
    elif version == 16:
        assert named["learned_tuned_photo"] == [(1, 0, 3)]
    else:
        assert named["learned_tuned_photo"] == [PHOTO18]
    assert len(named["learned_tuned_two_tiles"]) == 2
    assert named["learned_tuned_bgr"][0][:2] == (0, 1) and named["learned_tuned_gbr_grid"][0][:2] == (2, 2)
    assert wide_part_kinds(learned["learned_tuned_wide_record"]) == ["offset:learned tuned"]
    _assert_modes_metadata_and_grey(learned, "learned_tuned")


def _assert_modes_metadata_and_grey(files: dict[str, bytes], prefix: str) -> None:
    """A version's files (by name without .rcl) cover every mode, metadata in <prefix>_metadata, and grey stored as
    colour, one coded channel, in <prefix>_rgb_all_grey."""
    assert {rc_plugin.info(data)["mode"] for data in files.values()} >= {"RGB", "L", "LA", "RGBA"}
    assert rc_plugin.info(files[f"{prefix}_metadata"])["metadata"] == ["exif", "icc_profile", "xmp"]
    header = rc_plugin.format.container.parse_header(files[f"{prefix}_rgb_all_grey"], None)
    assert header.flags & rc_plugin.format.container.FLAG_GREY_COLOUR and header.coded_channels == 1


def _assert_none_decodes_as(files: dict[str, bytes], version: int) -> None:
    """What a version added is in its files' bytes: read as a file of the version before, not one decodes to its
    pixels (the checksum refuses them, or the stream runs out)."""
    for data in files.values():
        older = bytearray(data)
        older[8] = version
        with pytest.raises(rc_plugin.RclError, match="checksum|corrupt"):
            rc_plugin.decode(recrc(bytes(older)))


def test_golden_split_files_cover_their_paths():
    """Format 14's files hold streams split by channel where their names say (a tile too small keeps one stream),
    in the records named, and decode alike on one thread and with their channels side by side."""
    from rc_plugin.format.streams import is_split

    split = {e["name"][:-4]: read(14, e["name"]) for e in MANIFESTS[14]["files"]}
    assert {name: [is_split(t.stream) for t in tiles(data)] for name, data in split.items()} == {
        "split_rgb": [True], "split_tuned_bgr": [True], "split_learned_gbr": [True], "split_rgba_two_tiles": [True, False],
        "unsplit_rgb": [False], "unsplit_grey_l": [False], "unsplit_la": [False], "unsplit_rgb_metadata": [False]}
    assert [(t.preset, t.order) for t in tiles(split["split_tuned_bgr"])] == [(1, 1)]
    assert [(t.preset, t.order, t.mixer) for t in tiles(split["split_learned_gbr"])] == [(2, 2, 1)]
    assert rc_plugin.info(split["split_rgba_two_tiles"])["mode"] == "RGBA"
    for data in split.values():
        assert np.array_equal(rc_plugin.decode(data, threads=1), rc_plugin.decode(data, threads=2))


def test_golden_prior_files_cover_their_paths():
    """Format 19's files hold the bias prior in every kind of stream the adaptive coder writes without a learned mixer
    (an adaptive tile, tuned tiles of format 17's presets in every order, a palette's index plane, a wide tile's
    counted and logistic tokens, a JPEG tile's residual), and the prior is in their bytes: read as a version-18 file,
    not one decodes to its pixels."""
    from rc_plugin.format.bitstream import ADAPTIVE_ORDERS
    from rc_plugin.format.records import TunedTile

    prior = {e["name"][:-4]: read(19, e["name"]) for e in MANIFESTS[19]["files"]}
    kinds = {kind for data in prior.values() for kind in tile_kinds(data)}
    assert kinds == {"adaptive", "tuned", "palette/adaptive", "wide", "jpeg"}, kinds
    tuned = [t for data in prior.values() for t in tiles(data) if isinstance(t, TunedTile)]
    assert {t.preset for t in tuned} >= {6, 7, 8} and {t.order for t in tuned} == set(range(len(ADAPTIVE_ORDERS)))
    assert wide_part_kinds(prior["prior_wide_grey12"]) == ["offset:stream"]
    assert wide_part_kinds(prior["prior_wide_microscopy"]) == ["offset:logistic"]
    assert wide_part_kinds(prior["prior_sse2_wide_record"]) == ["offset:tuned"]
    assert type(first_tile(prior["prior_jpeg_rgb_420"]).residual).__name__ == "AdaptiveTile"
    _assert_modes_metadata_and_grey(prior, "prior_sse2")
    assert rc_plugin.info(prior["prior_rgb_two_tiles"])["tiles"] == 2
    _assert_none_decodes_as(prior, 18)


def test_golden_far_files_cover_their_paths():
    """Format 20's files hold the far neighbours in every kind of stream the adaptive coder writes: format 19's records,
    a learned tile of each released mixer, learned tuned tiles of format 18's presets in every order; and the far
    neighbours are in their bytes: read as a version-19 file, not one decodes to its pixels."""
    from rc_plugin.format.bitstream import ADAPTIVE_ORDERS
    from rc_plugin.format.records import MIXER_NAMES, LearnedTunedTile

    far = {e["name"][:-4]: read(20, e["name"]) for e in MANIFESTS[20]["files"]}
    kinds = {kind for data in far.values() for kind in tile_kinds(data)}
    assert kinds == {"adaptive", "tuned", "palette/adaptive", "wide", "jpeg", "learned", "learned tuned"}, kinds
    assert {first_tile(far[f"far_learned_{name}"]).mixer for name in MIXER_NAMES.values()} == set(MIXER_NAMES)
    learned_tuned = [t for data in far.values() for t in tiles(data) if isinstance(t, LearnedTunedTile)]
    assert {t.preset for t in learned_tuned} >= {6, 7, 8}
    assert {t.order for t in learned_tuned} == set(range(len(ADAPTIVE_ORDERS)))
    assert type(first_tile(far["far_jpeg_rgb_420"]).residual).__name__ == "AdaptiveTile"
    _assert_modes_metadata_and_grey(far, "far_sse2")
    _assert_modes_metadata_and_grey(far, "far_learned_sse2")
    _assert_none_decodes_as(far, 19)


def test_bitstream_constants_pinned():
    from rc_plugin.format import bitstream
    from rc_plugin.adaptive import logistic

    version = rc_plugin.format.container.VERSION
    assert MANIFESTS[version]["bitstream_fingerprint"] == f"{bitstream.fingerprint()}+{logistic.table_digest()}", (
        f"a bitstream-deciding constant or the adaptive coder's table changed while the format version stayed "
        f"{version}: bump rc_plugin.format.container.VERSION, keep a decoder for the old version, and write golden files "
        f"of the new version with `{REGENERATE}`"
    )


def test_every_released_mixer_is_pinned():
    """Each learned mixer the format names has a golden file coded with it, and rc_plugin ships it under its id."""
    from rc_plugin.adaptive import mixers
    from rc_plugin.format.records import MIXER_NAMES

    assert set(mixers.DIGESTS) == set(MIXER_NAMES)
    pinned = set()
    for version, manifest in MANIFESTS.items():
        for entry in manifest["files"]:
            if "learned" in entry.get("tile_kinds", ()):  # (older manifests list no kinds; they have none)
                pinned.add(first_tile(read(version, entry["name"])).mixer)
    assert pinned == set(MIXER_NAMES)
