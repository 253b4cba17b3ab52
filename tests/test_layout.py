"""The package reads simply: small modules, a byte format that imports no algorithm, a decoder that never
imports encoder-only code, and no module named like one of the training code's."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rc_plugin"
ENCODER_ONLY = {"encoder", "fitting", "tau", "qsearch", "guard"}


def local_imports(module: str) -> set[str]:
    """rc_plugin modules that module imports (from . import x, from .x import y)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):  # imports inside functions too
        if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("rc_plugin")):
            module = (node.module or "").removeprefix("rc_plugin").lstrip(".")
            if module:
                found.add(module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("rc_plugin."))
    return {m for m in found if (PACKAGE / f"{m}.py").exists()}


def closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for dep in local_imports(m) - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


def test_no_module_above_300_lines():
    long = {p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text().splitlines())) > 300}
    assert not long


def test_the_byte_format_imports_no_algorithm():
    assert closure("container") <= {"bitstream", "errors", "grids", "records"}


def test_the_decoder_never_imports_encoder_only_code():
    assert closure("decoder") & ENCODER_ONLY == set()
    assert "encoder" in closure("codec")  # the check sees real imports


def test_no_module_shares_a_name_with_the_training_or_export_code():
    root = PACKAGE.parent
    ours = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    theirs = {p.stem for d in ("models", "export", "benchmarks") for p in (root / d).glob("*.py")}
    assert not ours & (theirs | {"models", "export", "benchmarks"})


def test_no_import_circle():
    """No module imports, at the top or inside a function, one that imports it back (directly or around a circle)."""
    modules = [p.stem for p in PACKAGE.glob("*.py")]
    for module in modules:
        assert module not in closure(module), f"{module} imports itself through {sorted(closure(module))}"
