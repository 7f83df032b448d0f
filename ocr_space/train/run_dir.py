"""A training run's folder: the one place a job, the CLI and any browser tab share.

The job writes here and everything else only reads, so a page reload, a
second browser or another process re-attaches by reading the files:

    run_dir/
      config.yaml        the TrainConfig the run uses (resume reads it back)
      status.json        state, step, message, pid, the run's plan (TrainPlan),
                         push (push-on-finish: repo_id and url, or error)
      events.jsonl       one JSON object per optimizer step: loss, lr, grad_norm, speed, ETA, GPU memory
      train.log          human-readable log (the UI's log tail)
      metrics.json       {"cer_before", "cer_after", "eval_samples", "split"}
      checkpoints/       checkpoint-N/: adapter + optimizer + scheduler + RNG, for resume
      adapter/           the final LoRA adapter + processor + training_config.yaml
      cancel.request     present while a cancel is asked for (lets another process cancel)
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: states a run passes through; the last three are final
ACTIVE_STATES = ("queued", "loading", "probing", "evaluating", "training", "saving", "pushing")
FINAL_STATES = ("done", "cancelled", "failed")

# status.json is read-modified-written by the job thread and by cancel() from a UI thread
_STATUS_LOCK = threading.Lock()
# statuses that could not be written (disk full, read-only folder), by resolved run folder: readers in this
# process see them instead of the stale file, so a failed run never shows as "training" forever
_UNWRITTEN: dict[Path, dict[str, Any]] = {}


@dataclass(frozen=True)
class RunDir:
    """Paths and small readers/writers for one run folder.

    >>> run = RunDir("runs/my-run")  # doctest: +SKIP
    >>> run.read_events()[-1]["loss"]  # doctest: +SKIP
    """

    path: Path

    def __init__(self, path: str | Path):
        object.__setattr__(self, "path", Path(path))

    # ---- paths
    @property
    def config_file(self) -> Path:
        return self.path / "config.yaml"

    @property
    def status_file(self) -> Path:
        return self.path / "status.json"

    @property
    def events_file(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def log_file(self) -> Path:
        return self.path / "train.log"

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def adapter(self) -> Path:
        return self.path / "adapter"

    @property
    def cancel_file(self) -> Path:
        return self.path / "cancel.request"

    # ---- status
    def read_status(self) -> dict[str, Any]:
        """The status as written, plus ``stale: True`` when an active run's process is gone (crash, restart)."""
        status = _UNWRITTEN.get(self._key()) or _read_json(self.status_file) or {}
        status = dict(status)
        if status.get("state") in ACTIVE_STATES and not _process_alive(status.get("pid"), status.get("process_start")):
            status["stale"] = True
        return status

    def update_status(self, **changes) -> dict[str, Any]:
        """Merge ``changes`` into status.json. If it cannot be written (OSError: disk full, ...), the new status
        is kept in memory for this process's readers and the error is raised for the job to end on."""
        with _STATUS_LOCK:
            key = self._key()
            status = dict(_UNWRITTEN.get(key) or _read_json(self.status_file) or {})
            status.update(changes, updated_at=time.time())
            try:
                _write_json_atomic(self.status_file, status)
            except OSError:
                _UNWRITTEN[key] = status
                raise
            _UNWRITTEN.pop(key, None)
        return status

    def _key(self) -> Path:
        return self.path.resolve()

    # ---- events
    def append_event(self, event: dict[str, Any]) -> None:
        with self.events_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")

    def read_events(self) -> list[dict[str, Any]]:
        """All complete event lines; a half-written last line (the writer is mid-append) is skipped."""
        if not self.events_file.is_file():
            return []
        events = []
        for line in self.events_file.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return events

    def drop_events_after(self, step: int) -> None:
        """Forget steps a crashed process logged after its last checkpoint: resume redoes them."""
        kept = [event for event in self.read_events() if event.get("step", 0) <= step]
        text = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in kept)
        tmp = self.events_file.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.events_file)

    # ---- metrics, log, checkpoints
    def read_metrics(self) -> dict[str, Any] | None:
        return _read_json(self.metrics_file)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        _write_json_atomic(self.metrics_file, metrics)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_file.is_file():
            return ""
        return "\n".join(self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def latest_checkpoint(self) -> Path | None:
        """The newest complete checkpoint (one whose trainer_state.json, the Trainer's last write, reads whole),
        or None. A process stopped mid-save (a restart) leaves that file empty or cut: resume takes the one
        before."""
        found = []
        for folder in self.checkpoints.glob("checkpoint-*"):
            step = checkpoint_step(folder)
            if step is not None and _read_json(folder / "trainer_state.json") is not None:
                found.append((step, folder))
        return max(found)[1] if found else None

    def latest_checkpoint_step(self) -> int:
        """The optimizer step the newest complete checkpoint was saved at; 0 without one (resume starts over)."""
        checkpoint = self.latest_checkpoint()
        return checkpoint_step(checkpoint) if checkpoint else 0


def checkpoint_step(path: str | Path) -> int | None:
    """The step in a Trainer checkpoint folder's name (``checkpoint-N``); None for any other name.

    >>> checkpoint_step("runs/r/checkpoints/checkpoint-40")
    40
    >>> checkpoint_step("checkpoint-last") is None
    True
    """
    match = re.fullmatch(r"checkpoint-(\d+)", Path(path).name)
    return int(match.group(1)) if match else None


def list_runs(root: str | Path) -> list[RunDir]:
    """Run folders under ``root`` (those with a status.json), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [RunDir(folder) for folder in root.iterdir() if (folder / "status.json").is_file()]
    return sorted(runs, key=lambda run: run.status_file.stat().st_mtime, reverse=True)


def interrupted_runs(root: str | Path) -> list[RunDir]:
    """Runs under ``root`` that were working when their process died (a crash, a Space restart), newest first.

    Their status still says an active state, but the process that wrote it is
    gone (``read_status()["stale"]``); resume continues them from their latest
    checkpoint (or from the start when none was written).
    """
    return [run for run in list_runs(root) if run.read_status().get("stale")]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):  # missing, half-written or not text at all
        return None


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    # readers poll these files from other threads and processes: never let them see half a file
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def process_identity() -> dict[str, Any]:
    """This process's pid and start time: a pid alone is reused after a restart (a Space reboot)."""
    return {"pid": os.getpid(), "process_start": _process_start(os.getpid())}


def _process_start(pid: int) -> str | None:
    try:
        # field 22 of /proc/PID/stat, counted after the parenthesised command name
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _process_alive(pid: Any, started: Any = None) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started is None or _process_start(pid) in (None, started)


class FollowerRunDir(RunDir):
    """The run folder as processes 1..N-1 of a multi-process run see it: they read it, rank 0 alone writes.

    N processes appending the same events and rewriting the same status would
    log every step N times and race on the files; with this, the job's code
    stays the same on every process and only the first one writes.
    """

    def update_status(self, **changes) -> dict[str, Any]:
        return {**(_read_json(self.status_file) or {}), **changes}

    def append_event(self, event: dict[str, Any]) -> None:
        pass

    def drop_events_after(self, step: int) -> None:
        pass

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        pass


def run_dir_for_this_process(path: str | Path) -> RunDir:
    """A :class:`RunDir` on rank 0 (and in a single process), a :class:`FollowerRunDir` on the other ranks."""
    from ocr_space.distributed import is_main_process

    return RunDir(path) if is_main_process() else FollowerRunDir(path)
