"""Waiting for another process to write something: it has only files to tell us (threads use events instead)."""

import time


def poll(predicate, timeout: float, what: str):
    """``predicate()``'s first truthy value, checked every 0.1 s; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
