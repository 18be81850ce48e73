"""The layout keeps its direction: the import contracts (.importlinter) hold, a circle put back by
hand breaks them, and no module reaches a project module from inside a function to dodge one."""

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _packages() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / ".importlinter")],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy_of_the_project(tmp_path_factory) -> Path:
    """The project's packages and contracts, to break by hand without touching the checkout."""
    target = tmp_path_factory.mktemp("project")
    for package in _packages():
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", target / ".importlinter")
    return target


def _put_back(project: Path, module: str, line: str) -> None:
    path = project / module
    path.write_text(f"{line}\n{path.read_text()}")


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_is_excused_but_the_migrations():
    """Migrations name models of other apps by design; anything else that crosses a layer the
    wrong way is a circle, not an exception to list."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    excused = [
        line.strip()
        for name, section in config.items()
        if name.startswith("importlinter:contract:")
        for line in section.get("ignore_imports", "").splitlines()
        if line.strip() and not line.strip().startswith(";")
    ]
    assert excused and all(line.split(" -> ")[0].endswith("migrations.**") for line in excused), excused


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # The core calling a policy directly again (services -> waitlist -> services).
        (
            "reservations/services.py",
            "from reservations.policies import waitlist  # noqa",
            "The booking app in one direction",
        ),
        # The webhook sender importing its tasks again (delivery -> tasks -> delivery).
        ("webhooks/transport/delivery.py", "from webhooks import tasks  # noqa", "No import circle"),
        # A resource's model importing the selectors again (models -> selectors -> models).
        ("resources/models.py", "from resources import selectors  # noqa", "No import circle"),
        # The catalogue reaching up into the booking core (resources -> reservations -> resources).
        ("resources/selectors.py", "from reservations import selectors  # noqa", "Apps in layers"),
        # The plumbing writing the audit log itself again (common -> audit -> common).
        ("common/events.py", "from audit import services  # noqa", "Apps in layers"),
        # Who-may-see-what reaching the catalogue (tenancy -> resources -> tenancy).
        ("tenancy/access.py", "from resources import selectors  # noqa", "Apps in layers"),
        # The catalogue reaching the account pages (resources -> accounts -> resources).
        ("resources/selectors.py", "from accounts import selectors  # noqa", "Apps in layers"),
    ],
)
def test_a_circle_put_back_by_hand_breaks_the_contracts(copy_of_the_project, module, line, broken):
    original = (copy_of_the_project / module).read_text()
    _put_back(copy_of_the_project, module, line)
    try:
        result = _lint(copy_of_the_project)
    finally:
        (copy_of_the_project / module).write_text(original)
    assert result.returncode != 0, result.stdout
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout


def _function_level_imports(path: Path, first_party: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        # AppConfig.ready() is where Django lets an app wire itself to others once all are loaded.
        if function.name == "ready" and path.name == "apps.py":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if not node.level else ["."]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name == "." or name.split(".")[0] in first_party for name in names):
                found.append(f"{path.relative_to(root)}:{node.lineno} in {function.name}()")
    return found


def test_no_project_module_is_imported_inside_a_function():
    """An import placed in a function to dodge a circle hides the circle from the contracts; fix the
    direction instead (a registry the higher layer fills in its AppConfig.ready())."""
    packages = set(_packages())
    found = []
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found.extend(_function_level_imports(path, packages))
    assert not found, "Imports inside functions:\n" + "\n".join(found)


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "reservations" / "waitlist.py"
    sample.parent.mkdir()
    sample.write_text(
        "import json\n\n"
        "def serve():\n    from .services import reservation_create\n    import zoneinfo\n    return 1\n\n"
        "def find():\n    from resources.models import Site\n    return Site\n"
    )
    found = _function_level_imports(sample, set(_packages()), root=tmp_path)
    assert found == ["reservations/waitlist.py:4 in serve()", "reservations/waitlist.py:9 in find()"]
