"""A GPU the app cannot use, said out loud.

torch from PyPI is a CUDA 13.0 build (``torch==2.13.0`` is ``2.13.0+cu130``);
it needs an NVIDIA driver of the 580 series or newer. On a machine whose
driver is older, ``torch.cuda.is_available()`` is simply False and a 3B model
runs on the CPU (~90 s a line) without a word. This module compares what the
machine has (``nvidia-smi``, else ``/proc/driver/nvidia``) with what torch can
use, and when a GPU is there but unusable it says which driver it found, which
CUDA build torch is, and the fix (README: the requirements line of a CUDA 12.x
build of the same torch).

The machine's answers come from a :class:`GpuProbe`, so tests fake them on CPU::

    >>> probe = GpuProbe(gpus=lambda: [("Tesla T4", "535.104.05")], torch_cuda=lambda: ("13.0", False))
    >>> unusable_gpu(probe).driver
    '535.104.05'
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: the oldest driver series each CUDA major version runs on (NVIDIA's CUDA compatibility table)
MINIMUM_DRIVER = {13: 580, 12: 525, 11: 450}
#: the README section with the requirements line of a CUDA 12.x torch
FIX = ("install a torch built for CUDA 12.x, which runs on this driver (README, \"A GPU the app cannot use\": "
       "in requirements.txt, torch==2.13.0 becomes --extra-index-url https://download.pytorch.org/whl/cu126 and "
       "torch==2.13.0+cu126), or update the NVIDIA driver to {needed} or newer")


@dataclass(frozen=True)
class UnusableGpu:
    """A GPU the machine has and torch cannot use, with what to do about it."""

    gpus: tuple[str, ...]
    driver: str
    torch_cuda: str | None  # torch.version.cuda: None for a CPU-only build

    @property
    def needed_driver(self) -> str | None:
        """The driver series torch's CUDA build needs (``"580"``), None for a CPU-only torch."""
        if not self.torch_cuda:
            return None
        major = int(self.torch_cuda.split(".")[0])
        return str(MINIMUM_DRIVER.get(major, max(MINIMUM_DRIVER.values())))

    def message(self) -> str:
        """One paragraph for the log, the CLI and every tab's status line."""
        names = ", ".join(self.gpus) or "an NVIDIA GPU"
        if not self.torch_cuda:
            return (f"This machine has {names} (driver {self.driver}), but the installed torch is a CPU-only "
                    "build, so everything runs on the CPU (slowly: ~90 s a line for a 3B model). Install the CUDA "
                    "build of torch (pip install torch==2.13.0 on a GPU machine).")
        return (f"This machine has {names} with NVIDIA driver {self.driver}, but the installed torch is a CUDA "
                f"{self.torch_cuda} build, which needs driver {self.needed_driver} or newer, so torch cannot use "
                "the GPU and everything runs on the CPU (slowly: ~90 s a line for a 3B model). Fix: "
                + FIX.format(needed=self.needed_driver) + ".")


@dataclass(frozen=True)
class GpuProbe:
    """Where the answers come from: the machine's GPUs ``[(name, driver)]`` and torch's ``(cuda build, usable)``."""

    gpus: Callable[[], list[tuple[str, str]]] = field(default=lambda: machine_gpus())
    torch_cuda: Callable[[], tuple[str | None, bool]] = field(default=lambda: torch_cuda())


def unusable_gpu(probe: GpuProbe | None = None) -> UnusableGpu | None:
    """The GPU this machine has and torch cannot use, or None (no GPU, or torch uses it)."""
    probe = probe or GpuProbe()
    gpus = probe.gpus()
    if not gpus:
        return None
    build, usable = probe.torch_cuda()
    if usable:
        return None
    return UnusableGpu(gpus=tuple(name for name, _ in gpus), driver=gpus[0][1] or "unknown", torch_cuda=build)


@functools.lru_cache(maxsize=1)
def this_machine() -> UnusableGpu | None:
    """:func:`unusable_gpu` for this process, asked once (the answer does not change while it runs)."""
    return unusable_gpu()


def gpu_warning() -> str | None:
    """The message about this machine's unusable GPU, or None."""
    found = this_machine()
    return found.message() if found else None


def machine_gpus() -> list[tuple[str, str]]:
    """``[(name, driver version)]`` from ``nvidia-smi``, else from ``/proc/driver/nvidia``; [] without a GPU."""
    try:
        output = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=20, check=True).stdout
        found = [tuple(part.strip() for part in line.split(",", 1)) for line in output.splitlines() if "," in line]
        if found:
            return found  # type: ignore[return-value]
    except (OSError, subprocess.SubprocessError):
        pass  # no nvidia-smi (a container without the tools): the kernel module still tells
    return proc_driver_gpus(Path("/proc/driver/nvidia"))


def proc_driver_gpus(root: Path) -> list[tuple[str, str]]:
    """The GPUs and driver the NVIDIA kernel module lists under ``root`` (``/proc/driver/nvidia``).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "version").write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19\\n")
    >>> (root / "gpus" / "0000:00:04.0").mkdir(parents=True)
    >>> _ = (root / "gpus" / "0000:00:04.0" / "information").write_text("Model: \\t\\t Tesla T4\\nIRQ: 11\\n")
    >>> proc_driver_gpus(root)
    [('Tesla T4', '535.104.05')]
    """
    try:
        version = (root / "version").read_text(errors="replace")
    except OSError:
        return []
    match = re.search(r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)", version)
    driver = match.group(1) if match else "unknown"
    names = []
    for information in sorted((root / "gpus").glob("*/information")):
        model = re.search(r"^Model:\s*(.+)$", information.read_text(errors="replace"), re.MULTILINE)
        names.append(model.group(1).strip() if model else "NVIDIA GPU")
    return [(name, driver) for name in names] or [("NVIDIA GPU", driver)]


def torch_cuda() -> tuple[str | None, bool]:
    """(torch.version.cuda, torch.cuda.is_available())."""
    import torch

    return torch.version.cuda, torch.cuda.is_available()
