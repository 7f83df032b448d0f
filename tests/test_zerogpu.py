"""ZeroGPU: handlers run inside @spaces.GPU with a duration sized from the work on a ZeroGPU Space, unchanged
elsewhere. The real `spaces` cannot start its ZeroGPU mode with a CPU build of torch, so the decorator path is
checked with the environment a ZeroGPU Space sets and a recording stand-in for the `spaces` module."""

import sys
import types

import pytest

from ocr_space.zerogpu import MAX_SECONDS, gpu_seconds, on_gpu, on_zero_gpu


def handler(image, mode="small", batch_size=1):
    return f"read {image} in {mode}"


def test_off_zero_gpu_the_handler_is_itself_and_spaces_is_not_imported(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    monkeypatch.delitem(sys.modules, "spaces", raising=False)
    assert on_gpu(lambda *args, **kwargs: 60)(handler) is handler
    assert "spaces" not in sys.modules and not on_zero_gpu()


def test_on_zero_gpu_the_handler_runs_inside_spaces_gpu_with_a_sized_duration(monkeypatch):
    asked = []

    def gpu(duration):
        def decorate(function):
            def leased(*args, **kwargs):
                asked.append(duration(*args, **kwargs))
                return function(*args, **kwargs)
            return leased
        return decorate

    monkeypatch.setenv("SPACES_ZERO_GPU", "true")  # what the platform sets, with SPACES_ZERO_DEVICE_API_URL
    monkeypatch.setenv("SPACES_ZERO_DEVICE_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    wrapped = on_gpu(lambda image, mode="small", batch_size=1: gpu_seconds(mode, lines=1, batch_size=batch_size))(
        handler)
    assert wrapped is not handler
    assert wrapped("a.png", mode="tiles") == "read a.png in tiles"
    assert asked == [gpu_seconds("tiles")]


@pytest.mark.parametrize("mode, lines, batch, seconds", [
    ("small", 1, 1, 34), ("small", 64, 8, 62), ("tiles", 1, 1, 60), ("gundam", 1, 1, 60), ("base", 16, 8, 46),
    ("tiles", 500, 1, MAX_SECONDS),
])
def test_the_lease_grows_with_the_mode_and_the_batches(mode, lines, batch, seconds):
    assert gpu_seconds(mode, lines=lines, batch_size=batch) == seconds


def test_the_real_spaces_package_is_a_no_op_off_zero_gpu(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    import spaces

    assert spaces.GPU(duration=10)(handler) is handler
