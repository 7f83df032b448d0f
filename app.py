"""Build and launch the ocr-space UI (this is the Space's app_file)."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home; must precede importing gradio

from ocr_space.config import server_host  # noqa: E402
from ocr_space.ui import build_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    demo.queue().launch(server_name=server_host())
