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
