"""Keep the most recently used model(s) loaded, so the UI loads a checkpoint once.

A T4 holds one 3B model comfortably, not two, so by default loading a new
(model, adapter) pair drops the previous one first. Loading is serialised by a
lock: two browser tabs asking for the same model load it once.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from typing import Any

from ocr_space.models.loading import LoadedModel, load_model


class ModelCache:
    def __init__(self, max_models: int = 1):
        self.max_models = max_models
        self._models: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model: str, adapter: str | None = None, device: str = "auto", dtype: Any = "auto") -> LoadedModel:
        """The loaded model for these settings, loading (and evicting the oldest) if needed."""
        key = (model.strip(), (adapter or "").strip() or None, device, str(dtype))
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            while len(self._models) >= self.max_models:
                self._models.popitem(last=False)
                release_gpu_memory()
            loaded = load_model(key[0], adapter=key[1], device=device, dtype=dtype)
            self._models[key] = loaded
            return loaded

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            release_gpu_memory()


def release_gpu_memory() -> None:
    """Hand freed tensors' memory back to the GPU (after dropping a model or after an out-of-memory error)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


#: The process-wide cache the UI uses.
MODELS = ModelCache()
