"""The Recognize tab: one image in, text, time and token count out."""

from __future__ import annotations

import gradio as gr

from ocr_space.models.cache import MODELS
from ocr_space.models.registry import default_model, families, model_choices
from ocr_space.recognize import PROMPTS, recognize
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.strings import t

#: every family's modes; a mode the chosen model's family lacks is refused with the list of its modes
MODE_CHOICES = ["default"] + list(dict.fromkeys(mode for family in families().values()
                                                for mode in family.resolution_modes))


@shows_errors
def run_recognize(image, model: str, adapter: str, prompt: str, mode: str, max_new_tokens: float,
                  progress=gr.Progress()):
    """Handler: load (cached) and read the image; returns (text, details markdown)."""
    if image is None:
        raise gr.Error(t("error.no_image"), print_exception=False)
    progress(0.1, desc=t("recognize.loading"))
    loaded = MODELS.get(model, adapter or None)
    progress(0.5, desc=t("recognize.reading"))
    result = recognize(loaded, image, prompt=prompt, max_new_tokens=int(max_new_tokens),
                       mode=None if mode == "default" else mode)
    info = loaded.describe()
    details = (f"**{result.seconds:.2f} s**, **{result.new_tokens}** new tokens · {info['family']} on "
               f"{info['device']} ({info['dtype']})" + (f" · adapter `{info['adapter']}`" if info["adapter"] else ""))
    return result.text, details


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("recognize.tab"), id="recognize"):
        with gr.Row():
            with gr.Column():
                image = gr.Image(label=t("recognize.image"), type="pil", sources=["upload", "clipboard", "webcam"])
                model = gr.Dropdown(label=t("recognize.model"), choices=model_choices(), value=default_model(),
                                    allow_custom_value=True, elem_id="recognize-model")
                adapter = gr.Textbox(label=t("recognize.adapter"))
                with gr.Row():
                    prompt = gr.Dropdown(label=t("recognize.prompt"), choices=list(PROMPTS), value="ocr",
                                         allow_custom_value=True)
                    mode = gr.Dropdown(label=t("recognize.mode"), choices=MODE_CHOICES, value="default")
                max_tokens = gr.Slider(label=t("recognize.max_tokens"), minimum=8, maximum=4096, value=512, step=8)
                run = gr.Button(t("recognize.run"), variant="primary")
            with gr.Column():
                text = gr.Textbox(label=t("recognize.text"), lines=12, buttons=["copy"], elem_id="recognize-text")
                details = gr.Markdown(label=t("recognize.stats"), elem_id="recognize-details")
        run.click(run_recognize, inputs=[image, model, adapter, prompt, mode, max_tokens], outputs=[text, details],
                  api_name="recognize")
