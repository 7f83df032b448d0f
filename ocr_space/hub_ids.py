"""Is this string a Hugging Face Hub repo id, or a local path? One answer for models, adapters and datasets.

A reference is a Hub id when it reads as ``owner/name`` (datasets may also
be a bare canonical ``name``, e.g. ``mnist``) and names no existing local
path: a folder called ``me/lines`` next to the user wins over the Hub repo of
that name. Paths that start with ``/``, ``.`` or ``~`` never read as ids.
Imports nothing of ours, so ``models/``, ``data/`` and ``hub/`` all use it.
"""

from __future__ import annotations

import re
from pathlib import Path

#: ``owner/name`` as the Hub spells repo ids (letters, digits, ``_``, ``.``, ``-``).
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
#: A repo id whose owner may be left out (canonical datasets such as ``mnist``).
NAME_OR_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


def is_hub_id(reference: str, *, owner_optional: bool = False) -> bool:
    """True when ``reference`` reads as a Hub repo id and is not an existing local path.

    >>> is_hub_id("deepseek-community/DeepSeek-OCR-2"), is_hub_id("./runs/lines"), is_hub_id("/models/tiny")
    (True, False, False)
    >>> is_hub_id("mnist"), is_hub_id("mnist", owner_optional=True)
    (False, True)
    """
    pattern = NAME_OR_REPO_ID if owner_optional else REPO_ID
    return bool(pattern.fullmatch(reference)) and not Path(reference).expanduser().exists()
