"""Keep the most recently used model(s) loaded, so the UI loads a checkpoint once.

A T4 holds one 3B model comfortably, not two, so by default loading a new
(model, adapter) pair drops the previous one first. Loading is serialised by a
lock: two browser tabs asking for the same model load it once. A model a
request is still using (``with MODELS.use(...)``) is never dropped: it counts
its users, and eviction and ``clear()`` skip held models. Hub models are
cached per reader (see :mod:`ocr_space.hub_reads`), so a private repo loaded
with one visitor's token is never handed to another visitor.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import Counter, OrderedDict
from typing import Any, Iterator

from ocr_space.hub_ids import is_hub_id
from ocr_space.hub_reads import reader_identity
from ocr_space.models.loading import LoadedModel, load_model


class ModelCache:
    def __init__(self, max_models: int = 1):
        self.max_models = max_models
        self._models: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._users: Counter[tuple] = Counter()
        self._lock = threading.Lock()

    def get(self, model: str, adapter: str | None = None, device: str = "auto", dtype: Any = "auto") -> LoadedModel:
        """The loaded model for these settings, loading (and evicting the oldest unused one) if needed."""
        return self._load(self._key(model, adapter, device, dtype), dtype, hold=False)

    @contextlib.contextmanager
    def use(self, model: str, adapter: str | None = None, device: str = "auto",
            dtype: Any = "auto") -> Iterator[LoadedModel]:
        """Like :meth:`get`, and the model stays loaded until the block ends, whatever else is asked for."""
        key = self._key(model, adapter, device, dtype)
        loaded = self._load(key, dtype, hold=True)
        try:
            yield loaded
        finally:
            with self._lock:
                self._users[key] -= 1
                if self._users[key] <= 0:
                    del self._users[key]

    def __len__(self) -> int:
        return len(self._models)

    def held(self) -> int:
        """How many cached models a request is using right now."""
        with self._lock:
            return sum(1 for key in self._models if self._users[key] > 0)

    def _key(self, model: str, adapter: str | None, device: str, dtype: Any) -> tuple:
        model, adapter = model.strip(), (adapter or "").strip() or None
        hub = is_hub_id(model) or (adapter is not None and is_hub_id(adapter))
        return model, adapter, device, str(dtype), reader_identity() if hub else "local"

    def _load(self, key: tuple, dtype: Any, hold: bool) -> LoadedModel:
        with self._lock:
            if key not in self._models:
                self._evict_unused(room_for=1)
                self._models[key] = load_model(key[0], adapter=key[1], device=key[2], dtype=dtype)
            self._models.move_to_end(key)
            if hold:
                self._users[key] += 1
            return self._models[key]

    def _evict_unused(self, room_for: int = 0) -> None:
        # a held model stays, even when that means holding more than max_models for a while
        for key in [key for key in self._models if self._users[key] <= 0]:
            if len(self._models) + room_for <= self.max_models:
                break
            del self._models[key]
            release_gpu_memory()

    def clear(self) -> None:
        """Drop every model no request is using (training calls this to make room on the GPU)."""
        with self._lock:
            for key in [key for key in self._models if self._users[key] <= 0]:
                del self._models[key]
            release_gpu_memory()


def release_gpu_memory() -> None:
    """Hand freed tensors' memory back to the GPU (after dropping a model or after an out-of-memory error)."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


#: The process-wide cache the UI uses.
MODELS = ModelCache()
