"""Share on the Hugging Face Hub: push adapters, merged models and datasets with their cards.

Loading back needs nothing from here: ``load_model(base, adapter="you/your-lora")``
fetches an adapter repo like any Hub model (and explains a base-model mismatch).

>>> from ocr_space.hub import push_adapter
>>> push_adapter("runs/lines", "me/deepseek-ocr2-lines-lora")  # doctest: +SKIP
"""

from ocr_space.hub.auth import resolve_token
from ocr_space.hub.errors import (
                                  HubAuthError,
                                  HubError,
                                  HubNetworkError,
                                  HubNotFoundError,
                                  HubPermissionError,
                                  HubQuotaError,
                                  PushSourceError,
                                  scrub,
)
from ocr_space.hub.push import PushResult, push_adapter, push_dataset, push_merged

__all__ = [
    "HubAuthError",
    "HubError",
    "HubNetworkError",
    "HubNotFoundError",
    "HubPermissionError",
    "HubQuotaError",
    "PushResult",
    "PushSourceError",
    "push_adapter",
    "push_dataset",
    "push_merged",
    "resolve_token",
    "scrub",
]
