"""Which token Hub *reads* use in this context: the visitor's, none, or this machine's.

``huggingface_hub`` falls back to ``HF_TOKEN`` (the Space owner's) for every
call made without a token, so on a public Space an anonymous visitor's
``load_model("owner/private-adapter")`` would read the owner's private repos.
The UI sets the token for the request it serves (``with reading_hub_as(...)``:
``False`` for anonymous visitors, the visitor's OAuth token when signed in) and
every Hub read of ours passes :func:`hub_read_token` on. A context variable,
because the reads sit deep inside model loading and dataset opening that the
CLI and Python also call, where the default (None: huggingface_hub's own
lookup) is what a local user wants. A leaf: imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import hashlib
from contextvars import ContextVar
from typing import Iterator

#: None = huggingface_hub's own lookup (HF_TOKEN, saved login); False = no token at all; str = that token
HubToken = str | bool | None

_READ_TOKEN: ContextVar[HubToken] = ContextVar("ocr_space_hub_read_token", default=None)


def hub_read_token() -> HubToken:
    """The token for Hub reads here (pass it as ``token=`` to huggingface_hub, transformers, datasets, peft).

    >>> with reading_hub_as(False):
    ...     hub_read_token()
    False
    """
    return _READ_TOKEN.get()


@contextlib.contextmanager
def reading_hub_as(token: HubToken) -> Iterator[None]:
    """Within the block, Hub reads use ``token`` (False: anonymous; None: this machine's own lookup)."""
    reset = _READ_TOKEN.set(token)
    try:
        yield
    finally:
        _READ_TOKEN.reset(reset)


def reader_identity() -> str:
    """A short name for whose rights the current reads carry, for cache keys (never the token itself).

    >>> with reading_hub_as(False):
    ...     reader_identity()
    'anonymous'
    """
    token = hub_read_token()
    if token is False:
        return "anonymous"
    if token is None or token is True:
        return "machine"
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:12]
