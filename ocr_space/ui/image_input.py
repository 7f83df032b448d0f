"""An image input that hands the upload's path to the handler unopened.

``gr.Image`` opens every upload with Pillow before the handler runs, so a
corrupt file, a 0-byte file or a 200-megapixel one fails inside Gradio with a
generic "the app raised an exception". Here the handler gets the path and
:func:`ocr_space.images.load_image` checks it (size from the header before any
pixel is decoded, transparency read on white) with the CLI's words.
"""

from __future__ import annotations

import gradio as gr


class ImagePath(gr.Image):
    """``gr.Image(type="filepath")`` without Gradio's own decoding (the browser sees a plain Image).

    No ``__init__`` of its own: Gradio builds the browser's props from the signature of ``__init__``.
    """

    is_template = True  # Gradio then renders it with its parent's (gr.Image's) frontend

    def preprocess(self, payload):
        if payload is None or payload.path is None:  # no upload, or a pasted/webcam data: URL Gradio decodes
            return super().preprocess(payload)
        return str(payload.path)
