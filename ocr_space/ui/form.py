"""Forms by setting name: a tab's input components keyed by the name of the setting each one fills.

LLaMA-Factory's web UI reads a form's values by element id instead of by
position; here the id is the setting's own name (a ``TrainConfig`` field, a
``build_dataset`` keyword, a ``Normalization`` field ...). A :class:`Form`
builds each component with its label from the strings table
(``"{prefix}.{name}"``) and, for a dataclass field, its help from the field's
``metadata["help"]``. Gradio passes the values to a handler as keyword
arguments (``inputs_kwargs``), so a handler is ``def handler(progress=...,
**values)`` and reads ``values["steps"]``; the API names its parameters after
the settings too, in the order the form was built::

    form = Form("finetune", TrainConfig)
    form.field("steps", gr.Number, precision=0)      # label t("finetune.steps"), info from the field's help
    button.click(start, inputs_kwargs=form.inputs, outputs=...)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from gradio.components import Component

from ocr_space.ui.strings import t, t_or


def field_help(cls: type, name: str) -> str | None:
    """The help text of dataclass ``cls``'s field ``name`` (``field(metadata={"help": ...})``), or None.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Settings:
    ...     steps: int = field(default=60, metadata={"help": "optimizer updates"})
    ...     seed: int = 0
    >>> field_help(Settings, "steps"), field_help(Settings, "seed")
    ('optimizer updates', None)
    """
    for item in dataclasses.fields(cls):
        if item.name == name:
            return item.metadata.get("help") or None
    raise KeyError(f"{cls.__name__} has no field {name!r}")


class Form:
    """Input components keyed by setting name, in the order they were added (the API's parameter order)."""

    def __init__(self, prefix: str, settings: type | None = None):
        #: strings-table prefix: the label of setting ``name`` is ``t(f"{prefix}.{name}")``
        self.prefix = prefix
        #: the dataclass whose fields this form fills (for help texts), if any
        self.settings = settings
        self._components: dict[str, Component] = {}

    def field(self, name: str, component: Callable[..., Component], **props) -> Component:
        """Build ``component(**props)`` for setting ``name``, labelled (and helped) from one place, and keep it."""
        props.setdefault("label", t(f"{self.prefix}.{name}"))
        help_text = field_help(self.settings, name) if self.settings and name in _field_names(self.settings) else None
        if help_text:
            # translated where the strings tables have help.CLASS.FIELD, the field's own English elsewhere
            props.setdefault("info", t_or(f"help.{self.settings.__name__}.{name}", help_text))
        return self.add(name, component(**props))

    def add(self, name: str, component: Component) -> Component:
        """Keep a component built elsewhere (a State, a table) under ``name``."""
        if name in self._components:
            raise ValueError(f"the form already has a {name!r} input")
        self._components[name] = component
        return component

    def __getitem__(self, name: str) -> Component:
        return self._components[name]

    def __contains__(self, name: object) -> bool:
        return name in self._components

    def __iter__(self):
        return iter(self._components)

    def __len__(self) -> int:
        return len(self._components)

    def __or__(self, other: Form) -> Form:
        """Both forms' inputs, this one's first; a name in both is a mistake, not an override."""
        joined = Form(self.prefix, self.settings)
        for form in (self, other):
            for name, component in form._components.items():
                joined.add(name, component)
        return joined

    @property
    def inputs(self) -> dict[str, Component]:
        """``{name: component}`` for Gradio's ``inputs_kwargs=``: the handler gets ``name=value`` keywords."""
        return dict(self._components)

    @property
    def components(self) -> list[Component]:
        """The components in order, e.g. as the ``outputs`` of a handler that returns :meth:`updates`."""
        return list(self._components.values())

    def updates(self, values: Mapping[str, Any]) -> dict[Component, Any]:
        """``{name: value}`` -> ``{component: value}``, the return value Gradio applies to ``outputs``."""
        return {self._components[name]: value for name, value in values.items()}


def field_values(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that name a field of dataclass ``cls``, turned into the field's type.

    Gradio hands numbers over as floats and lists as a typed "a, b" string; the
    type is the field's default's. A whole float becomes an int; a fractional one
    for an int field is passed on as is, so the settings' validation names the field.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Settings:
    ...     steps: int = 60
    ...     modules: list = field(default_factory=list)
    ...     name: str = ""
    >>> field_values(Settings, {"steps": 300.0, "modules": "lm_head, ", "name": " x ", "other": 1})
    {'steps': 300, 'modules': ['lm_head'], 'name': 'x'}
    """
    converted = {}
    for item in dataclasses.fields(cls):
        if item.name in values:
            converted[item.name] = _as_type_of(_default(item), values[item.name])
    return converted


def _field_names(cls: type) -> set[str]:
    return {item.name for item in dataclasses.fields(cls)}


def _default(item: dataclasses.Field) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return None


def _as_type_of(default: Any, value: Any) -> Any:
    if value is None:  # an empty Number or Dropdown: "" means "the default" for text; a number is then missing
        return "" if isinstance(default, str) else None
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else value
    if isinstance(default, float):
        return float(value) if isinstance(value, (int, float)) else value
    if isinstance(default, list):
        items = value.split(",") if isinstance(value, str) else value
        return [str(item).strip() for item in items if str(item).strip()]
    if isinstance(default, str):
        return str(value).strip()
    return value
