"""The Gradio UI: the only package that imports gradio. One module per tab."""

from ocr_space.ui.interface import build_app

__all__ = ["build_app"]
