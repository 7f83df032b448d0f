"""Push an adapter, a merged model or a dataset to the Hugging Face Hub, in one commit each.

Every push goes the same way: check the login (``whoami``) and that the
namespace is yours, make sure no file about to go up contains the token,
create the repo (private by default; an existing repo keeps its visibility),
upload file by file with progress, then commit everything at once together
with a generated card. Local files are only read, never changed or deleted;
the token is passed to ``huggingface_hub`` calls and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from ocr_space.hub.artifacts import METRICS, TRAINING_CONFIG, find_adapter, find_dataset, find_merged, folder_files
from ocr_space.hub.auth import Account, account_for, require_token
from ocr_space.hub.cards import adapter_card, dataset_card, merged_card
from ocr_space.hub.errors import HubAuthError, HubError, HubPermissionError, PushSourceError, explain
from ocr_space.models.adapter_base import hub_repo_id

log = logging.getLogger(__name__)

#: ``progress(fraction 0..1, message)``; the UI passes gr.Progress, the CLI prints to stderr.
Progress = Callable[[float, str], None]
#: Files up to this size are checked for an accidentally included token before upload.
_TOKEN_SCAN_LIMIT = 20_000_000


@dataclass
class PushResult:
    """Where a push went: the repo, its page, the commit, the files, and its visibility."""

    kind: str
    repo_id: str
    url: str
    commit_url: str
    files: list[str]
    bytes: int
    private: bool | None

    @property
    def size(self) -> str:
        """The bytes sent, for people: '508.7 KB'."""
        return human_size(self.bytes)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Upload:
    path_in_repo: str
    source: Path | bytes

    @property
    def size(self) -> int:
        return len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size

    def read(self) -> bytes:
        return self.source if isinstance(self.source, bytes) else self.source.read_bytes()


def push_adapter(run_or_adapter_dir: str | Path, repo_id: str, token: str | None = None, private: bool = True, *,
                 base_model: str | None = None, dataset: str | None = None, endpoint: str | None = None,
                 progress: Progress | None = None) -> PushResult:
    """Push a LoRA adapter (a training run folder or its ``adapter/``) with a generated model card.

    ``base_model`` overrides the base's Hub id recorded in the adapter (needed
    when training used a local copy of the base); the uploaded
    ``adapter_config.json`` then names it. ``dataset`` (a Hub dataset id)
    overrides the dataset named by the training config, for the card's links.
    Also the end-of-training action.

    >>> push_adapter("runs/lines", "me/deepseek-ocr2-lines-lora")  # doctest: +SKIP
    PushResult(kind='adapter', repo_id='me/deepseek-ocr2-lines-lora', ...)
    """
    artifact = find_adapter(run_or_adapter_dir)
    base_id = (base_model or "").strip() or hub_repo_id(artifact.recorded_base)
    uploads = [_Upload(path.relative_to(artifact.adapter_dir).as_posix(), path)
               for path in folder_files(artifact.adapter_dir)]
    recorded = artifact.adapter_config.get("base_model_name_or_path")
    if base_id and base_id != recorded:  # name the Hub base in the pushed copy; the local file stays as it is
        config = {**artifact.adapter_config, "base_model_name_or_path": base_id}
        uploads = [_Upload("adapter_config.json", (json.dumps(config, indent=2) + "\n").encode())
                   if upload.path_in_repo == "adapter_config.json" else upload for upload in uploads]
    present = {upload.path_in_repo for upload in uploads}
    if artifact.training_config_text and TRAINING_CONFIG not in present:
        uploads.append(_Upload(TRAINING_CONFIG, artifact.training_config_text.encode()))
    if artifact.metrics is not None and METRICS not in present:
        uploads.append(_Upload(METRICS, (json.dumps(artifact.metrics, indent=2) + "\n").encode()))
    card = partial(adapter_card, artifact, base_model=base_id, dataset=(dataset or "").strip() or None)
    return _push("adapter", "model", repo_id, uploads, card,
                 token=token, private=private, endpoint=endpoint, progress=progress)


def push_merged(folder: str | Path, repo_id: str, token: str | None = None, private: bool = True, *,
                base_model: str | None = None, dataset: str | None = None, endpoint: str | None = None,
                progress: Progress | None = None) -> PushResult:
    """Push a merged 16-bit model folder (loads without PEFT) with a generated model card.

    >>> push_merged("runs/lines/merged", "me/deepseek-ocr2-lines", base_model="deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
    """
    artifact = find_merged(folder)
    base_id = (base_model or "").strip() or None
    uploads = [_Upload(path.relative_to(artifact.folder).as_posix(), path) for path in folder_files(artifact.folder)]
    card = partial(merged_card, artifact, base_model=base_id, dataset=(dataset or "").strip() or None)
    return _push("merged", "model", repo_id, uploads, card,
                 token=token, private=private, endpoint=endpoint, progress=progress)


def push_dataset(folder: str | Path, repo_id: str, token: str | None = None, private: bool = True, *,
                 endpoint: str | None = None, progress: Progress | None = None) -> PushResult:
    """Push an ocr-space dataset folder (its parquet splits) to a dataset repo with a dataset card.

    >>> push_dataset("data/lines", "me/chinese-lines")  # doctest: +SKIP
    """
    artifact = find_dataset(folder)
    uploads = [_Upload(path.name, path) for path in artifact.files.values()]
    return _push("dataset", "dataset", repo_id, uploads, partial(dataset_card, artifact),
                 token=token, private=private, endpoint=endpoint, progress=progress)


def _push(kind: str, repo_type: str, repo_id: str, uploads: list[_Upload], make_card: Callable[[str], object], *,
          token: str | None, private: bool, endpoint: str | None, progress: Progress | None) -> PushResult:
    from huggingface_hub import CommitOperationAdd, HfApi

    report = progress or (lambda fraction, message: None)
    report(0.0, "Checking your Hub login")
    token = require_token(token)
    api = HfApi(endpoint=endpoint)
    account = account_for(api, token)
    repo_id = _full_repo_id(repo_id, account)
    readme = str(make_card(repo_id)).encode("utf-8")  # the card needs the full repo id, known only now
    uploads = [*uploads, _Upload("README.md", readme)]
    _refuse_uploads_containing(token, uploads)

    with _explained(repo_id, "push to", token):
        report(0.05, f"Creating {repo_id} ({'private' if private else 'public'}) if it does not exist")
        repo_url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True, token=token)
        total = sum(upload.size for upload in uploads) or 1
        operations, sent = [], 0
        for number, upload in enumerate(uploads, start=1):
            report(0.1 + 0.85 * sent / total,
                   f"Uploading {upload.path_in_repo} ({human_size(upload.size)}), file {number} of {len(uploads)}")
            operation = CommitOperationAdd(upload.path_in_repo, upload.read() if isinstance(upload.source, bytes)
                                           else str(upload.source))
            api.preupload_lfs_files(repo_id, additions=[operation], repo_type=repo_type, token=token,
                                    free_memory=False)  # as create_commit itself does: the commit re-reads them
            operations.append(operation)
            sent += upload.size
        report(0.95, f"Committing {len(operations)} files")
        commit = api.create_commit(repo_id, operations=operations, repo_type=repo_type, token=token,
                                   commit_message=f"Upload {kind} with ocr-space")
        private_now = api.repo_info(repo_id, repo_type=repo_type, token=token).private
    report(1.0, f"Pushed to {repo_url}")
    result = PushResult(kind=kind, repo_id=repo_id, url=str(repo_url), commit_url=commit.commit_url,
                        files=sorted(upload.path_in_repo for upload in uploads), bytes=total,
                        private=private_now)
    if private_now is not None and private_now != private:
        log.info("%s already existed and stays %s", repo_id, "private" if private_now else "public")
    log.info("pushed %s: %d files, %s, to %s", kind, len(uploads), human_size(total), result.commit_url)
    return result


def _full_repo_id(repo_id: str, account: Account) -> str:
    """``NAME`` becomes ``you/NAME``; a namespace that is not yours (or one of your orgs) is refused up front."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    repo_id = (repo_id or "").strip().strip("/")
    if not repo_id:
        raise HubError("No repo given: name it like USER/NAME (or just NAME for your own namespace).")
    if "/" not in repo_id:
        repo_id = f"{account.name}/{repo_id}"
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise HubError(f"{repo_id!r} is not a valid repo id: use USER/NAME with letters, digits, '-', '_' or '.' "
                       "(no '--' or '..', at most 96 characters).") from None
    namespace = repo_id.split("/")[0]
    if namespace not in account.namespaces:
        orgs = f" or your organizations ({', '.join(account.orgs)})" if account.orgs else ""
        raise HubPermissionError(f"{repo_id} is in the namespace {namespace!r}, which belongs to someone else: you "
                                 f"are logged in as {account.name!r}. Push to {account.name}/{repo_id.split('/')[1]}"
                                 f"{orgs} instead.")
    if account.role == "read":
        raise HubAuthError(f"Your token is read-only, so it cannot push to {repo_id}. Create a token with write "
                           "access at https://huggingface.co/settings/tokens.")
    return repo_id


def _refuse_uploads_containing(token: str, uploads: list[_Upload]) -> None:
    """A token pasted into a config file must not be published with it."""
    needle = token.encode()
    for upload in uploads:
        if upload.size <= _TOKEN_SCAN_LIMIT and needle in upload.read():
            raise PushSourceError(f"{upload.path_in_repo} contains your Hub token; remove it from that file before "
                                  "pushing (nothing was uploaded).")


@contextlib.contextmanager
def _explained(repo_id: str, action: str, token: str) -> Iterator[None]:
    """Turn any failure inside into a :class:`HubError` whose text cannot contain the token."""
    try:
        yield
    except HubError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is explained; the original is logged scrubbed
        explained = explain(exc, repo_id=repo_id, action=action, token=token)
        log.info("hub call failed (%s): %s", type(exc).__name__, explained)
        raise explained from None


def human_size(count: float) -> str:
    """Bytes for people, in powers of 1000: ``human_size(508_700) == '508.7 KB'``."""
    for unit in ("B", "KB", "MB"):
        if count < 1000:
            return f"{count:.0f} B" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"
