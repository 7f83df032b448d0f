"""Assemble the app from its tabs (LLaMA-Factory's interface.py idea)."""

from __future__ import annotations

import gradio as gr

from ocr_space.ui import compare_tab, dataset_tab, finetune_tab, recognize_tab, share_tab
from ocr_space.ui.strings import t

TABS = [recognize_tab, dataset_tab, finetune_tab, compare_tab, share_tab]


def build_app() -> gr.Blocks:
    """The whole UI as a Blocks object; ``app.py`` launches it, tests launch it on a free port."""
    with gr.Blocks(title="ocr-space") as demo:
        gr.Markdown(t("title"))
        with gr.Tabs():
            for tab in TABS:
                tab.build()
    return demo
