"""Push on finish: the run's adapter (or the merged model) goes to the Hub as soon as it is saved.

On a Space without persistent storage this is how work survives a restart.
The push runs after the adapter and the after-training CER are written, so
the card carries before/after CER. The token is the signed-in user's, handed
to the job in memory (never in ``config.yaml``); a push that fails for any
reason is recorded in the run's status with its message and the local adapter
stays where it is: a failed push never fails the run.
"""

from __future__ import annotations

import logging

from ocr_space.errors import OcrSpaceError
from ocr_space.train.recipe import TrainConfig
from ocr_space.train.run_dir import RunDir

log = logging.getLogger("ocr_space.train")


def push_finished_run(config: TrainConfig, run: RunDir, token: str | None, *, endpoint: str | None = None) -> dict:
    """Push ``run``'s result as ``config.push_kind`` to ``config.push_to``; the outcome as ``status.json`` keeps it.

    ``{"repo_id", "url", "kind", "private"}`` on success, ``{"error", "kind", "repo_id"}`` on failure.
    """
    from ocr_space.hub.push import push_adapter, push_merged
    from ocr_space.models.adapter_base import hub_repo_id

    outcome = {"kind": config.push_kind, "repo_id": config.push_to}
    try:
        if config.push_kind == "merged":
            from ocr_space.train.merge import merge_run

            run.update_status(state="saving", message="merging the adapter into the base for the push")
            merged = run.path / "merged"
            folder = merged if (merged / "config.json").is_file() else merge_run(run.path, merged)
            run.update_status(state="pushing", message=f"pushing the merged model to {config.push_to}")
            result = push_merged(folder, config.push_to, token, config.push_private,
                                 base_model=hub_repo_id(config.model), endpoint=endpoint)
        else:
            run.update_status(state="pushing", message=f"pushing the adapter to {config.push_to}")
            result = push_adapter(run.path, config.push_to, token, config.push_private, endpoint=endpoint)
    except OcrSpaceError as exc:
        log.warning("push to %s failed: %s; the adapter stays in %s", config.push_to, exc, run.adapter)
        return {**outcome, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a push must never lose a finished run; the traceback goes to the log
        log.exception("push to %s failed unexpectedly", config.push_to)
        return {**outcome, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    log.info("pushed the %s to %s", config.push_kind, result.url)
    return {**outcome, "repo_id": result.repo_id, "url": result.url, "private": result.private}


def push_summary(push: dict | None) -> str:
    """The sentence the run's final message ends with.

    >>> push_summary({"kind": "adapter", "repo_id": "me/x", "url": "https://huggingface.co/me/x"})
    ' Pushed the adapter to https://huggingface.co/me/x.'
    >>> push_summary({"kind": "adapter", "repo_id": "me/x", "error": "Not logged in"})
    ' Push to me/x failed (Not logged in); the adapter is kept in the run folder: push it from the Share tab.'
    """
    if not push:
        return ""
    if push.get("error"):
        return (f" Push to {push['repo_id']} failed ({push['error']}); the adapter is kept in the run folder: push "
                "it from the Share tab.")
    return f" Pushed the {push['kind']} to {push['url']}."
