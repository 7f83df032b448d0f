"""One exception type per kind of user mistake.

The UI and the CLI catch :class:`OcrSpaceError` and show its message; anything
else is a bug and keeps its traceback in the logs.
"""

from __future__ import annotations


class OcrSpaceError(Exception):
    """Base class: the message is written for the user and says what to do."""


class ModelLoadError(OcrSpaceError):
    """A model, processor or adapter could not be loaded."""


class ImageError(OcrSpaceError):
    """An input image is missing, unreadable or unusable.

    ``reason`` is a short machine-readable code (``missing_file``, ``empty_file``,
    ``unreadable``, ``too_large``, ``too_small``) so dataset building can file the
    rejection under the right heading without parsing the message.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason


class ConfigError(OcrSpaceError):
    """A setting has a value the code cannot work with; the message names the field."""
