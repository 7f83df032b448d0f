"""ZeroGPU: the free shared-GPU hardware of demo Spaces, where a GPU is lent per call.

On a ZeroGPU Space (the platform sets ``SPACES_ZERO_GPU=true``) CUDA is usable
only inside functions decorated with ``@spaces.GPU``, each call asking for a
duration up front; a longer ask waits longer in the queue, a shorter one is
cut off. :func:`on_gpu` wraps a handler so: its duration comes from what the
call will do (resolution mode, batch, lines), sized by :func:`gpu_seconds`.
Everywhere else (other hardware, CPU, tests) :func:`on_gpu` returns the
function itself and ``spaces`` is never imported.

Training does not fit ZeroGPU's per-call lease (minutes, not an hour); the
Fine-tune tab says so and how to pick a dedicated GPU (``notice.zero_gpu_training``).

>>> gpu_seconds("small", lines=8, batch_size=8)
34
>>> on_gpu(lambda *args, **kwargs: 60)(len)("abc")  # off ZeroGPU: the function itself
3
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

ZERO_GPU_ENV = "SPACES_ZERO_GPU"
#: seconds one batch of generation takes per resolution mode on a ZeroGPU slice (H200 MIG), generously rounded up:
#: a line view is one forward + ~30 tokens, a page in tiles ~1,000 vision tokens + a long answer
SECONDS_PER_BATCH = {"tiny": 3, "small": 4, "base": 8, "large": 10, "tiles": 30, "gundam": 30, "": 30}
#: moving the model onto the lent GPU and warming it up, once per call
SETUP_SECONDS = 30
#: ZeroGPU refuses longer asks for most users
MAX_SECONDS = 300

F = TypeVar("F", bound=Callable)


def on_zero_gpu() -> bool:
    """True on a ZeroGPU Space (``SPACES_ZERO_GPU`` set to true by the platform)."""
    return os.environ.get(ZERO_GPU_ENV, "").strip().lower() in {"1", "t", "true"}


def gpu_seconds(mode: str | None, lines: int = 1, batch_size: int = 1) -> int:
    """The lease to ask for: setup plus one batch time per batch of ``lines``, at most :data:`MAX_SECONDS`."""
    batches = max(1, math.ceil(max(1, lines) / max(1, batch_size)))
    per_batch = SECONDS_PER_BATCH.get((mode or "").strip().lower(), SECONDS_PER_BATCH[""])
    return min(MAX_SECONDS, SETUP_SECONDS + batches * per_batch)


def on_gpu(duration: Callable[..., int]) -> Callable[[F], F]:
    """Decorator: run the function inside ``@spaces.GPU(duration=...)`` on ZeroGPU, unchanged elsewhere.

    ``duration`` gets the same arguments as the function and returns seconds
    (e.g. ``lambda image, mode, **_: gpu_seconds(mode)``).
    """

    def wrap(function: F) -> F:
        if not on_zero_gpu():
            return function
        import spaces  # only on ZeroGPU: it patches torch's CUDA entry points when imported there

        return spaces.GPU(duration=duration)(function)

    return wrap


def prepare_zero_gpu() -> bool:
    """Import ``spaces`` first on ZeroGPU (it must come before anything initialises CUDA); True if it did."""
    if not on_zero_gpu():
        return False
    import spaces  # noqa: F401 - the import is the point

    return True
