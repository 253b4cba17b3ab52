"""Every encode and decode option, defined once: name, allowed values, default and help.

The Python API checks its keywords here, the CLI builds its flags from here, and the
Pillow and imageio adapters pick the options they pass on from here, so a bad value
gives the same RclError text everywhere. Unknown options follow each ecosystem: the
Python API raises TypeError, as Python does for an unknown keyword; Pillow's save and
imageio's write ignore them, as Pillow's own plugins do (``optimize=True`` meant for
PNG must not break a script that now writes ``.rcl``).
"""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Callable, Iterable

from .format.bitstream import CODER_ADAPTIVE, CODER_MIXTURE, LAYER_BPG, LAYER_HEVC, LAYER_NAMES
from .errors import RclError
from .format.records import CODER_NAMES, MIXER_NAMES

#: Coders: "adaptive", without a lossy layer (the adaptive coder, and for tiles that are not photos palette and
#: generic tiles where smaller, rc_plugin.adaptive.guard), or the paper's path (a lossy layer, then the RC's mixture).
CODERS = (CODER_NAMES[CODER_ADAPTIVE], CODER_NAMES[CODER_MIXTURE])
#: Lossy layers by name (their ids in the file: bitstream.LAYER_NAMES); the mixture coder's.
LOSSY_LAYERS = (LAYER_NAMES[LAYER_HEVC], LAYER_NAMES[LAYER_BPG])
DEVICES = ("auto", "cpu", "cuda")
#: Quantizers HEVC accepts; the encoder's own choice is narrower (rc_plugin.mixture.qsearch.SEARCH_RANGE).
Q_LIMITS = (0, 51)
#: Effort levels, every coder's: more encoder search, the same decoder (as cjxl's and cwebp's effort; a file decodes
#: slower only where the search kept a preset with secondary estimation, none at effort 1). The adaptive coder at 1
#: codes a photo tile by its first preset in R, G, B order only; at 2 also by every preset without secondary
#: estimation in the channel order whose first rows code smallest, and the best of them with it (of both kinds); at 3
#: by every preset in every order (rc_plugin.adaptive.guard). The mixture coder at 1 codes at the Q-classifier's Q, at 2
#: and 3 at the Q searched by coding the image.
EFFORTS = (1, 3)
DEFAULT_EFFORT = 2
#: The adaptive coder's learned mixers by name (their ids in the file: format.records.MIXER_NAMES), and "off".
MIXERS = ("off", *MIXER_NAMES.values())


@dataclasses.dataclass(frozen=True)
class Option:
    """One option: what it is called, its default, what it accepts and how the CLI spells it."""

    name: str
    default: Any
    help: str
    #: what a valid value is, as said in errors ("an integer in 0..51")
    expects: str
    #: whether a value (never None: None is checked by `optional`) is valid
    valid: Callable[[Any], bool]
    optional: bool = False  # None allowed (the encoder or the runtime chooses)
    choices: tuple | None = None
    #: CLI flags; a switch (a bool option) becomes one --no-<name> flag that sets it False
    flags: tuple[str, ...] = ()
    switch: bool = False
    #: turns CLI text into the value before the check
    parse: Callable[[str], Any] = str

    def check(self, value: Any) -> Any:
        """The value if valid, else RclError with the one message every front end shows."""
        if value is None and self.optional:
            return None
        if value is not None and self.valid(value):
            return value
        raise RclError(f"{self.name} must be {self.expects}, not {value!r}")


def _int_in(lo: int, hi: int | None) -> Callable[[Any], bool]:
    def valid(v: Any) -> bool:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            return False
        return lo <= int(v) and (hi is None or int(v) <= hi)

    return valid


def _int_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text  # refused by the check, with the same message as the API gives


def _one_of(choices: tuple) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v in choices


CODER = Option("coder", None, "adaptive (default; no lossy layer) or mixture (the paper's path: lossy layer + RC); "
               "any of the mixture coder's options asks for mixture", "one of 'adaptive', 'mixture'", _one_of(CODERS),
               optional=True, choices=CODERS, flags=("--coder",))
LOSSY = Option("lossy", None, "the mixture coder's lossy layer: hevc (default; pip-installed x265/libde265) or bpg "
               "(the BPG tools on PATH)", "one of 'hevc', 'bpg'", _one_of(LOSSY_LAYERS), optional=True,
               choices=LOSSY_LAYERS, flags=("--lossy",))
Q = Option("q", None, "the mixture coder's quantizer 0..51 (default: the encoder chooses)",
           "an integer quantizer in 0..51", _int_in(*Q_LIMITS), optional=True, flags=("-q", "--q"), parse=_int_text)
EFFORT = Option("effort", None, "encoder search, the same decoder: 1 fastest, 2 (default), 3 smallest; adaptive: "
                "1 one preset, 2 the presets in one channel order, 3 in every order; mixture: 1 the Q-classifier's "
                "Q, 2 and 3 Q searched by coding the image", "an effort level 1, 2 or 3 (1 fastest, 3 smallest)",
                _int_in(*EFFORTS), optional=True, flags=("-e", "--effort"), parse=_int_text)
TAU = Option("tau", None, "skip the mixture coder's per-image tau optimization", "True or False",
             lambda v: isinstance(v, bool), optional=True, flags=("--no-tau",), switch=True)
CONTEXT = Option("context", None, "skip fitting the mixture coder's causal pass (faster, larger files)",
                 "True or False", lambda v: isinstance(v, bool), optional=True, flags=("--no-context",), switch=True)
MIXER = Option("mixer", None, "the adaptive coder's learned mixer: off (default), small, medium, large (at effort 3 "
               "with large-downscaled beside it per tile) or large-downscaled (smaller photos, slower encode and "
               "decode: docs/results.md); each tile keeps it only where it is smaller",
               f"one of {', '.join(map(repr, MIXERS))}", _one_of(MIXERS), optional=True, choices=MIXERS,
               flags=("--mixer",))
#: What the mixture coder's options are when not given.
MIXTURE_DEFAULTS = {"lossy": LOSSY_LAYERS[0], "tau": True, "context": True}
THREADS = Option("threads", None, "threads per worker: the network's, and how many of an image's tiles code at once "
                 "without a lossy layer (default: onnxruntime's choice; every core for tiles)",
                 "a whole number of threads >= 0 (0: the default)", _int_in(0, None), optional=True,
                 flags=("--threads",), parse=_int_text)
DEVICE = Option("device", "auto", "where the network runs: auto (GPU when its provider loads), cpu or cuda",
                "one of 'auto', 'cpu', 'cuda'", _one_of(DEVICES), choices=DEVICES, flags=("--device",))
PROGRESS = Option("progress", None, "called as progress(done, total) after each tile", "a callable or None",
                  callable, optional=True)

ENCODE: dict[str, Option] = {o.name: o for o in (CODER, LOSSY, Q, EFFORT, TAU, CONTEXT, MIXER, THREADS, DEVICE,
                                                   PROGRESS)}
DECODE: dict[str, Option] = {o.name: o for o in (THREADS, DEVICE, PROGRESS)}
#: The encode options that decide what is coded (a zarr array stores these), and the runtime's options a worker
#: is given (the decode options but the progress callback).
CODING: dict[str, Option] = {name: opt for name, opt in ENCODE.items() if name not in DECODE}
RUNTIME: dict[str, Option] = {name: opt for name, opt in DECODE.items() if name != "progress"}


def checked(schema: dict[str, Option], values: dict[str, Any], api: str) -> dict[str, Any]:
    """Every option of the schema, defaults filled in and values checked; an unknown name is a TypeError."""
    unknown = sorted(set(values) - set(schema))
    if unknown:
        raise TypeError(f"{api}() got unexpected keyword arguments {unknown}; its options are {sorted(schema)}")
    return {name: opt.check(values.get(name, opt.default)) for name, opt in schema.items()}


def resolve_coder(opts: dict[str, Any]) -> dict[str, Any]:
    """Checked encode options with the coder decided: any of the mixture coder's options (lossy, q, tau, context)
    asks for it, and the adaptive coder, which codes without a lossy layer, refuses them. effort is every coder's:
    it no longer asks for the mixture coder (the README's Options say why)."""
    given = sorted(k for k in ("q", *MIXTURE_DEFAULTS) if opts[k] is not None)
    if opts["coder"] == "adaptive" and given:
        raise RclError(f"{', '.join(given)} {'apply' if len(given) > 1 else 'applies'} to the mixture coder (the "
                       "paper's path with a lossy layer); the adaptive coder codes without one: leave "
                       f"{'them' if len(given) > 1 else 'it'} out, or use coder='mixture'")
    coder = opts["coder"] or ("mixture" if given else "adaptive")
    if coder == "mixture":
        if opts["mixer"] not in (None, MIXERS[0]):
            raise RclError("mixer applies to the adaptive coder (the default); the mixture coder has its own network: "
                           "leave mixer out, or leave out the mixture coder's options")
        opts = {**opts, **{k: v for k, v in MIXTURE_DEFAULTS.items() if opts[k] is None}, "mixer": None}
    else:
        opts = {**opts, "mixer": opts["mixer"] or MIXERS[0]}
    return {**opts, "coder": coder, "effort": opts["effort"] or DEFAULT_EFFORT}


def known(schema: dict[str, Option], values: dict[str, Any]) -> dict[str, Any]:
    """The options of the schema among values (an adapter's keywords), others left out."""
    return {k: v for k, v in values.items() if k in schema}


def add_arguments(parser: argparse.ArgumentParser, schema: dict[str, Option], names: Iterable[str]) -> None:
    """CLI flags for the named options; a bad value is a usage error with the API's message."""
    for name in names:
        opt = schema[name]
        if opt.switch:
            parser.add_argument(*opt.flags, dest=name, action="store_const", const=False, default=None, help=opt.help)
            continue

        def convert(text: str, opt: Option = opt) -> Any:
            try:
                return opt.check(opt.parse(text))
            except RclError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None

        parser.add_argument(*opt.flags, dest=name, type=convert, default=opt.default, help=opt.help,
                            metavar=name.upper() if opt.choices is None else "{" + ",".join(opt.choices) + "}")
