"""Assemble the app from its tabs (LLaMA-Factory's interface.py idea)."""

from __future__ import annotations

import functools

import gradio as gr

from ocr_space.ui import compare_tab, dataset_tab, finetune_tab, notices, recognize_tab, share_tab
from ocr_space.ui.strings import I18N, static_text, t

TABS = [recognize_tab, dataset_tab, finetune_tab, compare_tab, share_tab]


def build_app() -> gr.Blocks:
    """The whole UI as a Blocks object; ``app.py`` launches it, tests launch it on a free port.

    Labels are built as keys of Gradio's i18n (the browser's language picks English or
    Simplified Chinese); ``launch()`` gets the tables without being asked (``i18n=``).
    """
    with static_text(), gr.Blocks(title="ocr-space") as demo:
        gr.Markdown(t("title"))
        notices.build()
        with gr.Tabs():
            for tab in TABS:
                tab.build()
    demo.launch = functools.partial(demo.launch, i18n=I18N)  # a caller's own i18n= still wins
    return demo
