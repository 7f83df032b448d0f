"""One lock for the one GPU: every model run (Recognize, pre-label, Compare, training) takes it.

A T4 holds one 3B model plus activations, not two: without one lock a
Recognize could load a second model while a training job runs, and two
requests could each load their own. Training holds the lock for its whole run;
a request that finds it busy waits (its progress bar says who holds the GPU)
up to :attr:`ocr_space.config.Limits.gpu_wait_seconds`, then gets a
:class:`GpuBusyError` instead of hanging. The same lock is used on CPU, so the
behaviour tests see is the one a Space has. No gradio here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Callable, Iterator

from ocr_space.errors import OcrSpaceError

#: how often a waiting request re-reports who holds the GPU
POLL_SECONDS = 1.0


class GpuBusyError(OcrSpaceError):
    """The GPU stayed busy (usually a training run) for longer than a request may wait."""


class GpuLock:
    """A named, reentrant-free lock: ``with GPU.hold("recognize"):``; ``holder`` says who has it.

    >>> lock = GpuLock()
    >>> with lock.hold("demo"):
    ...     lock.holder
    'demo'
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._state = threading.Lock()
        self._holder: str | None = None
        self._waiting = 0

    @property
    def holder(self) -> str | None:
        """Who holds the GPU now (a short description), None when free."""
        return self._holder

    @property
    def waiting(self) -> int:
        """How many requests are waiting for the GPU."""
        return self._waiting

    @contextlib.contextmanager
    def hold(self, who: str, timeout: float | None = None,
             on_wait: Callable[[str, int], None] | None = None) -> Iterator[None]:
        """Hold the GPU for the block; waits up to ``timeout`` seconds (None: forever), calling
        ``on_wait(holder, position)`` about once a second while it waits."""
        if not self._lock.acquire(blocking=False):
            with self._state:
                self._waiting += 1
                position = self._waiting
            try:
                deadline = None if timeout is None else time.monotonic() + timeout
                while True:
                    if on_wait is not None:
                        on_wait(self._holder or "another request", position)
                    wait = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
                    if wait > 0 and self._lock.acquire(timeout=wait):
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        raise GpuBusyError(f"The GPU is busy ({self._holder or 'another request'}) and stayed busy "
                                           f"for {timeout:.0f} s; try again when it is done.")
            finally:
                with self._state:
                    self._waiting -= 1
        self._holder = who
        try:
            yield
        finally:
            self._holder = None
            self._lock.release()


#: the process-wide lock every model run shares
GPU = GpuLock()
