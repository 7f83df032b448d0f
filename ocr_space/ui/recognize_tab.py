"""The Recognize tab: one image in, text, time and token count out."""

from __future__ import annotations

import gradio as gr

from ocr_space.config import LIMITS
from ocr_space.images import load_image
from ocr_space.models.cache import MODELS
from ocr_space.recognize import PROMPTS, recognize
from ocr_space.ui.access import using_gpu, visitor
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.form import Form
from ocr_space.ui.image_input import ImagePath
from ocr_space.ui.model_field import default_model, follow_model, mode_choices, model_choices
from ocr_space.ui.strings import t
from ocr_space.zerogpu import gpu_seconds, on_gpu

#: the mode dropdown's "no choice": the family's default mode
DEFAULT_MODE = "default"


@shows_errors
@on_gpu(lambda *special, **values: gpu_seconds(values.get("mode"), lines=1))  # ZeroGPU only; else a no-op
def run_recognize(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                  oauth_token: gr.OAuthToken | None = None, **values):
    """Handler: load (cached) and read the image; returns (text, details markdown)."""
    if values["image"] is None:
        raise gr.Error(t("error.no_image"), print_exception=False)
    # the upload arrives as a file path: load_image checks its size from the header before decoding, reads
    # transparency on white, and gives the CLI's messages for corrupt or huge files
    image = load_image(values["image"], max_pixels=LIMITS.max_pixels)
    person = visitor(request, profile, oauth_token)
    model, adapter = person.workspace.reference(values["model"]), person.workspace.reference(values["adapter"] or "")
    progress(0.1, desc=t("recognize.loading"))
    with person.reading_hub(), using_gpu("recognize", progress), MODELS.use(model, adapter or None) as loaded:
        progress(0.5, desc=t("recognize.reading"))
        mode = values["mode"]
        result = recognize(loaded, image, prompt=values["prompt"], max_new_tokens=int(values["max_new_tokens"]),
                           mode=None if mode == DEFAULT_MODE else mode)
    info = loaded.describe()
    details = t("recognize.details", seconds=f"{result.seconds:.2f}", tokens=result.new_tokens,
                family=info["family"], device=info["device"], dtype=info["dtype"])
    if info["adapter"]:
        details += t("recognize.details_adapter", adapter=info["adapter"])
    return result.text, details


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("recognize.tab"), id="recognize"):
        form = Form("recognize")  # the order is the API's ("/recognize") parameter order
        with gr.Row():
            with gr.Column():
                form.field("image", ImagePath, type="filepath", sources=["upload", "clipboard", "webcam"])
                model = form.field("model", gr.Dropdown, choices=model_choices(), value=default_model(),
                                   allow_custom_value=True, elem_id="recognize-model")
                form.field("adapter", gr.Textbox)
                with gr.Row():
                    form.field("prompt", gr.Dropdown, choices=list(PROMPTS), value="ocr", allow_custom_value=True)
                    mode = form.field("mode", gr.Dropdown, choices=mode_choices(model.value, DEFAULT_MODE),
                                      value=DEFAULT_MODE)
                form.field("max_new_tokens", gr.Slider, minimum=8, maximum=4096, value=512, step=8)
                run = gr.Button(t("recognize.run"), variant="primary")
            with gr.Column():
                text = gr.Textbox(label=t("recognize.text"), lines=12, buttons=["copy"], elem_id="recognize-text")
                details = gr.Markdown(label=t("recognize.stats"), elem_id="recognize-details")
        model.change(lambda name, current: follow_model(name, current, DEFAULT_MODE), inputs=[model, mode],
                     outputs=mode, show_progress="hidden")
        run.click(run_recognize, inputs_kwargs=form.inputs, outputs=[text, details], api_name="recognize",
                  concurrency_id="gpu")
