#!/usr/bin/env python3
"""The browser libraries pinned in package-lock.json, installed into node_modules/ without Node.js.

    python3 deploy/browser_packages.py [--lock package-lock.json] [--target node_modules]

Each package's tarball comes from the npm registry (NPM_REGISTRY, default https://registry.npmjs.org)
over HTTPS and is checked against the lock file's integrity hash before anything is unpacked, so the
result is byte for byte what `npm ci` installs. `dev.py` calls this on a fresh machine and the Docker
image's build calls it too: one way to get them. Standard library only.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

STAMP = ".lock.sha256"


class IntegrityError(Exception):
    pass


class UnsafeArchiveError(IntegrityError):
    """A member that would land outside its package folder, or is neither a file nor a folder."""


def lock_digest(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def packages(lock: Path) -> list[tuple[str, str, str, str]]:
    """(install path, name, version, integrity) of every package the lock file pins."""
    found = []
    for path, meta in json.loads(lock.read_text())["packages"].items():
        if not path:
            continue  # the project itself
        name = path.rsplit("node_modules/", 1)[1]
        found.append((path, name, meta["version"], meta["integrity"]))
    return found


def tarball_url(registry: str, name: str, version: str) -> str:
    return f"{registry.rstrip('/')}/{name}/-/{name.split('/')[-1]}-{version}.tgz"


def verify(data: bytes, integrity: str) -> None:
    """Subresource Integrity: '<algorithm>-<base64 digest>' (npm writes sha512)."""
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise IntegrityError(f"integrity mismatch: expected {integrity}, got {algorithm}-{actual}")


def unpack(data: bytes, destination: Path) -> None:
    """npm tarballs hold one top folder ('package/'); its contents become the package folder."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = []
        for member in archive.getmembers():
            _, _, inner = member.name.partition("/")
            if not inner or not (member.isfile() or member.isdir()):
                continue
            member.name = inner
            members.append(member)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, members=members, filter="data")
        else:  # Python before 3.11.4 (Debian 12 ships 3.11.2): the same rules, checked here
            checked = [safe_member(m, destination) for m in members]
            archive.extractall(destination, members=checked)  # noqa: S202 - each member checked above


def safe_member(member: tarfile.TarInfo, destination: Path) -> tarfile.TarInfo:
    """What tarfile's "data" filter enforces: a relative path inside the destination, a plain file or
    folder, no set-id, sticky or group/other write bits, and owned by whoever unpacks it."""
    root = destination.resolve()
    target = (root / member.name).resolve()
    if os.path.isabs(member.name) or ".." in Path(member.name).parts or not target.is_relative_to(root):
        raise UnsafeArchiveError(f"{member.name!r} would be written outside {destination}")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(f"{member.name!r} is neither a file nor a folder")
    mode = member.mode & 0o755
    member.mode = (mode | 0o700) if member.isdir() else (mode | 0o600)
    member.uid, member.gid, member.uname, member.gname = os.getuid(), os.getgid(), "", ""
    return member


def install(lock: Path, target: Path, registry: str | None = None, fetch=None) -> int:
    registry = registry or os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org")
    fetch = fetch or (lambda url: urllib.request.urlopen(url, timeout=60).read())  # noqa: S310 - https registry
    pinned = packages(lock)
    for path, name, version, integrity in pinned:
        url = tarball_url(registry, name, version)
        data = fetch(url)
        try:
            verify(data, integrity)
        except IntegrityError as exc:
            raise IntegrityError(f"{name}@{version} from {url}: {exc}") from None
        unpack(data, target / path.removeprefix("node_modules/"))
    target.mkdir(parents=True, exist_ok=True)
    (target / STAMP).write_text(lock_digest(lock))
    return len(pinned)


def installed(lock: Path, target: Path) -> bool:
    stamp = target / STAMP
    return stamp.exists() and stamp.read_text() == lock_digest(lock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--lock", type=Path, default=root / "package-lock.json")
    parser.add_argument("--target", type=Path, default=root / "node_modules")
    args = parser.parse_args()
    try:
        count = install(args.lock, args.target)
    except (OSError, IntegrityError) as exc:
        sys.exit(f"Could not install the browser packages: {exc}")
    print(f"{count} browser packages installed in {args.target} (checked against {args.lock.name}).")


if __name__ == "__main__":
    main()
