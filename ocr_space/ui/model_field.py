"""The model field every tab shares: what it offers, and which resolution modes the chosen model has.

The one UI module that asks ``ocr_space.config`` and the model registry about
models, so a move of either touches one import. Resolution modes belong to a
model family (DeepSeek-OCR-2 has tiles/base/small, DeepSeek-OCR v1
tiny/small/base/large/gundam), so a tab's mode dropdown follows its model
field instead of listing one family's modes.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from ocr_space.config import public_mode, shared_roots
from ocr_space.errors import ModelLoadError
from ocr_space.models.registry import (
    DEFAULT_FAMILY,
    default_model,
    families,
    family_for_config,
    get_family,
    model_choices,
)

__all__ = ["default_model", "family_of", "follow_model", "mode_choices", "model_choices"]


def family_of(model: str | None):
    """The family of ``model``: a local folder's config.json, else the family whose default repo it is.

    Anything else (a Hub id not cached here, a half-typed path) gets the default
    family: the field only picks which modes to offer, and loading the model says
    plainly what is wrong with it when it is used. In public mode only the shared
    read-only roots are looked into: the answer must not tell a visitor what lies
    at an arbitrary server path.
    """
    model = (model or "").strip()
    config = Path(model) / "config.json" if model else None
    if config is not None and public_mode() and not _shared(config):
        config = None
    if config is not None and config.is_file():
        try:
            return family_for_config(json.loads(config.read_text("utf-8")))
        except (ModelLoadError, ValueError, OSError):
            pass  # not a model we support: the loader's message explains it when the model is used
    for family in families().values():
        if family.default_repo == model:
            return family
    return get_family(DEFAULT_FAMILY)


def _shared(path: Path) -> bool:
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in shared_roots())


def mode_choices(model: str | None, blank: str) -> list[str]:
    """``blank`` (the family's own default, e.g. "" or "default") and then ``model``'s family's modes."""
    return [blank, *family_of(model).resolution_modes]


def follow_model(model: str | None, mode: str | None, blank: str):
    """Handler for a model field's change: the mode dropdown offers the new family's modes, keeping a valid pick."""
    choices = mode_choices(model, blank)
    return gr.update(choices=choices, value=mode if mode in choices else blank)
