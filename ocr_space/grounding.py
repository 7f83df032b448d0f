"""Read the model's grounded output: labelled boxes, clean text, and markdown with figure crops.

The ``grounding`` and ``markdown`` prompts make DeepSeek-OCR write spans like

    <|ref|>title<|/ref|><|det|>[[62, 40, 930, 88]]<|/det|>
    # Annual report

    <|ref|>image<|/ref|><|det|>[[80, 120, 500, 420], [520, 120, 930, 420]]<|/det|>

where the coordinates are ``x1, y1, x2, y2`` on a 0..999 grid of the image's
width and height (pixels = value / 999 * side, as the reference code maps
them). A span's *text* is what the model wrote after it, up to the next span.

Generation is often cut by ``max_new_tokens`` and small models write broken
markup, so parsing never raises: a span with at least one complete box
becomes a :class:`Region`; whatever does not parse (a label without boxes, a
coordinate list cut in half, a stray tag) stays in the text with the tags
removed. Pure functions over strings (and one PIL crop), tested without a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

#: the tags of a grounded span, in the order they appear
REF_OPEN, REF_CLOSE, DET_OPEN, DET_CLOSE = "<|ref|>", "<|/ref|>", "<|det|>", "<|/det|>"
GROUNDING_TAGS = (REF_OPEN, REF_CLOSE, DET_OPEN, DET_CLOSE)
#: the coordinate grid: 0..999 across the image's width (x) and height (y)
GRID_MAX = 999
#: regions with this label are pictures: the markdown shows their crop instead of text
FIGURE_LABEL = "image"

Box = tuple[int, int, int, int]

_TAG = re.compile(r"<\|(/?)(ref|det)\|>")
_NUMBER = r"\s*(-?\d+(?:\.\d+)?)\s*"
# the start of a tag at the very end: output cut inside a tag (possible where tags are not single tokens)
_CUT_TAG = re.compile(r"<\|/?(?:r(?:ef?)?|d(?:et?)?)?(?:(?<=ref|det)\|)?$")
_BOX = re.compile(r"\[" + ",".join([_NUMBER] * 4) + r"\]")
# the reference code's two LaTeX fix-ups for its markdown output
_LATEX_FIXES = (("\\coloneqq", ":="), ("\\eqqcolon", "=:"))


@dataclass(frozen=True)
class Region:
    """One labelled span: its boxes in pixels of the original image and the text written after it.

    >>> Region("title", ((10, 5, 200, 30),), "Annual report").as_dict()["boxes"]
    [[10, 5, 200, 30]]
    """

    label: str
    boxes: tuple[Box, ...]
    text: str = ""

    @property
    def is_figure(self) -> bool:
        return self.label.strip().lower() == FIGURE_LABEL

    def as_dict(self) -> dict:
        return {"label": self.label, "text": self.text, "boxes": [list(box) for box in self.boxes]}


Segment = str | Region


@dataclass(frozen=True)
class GroundedOutput:
    """A decoded output split into text and regions, in the order the model wrote them."""

    segments: tuple[Segment, ...] = field(default_factory=tuple)

    @property
    def regions(self) -> tuple[Region, ...]:
        return tuple(segment for segment in self.segments if isinstance(segment, Region))

    @property
    def text(self) -> str:
        """The text without any markup (spans removed, as the reference code does for non-figure spans)."""
        return _tidy("".join(segment for segment in self.segments if isinstance(segment, str)))

    @property
    def figure_boxes(self) -> list[Box]:
        """Boxes of ``image`` regions, in order: figure ``n`` of :meth:`markdown` is the crop of box ``n``."""
        return [box for region in self.regions if region.is_figure for box in region.boxes]

    def markdown(self, figure_link: Callable[[int], str] = lambda index: f"figures/figure-{index + 1}.png") -> str:
        """The text as markdown with each figure box replaced by ``![](figure_link(n))`` (n counts from 0).

        >>> parse_grounded("<|ref|>image<|/ref|><|det|>[[0, 0, 999, 999]]<|/det|>\\nCaption", 100, 50).markdown()
        '![](figures/figure-1.png)\\n\\nCaption'
        """
        parts, figures = [], 0
        for segment in self.segments:
            if isinstance(segment, str):
                parts.append(segment)
            elif segment.is_figure:
                for _ in segment.boxes:
                    parts.append(f"![]({figure_link(figures)})\n")
                    figures += 1
        markdown = "".join(parts)
        for latex, plain in _LATEX_FIXES:
            markdown = markdown.replace(latex, plain)
        return _tidy(markdown)


def has_grounding(raw: str) -> bool:
    """True when ``raw`` contains any grounding tag (complete or not)."""
    return bool(_TAG.search(raw))


def to_pixels(value: float, side: int) -> int:
    """A 0..999 grid coordinate in pixels of an image side of ``side`` pixels (clamped to the image).

    >>> to_pixels(999, 640), to_pixels(0, 640), to_pixels(500, 480)
    (640, 0, 240)
    """
    value = min(max(float(value), 0.0), float(GRID_MAX))
    return int(value / GRID_MAX * side)


def parse_boxes(payload: str, width: int, height: int) -> list[Box]:
    """Every complete ``[x1, y1, x2, y2]`` in ``payload`` as pixel boxes (corners put in order); the rest is ignored.

    >>> parse_boxes("[[0, 0, 999, 999], [499, 0, 0, 499]", 200, 100)
    [(0, 0, 200, 100), (0, 0, 99, 49)]
    """
    boxes = []
    for match in _BOX.finditer(payload):
        x1, y1, x2, y2 = (float(value) for value in match.groups())
        left, right = sorted((to_pixels(x1, width), to_pixels(x2, width)))
        top, bottom = sorted((to_pixels(y1, height), to_pixels(y2, height)))
        boxes.append((left, top, right, bottom))
    return boxes


def parse_grounded(raw: str, width: int, height: int) -> GroundedOutput:
    """Split the decoded output ``raw`` of an image ``width`` x ``height`` pixels into text and regions.

    >>> out = parse_grounded("<|ref|>title<|/ref|><|det|>[[0, 0, 999, 99]]<|/det|>\\n# Report", 1000, 500)
    >>> out.regions[0]
    Region(label='title', boxes=((0, 0, 1000, 49),), text='# Report')
    >>> out.text
    '# Report'
    >>> parse_grounded("<|ref|>title<|/ref|><|det|>[[0, 0, 9", 100, 100).text  # cut by max_new_tokens
    'title[[0, 0, 9'
    """
    items = _tokens(_CUT_TAG.sub("", raw))
    segments: list[Segment] = []
    index = 0
    while index < len(items):
        kind, value = items[index]
        if kind == "text":
            segments.append(value)
            index += 1
        elif kind == REF_OPEN:
            index = _read_span(items, index, width, height, segments)
        elif kind == DET_OPEN:  # boxes without a label
            payload, index = _read_det(items, index)
            boxes = parse_boxes(payload, width, height)
            segments.append(Region("", tuple(boxes)) if boxes else payload)
        else:  # a closing tag with nothing open: drop the tag
            index += 1
    return GroundedOutput(tuple(_attach_text(segments)))


def crop_figures(image, grounded: GroundedOutput) -> list:
    """The crops (PIL images) of the figure boxes, in the order :meth:`GroundedOutput.markdown` links them.

    Boxes of zero width or height (possible in broken output) give a 1-pixel crop rather than an error.
    """
    crops = []
    for left, top, right, bottom in grounded.figure_boxes:
        crops.append(image.crop((left, top, max(right, left + 1), max(bottom, top + 1))))
    return crops


def _tokens(raw: str) -> list[tuple[str, str]]:
    """``raw`` as ("text", s) and (tag, tag) items."""
    items: list[tuple[str, str]] = []
    position = 0
    for match in _TAG.finditer(raw):
        if match.start() > position:
            items.append(("text", raw[position:match.start()]))
        items.append((match.group(0), match.group(0)))
        position = match.end()
    if position < len(raw):
        items.append(("text", raw[position:]))
    return items


def _read_span(items: list[tuple[str, str]], index: int, width: int, height: int, segments: list[Segment]) -> int:
    """Read ``<|ref|>label<|/ref|>`` (+ its ``<|det|>``) starting at ``index``; returns the next index."""
    after = index + 1
    label = ""
    if after < len(items) and items[after][0] == "text":
        label, after = items[after][1], after + 1
    if after >= len(items) or items[after][0] != REF_CLOSE:
        segments.append(label)  # an unclosed (truncated or nested) ref: its words stay as text
        return after
    after += 1
    det = after
    if det < len(items) and items[det][0] == "text" and not items[det][1].strip():
        det += 1  # whitespace between </ref> and <det>
    if det >= len(items) or items[det][0] != DET_OPEN:
        segments.append(label)  # a label without boxes is just words
        return after
    payload, after = _read_det(items, det)
    boxes = parse_boxes(payload, width, height)
    if boxes:
        segments.append(Region(label.strip(), tuple(boxes)))
    else:
        segments.append(label + payload)
    return after


def _read_det(items: list[tuple[str, str]], index: int) -> tuple[str, int]:
    """The payload of the ``<|det|>`` at ``index`` and the index after its ``<|/det|>`` (or after the payload)."""
    after = index + 1
    payload = ""
    if after < len(items) and items[after][0] == "text":
        payload, after = items[after][1], after + 1
    if after < len(items) and items[after][0] == DET_CLOSE:
        after += 1
    return payload, after


def _attach_text(segments: list[Segment]) -> list[Segment]:
    """Give each region the text written after it, up to the next region."""
    attached: list[Segment] = list(segments)
    for position, segment in enumerate(attached):
        if isinstance(segment, Region):
            following = []
            for later in attached[position + 1:]:
                if isinstance(later, Region):
                    break
                following.append(later)
            attached[position] = Region(segment.label, segment.boxes, _tidy("".join(following)))
    return attached


def _tidy(text: str) -> str:
    """Blank lines left where spans were removed collapse to one; no leading/trailing whitespace."""
    return re.sub(r"\n{3,}", "\n\n", text).strip()
