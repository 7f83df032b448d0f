"""Package attributes that import their module on first use.

``import ocr_space`` (or ``ocr_space.models``) should not pay for torch and
transformers when the caller only builds a dataset or reads settings. A
package lists its public names in a table ``_EXPORTS = {name: module}`` and
hands it to :func:`lazy_exports`; the first access to a name imports its
module (as transformers' own ``_LazyModule`` does) and keeps the value on the
package, so later accesses are plain attribute reads. The import-graph test
reads the ``_EXPORTS`` tables as imports, so lazy edges still count for cycles.

One name may be both a public export and a submodule: ``ocr_space.recognize``
is the function ``recognize`` and the module it lives in, ``ocr_space.train``
the function and the package. Python binds a submodule on its package when it
first imports it, whenever that happens; the export wins, as it did when the
package imported everything up front, so ``from ocr_space import recognize``
is the function however the modules were entered.

>>> import ocr_space
>>> ocr_space.cer("abc", "abd")
0.3333333333333333
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` that resolve ``exports`` (name -> module) on first use.

    Call it from the package's ``__init__``; it also makes exported names win
    over same-named submodules (see the module docstring).

    >>> __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)  # doctest: +SKIP
    """

    class LazyPackage(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            # The import system binds a freshly imported submodule under its own name; keep the export instead.
            if isinstance(value, types.ModuleType) and exports.get(name) == value.__name__ and hasattr(value, name):
                value = getattr(value, name)
            super().__setattr__(name, value)

    sys.modules[package].__class__ = LazyPackage

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
