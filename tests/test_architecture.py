"""The package's shape, checked: the layer contract (import-linter), modules of one concern, no
issue numbers in comments, and no private Keras API outside helpers/_compat.py."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"
# the private names, spelt in pieces so that this file does not match its own search
PRIVATE_KERAS = re.compile("|".join([r"keras\.src", "_keras" + "_history", "_inbound" + "_nodes", r"\._numpy" + r"\("]))


def test_layer_contract_holds():
    """`lint-imports` (import-linter) checks the layers declared in pyproject.toml."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -r requirements-dev.txt")
    run = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout and "KEPT" in run.stdout


def test_ruff_is_clean():
    """ruff, with the rules chosen in pyproject.toml, finds nothing in the package, tests and scripts."""
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("ruff is not installed: pip install -r requirements-dev.txt")
    run = subprocess.run([exe, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_no_import_cycles():
    """No module imports (at the top or inside a function) one that leads back to it."""
    import grimp

    graph = grimp.build_graph("helpers")
    cycles = sorted({tuple(sorted((m, b))) for m in graph.modules for b in graph.find_modules_directly_imported_by(m)
                     if graph.chain_exists(importer=b, imported=m)})
    assert not cycles, f"import cycles: {cycles}"


def test_the_contract_names_every_module():
    """A new module must be placed in a layer, or the contract would not check it."""
    text = (ROOT / "pyproject.toml").read_text()
    modules = {p.relative_to(HELPERS).parts[0].removesuffix(".py")
               for p in HELPERS.rglob("*.py") if p.relative_to(HELPERS).parts != ("__init__.py",)}
    unnamed = sorted(m for m in modules if f"helpers.{m}" not in text)
    assert not unnamed, f"modules missing from [tool.importlinter] layers: {unnamed}"


def test_no_module_grows_past_one_concern():
    """Length is a sign, not a rule: past 450 lines a module most likely holds more than one concern
    and is split by concern (never squeezed to fit a number)."""
    long = {str(p.relative_to(ROOT)): n for p in HELPERS.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 450}
    assert not long, f"is each of these one concern? split by concern if not: {long}"


@pytest.mark.parametrize("folder", ["helpers", "tests"])
def test_comments_say_what_not_which_issue(folder):
    """A reader of the code cannot look up the project's issues: comments say what and why."""
    pattern = re.compile(r"\bissues? ?#?[0-9]", re.IGNORECASE)
    assert pattern.search("(issue 3: activations)") and pattern.search("issues 4 and 9")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / folder).rglob("*.py") if p.name != "test_architecture.py"
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, f"comments that cite issue numbers: {hits}"


@pytest.mark.parametrize("folder", ["helpers", "tests"])
def test_private_keras_only_in_compat(folder):
    samples = ("from keras" + ".src.models import x", "t._num" + "py()", "layer._in" + "bound_nodes[0]",
               "t._keras" + "_history")
    assert all(PRIVATE_KERAS.search(bad) for bad in samples)  # the pattern catches each private name
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / folder).rglob("*.py")
            if p.name not in ("_compat.py", "test_architecture.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if PRIVATE_KERAS.search(line)]
    assert not hits, f"private Keras API outside helpers/_compat.py: {hits}"
