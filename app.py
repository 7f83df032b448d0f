"""Build and launch the ocr-space UI (this is the Space's app_file)."""

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home; must precede importing gradio

from ocr_space.startup import on_start, prepare_process  # noqa: E402

prepare_process()  # HF_HOME on persistent storage, ZeroGPU's `spaces` first: before gradio, torch, the Hub client

from ocr_space.config import LIMITS, server_host  # noqa: E402
from ocr_space.ui import build_app  # noqa: E402

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("ocr_space").setLevel(logging.INFO)  # start-up notes, resumed runs; libraries stay at WARNING
demo = build_app()

if __name__ == "__main__":
    on_start()
    # limits a public Space needs (see README, "Running it as a public Space"); uploads over the size are refused
    # by Gradio before any handler (or image decoder) sees them
    demo.queue(max_size=LIMITS.queue_size).launch(server_name=server_host(),
                                                  max_file_size=f"{int(LIMITS.max_file_mb)}mb")
