"""Start a training run on every GPU from a process that was not launched that way (the app): a subprocess.

The app is one process, and one process trains on one GPU. To train on all of
them it starts the CLI under ``accelerate launch`` (one process per GPU, see
:mod:`ocr_space.train.data_parallel`) and then follows the run folder exactly
as it follows any run: ``status.json``, ``events.jsonl``, ``metrics.json``;
Cancel drops ``cancel.request`` there, which every training process watches.
The launch's own output goes to ``launch.log`` in the run folder, and a launch
that dies before the run could say why (a crash at import, a killed process)
is marked failed there by a watcher thread, so the UI never waits on a run
that no longer exists.

>>> job = launch_training(TrainConfig(model="M", data="D"))  # doctest: +SKIP
>>> job.command[:4]  # doctest: +SKIP
['/usr/bin/python3', '-m', 'accelerate.commands.launch', '--multi_gpu']
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ocr_space.errors import ConfigError
from ocr_space.hub_reads import HubToken
from ocr_space.train.recipe import TrainConfig
from ocr_space.train.run_dir import FINAL_STATES, RunDir

LAUNCH_LOG = "launch.log"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def visible_gpus() -> int:
    """How many CUDA GPUs this process sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def launch_command(config_file: Path, run_dir: Path, processes: int) -> list[str]:
    """``accelerate launch --multi_gpu --num_processes N -m ocr_space train --config FILE --out RUN``.

    Port 0: accelerate picks a free port, so two launches on one machine do not collide.

    >>> launch_command(Path("r/config.yaml"), Path("r"), 4)[3:6]
    ['--multi_gpu', '--num_processes', '4']
    """
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--main_process_port", "0", "--mixed_precision", "no", "--dynamo_backend", "no",
            "-m", "ocr_space", "train", "--config", str(config_file), "--out", str(run_dir)]


@dataclass
class LaunchedRun:
    """A training launch running in a subprocess; its run folder is where to look."""

    run: RunDir
    command: list[str]
    process: subprocess.Popen = field(repr=False)
    watcher: threading.Thread = field(repr=False)

    @property
    def run_dir(self) -> Path:
        return self.run.path

    def wait(self, timeout: float | None = None) -> int | None:
        """The launch's exit code once it ended (None if still running after ``timeout`` seconds)."""
        self.watcher.join(timeout)
        return self.process.poll()

    def cancel(self) -> None:
        """Stop after the current optimizer step with a checkpoint, like the Cancel button."""
        self.run.cancel_file.touch()


def launch_training(config: TrainConfig, processes: int | None = None, hub_token: HubToken = None) -> LaunchedRun:
    """Start ``config`` as one training process per GPU (``processes``: default every visible GPU).

    ``hub_token`` is whose rights the processes' Hub reads carry (:mod:`ocr_space.hub_reads`): None keeps this
    machine's own lookup, False reads anonymously, a string is the visitor's token. It reaches the children
    through their environment only (never a file), as the in-process runner's reads get it from their context.
    """
    from ocr_space.train.runner import new_run_dir

    config = config.validate()
    processes = visible_gpus() if processes is None else processes
    if processes < 2:
        raise ConfigError(f"Training on all GPUs needs at least 2; this machine shows {processes}. Train in this "
                          "process instead (the usual Start).")
    run = new_run_dir(config)
    config = config.replace(out=str(run.path))
    config.to_yaml(run.config_file)
    command = launch_command(run.config_file, run.path, processes)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    env.update(hub_token_environment(hub_token, env))
    log = (run.path / LAUNCH_LOG).open("ab")
    process = subprocess.Popen(command, cwd=PACKAGE_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    log.close()  # the child holds its own descriptor
    watcher = threading.Thread(target=_watch, args=(run, process), name="ocr-space-launch", daemon=True)
    watcher.start()
    return LaunchedRun(run, command, process, watcher)


def hub_token_environment(hub_token: HubToken, env: dict[str, str]) -> dict[str, str]:
    """The environment changes that give a child process's Hub reads ``hub_token``'s rights.

    >>> hub_token_environment(False, {"HF_TOKEN": "hf_owner"})
    {'HF_TOKEN': '', 'HF_HUB_DISABLE_IMPLICIT_TOKEN': '1'}
    >>> hub_token_environment("hf_visitor", {})
    {'HF_TOKEN': 'hf_visitor'}
    >>> hub_token_environment(None, {"HF_TOKEN": "hf_owner"})
    {}
    """
    if hub_token is None:
        return {}
    if hub_token is False:
        return {"HF_TOKEN": "", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
    return {"HF_TOKEN": str(hub_token)}


def _watch(run: RunDir, process: subprocess.Popen) -> None:
    """Mark the run failed when the launch ended without the run saying how it ended."""
    code = process.wait()
    status = run.read_status()
    if status.get("state") in FINAL_STATES:
        return
    run.update_status(state="failed", finished_at=time.time(),
                      message=f"The multi-GPU launch ended (exit code {code}) before the run finished; "
                              f"see {run.path / LAUNCH_LOG}.")
