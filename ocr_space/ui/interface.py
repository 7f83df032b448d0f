"""Assemble the app from its tabs (LLaMA-Factory's interface.py idea)."""

from __future__ import annotations

import functools

import gradio as gr

from ocr_space.config import LIMITS, on_space, public_mode
from ocr_space.ui import compare_tab, dataset_tab, finetune_tab, notices, recognize_tab, share_tab
from ocr_space.ui.access import visitor
from ocr_space.ui.strings import I18N, static_text, t
from ocr_space.workspace import clean_temp_folders

TABS = [recognize_tab, dataset_tab, finetune_tab, compare_tab, share_tab]


def role_note(request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> str:
    """Page load: in public mode, what this visitor may do and why some buttons are off (empty locally)."""
    return visitor(request, profile).role_note()


def build_app() -> gr.Blocks:
    """The whole UI as a Blocks object; ``app.py`` launches it, tests launch it on a free port.

    Labels are built as keys of Gradio's i18n (the browser's language picks English or
    Simplified Chinese); ``launch()`` gets the tables without being asked (``i18n=``).
    """
    clean_temp_folders(LIMITS.temp_max_age_hours)
    age = int(LIMITS.temp_max_age_hours * 3600)
    # in public mode Gradio's own upload cache is swept too (every hour, files older than the limit)
    with static_text(), gr.Blocks(title="ocr-space", delete_cache=(3600, age) if public_mode() else None) as demo:
        gr.Markdown(t("title"))
        if on_space():  # OAuth exists only on a Space (hf_oauth: true in the README metadata)
            gr.LoginButton()
        notices.build()  # work lost on restart, a GPU torch cannot use: above every tab
        role = gr.Markdown()  # public mode: who the visitor is and what they may do (filled on page load)
        with gr.Tabs():
            for tab in TABS:
                tab.build()
        demo.load(role_note, inputs=None, outputs=role, api_visibility="private")
        # each page load sweeps old report/download folders (cheap: one directory listing)
        demo.load(lambda: clean_temp_folders(LIMITS.temp_max_age_hours), inputs=None, outputs=None,
                  api_visibility="private")
    demo.launch = functools.partial(demo.launch, i18n=I18N)  # a caller's own i18n= still wins
    return demo
