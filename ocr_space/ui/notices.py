"""Notices above the tabs, seen from every tab: what the visitor must know about this deployment.

Work that vanishes on restart (a Space without persistent storage) and a GPU
the app cannot use (torch's CUDA build needs a newer driver) are said once,
visibly, instead of being discovered after the work is lost or a line takes
90 seconds.
"""

from __future__ import annotations

import gradio as gr

from ocr_space.config import work_lost_on_restart
from ocr_space.models.gpu_check import UnusableGpu, this_machine
from ocr_space.ui.strings import t


def notices(gpu: UnusableGpu | None = None, lost_on_restart: bool | None = None) -> list:
    """The notices that apply (strings from the table); the machine is asked unless the answers are given."""
    gpu = this_machine() if gpu is None else gpu
    lost_on_restart = work_lost_on_restart() if lost_on_restart is None else lost_on_restart
    found = []
    if lost_on_restart:
        found.append(t("notice.work_lost"))
    if gpu is not None:
        gpus = ", ".join(gpu.gpus)
        if gpu.torch_cuda:
            found.append(t("notice.gpu_unusable", gpus=gpus, driver=gpu.driver, cuda=gpu.torch_cuda,
                           needed=gpu.needed_driver))
        else:
            found.append(t("notice.gpu_cpu_torch", gpus=gpus, driver=gpu.driver))
    return found


def build() -> None:
    """One Markdown per notice, above the tabs (nothing when all is well)."""
    for number, notice in enumerate(notices()):
        gr.Markdown(notice, elem_id=f"notice-{number}", elem_classes=["ocr-space-notice"])
