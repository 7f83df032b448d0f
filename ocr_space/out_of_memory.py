"""Is this exception the GPU running out of memory? One answer for the whole package.

Training turns it into a message with the run's fixes, the memory probe into
"does not fit", the UI into a hint instead of a traceback; all of them ask
here. A leaf: it imports nothing of ours, and reads torch only if something
already imported it (an exception cannot be torch's when torch never loaded).
"""

from __future__ import annotations

import sys


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's CUDA OOM type and for the plain RuntimeErrors some kernels raise instead.

    >>> is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    True
    >>> is_out_of_memory(ValueError("out of memory"))
    False
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
