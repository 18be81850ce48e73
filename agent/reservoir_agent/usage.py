"""What the machine is doing now, read from the kernel and the GPU driver: who is logged in, the
load, each GPU's utilisation and memory, and the processes of people who hold no booking."""

import os
import pwd
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, Optional

# sshd names each session's process "sshd: alice@pts/0" (OpenSSH before 9.8 and after, as
# "sshd-session: alice@notty").
SESSION = re.compile(r"^sshd(?:-session)?: ([^\s@]+)@")
UID_MIN = 1000  # people, not system accounts (login.defs' default)
NOBODY = 65534


class Process(NamedTuple):
    pid: int
    uid: int
    user: str
    command: str
    started: float  # seconds since the epoch


def _boot_time(proc: Path) -> float:
    for line in (proc / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def processes(proc: Path = Path("/proc")) -> list[Process]:
    """Every process, with its real user and start time; one that ends while being read is skipped."""
    ticks = os.sysconf("SC_CLK_TCK")
    booted = _boot_time(proc)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        if uid is None or not command:
            continue  # kernel threads have no command line
        fields = stat.rsplit(")", 1)[1].split()
        started = booted + int(fields[19]) / ticks  # field 22 of stat: start time in clock ticks
        found.append(Process(int(entry.name), int(uid.group(1)), _user(int(uid.group(1))), command, started))
    return found


def logged_in(found: Iterable[Process]) -> list[str]:
    """Local accounts with an ssh session now."""
    return sorted({m.group(1) for p in found if (m := SESSION.match(p.command))})


def foreign(found: Iterable[Process], allowed: set[str]) -> list[dict]:
    """Processes of people (not system accounts) other than `allowed`, per user."""
    by_user: dict[str, list[Process]] = {}
    for p in found:
        if p.uid >= UID_MIN and p.uid != NOBODY and p.user not in allowed:
            by_user.setdefault(p.user, []).append(p)
    return [
        {"user": user, "processes": len(mine), "commands": sorted({p.command[:200] for p in mine})[:5]}
        for user, mine in sorted(by_user.items())
    ]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _number(text: Optional[str]) -> float:
    match = re.match(r"\s*([\d.]+)", text or "")
    return float(match.group(1)) if match else 0.0


def gpus_from_smi_xml(document: str) -> list[dict]:
    """`nvidia-smi -q -x`: one entry per <gpu>, in nvidia-smi's order (its index)."""
    import xml.etree.ElementTree as ET  # only where there are GPUs to read

    root = ET.fromstring(document)  # noqa: S314
    return [
        {
            "index": index,
            "uuid": gpu.findtext("uuid", ""),
            "name": gpu.findtext("product_name", ""),
            "utilization": _number(gpu.findtext("utilization/gpu_util")),
            "memory_used": int(_number(gpu.findtext("fb_memory_usage/used"))),
            "memory_total": int(_number(gpu.findtext("fb_memory_usage/total"))),
        }
        for index, gpu in enumerate(root.findall("gpu"))
    ]


def gpus_from_nvml(nvml) -> list[dict]:
    """Through NVML (the `pynvml` module of nvidia-ml-py)."""
    nvml.nvmlInit()
    try:
        found = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            name, uuid = nvml.nvmlDeviceGetName(handle), nvml.nvmlDeviceGetUUID(handle)
            found.append(
                {
                    "index": index,
                    "uuid": uuid.decode() if isinstance(uuid, bytes) else uuid,
                    "name": name.decode() if isinstance(name, bytes) else name,
                    "utilization": float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    "memory_used": memory.used // 2**20,
                    "memory_total": memory.total // 2**20,
                }
            )
        return found
    finally:
        nvml.nvmlShutdown()


def gpus() -> list[dict]:
    """NVML when nvidia-ml-py is installed, else nvidia-smi, else none (a machine without GPUs)."""
    try:
        import pynvml  # optional: the nvml extra
    except ImportError:
        pynvml = None
    if pynvml is not None:
        try:
            return gpus_from_nvml(pynvml)
        except pynvml.NVMLError:
            pass  # the library without a driver: nvidia-smi may still answer
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        done = subprocess.run([smi, "-q", "-x"], capture_output=True, text=True, timeout=10, check=True)  # noqa: S603
        return gpus_from_smi_xml(done.stdout)
    except (OSError, subprocess.SubprocessError, SyntaxError):  # ParseError is a SyntaxError
        return []
