"""One GPU shared fairly: one lock for every model run, and a cache that never drops a model still in use."""

import threading

import pytest

from ocr_space.gpu import GpuBusyError, GpuLock
from ocr_space.models.cache import ModelCache


def test_a_second_request_waits_for_the_gpu_and_is_told_who_holds_it():
    lock, holding, release = GpuLock(), threading.Event(), threading.Event()

    def train():
        with lock.hold("training run-1"):
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=train)
    worker.start()
    assert holding.wait(10)
    seen = []
    with pytest.raises(GpuBusyError, match="training run-1"):
        with lock.hold("recognize", timeout=0.3, on_wait=lambda holder, position: seen.append((holder, position))):
            pass
    assert seen and seen[0] == ("training run-1", 1)
    release.set()
    worker.join(10)
    with lock.hold("recognize", timeout=1):
        assert lock.holder == "recognize"
    assert lock.holder is None


def test_a_model_in_use_is_never_evicted_and_is_dropped_once_released(tiny_model_dir):
    import torch

    cache = ModelCache(max_models=1)
    with cache.use(str(tiny_model_dir), device="cpu") as held:
        other = cache.get(str(tiny_model_dir), device="cpu", dtype=torch.float32)  # another key, over capacity
        assert other is not held and len(cache) == 2 and cache.held() == 1
        cache.clear()  # what training does to make room: the held model stays
        assert len(cache) == 1 and cache.get(str(tiny_model_dir), device="cpu") is held
    assert cache.held() == 0
    cache.get(str(tiny_model_dir), device="cpu", dtype=torch.float32)
    assert len(cache) == 1  # released: now it may go
