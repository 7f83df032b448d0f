"""One exception type per kind of user mistake.

The UI and the CLI catch :class:`OcrSpaceError` and show its message; anything
else is a bug and keeps its traceback in the logs.
"""


class OcrSpaceError(Exception):
    """Base class: the message is written for the user and says what to do."""


class ModelLoadError(OcrSpaceError):
    """A model, processor or adapter could not be loaded."""


class ImageError(OcrSpaceError):
    """An input image is missing, unreadable or unusable."""


class ConfigError(OcrSpaceError):
    """A setting has a value the code cannot work with; the message names the field."""
