"""The model families ocr-space knows, and how to tell which one a checkpoint is.

A plain mapping built from the families this module imports: adding a
generation = one folder under ``models/`` whose ``family.py`` builds a
:class:`~ocr_space.models.family.ModelFamily`, plus one line here. Families
never import this module back, so it sits above them.
"""

from __future__ import annotations

import os

from ocr_space.config import DEFAULT_MODEL_ENV
from ocr_space.errors import ModelLoadError
from ocr_space.models.deepseek_ocr2.family import FAMILY as DEEPSEEK_OCR2
from ocr_space.models.deepseek_ocr_v1.family import FAMILY as DEEPSEEK_OCR_V1
from ocr_space.models.family import ModelFamily

#: Family name -> family, in the order the app offers them.
FAMILIES: dict[str, ModelFamily] = {family.name: family for family in (DEEPSEEK_OCR2, DEEPSEEK_OCR_V1)}
DEFAULT_FAMILY = DEEPSEEK_OCR2.name


def families() -> dict[str, ModelFamily]:
    """A copy of :data:`FAMILIES`, safe to change.

    >>> list(families())
    ['deepseek-ocr-2', 'deepseek-ocr']
    """
    return dict(FAMILIES)


def get_family(name: str) -> ModelFamily:
    """The family called ``name``; an unknown name is a :class:`ModelLoadError` listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ModelLoadError(f"Unknown model family {name!r}; known: {', '.join(FAMILIES)}.") from None


def family_for_config(config: dict) -> ModelFamily:
    """Find the family from a checkpoint's config.json contents (model_type, then architectures).

    >>> family_for_config({"model_type": "deepseek_ocr2"}).title
    'DeepSeek-OCR-2'
    """
    for family in FAMILIES.values():
        if family.claims(config):
            return family
    model_type = config.get("model_type", "")
    raise ModelLoadError(
        f"This checkpoint's model_type {model_type!r} is not a supported OCR family; "
        f"supported: {', '.join(f.title for f in FAMILIES.values())}."
    )


def default_model() -> str:
    """The model the UI pre-fills: `$OCR_SPACE_MODEL`, else the default family's repo."""
    return os.environ.get(DEFAULT_MODEL_ENV) or FAMILIES[DEFAULT_FAMILY].default_repo


def model_choices() -> list[str]:
    """Models the UI offers: the pre-filled one, then each family's default repo (DeepSeek-OCR-2, DeepSeek-OCR)."""
    return list(dict.fromkeys([default_model()] + [family.default_repo for family in FAMILIES.values()]))
