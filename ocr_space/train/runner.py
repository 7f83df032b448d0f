"""One training job at a time per process, in a background thread; ``train()`` and ``resume()``.

The UI, the CLI and Python all start jobs here. The thread is never killed:
cancelling asks the Trainer to stop after the current step (see
:mod:`ocr_space.train.callbacks`). Every way a job can end is written into
``status.json``; failures (bad data, CUDA out of memory, a bug) end the job,
not the process, and the runner takes the next job.
"""

from __future__ import annotations

import contextvars
import errno
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ocr_space.config import public_mode, runs_root, users_root
from ocr_space.distributed import is_main_process, on_main_then_share
from ocr_space.errors import ConfigError, OcrSpaceError
from ocr_space.gpu import GPU
from ocr_space.models.cache import release_gpu_memory
from ocr_space.out_of_memory import is_out_of_memory
from ocr_space.train.job import TrainResult, run_training
from ocr_space.train.oom import TrainingOutOfMemory, oom_message
from ocr_space.train.recipe import TrainConfig
from ocr_space.train.run_dir import ACTIVE_STATES, RunDir, interrupted_runs, process_identity, run_dir_for_this_process
from ocr_space.workspace import unique_run_name

log = logging.getLogger("ocr_space.train")

ConfigInput = TrainConfig | dict | str | Path


class TrainingBusyError(OcrSpaceError):
    """A job is already running in this process (one at a time: a T4 has room for one)."""


class TrainingFailed(OcrSpaceError):
    """A job ended with an error that is not one of ours (a bug); the message points at the log."""


class DiskWriteFailed(OcrSpaceError):
    """Writing the run folder failed (disk full, quota, read-only): the run stops, its checkpoints stay."""


class TrainingJob:
    """Handle on a started job: its run folder, cancel, wait, status."""

    def __init__(self, run: RunDir, config: TrainConfig, resume: bool, push_token: str | None = None):
        self.run = run
        self.config = config
        self.resume = resume
        #: the signed-in user's Hub token for push-on-finish: held in memory only, never in the run folder
        self.push_token = push_token
        self.result: TrainResult | None = None
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def run_dir(self) -> Path:
        return self.run.path

    def cancel(self) -> None:
        """Stop after the current optimizer step, saving a checkpoint (returns at once)."""
        self._cancel.set()
        if self.run.status_file.exists():
            self.run.update_status(cancel_requested=True)

    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> TrainResult | None:
        """Block until the job ends (or ``timeout`` seconds pass); the result, None if failed or still running."""
        self._finished.wait(timeout)
        return self.result

    def status(self) -> dict[str, Any]:
        return self.run.read_status()


class TrainingRunner:
    """Starts jobs in a thread, one at a time; ``RUNNER`` is the process-wide instance."""

    def __init__(self):
        self._lock = threading.Lock()
        self._job: TrainingJob | None = None

    @property
    def current(self) -> TrainingJob | None:
        """The running job, or the last one (finished) so a reloaded page can show how it ended."""
        return self._job

    def busy(self) -> bool:
        return self._job is not None and not self._job.done()

    def start(self, config: ConfigInput, on_event: Callable[[dict], None] | None = None, *,
              push_token: str | None = None) -> TrainingJob:
        """Validate, create the run folder and start training in the background.

        Launched as N processes, process 0 creates the folder (its name, timestamp included, is the one all
        use) and alone writes to it (:class:`~ocr_space.train.run_dir.FollowerRunDir` on the others).
        ``push_token`` is the Hub token push-on-finish uses (``config.push_to``); None = the
        machine's own login (``HF_TOKEN``), which the UI never lends to visitors.
        """
        config = as_config(config).validate()
        with self._lock:
            self._refuse_if_busy()
            path = on_main_then_share(lambda: _create_run(config))
            config = config.replace(out=path)
            return self._launch(TrainingJob(run_dir_for_this_process(path), config, resume=False,
                                            push_token=push_token), on_event)

    def resume(self, run_dir: str | Path, steps: int | None = None,
               on_event: Callable[[dict], None] | None = None, *, push_token: str | None = None) -> TrainingJob:
        """Continue a run from its latest checkpoint (after a crash, a restart or a cancel)."""
        with self._lock:
            self._refuse_if_busy()
            # process 0 checks the folder and rewrites its config before any process starts writing status
            config = TrainConfig.from_dict(on_main_then_share(lambda: _prepare_resume(RunDir(run_dir), steps)))
            return self._launch(TrainingJob(run_dir_for_this_process(run_dir), config, resume=True,
                                            push_token=push_token), on_event)

    def _refuse_if_busy(self) -> None:
        if self.busy():
            raise TrainingBusyError(f"A training job is already running ({self._job.run_dir}); cancel it or wait "
                                    "for it to finish.")

    def _launch(self, job: TrainingJob, on_event) -> TrainingJob:
        job.run.update_status(state="queued", message="starting", step=job.run.latest_checkpoint_step() if job.resume
                              else 0, max_steps=job.config.steps, started_at=time.time(), finished_at=None,
                              cancel_requested=False, stale=None, **process_identity())
        # the thread runs in a copy of the caller's context: Hub reads keep the caller's token (ocr_space.hub_reads)
        job.thread = threading.Thread(target=contextvars.copy_context().run, args=(self._work, job, on_event),
                                      name="ocr-space-train", daemon=True)
        self._job = job
        job.thread.start()
        return job

    def _work(self, job: TrainingJob, on_event) -> None:
        handler = _attach_log_file(job.run) if is_main_process() else None  # one train.log, process 0's
        try:
            log.info("%s run %s", "resuming" if job.resume else "starting", job.run_dir)
            try:
                with GPU.hold(f"training {job.run_dir.name}"):  # one model run on the GPU at a time
                    job.result = run_training(job.config, job.run, job._cancel, resume=job.resume,
                                              on_event=on_event)
            except BaseException as exc:  # noqa: BLE001 - OOM may surface wrapped; classify before the rest
                if is_out_of_memory(exc):
                    raise TrainingOutOfMemory(oom_message(job.config, job.config.mode or "default")) from exc
                if _write_error(exc) is not None:
                    raise DiskWriteFailed(_disk_message(job, _write_error(exc))) from exc
                raise
            if job.result.state == "done" and job.config.push_to and is_main_process():
                _push_on_finish(job)
            _record_end(job, state=job.result.state, message=job.result.message, step=job.result.step,
                        finished_at=time.time(), adapter=str(job.result.adapter or "") or None, push=job.result.push)
            log.info(job.result.message)
        except OcrSpaceError as exc:
            job.error = exc
            _record_end(job, state="failed", message=str(exc), finished_at=time.time())
            log.error("run failed: %s", exc)
        except Exception as exc:  # noqa: BLE001 - a bug: keep the traceback in the log, the process alive
            log.exception("run failed unexpectedly")
            job.error = TrainingFailed(f"Training failed unexpectedly ({type(exc).__name__}: {str(exc)[:300]}); "
                                       f"the traceback is in {job.run.log_file}.")
            job.error.__cause__ = exc
            _record_end(job, state="failed", message=str(job.error), finished_at=time.time())
        finally:
            _drop_tracebacks(job.error)  # their frames hold the model and trainer: free GPU memory for the next job
            release_gpu_memory()
            if handler is not None:
                _detach_log_file(handler)
            job._finished.set()


def _record_end(job: TrainingJob, **status) -> None:
    """Write how the job ended; if the disk refuses, the run ends ``failed`` in memory (RunDir keeps it) so the
    UI, cancel and resume see the truth and the runner is free again."""
    try:
        job.run.update_status(**status)
    except OSError as exc:
        log.error("could not write %s: %s", job.run.status_file, exc)
        if status.get("state") != "failed":
            job.error = job.error or DiskWriteFailed(_disk_message(job, exc))
            try:
                job.run.update_status(state="failed", message=str(job.error))
            except OSError:
                pass  # kept in memory by update_status


def _write_error(exc: BaseException | None) -> OSError | None:
    """The disk error (ENOSPC, EDQUOT, EROFS, EIO) behind ``exc``, following its causes; None if none."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _disk_message(job: TrainingJob, exc: OSError) -> str:
    kept = job.run.latest_checkpoint()
    return (f"Writing the run folder failed ({exc.strerror or exc}); the run stopped. Its checkpoint is kept "
            f"({kept.name if kept else 'none yet'}): free disk space, then Resume.")


#: the process-wide runner the UI, the CLI and train() share
RUNNER = TrainingRunner()


def as_config(config: ConfigInput) -> TrainConfig:
    """A TrainConfig from a TrainConfig, a dict of fields or a YAML file path."""
    if isinstance(config, TrainConfig):
        return config
    if isinstance(config, dict):
        return TrainConfig.from_dict(config)
    if isinstance(config, (str, Path)):
        return TrainConfig.from_yaml(config)
    raise ConfigError(f"expected a TrainConfig, a dict or a YAML path; got {type(config).__name__}.")


def train(config: ConfigInput, *, background: bool = False, on_event: Callable[[dict], None] | None = None,
          push_token: str | None = None) -> TrainResult | TrainingJob:
    """Fine-tune a LoRA adapter; blocks and returns a :class:`TrainResult`, or a job handle with ``background``.

    >>> from ocr_space import TrainConfig, train
    >>> result = train(TrainConfig(model="/tmp/tiny", data="datasets/lines", steps=60))  # doctest: +SKIP
    >>> result.adapter, result.metrics["cer_after"]  # doctest: +SKIP
    """
    job = RUNNER.start(config, on_event=on_event, push_token=push_token)
    return job if background else _finish(job)


def resume(run_dir: str | Path, *, steps: int | None = None, background: bool = False,
           on_event: Callable[[dict], None] | None = None, push_token: str | None = None) -> TrainResult | TrainingJob:
    """Continue a run folder from its latest checkpoint (optionally with a new total ``steps``).

    >>> from ocr_space import resume
    >>> resume("runs/20260101-120000-lines").step  # doctest: +SKIP
    60
    """
    job = RUNNER.resume(run_dir, steps=steps, on_event=on_event, push_token=push_token)
    return job if background else _finish(job)


def resume_interrupted(root: str | Path | None = None) -> TrainingJob | None:
    """Resume the newest run under ``root`` (default: the runs root) that a dead process left mid-training.

    The app calls this on start when ``OCR_SPACE_AUTO_RESUME=1``; one job runs at a
    time, so older interrupted runs stay listed for a Resume click. None when there
    is nothing to resume or a job is already running.
    """
    if root is not None:
        roots = [Path(root)]
    else:  # the shared runs folder, and in public mode every visitor's own (ocr_space.workspace)
        roots = [runs_root(), *sorted(users_root().glob("*/runs"))] if public_mode() else [runs_root()]
    runs = sorted((run for folder in roots for run in interrupted_runs(folder)),
                  key=lambda run: run.status_file.stat().st_mtime, reverse=True)
    if not runs or RUNNER.busy():
        return None
    log.info("resuming the interrupted run %s", runs[0].path)
    return RUNNER.resume(runs[0].path)


def _finish(job: TrainingJob) -> TrainResult:
    try:
        job.wait()
    except KeyboardInterrupt:
        # Ctrl-C in a script or the CLI: stop cleanly with a checkpoint, like the Cancel button
        job.cancel()
        job.wait()
    if job.error is not None:
        raise job.error
    assert job.result is not None
    return job.result


def _push_on_finish(job: TrainingJob) -> None:
    """Push the finished run (``config.push_to``); the outcome joins the result, a failure keeps the adapter."""
    from ocr_space.train.push_on_finish import push_finished_run, push_summary

    release_gpu_memory()  # the trained model is gone with run_training's frame; a merge may need the room
    with GPU.hold(f"pushing {job.run_dir.name}"):  # a merged push loads the base model again
        job.result.push = push_finished_run(job.config, job.run, job.push_token)
    job.result.message += push_summary(job.result.push)


def _create_run(config: TrainConfig) -> str:
    """A new run folder holding ``config`` (with its path as ``out``); returns the path."""
    run = new_run_dir(config)
    config.replace(out=str(run.path)).to_yaml(run.config_file)
    return str(run.path)


def _prepare_resume(run: RunDir, steps: int | None) -> dict:
    """Check that ``run`` can continue here and now, write its config back; the config's fields."""
    from ocr_space.distributed import topology
    from ocr_space.train.data_parallel import check_resume_world_size

    if not run.config_file.is_file():
        raise ConfigError(f"{run.path} is not a training run folder (no config.yaml).")
    config = TrainConfig.from_yaml(run.config_file)
    if steps is not None:
        config = config.replace(steps=steps)
    config.validate()
    status = run.read_status()
    if status.get("state") == "done" and steps is None:
        raise ConfigError(f"{run.path} already finished ({status.get('step')} steps); its adapter is in "
                          f"{run.adapter}. Pass more steps to train further.")
    if status.get("state") in ACTIVE_STATES and not status.get("stale"):
        raise TrainingBusyError(f"{run.path} is still running (process {status.get('pid')}).")
    check_resume_world_size((status.get("plan") or {}).get("world_size"), topology().world_size)
    config = _keep_the_checkpoints_optimizer(config, (status.get("plan") or {}).get("optim"))
    run.cancel_file.unlink(missing_ok=True)
    config.to_yaml(run.config_file)
    return config.as_dict()


def _keep_the_checkpoints_optimizer(config: TrainConfig, recorded: str | None) -> TrainConfig:
    """``optim: auto`` pinned to what the run resolved when it started: the checkpoint holds that optimizer's
    state (an 8-bit AdamW's quantized moments do not load into torch's AdamW), and what ``auto`` picks can change
    between versions (it became the fused AdamW on CUDA in session 6)."""
    from ocr_space.train.recipe import OPTIMIZERS

    if config.optim == "auto" and recorded in OPTIMIZERS and recorded != "auto":
        return config.replace(optim=recorded)
    return config


def new_run_dir(config: TrainConfig) -> RunDir:
    """The folder a new run writes to: ``config.out`` (refused if it holds a run) or a new timestamped one."""
    if config.out:
        path = Path(config.out).expanduser()
        if (path / "status.json").exists():
            raise ConfigError(f"out: {path} already holds a run; resume it (train --resume {path}) or choose "
                              "another folder.")
    else:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(str(config.data).rstrip("/")).name).strip("-") or "run"
        return RunDir(unique_run_name(runs_root(), name))  # unique even for two starts in the same second
    path.mkdir(parents=True, exist_ok=True)
    return RunDir(path)


def _drop_tracebacks(error: BaseException | None) -> None:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _attach_log_file(run: RunDir) -> logging.Handler:
    handler = logging.FileHandler(run.log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.setLevel(logging.INFO)
    train_logger = logging.getLogger("ocr_space.train")
    train_logger.setLevel(logging.INFO)
    train_logger.addHandler(handler)
    logging.getLogger("transformers").addHandler(handler)
    return handler


def _detach_log_file(handler: logging.Handler) -> None:
    logging.getLogger("ocr_space.train").removeHandler(handler)
    logging.getLogger("transformers").removeHandler(handler)
    handler.close()
