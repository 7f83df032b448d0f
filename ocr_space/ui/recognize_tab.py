"""The Recognize tab: images and PDFs in; text streamed as it is read, boxes, rendered markdown, downloads out.

Every page (an image, or a page of a PDF) is read with
:func:`ocr_space.streaming.recognize_stream`, so the text grows token by
token and the Stop button ends the page being read (what was read is kept).
Each finished page adds a row to the results table; the page shown has its
regions drawn on it (``gr.AnnotatedImage``), its markdown rendered beside the
plain text, and a line with its time, tokens and the resolution mode used (and
why that one). At the end the downloads hold a ``.txt``, ``.md`` and ``.json``
per file (:mod:`ocr_space.document_outputs`) and a ``.zip`` of all of it.
"""

from __future__ import annotations

import base64
import io
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ocr_space.config import LIMITS
from ocr_space.document_outputs import write_documents
from ocr_space.documents import is_pdf, page_ranges
from ocr_space.errors import OcrSpaceError
from ocr_space.images import load_image
from ocr_space.models.cache import MODELS
from ocr_space.recognize import PROMPTS, Recognition, read_pages, reading_mode
from ocr_space.streaming import recognize_stream
from ocr_space.ui.access import using_gpu, visitor
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.form import Form
from ocr_space.ui.image_input import ImagePath
from ocr_space.ui.model_field import default_model, follow_model, mode_choices, model_choices
from ocr_space.ui.strings import t
from ocr_space.zerogpu import gpu_seconds, on_gpu

#: the mode dropdown's "no choice": the adapter's training mode, else the family's default mode
DEFAULT_MODE = "default"
COLUMNS = ("file", "page", "seconds", "new_tokens", "characters", "regions", "mode", "error")
#: how gr.Markdown finds LaTeX in the model's markdown (it writes \( \) and \[ \] as well as dollars)
LATEX_DELIMITERS = [{"left": "$$", "right": "$$", "display": True}, {"left": "\\[", "right": "\\]", "display": True},
                    {"left": "$", "right": "$", "display": False}, {"left": "\\(", "right": "\\)", "display": False}]

# one stop switch per browser session: the Stop button's event sets the one its session's reading watches
_STOPS: dict[str, threading.Event] = {}
_STOPS_LOCK = threading.Lock()


@dataclass
class PageView:
    """What the tab shows for one read page (kept in the session's state to switch pages)."""

    label: str
    image_path: str
    boxes: list[tuple[tuple[int, int, int, int], str]]
    text: str
    markdown: str
    details: str


@dataclass
class Reading:
    """One click's progress: pages shown, table rows, results per file (for the downloads)."""

    views: list[PageView] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    documents: dict[str, list[Recognition]] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=[t(f"recognize.column.{name}") for name in COLUMNS], dtype=object)

    def page_choices(self, selected: str | None = None):
        labels = [view.label for view in self.views]
        return gr.update(choices=labels, value=selected or (labels[-1] if labels else None))


def request_stop(request: gr.Request) -> None:
    """Handler of the Stop button: end the page being read in this session; pages after it are not started."""
    with _STOPS_LOCK:
        event = _STOPS.get(_session(request))
    if event is not None:
        event.set()


@shows_errors
@on_gpu(lambda *special, **values: gpu_seconds(  # ZeroGPU only; else a no-op
    values.get("mode"), lines=len(values.get("files") or []) + (values.get("image") is not None)))
def run_recognize(request: gr.Request, profile: gr.OAuthProfile | None = None,
                  oauth_token: gr.OAuthToken | None = None, progress=gr.Progress(), **values):
    """Handler (streaming): read every page of every file, yielding the growing text and each finished page.

    The model is held (never evicted) and the GPU is this request's from the first page to the last; on a
    public app the model and adapter must be Hub ids or the visitor's own folders, and Hub reads carry the
    visitor's rights (:mod:`ocr_space.ui.access`).
    """
    sources = _sources(values["files"], values["image"])
    if not sources:
        raise gr.Error(t("error.no_image"), print_exception=False)
    page_ranges(values["pages"])  # a malformed range is refused before the model loads
    person = visitor(request, profile, oauth_token)
    model, adapter = person.workspace.reference(values["model"]), person.workspace.reference(values["adapter"] or "")
    # Gradio runs each step of this generator in a fresh copy of its context, so the visitor's Hub rights hold
    # for the first step only: that is where the model (and adapter) load, the one Hub read of a reading
    with person.reading_hub(), using_gpu("recognize", progress), MODELS.use(model, adapter or None) as loaded:
        yield from _read_sources(request, loaded, sources, values)


def _read_sources(request: gr.Request, loaded, sources: list[tuple[str, Any]], values: dict):
    chosen = None if values["mode"] in (None, "", DEFAULT_MODE) else values["mode"]
    mode = reading_mode(loaded, chosen)
    about = _about(loaded, mode, chosen)

    reading, failed, pages = Reading(), [], []
    for label, source in sources:
        try:
            # an image is checked from its header against the owner's size limit before any pixel is decoded,
            # and read on white if transparent (the CLI's load_image and messages)
            source = source if is_pdf(source) else load_image(source, max_pixels=LIMITS.max_pixels)
            pages.extend((label, page) for page in read_pages(loaded, source, mode, values["pages"] or None))
            reading.documents[label] = []
        except OcrSpaceError as exc:
            failed.append(label)
            reading.rows.append([Path(label).name, None, None, None, None, None, mode, str(exc)])
    if failed and not pages:  # nothing readable: the reason, as the CLI gives it, is the answer
        raise gr.Error(" ".join(row[-1] for row in reading.rows), print_exception=False)
    if failed:
        gr.Warning(t("recognize.failed_files", files=", ".join(Path(label).name for label in failed)))
    workdir = Path(tempfile.mkdtemp(prefix="ocr-space-recognize-"))
    stop = _new_stop(request)
    try:
        for index, (label, page) in enumerate(pages, start=1):
            if stop.is_set():
                break
            page_label = _page_label(label, page.page)
            for update in recognize_stream(loaded, page, prompt=values["prompt"],
                                           max_new_tokens=int(values["max_new_tokens"]), mode=mode, stop=stop):
                if update.done:
                    result = update.result
                    break
                yield (update.text, update.text, gr.skip(),
                       t("recognize.streaming", label=page_label, index=index, total=len(pages),
                         tokens=update.new_tokens),
                       gr.skip(), gr.skip(), gr.skip(), gr.skip())
            reading.documents[label].append(result)
            view = _page_view(result, page_label, about, workdir / f"page-{index}.png")
            reading.views.append(view)
            reading.rows.append([Path(label).name, result.page, round(result.seconds, 2), result.new_tokens,
                                 len(result.text), len(result.regions), result.mode, None])
            yield _show(view) + (reading.table(), gr.skip(), reading.page_choices(view.label), reading.views)
        documents = [(label, results) for label, results in reading.documents.items() if results]
        downloads = [str(path) for path in write_documents(documents, workdir / "results")] if documents else None
        last = reading.views[-1] if reading.views else None
        details = last.details if last else ""
        if stop.is_set():
            details = t("recognize.stopped", done=len(reading.views), total=len(pages)) + "\n\n" + details
        yield ((last.text if last else ""), (last.markdown if last else ""),
               (_annotated(last) if last else None), details, reading.table(), downloads,
               reading.page_choices(last.label if last else None), reading.views)
    finally:
        _drop_stop(request, stop)


def show_page(label: str, views: list[PageView]):
    """Handler of the page picker: show that page's boxes, text, markdown and details."""
    for view in views or []:
        if view.label == label:
            return _show(view)
    return gr.skip(), gr.skip(), gr.skip(), gr.skip()


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("recognize.tab"), id="recognize"):
        form = Form("recognize")  # the order is the API's ("/recognize") parameter order
        with gr.Row():
            with gr.Column(scale=2):
                form.field("files", gr.File, file_count="multiple", file_types=["image", ".pdf"],
                           elem_id="recognize-files")
                form.field("image", ImagePath, type="filepath", sources=["upload", "clipboard", "webcam"],
                           height=200, elem_id="recognize-image")
                model = form.field("model", gr.Dropdown, choices=model_choices(), value=default_model(),
                                   allow_custom_value=True, elem_id="recognize-model")
                form.field("adapter", gr.Textbox)
                with gr.Row():
                    form.field("prompt", gr.Dropdown, choices=list(PROMPTS), value="ocr", allow_custom_value=True)
                    mode = form.field("mode", gr.Dropdown, choices=mode_choices(model.value, DEFAULT_MODE),
                                      value=DEFAULT_MODE, info=t("recognize.mode_info"))
                with gr.Row():
                    form.field("pages", gr.Textbox, placeholder="1-3,5")
                    form.field("max_new_tokens", gr.Slider, minimum=8, maximum=4096, value=512, step=8)
                with gr.Row():
                    run = gr.Button(t("recognize.run"), variant="primary")
                    stop = gr.Button(t("recognize.stop"), variant="stop", elem_id="recognize-stop")
            with gr.Column(scale=3):
                details = gr.Markdown(label=t("recognize.stats"), elem_id="recognize-details")
                page = gr.Dropdown(label=t("recognize.page"), choices=[], elem_id="recognize-page")
                boxes = gr.AnnotatedImage(label=t("recognize.boxes"), elem_id="recognize-boxes", height=420)
                with gr.Row():
                    markdown = gr.Markdown(label=t("recognize.markdown"), latex_delimiters=LATEX_DELIMITERS,
                                           elem_id="recognize-markdown", container=True, min_height=120)
                    text = gr.Textbox(label=t("recognize.text"), lines=12, buttons=["copy"],
                                      elem_id="recognize-text")
        results = gr.Dataframe(label=t("recognize.results"), interactive=False, elem_id="recognize-results")
        downloads = gr.File(label=t("recognize.downloads"), file_count="multiple", interactive=False,
                            elem_id="recognize-downloads")
        views = gr.State([])
        model.change(lambda name, current: follow_model(name, current, DEFAULT_MODE), inputs=[model, mode],
                     outputs=mode, show_progress="hidden")
        run.click(run_recognize, inputs_kwargs=form.inputs,
                  outputs=[text, markdown, boxes, details, results, downloads, page, views], api_name="recognize",
                  concurrency_id="gpu")
        stop.click(request_stop, inputs=None, outputs=None, queue=False, api_name="recognize_stop")
        page.input(show_page, inputs=[page, views], outputs=[text, markdown, boxes, details], show_progress="hidden")


def _sources(files, image) -> list[tuple[str, Any]]:
    """(label, input) for each uploaded file, then the pasted/webcam image."""
    sources = []
    for file in files or []:
        path = file if isinstance(file, str) else getattr(file, "name", None) or str(file)
        sources.append((str(path), str(path)))
    if image is not None:
        sources.append(("image.png", image))
    return sources


def _page_label(source: str, page: int | None) -> str:
    name = Path(source).name
    return f"{name} · page {page}" if page else name


def _about(loaded, mode: str, chosen: str | None) -> dict:
    info = loaded.describe()
    if chosen:
        source = t("recognize.mode_chosen")
    elif loaded.adapter_mode == mode:
        source = t("recognize.mode_adapter")
    else:
        source = t("recognize.mode_default")
    return {"mode_source": source, "family": info["family"], "device": info["device"], "dtype": info["dtype"],
            "adapter": info["adapter"]}


def _page_view(result: Recognition, label: str, about: dict, image_path: Path) -> PageView:
    result.image.save(image_path)
    details = t("recognize.details_page", label=label) + t(
        "recognize.details", seconds=f"{result.seconds:.2f}", tokens=result.new_tokens, mode=result.mode,
        mode_source=about["mode_source"], family=about["family"], device=about["device"], dtype=about["dtype"])
    if about["adapter"]:
        details += t("recognize.details_adapter", adapter=about["adapter"])
    figures = result.figures
    markdown = result.render_markdown(lambda name: _data_uri(figures[name]))
    boxes = [(box, region.label or "region") for region in result.regions for box in region.boxes]
    return PageView(label=label, image_path=str(image_path), boxes=boxes, text=result.text, markdown=markdown,
                    details=details)


def _annotated(view: PageView):
    return view.image_path, view.boxes


def _show(view: PageView) -> tuple:
    return view.text, view.markdown, _annotated(view), view.details


def _data_uri(image) -> str:
    """A figure crop inlined in the markdown (the browser cannot reach files next to a .md on the server)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _session(request: gr.Request | None) -> str:
    """The browser session's key for its stop switch ("" when called from Python, without a request)."""
    return getattr(request, "session_hash", None) or ""


def _new_stop(request: gr.Request) -> threading.Event:
    event = threading.Event()
    with _STOPS_LOCK:
        _STOPS[_session(request)] = event
    return event


def _drop_stop(request: gr.Request, event: threading.Event) -> None:
    event.set()  # a reading abandoned mid-page (the browser left) ends its generation too
    with _STOPS_LOCK:
        if _STOPS.get(_session(request)) is event:
            del _STOPS[_session(request)]
