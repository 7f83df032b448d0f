"""The resolution mode an adapter was trained in, recorded next to its weights and read back on load.

A LoRA adapter learns to read images at the size it was trained on; read in
another mode (e.g. trained on 768-px single views, used on 1024-px views plus
tiles) it is silently worse. So training writes the *resolved* mode into the
adapter folder, and loading reads it back so Recognize, ``eval`` and Compare
use it unless the user picks another mode:

    adapter/
      adapter_config.json, adapter_model.safetensors   PEFT's files
      training_config.yaml                              the run's settings, ``mode`` resolved
      resolution.json                                   {"family", "mode", "view_side", "tile_side", "max_tiles"}

Adapters trained before this record existed have ``mode: ''`` in
``training_config.yaml``, which meant the family's training mode; adapters
from elsewhere record nothing, and then the family's default applies.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ocr_space.models.mode_sizes import mode_sizes

log = logging.getLogger(__name__)

RESOLUTION_FILE = "resolution.json"
TRAINING_CONFIG_FILE = "training_config.yaml"


def write_adapter_mode(folder: str | Path, family: Any, processor: Any, mode: str) -> Path:
    """Record that the adapter in ``folder`` was trained in ``mode`` of ``family`` (with the sizes it means).

    >>> write_adapter_mode("runs/r1/adapter", loaded.family, loaded.processor, "small")  # doctest: +SKIP
    """
    sizes = mode_sizes(processor, family.mode(mode).processor_kwargs(processor))
    path = Path(folder) / RESOLUTION_FILE
    path.write_text(json.dumps({"family": family.name, "mode": mode, **sizes.as_dict()}, indent=2) + "\n",
                    encoding="utf-8")
    return path


def read_adapter_mode(adapter: str, family: Any) -> str | None:
    """The mode ``adapter`` (folder or Hub repo id) was trained in, or None when it records none.

    An unknown mode name (an adapter of another family) is ignored with a warning.
    """
    folder = Path(adapter).expanduser()
    if folder.is_dir():  # the adapter has loaded by now: an existing folder, or else a Hub repo id
        resolution, config = folder / RESOLUTION_FILE, folder / TRAINING_CONFIG_FILE
        mode = _recorded_mode(resolution if resolution.is_file() else None, config if config.is_file() else None,
                              family)
    else:
        resolution = _hub_file(adapter, RESOLUTION_FILE)
        mode = _recorded_mode(resolution, None if resolution else _hub_file(adapter, TRAINING_CONFIG_FILE), family)
    if mode is not None and mode not in family.resolution_modes:
        log.warning("adapter %s records mode %r, which %s does not have; using the default mode", adapter, mode,
                    family.title)
        return None
    return mode


def _recorded_mode(resolution: Path | None, training_config: Path | None, family: Any) -> str | None:
    if resolution is not None:
        try:
            return str(json.loads(resolution.read_text(encoding="utf-8"))["mode"]) or None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("could not read %s: %s", resolution, exc)
    if training_config is not None:
        import yaml

        try:
            settings = yaml.safe_load(training_config.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.warning("could not read %s: %s", training_config, exc)
            return None
        # before the mode was recorded, '' meant "the family's training mode" (that is what the run used)
        return str(settings.get("mode") or "") or family.training_mode or None
    return None


def _hub_file(repo_id: str, filename: str) -> Path | None:
    """The adapter repo's ``filename``, or None if it has none (or the Hub cannot say)."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename))
    except Exception as exc:  # noqa: BLE001 - any failure means "not recorded"; the weights already loaded
        log.info("adapter %s: no %s (%s)", repo_id, filename, type(exc).__name__)
        return None
