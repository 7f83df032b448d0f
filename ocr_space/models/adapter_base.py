"""Which base model an adapter was trained on, and whether a chosen base is the same one.

PEFT records ``base_model_name_or_path`` in ``adapter_config.json``. It may be
a Hub id, a local folder, or a Hub cache snapshot path; two spellings of one
model (``deepseek-community/DeepSeek-OCR-2`` and a local copy named
``DeepSeek-OCR-2``) count as the same base. A different base only shows as
missing keys or shape errors deep inside PEFT, so ``load_model`` uses this
to explain it in words.
"""

from __future__ import annotations

import re
from pathlib import Path

from ocr_space.hub_ids import is_hub_id

_CACHE_FOLDER = re.compile(r"(?:^|/)models--([^/]+?)--([^/]+)(?:/|$)")


def hub_repo_id(reference: str | None) -> str | None:
    """The Hub repo id ``reference`` stands for, or None for a plain local folder.

    >>> hub_repo_id("deepseek-community/DeepSeek-OCR-2")
    'deepseek-community/DeepSeek-OCR-2'
    >>> hub_repo_id("/root/.cache/huggingface/hub/models--me--tiny/snapshots/abc")
    'me/tiny'
    >>> hub_repo_id("/models/tiny") is None
    True
    """
    if not reference:
        return None
    reference = reference.strip().rstrip("/")
    cached = _CACHE_FOLDER.search(reference)
    if cached:
        return f"{cached.group(1)}/{cached.group(2)}"
    if is_hub_id(reference):
        return reference
    return None


def same_base(recorded: str, chosen: str) -> bool:
    """True when two model references name the same base (same repo id, same folder, or same model name).

    >>> same_base("deepseek-community/DeepSeek-OCR-2", "/models/DeepSeek-OCR-2")
    True
    >>> same_base("deepseek-community/DeepSeek-OCR-2", "someone/other-ocr")
    False
    """
    if recorded.strip().rstrip("/") == chosen.strip().rstrip("/"):
        return True
    recorded_id, chosen_id = hub_repo_id(recorded), hub_repo_id(chosen)
    if recorded_id and chosen_id:
        return recorded_id.lower() == chosen_id.lower()
    return _model_name(recorded) == _model_name(chosen)


def base_mismatch(adapter: str, recorded: str | None, chosen: str | None) -> str | None:
    """A sentence explaining that ``adapter`` was trained on another base than ``chosen``, or None if it fits
    (or nothing was recorded).

    >>> base_mismatch("me/lora", "a/base-one", "b/base-two")  # doctest: +ELLIPSIS
    "Adapter me/lora was trained on base model 'a/base-one', but it is being applied to 'b/base-two'..."
    """
    if not recorded or not chosen or same_base(recorded, chosen):
        return None
    return (f"Adapter {adapter} was trained on base model {recorded!r}, but it is being applied to {chosen!r}. "
            f"Load it on its own base: load_model({(hub_repo_id(recorded) or recorded)!r}, adapter={adapter!r}).")


def _model_name(reference: str) -> str:
    repo_id = hub_repo_id(reference)
    name = repo_id.split("/")[-1] if repo_id else Path(reference.strip().rstrip("/")).name
    return name.lower()
