"""The OCR engines a comparison can run on the same lines: our models and two classic baselines.

- :class:`ModelEngine`: a model folder or Hub id, optionally with a LoRA
  adapter (``M``, ``M+A``; a merged model is just another folder), read with
  :func:`ocr_space.recognize.recognize_batch` (one ``generate`` per batch).
- :class:`LoadedModelEngine`: a model already in memory (training's before/after).
- :class:`TesseractEngine`: Tesseract with ``chi_sim`` through pytesseract.
- :class:`RapidOcrEngine`: RapidOCR with the PP-OCR ONNX models its wheel ships.

An engine that cannot run here (not installed, no language data, a model that
does not load) says why in :meth:`Engine.unavailable_reason` or raises an
:class:`~ocr_space.errors.OcrSpaceError` from :meth:`Engine.open`; the
comparison then lists it as unavailable with that reason instead of failing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_space.errors import ConfigError

CLASSIC_ENGINES = ("tesseract", "rapidocr")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class Reading:
    """One line's text; ``new_tokens`` only for engines that generate tokens."""

    text: str
    seconds: float
    new_tokens: int | None = None


class Engine:
    """Reads batches of PIL images. Subclasses set ``kind`` and implement :meth:`read`."""

    kind = "engine"
    batch_size = 8
    #: how many lines this engine reads in the current run, batch by batch (set by the runner before reading)
    lines_in_job = 0

    def __init__(self, name: str):
        self.name = name

    def unavailable_reason(self) -> str | None:
        """Why this engine cannot run here (missing package, program or data), or None."""
        return None

    def open(self) -> None:
        """Load whatever the engine needs; called once before the first :meth:`read`."""

    def read(self, images: Sequence[Any]) -> list[Reading]:
        raise NotImplementedError

    def close(self) -> None:
        """Release memory (a 3B model) before the next engine opens."""

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind}


class ModelEngine(Engine):
    """A model (+ optional LoRA adapter), loaded on :meth:`open` through ``loader`` (default ``load_model``).

    >>> ModelEngine("tuned", "deepseek-community/DeepSeek-OCR-2", adapter="runs/x/adapter")  # doctest: +SKIP
    """

    kind = "model"

    def __init__(self, name: str, model: str, adapter: str | None = None, *, device: str = "auto",
                 dtype: Any = "auto", mode: str | None = None, prompt: str = "ocr", max_new_tokens: int = 512,
                 batch_size: int = 8, loader: Callable | None = None):
        super().__init__(name)
        if batch_size < 1 or max_new_tokens < 1:
            raise ConfigError("batch_size and max_new_tokens must be at least 1.")
        self.model, self.adapter = model, adapter or None
        self.device, self.dtype, self.mode, self.prompt = device, dtype, mode, prompt
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.loader = loader
        self.loaded = None

    def open(self) -> None:
        if self.loaded is None:
            from ocr_space.distributed import process_device
            from ocr_space.models.loading import load_model

            loader = self.loader or load_model
            # under a multi-process launch each process reads on its own GPU
            self.loaded = loader(self.model, self.adapter, device=process_device(self.device), dtype=self.dtype)

    def read(self, images: Sequence[Any]) -> list[Reading]:
        from ocr_space.recognize import recognize_batch

        # the run's size decides whether full batches take the compiled decode (ocr_space.fast_generate)
        results = recognize_batch(self.loaded, images, prompt=self.prompt, max_new_tokens=self.max_new_tokens,
                                  mode=self.mode, batch_size=self.batch_size, pages_in_job=self.lines_in_job)
        return [Reading(r.text, r.seconds, r.new_tokens) for r in results]

    def close(self) -> None:
        self.loaded = None

    def describe(self) -> dict:
        from ocr_space.recognize import reading_mode

        mode = reading_mode(self.loaded, self.mode) if self.loaded is not None else self.mode
        info = {**super().describe(), "model": self.model, "adapter": self.adapter, "mode": mode,
                "prompt": self.prompt, "max_new_tokens": self.max_new_tokens, "batch_size": self.batch_size}
        if self.loaded is not None:
            info.update(device=self.loaded.device, dtype=self.loaded.describe()["dtype"],
                        family=self.loaded.family.name)
        return info


class LoadedModelEngine(ModelEngine):
    """A model that is already loaded (e.g. the one being trained); :meth:`close` leaves it alone.

    >>> LoadedModelEngine("before", loaded, max_new_tokens=128)  # doctest: +SKIP
    """

    def __init__(self, name: str, loaded, **options):
        super().__init__(name, loaded.source, loaded.adapter, **options)
        self.loaded = loaded

    def close(self) -> None:
        """The caller owns the model."""


class TesseractEngine(Engine):
    """Tesseract (``lang``, default ``chi_sim``) via pytesseract; ``psm`` 7 = "one text line"."""

    kind = "tesseract"

    def __init__(self, name: str = "tesseract", lang: str = "chi_sim", psm: int = 7):
        super().__init__(name)
        self.lang, self.psm = lang, psm

    def unavailable_reason(self) -> str | None:
        try:
            import pytesseract
        except ImportError:
            return "the pytesseract package is not installed (pip install pytesseract)"
        try:
            version = pytesseract.get_tesseract_version()
        except pytesseract.TesseractNotFoundError:
            return "the tesseract program is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
        if self.lang not in pytesseract.get_languages():
            return f"Tesseract {version} has no {self.lang!r} language data (apt-get install tesseract-ocr-chi-sim)"
        return None

    def read(self, images: Sequence[Any]) -> list[Reading]:
        import pytesseract

        readings = []
        for image in images:
            started = time.perf_counter()
            text = pytesseract.image_to_string(image, lang=self.lang, config=f"--psm {self.psm}")
            readings.append(Reading(text.strip(), time.perf_counter() - started))
        return readings

    def describe(self) -> dict:
        info = {**super().describe(), "lang": self.lang, "psm": self.psm}
        try:
            import pytesseract

            info["version"] = str(pytesseract.get_tesseract_version())
        except Exception:  # noqa: BLE001 - the description must not fail where the engine is unavailable
            pass
        return info


class RapidOcrEngine(Engine):
    """RapidOCR (detection + recognition) on onnxruntime, with the models bundled in its wheel.

    The model paths are given explicitly, so RapidOCR never tries to download
    anything; boxes found on one line are joined with a space, which the
    default ``cjk`` whitespace rule drops between Chinese characters.
    """

    kind = "rapidocr"
    MODEL_FILES = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
                   "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}

    def __init__(self, name: str = "rapidocr"):
        super().__init__(name)
        self._ocr = None

    @staticmethod
    def _models_dir() -> Path | None:
        import importlib.util

        spec = importlib.util.find_spec("rapidocr")
        return Path(spec.origin).parent / "models" if spec and spec.origin else None

    def unavailable_reason(self) -> str | None:
        import importlib.util

        for package in ("rapidocr", "onnxruntime"):
            if importlib.util.find_spec(package) is None:
                return f"the {package} package is not installed (pip install rapidocr onnxruntime)"
        missing = [f for f in self.MODEL_FILES.values() if not (self._models_dir() / f).is_file()]
        if missing:
            return (f"this rapidocr install lacks its bundled models ({', '.join(missing)}); install the pinned "
                    "rapidocr wheel, which ships them (downloading them at run time is not attempted)")
        return None

    def open(self) -> None:
        if self._ocr is None:
            from rapidocr import RapidOCR

            params = {f"{stage}.model_path": str(self._models_dir() / file) for stage, file in self.MODEL_FILES.items()}
            self._ocr = RapidOCR(params={**params, "Global.log_level": "warning"})

    def read(self, images: Sequence[Any]) -> list[Reading]:
        readings = []
        for image in images:
            started = time.perf_counter()
            result = self._ocr(image)
            text = " ".join(result.txts) if result.txts else ""
            readings.append(Reading(text, time.perf_counter() - started))
        return readings

    def close(self) -> None:
        self._ocr = None

    def describe(self) -> dict:
        from importlib.metadata import PackageNotFoundError, version

        info = {**super().describe(), "models": list(self.MODEL_FILES.values())}
        try:
            info["version"] = version("rapidocr")
        except PackageNotFoundError:
            pass
        return info


def engine_from_spec(spec: str, **model_options) -> Engine:
    """Parse ``[label=]tesseract``, ``[label=]rapidocr`` or ``[label=]MODEL[+ADAPTER]``.

    ``model_options`` (device, dtype, mode, max_new_tokens, batch_size, loader)
    go to model engines. A model path that exists is never split at ``+``.

    >>> engine_from_spec("tuned=/models/base+/runs/1/adapter").adapter
    '/runs/1/adapter'
    """
    spec = spec.strip()
    label, value = None, spec
    head, sep, tail = spec.partition("=")
    if sep and _LABEL.match(head) and not Path(spec).exists():
        label, value = head, tail.strip()
    if not value:
        raise ConfigError(f"Engine {spec!r} names no model or engine; use e.g. base=MODEL, tuned=MODEL+ADAPTER, "
                          "tesseract or rapidocr.")
    if value.lower() == "tesseract":
        return TesseractEngine(label or "tesseract")
    if value.lower() == "rapidocr":
        return RapidOcrEngine(label or "rapidocr")
    model, adapter = value, None
    if "+" in value and not Path(value).exists():
        model, _, adapter = value.partition("+")
        model, adapter = model.strip(), adapter.strip() or None
    name = label or (Path(model).name + (f"+{Path(adapter).name}" if adapter else ""))
    return ModelEngine(name, model, adapter, **model_options)


def check_unique_names(engines: Sequence[Engine]) -> None:
    """Engine names label report columns, so they must differ."""
    names = [engine.name for engine in engines]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"Engine name(s) used twice: {', '.join(duplicates)}; label them, e.g. base=M tuned=M+A.")


def classic_engine_status() -> dict[str, str | None]:
    """``{"tesseract": reason or None, "rapidocr": reason or None}`` for the UI's availability line."""
    return {"tesseract": TesseractEngine().unavailable_reason(), "rapidocr": RapidOcrEngine().unavailable_reason()}
