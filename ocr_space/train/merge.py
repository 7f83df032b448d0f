"""Merge a LoRA adapter into its base: a standalone 16-bit model folder that needs no PEFT.

A merged folder loads with ``load_model(folder)`` like any checkpoint,
serves without adapter overhead, and can be shared as a plain model repo.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ocr_space.errors import ConfigError

log = logging.getLogger("ocr_space.train")

MERGE_DTYPES = ("float16", "bfloat16", "float32")


def merge(model: str, adapter: str, out: str | Path, dtype: str = "float16", device: str = "auto") -> Path:
    """Fold ``adapter`` into ``model`` and save model + processor to ``out`` in ``dtype``.

    >>> from ocr_space import merge
    >>> merge("deepseek-community/DeepSeek-OCR-2", "runs/r/adapter", "merged/")  # doctest: +SKIP
    PosixPath('merged')
    """
    import torch

    from ocr_space.models.devices import DTYPES, pick_device
    from ocr_space.models.loading import load_model

    if dtype not in MERGE_DTYPES:
        raise ConfigError(f"dtype: must be one of {', '.join(MERGE_DTYPES)}; got {dtype!r}.")
    out = Path(out).expanduser()
    if (out / "config.json").exists() or (out / "adapter_config.json").exists():
        raise ConfigError(f"out: {out} already holds a model; choose an empty folder.")
    device = pick_device(device)
    # merge in fp32 on CPU (half-precision CPU matmuls are slow or missing), in the target dtype on a GPU
    work_dtype = torch.float32 if device == "cpu" else DTYPES[dtype]
    loaded = load_model(model, adapter=adapter, device=device, dtype=work_dtype)
    merged = loaded.model.merge_and_unload()
    merged.to(DTYPES[dtype])
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out))
    loaded.processor.save_pretrained(str(out))
    if loaded.adapter_mode:  # the merged model reads best where the adapter was trained
        from ocr_space.models.adapter_mode import write_adapter_mode

        write_adapter_mode(out, loaded.family, loaded.processor, loaded.adapter_mode)
    log.info("merged %s + %s into %s (%s)", model, adapter, out, dtype)
    return out


def card_dtype(model: str) -> str:
    """The 16-bit dtype ``model``'s config.json names (what its card runs: bfloat16 for DeepSeek-OCR-2),
    float16 when it names none or a 32-bit one (a merged model is shared in 16 bits)."""
    from ocr_space.errors import ModelLoadError
    from ocr_space.models.loading import read_checkpoint_config

    try:
        config = read_checkpoint_config(model)[0]
    except ModelLoadError:  # unreadable here: merge() loads the model next and reports the real problem
        return "float16"
    named = str(config.get("dtype") or config.get("torch_dtype") or "")
    if not named and isinstance(config.get("text_config"), dict):
        named = str(config["text_config"].get("dtype") or config["text_config"].get("torch_dtype") or "")
    return named if named in ("float16", "bfloat16") else "float16"


def merge_run(run_dir: str | Path, out: str | Path | None = None, dtype: str | None = None,
              device: str = "auto") -> Path:
    """Merge a finished run's adapter into the base it was trained on: ``run_dir/merged`` by default, in the
    base's own 16-bit dtype, with the run's ``training_config.yaml`` and ``metrics.json`` (the card's
    before/after CER) next to the weights.

    >>> merge_run("runs/20260101-120000-lines")  # doctest: +SKIP
    PosixPath('runs/20260101-120000-lines/merged')
    """
    import shutil

    from ocr_space.train.recipe import TrainConfig
    from ocr_space.train.run_dir import RunDir

    run = RunDir(run_dir)
    if not (run.adapter / "adapter_config.json").is_file():
        raise ConfigError(f"{run.path} has no finished adapter to merge (adapter/ is written when training ends).")
    model = TrainConfig.from_yaml(run.config_file).model
    out = Path(out) if out else run.path / "merged"
    merged = merge(model, str(run.adapter), out, dtype=dtype or card_dtype(model), device=device)
    for extra in (run.adapter / "training_config.yaml", run.metrics_file):
        if extra.is_file():
            shutil.copyfile(extra, merged / extra.name)
    return merged


def export_official_v1(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """A finished DeepSeek-OCR v1 run, merged (``run_dir/merged``, made if missing) and written in the official
    v1 layout that vLLM and the official code load (``run_dir/merged-v1`` by default).

    >>> export_official_v1("runs/20260101-120000-v1-lines")  # doctest: +SKIP
    PosixPath('runs/20260101-120000-v1-lines/merged-v1')
    """
    import json

    from ocr_space.models.deepseek_ocr_v1.convert import convert_to_v1

    run = Path(run_dir)
    merged = run / "merged"
    if not (merged / "config.json").is_file():
        merge_run(run, merged)
    model_type = json.loads((merged / "config.json").read_text(encoding="utf-8")).get("model_type")
    if model_type != "unlimited_ocr":
        raise ConfigError(f"The official v1 layout is for DeepSeek-OCR v1 models; {run.name} was trained on a "
                          f"{model_type} model. Use the merged folder ({merged}) as it is.")
    out = Path(out) if out else run / "merged-v1"
    convert_to_v1(merged, out)
    return out
