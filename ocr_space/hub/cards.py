"""Model and dataset cards (README.md) for what we push.

An adapter card carries the metadata the Hub uses to link and rank it
(``base_model``, ``library_name: peft``, a ``model-index`` with CER before and
after fine-tuning on the held-out split), a metrics table, the LoRA and
training settings, library versions, and load code that works. Every card is
parsed back with ``huggingface_hub.ModelCard`` / ``DatasetCard`` before it is
returned, so a card that would not parse never reaches the Hub.
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING

from ocr_space.data.card import size_category
from ocr_space.models.adapter_base import hub_repo_id

if TYPE_CHECKING:  # pragma: no cover
    from huggingface_hub import DatasetCard, ModelCard

    from ocr_space.hub.artifacts import AdapterArtifact, DatasetArtifact, MergedArtifact

TAGS = ["ocr", "deepseek-ocr", "ocr-space"]
LIBRARIES = ("torch", "transformers", "peft", "huggingface_hub", "datasets", "accelerate", "trl")
TASK = ("image-to-text", "Image-to-text")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a reader needs to reproduce a run (missing ones left out)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def adapter_card(artifact: AdapterArtifact, repo_id: str, base_model: str | None,
                 dataset: str | None = None) -> ModelCard:
    """The README of an adapter repo; ``base_model`` is the base's Hub id when known, ``dataset`` overrides
    the dataset the training config names.

    >>> adapter_card(find_adapter("runs/lines"), "me/ocr-lines", "deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
    """
    from huggingface_hub import ModelCard

    base_reference = base_model or artifact.recorded_base or "BASE_MODEL"
    dataset = dataset or artifact.dataset
    data = _model_card_data(repo_id, base_model, "peft", "lora", dataset, artifact.metrics,
                            tuned_label="after fine-tuning (with this adapter)")
    body = "\n".join([
        f"# {repo_id}",
        "",
        f"A LoRA adapter for {_model_link(base_reference)} that fine-tunes it for OCR on "
        f"{_dataset_words(dataset)}, made with ocr-space.",
        "",
        *_results_section(artifact.metrics, dataset, tuned_label="base + this adapter (after)"),
        "## Use it",
        "",
        "With the `ocr_space` package (it applies the adapter to every layer it was trained on, fused MoE experts "
        "included, and checks the base model matches):",
        "",
        "```python",
        "from ocr_space import load_model, recognize",
        "",
        f"loaded = load_model({base_reference!r}, adapter={repo_id!r})",
        'print(recognize(loaded, "line.png").text)',
        "```",
        "",
        *([] if base_model else [f"The base model was a local folder (`{base_reference}`) when this adapter was "
                                 "pushed; replace it with the path or Hub id of that model.", ""]),
        "## Training",
        "",
        f"- Base model: {_model_link(base_reference)}",
        f"- Dataset: {_dataset_words(dataset)}",
        *_lora_lines(artifact.adapter_config),
        "",
        *_config_block(artifact.training_config_text),
        *_versions_section(),
    ])
    return _checked(ModelCard, data, body)


def merged_card(artifact: MergedArtifact, repo_id: str, base_model: str | None,
                dataset: str | None = None) -> ModelCard:
    """The README of a merged (standalone, 16-bit) model repo.

    >>> merged_card(find_merged("runs/lines/merged"), "me/ocr-lines-merged", None)  # doctest: +SKIP
    """
    from huggingface_hub import ModelCard

    dataset = dataset or artifact.dataset
    data = _model_card_data(repo_id, base_model, "transformers", "merged-lora", dataset, artifact.metrics,
                            tuned_label="after fine-tuning")
    origin = f"{_model_link(base_model)} with a LoRA adapter merged in" if base_model else \
        "a DeepSeek-OCR-family model with a LoRA adapter merged in"
    body = "\n".join([
        f"# {repo_id}",
        "",
        f"{origin}, fine-tuned for OCR on {_dataset_words(dataset)} with ocr-space. It loads without PEFT.",
        "",
        *_results_section(artifact.metrics, dataset, tuned_label="fine-tuned (after)"),
        "## Use it",
        "",
        "```python",
        "from ocr_space import load_model, recognize",
        "",
        f"loaded = load_model({repo_id!r})",
        'print(recognize(loaded, "line.png").text)',
        "```",
        "",
        f"or with transformers alone: `AutoModelForImageTextToText.from_pretrained({repo_id!r})` and "
        f"`AutoProcessor.from_pretrained({repo_id!r})`.",
        "",
        *_config_block(artifact.training_config_text),
        *_versions_section(),
    ])
    return _checked(ModelCard, data, body)


def dataset_card(artifact: DatasetArtifact, repo_id: str) -> DatasetCard:
    """The README of a dataset repo: splits and sizes, columns, a few sample texts, how to load it.

    >>> dataset_card(find_dataset("data/lines"), "me/lines")  # doctest: +SKIP
    """
    from huggingface_hub import DatasetCard, DatasetCardData

    total = sum(artifact.rows.values())
    data = DatasetCardData(
        task_categories=[TASK[0]],
        tags=TAGS,
        size_categories=[size_category(total)],
        pretty_name=repo_id.split("/")[-1],
        configs=[{"config_name": "default",
                  "data_files": [{"split": split, "path": file.name} for split, file in artifact.files.items()]}],
    )
    split_rows = [f"| {split} | `{file.name}` | {artifact.rows[split]:,} |" for split, file in artifact.files.items()]
    samples = [f"| {_cell(text)} |" for text in _sample_texts(artifact)]
    body = "\n".join([
        f"# {repo_id}",
        "",
        "Text-line (or page) images with their transcriptions, built with ocr-space for fine-tuning and "
        "evaluating DeepSeek-OCR-family models.",
        "",
        "| split | file | rows |",
        "| --- | --- | ---: |",
        *split_rows,
        "",
        "Columns: `image` (the image, encoded bytes embedded) and `text` (its transcription).",
        "",
        *(["Sample transcriptions:", "", "| text |", "| --- |", *samples, ""] if samples else []),
        "## Use it",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f"dataset = load_dataset({repo_id!r})  # splits: {', '.join(artifact.files)}",
        "```",
        "",
        "or as an ocr-space dataset folder (for training and evaluation):",
        "",
        "```python",
        "from huggingface_hub import snapshot_download",
        "",
        f"folder = snapshot_download({repo_id!r}, repo_type=\"dataset\")",
        "```",
        "",
    ])
    return _checked(DatasetCard, data, body)


def _model_card_data(repo_id: str, base_model: str | None, library: str, tag: str, dataset: str | None,
                     metrics: dict | None, tuned_label: str):
    """The YAML header the Hub reads: base link, library, task, tags, datasets, model-index."""
    from huggingface_hub import ModelCardData

    return ModelCardData(
        base_model=base_model,
        library_name=library,
        pipeline_tag=TASK[0],
        tags=[*TAGS, tag],
        datasets=[hub_repo_id(dataset)] if hub_repo_id(dataset) else None,
        model_name=repo_id,
        eval_results=_eval_results(metrics, dataset, tuned_label=tuned_label),
    )


def _checked(card_class, data, body: str):
    """Render, then parse the text back the way the Hub's client does; a card that does not survive is a bug."""
    card = card_class(f"---\n{data.to_yaml()}\n---\n\n{body}")
    if card.data.to_dict() != data.to_dict():
        raise RuntimeError(f"{card_class.__name__} did not round-trip its metadata")
    return card


def _eval_results(metrics: dict | None, dataset: str | None, tuned_label: str):
    from huggingface_hub import EvalResult

    if not metrics:
        return None
    split = metrics.get("split") or "test"
    measured = [(f"CER before fine-tuning (base model), {split} split", metrics.get("cer_before")),
                (f"CER {tuned_label}, {split} split", metrics.get("cer_after"))]
    results = [EvalResult(task_type=TASK[0], task_name=TASK[1], dataset_type=hub_repo_id(dataset) or "custom",
                          dataset_name=_dataset_name(dataset), dataset_split=split, metric_type="cer",
                          metric_value=float(value), metric_name=name)
               for name, value in measured if value is not None]
    return results or None


def _results_section(metrics: dict | None, dataset: str | None, tuned_label: str) -> list[str]:
    if not metrics or (metrics.get("cer_before") is None and metrics.get("cer_after") is None):
        return ["## Results", "", "No evaluation was recorded for this run.", ""]
    before, after = metrics.get("cer_before"), metrics.get("cer_after")
    lines = ["## Results", "",
             f"Character error rate (CER, lower is better) on {metrics.get('eval_samples', '?')} held-out samples "
             f"of the `{metrics.get('split') or 'test'}` split of {_dataset_words(dataset)}:", "",
             "| model | CER |", "| --- | ---: |",
             f"| base model (before) | {_percent(before)} |",
             f"| {tuned_label} | {_percent(after)} |"]
    if before and after is not None:
        lines.append(f"| relative change | {(after - before) / before:+.1%} |")
    return [*lines, ""]


def _lora_lines(adapter_config: dict) -> list[str]:
    keys = [("r", "rank r"), ("lora_alpha", "alpha"), ("lora_dropout", "dropout"),
            ("target_modules", "target modules"), ("target_parameters", "target parameters (fused MoE experts)")]
    return [f"- LoRA {label}: `{adapter_config[key]}`" for key, label in keys if adapter_config.get(key) is not None]


def _config_block(config_text: str | None) -> list[str]:
    if not config_text:
        return []
    return ["Training settings (`training_config.yaml`):", "", "```yaml", config_text.rstrip(), "```", ""]


def _versions_section() -> list[str]:
    return ["## Framework versions", "", *[f"- {name} {version}" for name, version in library_versions().items()],
            ""]


def _model_link(reference: str | None) -> str:
    repo_id = hub_repo_id(reference)
    if repo_id:
        return f"[{repo_id}](https://huggingface.co/{repo_id})"
    return f"`{reference}`" if reference else "an unrecorded base model"


def _dataset_name(dataset: str | None) -> str:
    return (hub_repo_id(dataset) or (dataset or "").rstrip("/").split("/")[-1]) or "held-out test split"


def _dataset_words(dataset: str | None) -> str:
    repo_id = hub_repo_id(dataset)
    if repo_id:
        return f"[{repo_id}](https://huggingface.co/datasets/{repo_id})"
    return f"the dataset `{_dataset_name(dataset)}`" if dataset else "the user's own documents"


def _percent(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2%}"


def _sample_texts(artifact: DatasetArtifact, count: int = 5) -> list[str]:
    import pyarrow.parquet as pq

    split = "train" if "train" in artifact.files else next(iter(artifact.files))
    table = pq.read_table(artifact.files[split], columns=["text"])
    return [str(text) for text in table.column("text").to_pylist()[:count]]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:200]
