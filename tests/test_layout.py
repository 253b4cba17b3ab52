"""The package reads simply: folders by job whose imports follow docs/architecture.md, small modules, a byte format
that imports no algorithm, a decoder that never imports encoder-only code, one source for every id and name, and no
module named like one of the training code's."""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rc_plugin"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"
#: The folders, each a group of docs/architecture.md; the package's own modules are "core" but for these.
FOLDERS = ("format", "adaptive", "mixture", "adapters", "files")
TOP = {"codec": "api", "coders": "api", "jitbuild": "build", "": "package", "__main__": "package"}
ENCODER_ONLY = {"mixture.tile_encoder", "mixture.fitting", "mixture.tau", "mixture.qsearch", "mixture.encode",
                "adaptive.guard", "adaptive.encode", "adaptive.jpeg.recover", "adaptive.jpeg.encode"}


def modules() -> list[str]:
    """Every module as a dotted name inside rc_plugin ("format.container"; a folder's __init__ is "format", the
    package's own is "")."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(found)


def source(module: str) -> Path:
    base = PACKAGE.joinpath(*module.split(".")) if module else PACKAGE
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def local_imports(module: str) -> set[str]:
    """rc_plugin modules that module imports, at the top or inside a function, and the folders' __init__ that
    importing them runs."""
    known = set(modules())
    path = source(module)
    here = module.split(".") if module else []
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            elif (node.module or "").split(".")[0] == "rc_plugin":
                base = node.module.split(".")[1:]
            else:
                continue
            target = ".".join(base)
            named = {f"{target}.{a.name}".lstrip(".") for a in node.names} & known
            found |= named or {target}
        elif isinstance(node, ast.Import):
            found.update(".".join(a.name.split(".")[1:]) for a in node.names if a.name.split(".")[0] == "rc_plugin")
    for name in list(found):  # importing a.b runs a's __init__ too
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found & known - {module}


def closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for dep in local_imports(m) - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


def group(module: str) -> str:
    head = module.split(".")[0]
    return head if head in FOLDERS else TOP.get(module, "core")


def allowed_imports() -> dict[str, set[str]]:
    """docs/architecture.md's table: each group and the groups (or modules) it may import."""
    rules = {}
    for line in ARCHITECTURE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]):
            may = cells[3]
            rules[cells[0].strip("`")] = {"*"} if may == "everything" else set(re.findall(r"`(\w+)`", may))
    return rules


def test_no_module_above_300_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 300}
    assert not long


def test_every_import_follows_the_architecture():
    rules = allowed_imports()
    assert set(rules) == {group(m) for m in modules()}, "a group of docs/architecture.md has no modules, or the reverse"
    wrong = []
    for module in modules():
        mine = group(module)
        for dep in local_imports(module):
            may = rules[mine]  # groups, or single modules (the byte format may import errors alone)
            if group(dep) != mine and "*" not in may and group(dep) not in may and dep not in may:
                wrong.append(f"{module or 'rc_plugin'} ({mine}) imports {dep} ({group(dep)})")
    assert not wrong


def test_the_byte_format_imports_no_algorithm():
    assert closure("format.container") <= {"format", "format.bitstream", "errors", "format.grids", "format.records",
                                           "format.mixture_record", "format.streams", "format.jpeg_bits",
                                           "format.jpeg_record"}


def test_the_decoder_never_imports_encoder_only_code():
    from rc_plugin.coders import CODERS

    decoding = closure("codec").union(*(closure(f"{c.package.removeprefix('rc_plugin.')}.decode") for c in CODERS))
    assert decoding & ENCODER_ONLY == set()
    assert {"mixture.qsearch", "mixture.tile_encoder"} <= closure("mixture.encode")  # the check sees real imports
    assert "adaptive.guard" in closure("adaptive.encode")


def test_every_coder_has_the_interface():
    import importlib

    from rc_plugin import options
    from rc_plugin.coders import CODERS
    from rc_plugin.format import bitstream, records

    for coder in CODERS:
        assert callable(importlib.import_module(f"{coder.package}.encode").start)
        assert callable(importlib.import_module(f"{coder.package}.decode").decode_tile)
        assert coder.name == records.CODER_NAMES[coder.ids[0]]
    ids = [i for coder in CODERS for i in coder.ids]
    assert sorted(ids) == sorted(set(ids)) == sorted(records.CODER_NAMES)
    assert {v for k, v in vars(bitstream).items() if k.startswith("CODER_")} == set(records.CODER_NAMES)
    assert options.CODERS == tuple(coder.name for coder in CODERS)


def _names() -> set[str]:
    """The names the format gives to ids: tile coders, index planes, lossy layers, learned mixers."""
    from rc_plugin.format import bitstream, records

    return {*records.CODER_NAMES.values(), *records.PLANE_NAMES.values(), *bitstream.LAYER_NAMES.values(),
            *records.MIXER_NAMES.values()}


def test_every_id_and_name_has_one_source():
    """Ids (LAYER_*, CODER_*, PLANE_*) and their names (CODER_NAMES, PLANE_NAMES, LAYER_NAMES, MIXER_NAMES) are
    defined in the byte format alone: no other module assigns a constant of those names, nor a table keyed by or listing an id's
    name (as the tile sides by coder once were, {"adaptive": 512, ...}); the rest refer to the format's."""
    ids = re.compile(r"(LAYER|CODER|PLANE)S?_[A-Z_]+$|MIXER_(NAMES|IDS)$")
    names = _names()
    twins = []
    for module in modules():
        if module in ("format.bitstream", "format.records"):
            continue
        for node in ast.parse(source(module).read_text()).body:
            if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and ids.match(target.id):
                    twins.append(f"{module}.{target.id}")
            if node.value is None:
                continue
            for sub in ast.walk(node.value):
                elements = sub.keys if isinstance(sub, ast.Dict) else getattr(sub, "elts", [])
                literal = {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                if literal & names:
                    twins.append(f"{module}: {ast.unparse(node)[:80]}")
    assert not twins


def test_no_module_shares_a_name_with_the_training_or_export_code():
    root = PACKAGE.parent
    ours = {p.stem for p in PACKAGE.rglob("*.py")} | set(FOLDERS)
    ours -= {"__init__", "__main__"}
    theirs = {p.stem for d in ("models", "export", "benchmarks") for p in (root / d).glob("*.py")}
    assert not ours & (theirs | {"models", "export", "benchmarks"})


def test_no_import_circle():
    """No module imports, at the top or inside a function, one that imports it back (directly or around a circle)."""
    for module in modules():
        assert module not in closure(module), f"{module or 'rc_plugin'} imports itself through {sorted(closure(module))}"
