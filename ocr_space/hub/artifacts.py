"""What a push takes from disk: an adapter (or its run folder), a merged model, a dataset folder.

Each ``find_*`` checks the folder is what it claims to be before anything
touches the network, and gathers what the card needs (configs, metrics,
row counts). Nothing here writes to or deletes from the local folders.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ocr_space.hub.errors import PushSourceError

log = logging.getLogger(__name__)

ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
TRAINING_CONFIG = "training_config.yaml"
METRICS = "metrics.json"
#: Keys a training config may use for the base model and the dataset (the first one present wins).
BASE_MODEL_KEYS = ("base_model", "model", "model_id", "model_name_or_path")
DATASET_KEYS = ("dataset", "data", "dataset_dir", "data_dir", "dataset_path")


@dataclass
class AdapterArtifact:
    """A LoRA adapter folder and what is known about how it was made."""

    adapter_dir: Path
    run_dir: Path | None
    adapter_config: dict
    training_config: dict = field(default_factory=dict)
    training_config_text: str | None = None
    metrics: dict | None = None

    @property
    def recorded_base(self) -> str | None:
        return self.adapter_config.get("base_model_name_or_path") or _first(self.training_config, BASE_MODEL_KEYS)

    @property
    def dataset(self) -> str | None:
        """The dataset training used; a path relative to the run folder is made absolute, so it is not
        mistaken for a Hub id."""
        return _anchored(_first(self.training_config, DATASET_KEYS), self.run_dir)


@dataclass
class MergedArtifact:
    """A standalone model folder (LoRA merged into the base), loadable without PEFT."""

    folder: Path
    config: dict
    training_config: dict = field(default_factory=dict)
    training_config_text: str | None = None
    metrics: dict | None = None

    @property
    def dataset(self) -> str | None:
        return _anchored(_first(self.training_config, DATASET_KEYS), self.folder)


@dataclass
class DatasetArtifact:
    """An ocr-space dataset folder: one ``{prefix}_{split}.parquet`` per split."""

    folder: Path
    files: dict[str, Path]
    rows: dict[str, int]


def find_adapter(path: str | Path) -> AdapterArtifact:
    """Accept a training run folder (holding ``adapter/``) or the adapter folder itself.

    >>> find_adapter("runs/2026-01-01-lines").adapter_dir  # doctest: +SKIP
    PosixPath('runs/2026-01-01-lines/adapter')
    """
    path = _given_folder(path, "a training run folder (or its adapter/ folder)")
    if not path.is_dir():
        raise PushSourceError(f"Folder not found: {path}. Give a training run folder or its adapter/ folder.")
    if (path / "adapter" / "adapter_config.json").is_file():
        adapter_dir, run_dir = path / "adapter", path
    elif (path / "adapter_config.json").is_file():
        adapter_dir = path
        run_dir = path.parent if (path.parent / METRICS).is_file() or (path.parent / "config.yaml").is_file() else None
    else:
        raise PushSourceError(f"{path} holds no LoRA adapter (no adapter_config.json in it or in {path}/adapter). "
                              "Give a training run folder or the adapter folder it wrote.")
    if not any((adapter_dir / name).is_file() for name in ADAPTER_WEIGHTS):
        raise PushSourceError(f"{adapter_dir} has adapter_config.json but no adapter weights "
                              f"({' or '.join(ADAPTER_WEIGHTS)}); did training finish?")
    config_text = _read_text(adapter_dir / TRAINING_CONFIG) or (_read_text(run_dir / "config.yaml") if run_dir else None)
    return AdapterArtifact(
        adapter_dir=adapter_dir,
        run_dir=run_dir,
        adapter_config=_read_json(adapter_dir / "adapter_config.json"),
        training_config=_parse_yaml(config_text),
        training_config_text=config_text,
        metrics=_read_metrics(adapter_dir / METRICS) or (_read_metrics(run_dir / METRICS) if run_dir else None),
    )


def find_merged(path: str | Path) -> MergedArtifact:
    """A saved model folder (config.json + weights) that is not a LoRA adapter.

    >>> find_merged("runs/2026-01-01-lines/merged").config["model_type"]  # doctest: +SKIP
    'deepseek_ocr2'
    """
    folder = _given_folder(path, "the merged model folder")
    if not folder.is_dir():
        raise PushSourceError(f"Folder not found: {folder}. Give the folder a merge wrote.")
    if (folder / "adapter_config.json").is_file():
        raise PushSourceError(f"{folder} is a LoRA adapter, not a merged model: push it as an adapter, or merge it "
                              "first (python -m ocr_space merge ...).")
    if not (folder / "config.json").is_file():
        raise PushSourceError(f"{folder} has no config.json, so it is not a saved model folder.")
    if not (list(folder.glob("*.safetensors")) or list(folder.glob("pytorch_model*.bin"))):
        raise PushSourceError(f"{folder} has config.json but no weights (*.safetensors); did the merge finish?")
    config_text = _read_text(folder / TRAINING_CONFIG)
    return MergedArtifact(folder=folder, config=_read_json(folder / "config.json"),
                          training_config=_parse_yaml(config_text), training_config_text=config_text,
                          metrics=_read_metrics(folder / METRICS))


def find_dataset(path: str | Path) -> DatasetArtifact:
    """A dataset folder as ``ocr_space.data`` writes it, with the row count of each split.

    >>> find_dataset("data/lines").rows  # doctest: +SKIP
    {'train': 800, 'validation': 100, 'test': 100}
    """
    import pyarrow.parquet as pq

    from ocr_space.data.splits import DatasetError, split_files

    path = _given_folder(path, "the dataset folder")
    try:
        files = split_files(path)
    except DatasetError as exc:
        raise PushSourceError(str(exc)) from exc
    rows = {}
    for split, file in files.items():
        schema = pq.read_schema(file)
        missing = {"image", "text"} - set(schema.names)
        if missing:
            raise PushSourceError(f"{file.name} lacks column(s) {', '.join(sorted(missing))}; an ocr-space dataset "
                                  "has exactly 'image' and 'text'.")
        rows[split] = pq.ParquetFile(file).metadata.num_rows
    return DatasetArtifact(folder=Path(path), files=files, rows=rows)


def folder_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` to upload: hidden files, caches, checkpoints and an old README left out."""
    picked = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or relative.as_posix() == "README.md":
            continue
        if any(part.startswith((".", "__pycache__", "checkpoint-")) for part in relative.parts):
            continue
        picked.append(path)
    return picked


def _given_folder(path: str | Path | None, what: str) -> Path:
    if path is None or not str(path).strip():
        raise PushSourceError(f"No folder given: choose {what}.")
    return Path(str(path).strip()).expanduser()


def _first(config: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _anchored(reference: str | None, folder: Path | None) -> str | None:
    if reference and folder is not None and not Path(reference).is_absolute() and (folder / reference).exists():
        return str((folder / reference).resolve())
    return reference


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PushSourceError(f"{path} is not readable JSON: {exc}") from exc


def _parse_yaml(text: str | None) -> dict:
    if not text:
        return {}
    import yaml

    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PushSourceError(f"The training config is not valid YAML: {exc}") from exc
    return parsed if isinstance(parsed, dict) else {}


def _read_metrics(path: Path) -> dict | None:
    if not path.is_file():
        return None
    metrics = _read_json(path)
    for key in ("cer_before", "cer_after"):
        value = metrics.get(key)
        if value is not None and not isinstance(value, (int, float)):
            raise PushSourceError(f"{path}: {key} must be a number or null, got {value!r}.")
    return metrics
