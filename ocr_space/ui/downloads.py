"""Hand files to the browser: Gradio serves only files under the working directory or the temp dir.

A visitor's reports and datasets live in their own folder (on a Space under
/data, which Gradio will not serve and must not: ``allowed_paths`` would open
every visitor's folder to anyone who guesses a path), so the files one answer
returns are copied into a fresh temp folder (``ocr-space-download-*``, swept
by :func:`ocr_space.workspace.clean_temp_folders`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def downloadable(paths: list[Path]) -> list[str]:
    """``paths`` as paths Gradio may serve: as they are when under cwd or the temp dir, else temp copies."""
    allowed = [Path.cwd().resolve(), Path(tempfile.gettempdir()).resolve()]
    served, copies = [], None
    for path in (Path(p) for p in paths if Path(p).is_file()):
        if any(path.resolve().is_relative_to(root) for root in allowed):
            served.append(str(path))
            continue
        copies = copies or Path(tempfile.mkdtemp(prefix="ocr-space-download-"))
        served.append(shutil.copy(path, copies / path.name))
    return served
