"""The package's shape, checked: the layer contract (import-linter), modules of one concern, no
issue numbers in comments, no private Keras API outside helpers/_compat.py, argument checks in
helpers/validation, and a curated public surface (``__all__``, no relays)."""
import ast
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


# --------------------------------------------------------------------------- one home for argument checks
# helpers/validation holds every generic argument check (an int in a range, a finite number, a bool, a
# choice among names, an array of some dimensions, a type). Elsewhere a check that needs the technique's
# knowledge stays where it is and calls validation for the generic part; a hand-written copy of a generic
# check (the pattern below) fails this test.
NUMBER_TYPES = {"int", "float", "bool", "str", "bytes", "complex", "integer", "floating", "number", "bool_",
                "Number", "Real", "Integral"}
PLAIN_TYPE_ERROR = "a plain TypeError (the contract's type for a wrong type is validation.ArgumentTypeError)"
# (file, function) -> why a check there that looks generic is its own, and stays.
# (An exercise number not among the hints, in helpers/exercises/_result.py, is a KeyError as a dict lookup is;
# the detector does not flag it, as it does not flag any test against a container that is not a list of names.)
OWN_CHECKS: dict[tuple[str, str], str] = {
    ("helpers/apps/workers.py", "check_int"): "the supervisor is loaded without the helpers package (no TensorFlow), "
                                              "so it repeats validation's rule; test_workers checks they agree",
    ("helpers/apps/workers.py", "Supervisor.__init__"): "the class code's rule of helpers.apps.guard, repeated for the "
                                                        "same reason; test_workers checks they agree",
}


def _names(node) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if isinstance(n, (ast.Name, ast.Attribute))}


def _generic_test(test) -> str | None:
    """What generic check an ``if`` test hand-writes, if it does."""
    for call in (n for n in ast.walk(test) if isinstance(n, ast.Call)):
        fn = getattr(call.func, "id", getattr(call.func, "attr", ""))
        if fn == "isinstance" and len(call.args) == 2 and _names(call.args[1]) & NUMBER_TYPES:
            return "a hand-written type test (isinstance of a number, string or bool type)"
        if fn == "isfinite":
            return "a hand-written finite test"
    for cmp in (n for n in ast.walk(test) if isinstance(n, ast.Compare) and isinstance(n.ops[-1], ast.NotIn)):
        names = cmp.comparators[-1]
        if (isinstance(names, ast.Name) and names.id.isupper()) or (
                isinstance(names, (ast.Tuple, ast.List, ast.Set)) and names.elts
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in names.elts)):
            return "a hand-written choice test (not in a list of names)"
    return None


def hand_written_checks(source: str) -> list[tuple[int, str, str]]:
    """``(line, function, what)`` for each generic argument check written by hand in ``source``: an
    ``if`` that raises on a number-type / finite / choice test, and every plain ``raise TypeError``."""
    found = []

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.If) and any(isinstance(b, ast.Raise) for b in child.body):
                what = _generic_test(child.test)
                if what:
                    found.append((child.lineno, scope, what))
            if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call) \
                    and getattr(child.exc.func, "id", None) == "TypeError":
                found.append((child.lineno, scope, PLAIN_TYPE_ERROR))
            visit(child, inner)

    visit(ast.parse(source), "")
    return found


def test_the_check_detector_catches_copies_and_spares_domain_checks():
    copies = {
        "def f(n):\n    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:\n"
        "        raise ValueError(n)\n": "type test",
        "def f(x):\n    if not math.isfinite(x) or x <= 0:\n        raise ValueError(x)\n": "finite test",
        "def f(mode):\n    if mode not in ('avg', 'max'):\n        raise ValueError(mode)\n": "choice test",
        "def f(mode):\n    if mode not in MODES:\n        raise ValueError(mode)\n": "choice test",
        "def f(t):\n    raise TypeError(t)\n": "plain TypeError",
    }
    for source, what in copies.items():
        assert [w for _, _, w in hand_written_checks(source)], f"missed a hand-written {what}: {source}"
    domain = ("def f(i, count):\n    if i >= count:\n        raise IndexError(i)\n",
              "def f(source):\n    if isinstance(source, str):\n        return open(source)\n",
              "def f(layer, shapes):\n    if layer not in shapes:\n        raise KeyError(layer)\n",
              "def f(x):\n    if not isinstance(x, Objective):\n        raise ArgumentTypeError(x)\n")
    for source in domain:
        assert not hand_written_checks(source), source


def test_argument_checks_live_in_validation():
    """No generic check is written by hand outside helpers/validation (see OWN_CHECKS for the exceptions)."""
    hits, kept = [], set()
    for path in sorted(HELPERS.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel.startswith("helpers/validation/"):
            continue
        for line, scope, what in hand_written_checks(path.read_text()):
            if (rel, scope) in OWN_CHECKS:
                kept.add((rel, scope))
            else:
                hits.append(f"{rel}:{line} ({scope or 'module'}): {what}")
    assert kept == set(OWN_CHECKS), f"OWN_CHECKS entries with no check left to excuse: {set(OWN_CHECKS) - kept}"
    assert not hits, "use helpers.validation's checks (check_int, check_count, check_number, check_positive, " \
                     "check_bool, check_choice, check_type, check_index, check_array ...):\n" + "\n".join(hits)


# --------------------------------------------------------------------------- a curated public surface
# every public module says what it offers users in __all__; a module offers only what it defines (a
# package __init__ gathers its modules' names); importers take a name from the module that defines it.
# (module, name): imports of a relayed name that remain, by code being rewritten alongside this test
RELAYED_IMPORTS: set[tuple[str, str]] = set()


def _public_modules():
    for path in sorted(HELPERS.rglob("*.py")):
        parts = path.relative_to(HELPERS).parts
        if not any(p.startswith("_") and p != "__init__.py" for p in parts):
            yield path


def _module_names(tree) -> tuple[set[str], set[str], list | None]:
    """(names defined at module level, names imported at module level, the literal __all__ or None)."""
    defined, imported, exported = set(), set(), None
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, (ast.If, ast.Try)):
            nodes.extend(node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", [])
                         + [s for h in getattr(node, "handlers", []) for s in h.body])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if "__all__" in names and node.value is not None:
                exported = ast.literal_eval(node.value)
            defined |= names - {"__all__"}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return defined, imported, exported


def test_every_public_module_has_all():
    missing = [str(p.relative_to(ROOT)) for p in _public_modules()
               if _module_names(ast.parse(p.read_text()))[2] is None]
    assert not missing, f"public modules without __all__ (list what the module offers its users): {missing}"


def test_every_name_in_all_exists_and_no_module_relays():
    problems = []
    for path in _public_modules():
        defined, imported, exported = _module_names(ast.parse(path.read_text()))
        rel = str(path.relative_to(ROOT))
        if exported is None:
            continue
        if len(set(exported)) != len(exported) or not all(isinstance(n, str) for n in exported):
            problems.append(f"{rel}: __all__ must list each name once, as a string")
        for name in exported:
            if name not in defined | imported:
                problems.append(f"{rel}: __all__ lists {name!r}, which it neither defines nor imports")
            elif path.name != "__init__.py" and name not in defined:
                problems.append(f"{rel}: __all__ relays {name!r} (imported, not defined here): import it from "
                                "where it is defined instead")
    assert not problems, "\n".join(problems)


def _module_path(module: str) -> tuple[Path | None, bool]:
    base = ROOT / module.replace(".", "/")
    if (base / "__init__.py").exists():
        return base / "__init__.py", True
    return (base.with_suffix(".py"), False) if base.with_suffix(".py").exists() else (None, False)


def test_names_are_imported_from_where_they_are_defined():
    """``from helpers.x import name`` takes ``name`` from the module that defines it, not from one that
    imports it (packages excepted: their __init__ gathers names)."""
    files = [p for folder in ("helpers", "tests", "scripts", "benchmarks") for p in (ROOT / folder).rglob("*.py")]
    files += sorted((ROOT / "notebooks").glob("*.py")) + [ROOT / "conftest.py"]
    definitions, relayed = {}, []
    for path in files:
        here = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            source, is_package = _module_path(module)
            if not module.startswith("helpers") or source is None or is_package:
                continue
            if source not in definitions:
                definitions[source] = _module_names(ast.parse(source.read_text()))[0]
            for alias in node.names:
                if alias.name not in definitions[source] and _module_path(f"{module}.{alias.name}")[0] is None \
                        and (module, alias.name) not in RELAYED_IMPORTS:
                    relayed.append(f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {module}")
    assert not relayed, "import these from the module that defines them:\n" + "\n".join(relayed)
