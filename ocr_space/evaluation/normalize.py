"""One documented text normalisation, applied to references and hypotheses alike before scoring.

OCR engines disagree on things a reader does not care about: full-width vs
half-width digits, ``，`` vs ``,``, and (Tesseract's ``chi_sim`` above all)
spaces between Chinese characters. Each fold is a switch, and the settings are
written into every report so a number can always be traced to its rules.

Order of the steps: NFKC -> width folding -> punctuation folding -> whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from ocr_space.errors import ConfigError

WHITESPACE_MODES = ("keep", "collapse", "cjk", "remove")

#: Han ideographs (basic, extension A, compatibility, supplementary planes), kana,
#: CJK symbols and punctuation, full-width forms: scripts written without spaces.
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_WHITESPACE_RUN = re.compile(r"\s+")

#: CJK punctuation -> its ASCII counterpart (applied after width folding, which already maps ，：；！？ etc.).
PUNCTUATION_FOLDS: dict[str, str] = {
    "。": ".", "｡": ".", "、": ",", "，": ",", "；": ";", "：": ":", "？": "?", "！": "!",
    "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "〝": '"', "〞": '"',
    "‘": "'", "’": "'", "‚": "'",
    "（": "(", "）": ")", "【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]",
    "《": "<", "》": ">", "〈": "<", "〉": ">",
    "—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "－": "-", "～": "~", "〜": "~",
    "…": "...", "⋯": "...", "·": ".", "・": ".",
}
_PUNCTUATION_TABLE = str.maketrans(PUNCTUATION_FOLDS)


@dataclass(frozen=True)
class Normalization:
    """Which folds to apply before comparing texts.

    - ``nfkc``: Unicode NFKC (compatibility forms: full-width ASCII, ligatures, circled digits, ...).
    - ``fold_width``: only the full-width/half-width pairs (``２`` -> ``2``, ``ｶ`` -> ``カ``,
      ideographic space -> space); a subset of NFKC, useful when NFKC is off.
    - ``fold_punctuation``: CJK punctuation to ASCII (``。`` -> ``.``, ``、`` -> ``,``, ``「`` -> ``"``).
    - ``whitespace``: ``keep`` (as is), ``collapse`` (strip, runs -> one space), ``cjk`` (collapse, then
      drop spaces touching a CJK character: Chinese has no spaces, Latin words keep theirs),
      ``remove`` (drop all whitespace).

    >>> normalize("发票 号码：２０２４", Normalization())
    '发票号码:2024'
    """

    nfkc: bool = field(default=True, metadata={
        "help": "Unicode NFKC: compatibility forms (full-width ASCII, ligatures, circled digits) to plain ones"})
    fold_width: bool = field(default=True, metadata={
        "help": "full-width/half-width pairs only (２ -> 2, ｶ -> カ, ideographic space -> space)"})
    fold_punctuation: bool = field(default=False, metadata={"help": "CJK punctuation to ASCII (。 -> ., 、 -> ,)"})
    whitespace: str = field(default="cjk", metadata={
        "help": "keep (as is), collapse (strip, runs -> one space), cjk (collapse, then drop spaces touching a CJK "
                "character), remove (drop all whitespace)"})

    def __post_init__(self):
        if self.whitespace not in WHITESPACE_MODES:
            raise ConfigError(f"whitespace must be one of {', '.join(WHITESPACE_MODES)}; got {self.whitespace!r}.")

    @classmethod
    def off(cls) -> Normalization:
        """Compare texts exactly as given."""
        return cls(nfkc=False, fold_width=False, fold_punctuation=False, whitespace="keep")

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_NORMALIZATION = Normalization()


def normalize(text: str, settings: Normalization = DEFAULT_NORMALIZATION) -> str:
    """``text`` with the folds of ``settings`` applied (see :class:`Normalization`).

    >>> normalize("Ｈｅｌｌｏ，世界 。", Normalization(fold_punctuation=True))
    'Hello,世界.'
    """
    if settings.nfkc:
        text = unicodedata.normalize("NFKC", text)
    if settings.fold_width:
        text = "".join(_fold_width(char) for char in text)
    if settings.fold_punctuation:
        text = text.translate(_PUNCTUATION_TABLE)
    if settings.whitespace == "remove":
        return _WHITESPACE_RUN.sub("", text)
    if settings.whitespace in ("collapse", "cjk"):
        text = _WHITESPACE_RUN.sub(" ", text).strip()
    if settings.whitespace == "cjk":
        text = _SPACE_NEXT_TO_CJK.sub("", text)
    return text


def _fold_width(char: str) -> str:
    """The character a ``<wide>`` or ``<narrow>`` compatibility mapping points to, else ``char``."""
    decomposition = unicodedata.decomposition(char)
    if decomposition.startswith(("<wide>", "<narrow>")):
        return chr(int(decomposition.split()[1], 16))
    return char
