#!/usr/bin/env python3
"""The two commands a newcomer needs, on a machine with only Python 3.11:

    python3 dev.py run     # install everything, migrate, load demo data, start web + worker + beat
    python3 dev.py test    # install everything, run the whole test suite (extra args go to pytest)
    python3 dev.py screenshots  # every page, per demo role, at 1440 and 390 px, into docs/screenshots/

Standard library only: it must work before anything is installed.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
REQUIREMENTS = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt", ROOT / "pyproject.toml"]


def ensure_environment() -> None:
    if sys.version_info < (3, 11, 2):
        found = sys.version.split()[0]
        sys.exit(f"Reservoir needs Python 3.11.2 or newer (Debian 12's python3 will do); this is {found}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in REQUIREMENTS)).hexdigest()
    stamp = VENV / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing requirements ...", flush=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "-r", ROOT / "requirements-dev.txt"], check=True)
        # The `reservoir` command-line client (reservoir_cli.py), as .venv/bin/reservoir.
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--no-deps", "-e", ROOT], check=True)
        stamp.write_text(digest)


def ensure_browser_packages() -> None:
    """FullCalendar and friends, exactly as package-lock.json pins them, with no Node.js needed:
    tarballs from the npm registry, each checked against the lock file's integrity hash."""
    sys.path.insert(0, str(ROOT / "deploy"))
    import browser_packages

    lock, target = ROOT / "package-lock.json", ROOT / "node_modules"
    if browser_packages.installed(lock, target):
        return
    print("Installing browser packages (package-lock.json, from the npm registry) ...", flush=True)
    try:
        browser_packages.install(lock, target)
    except (OSError, browser_packages.IntegrityError) as exc:
        sys.exit(f"Could not install the browser packages: {exc}")


def main() -> None:
    commands = {
        "run": [PYTHON, "manage.py", "devstack"],
        "test": [PYTHON, "-m", "pytest"],
        "screenshots": [PYTHON, "-m", "pytest", "-q", "tests/browser/render_screenshots.py"],
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    ensure_environment()
    ensure_browser_packages()
    os.environ.setdefault("DEBUG", "1")
    os.chdir(ROOT)
    argv = [str(part) for part in commands[sys.argv[1]]] + sys.argv[2:]
    # Replace this process, so that Ctrl-C and SIGTERM reach the command itself.
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
