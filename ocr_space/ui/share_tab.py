"""The Share tab: log in, push an adapter (from a run folder), a merged model or a dataset to the Hub.

The token is the visitor's own: the OAuth login on a Space, or one pasted into
a password field (held by the browser session only). Locally, an empty field
falls back to this machine's HF_TOKEN; in public mode it never does, so
visitors cannot push with the Space owner's token (see ``Visitor.push_token``).
Pushing needs a signed-in visitor in public mode, and every folder must be one
of the visitor's own (``Workspace.confine``).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ocr_space.config import on_space, public_mode, runs_root
from ocr_space.hub import PushResult, push_adapter, push_dataset, push_merged
from ocr_space.ui.access import Visitor, visitor
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.strings import t


def run_folders(root: Path | None = None) -> list[str]:
    """Training runs that hold an adapter, newest first."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    runs = [path for path in root.iterdir() if (path / "adapter" / "adapter_config.json").is_file()]
    return [str(path) for path in sorted(runs, key=lambda path: path.stat().st_mtime, reverse=True)]


def _pusher(request, profile, oauth_token) -> Visitor:
    person = visitor(request, profile, oauth_token)
    person.require_signed_in("push")
    return person


def _folder(person: Visitor, folder: str) -> str:
    return str(person.workspace.confine(folder, writable=True)) if person.public else folder


def _reporter(progress: gr.Progress):
    return lambda fraction, message: progress(fraction, desc=message)


def _summary(result: PushResult) -> str:
    visibility = {True: "private", False: "public", None: "visibility unknown"}[result.private]
    text = t("share.done", kind=result.kind, repo_id=result.repo_id, url=result.url, visibility=visibility,
             count=len(result.files), size=result.size, commit_url=result.commit_url)
    return text + ("\n\n" + t("share.use_adapter", repo_id=result.repo_id) if result.kind == "adapter" else "")


@shows_errors
def run_push_adapter(run_folder: str, repo: str, private: bool, base_model: str, typed_token: str,
                     oauth_token: gr.OAuthToken | None = None, progress=gr.Progress(), request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> str:
    """Handler: push the run's adapter; returns the result as markdown."""
    person = _pusher(request, profile, oauth_token)
    run_folder = _folder(person, run_folder)
    token = person.push_token(typed_token)
    return _summary(push_adapter(run_folder, repo, token=token, private=bool(private),
                                 base_model=base_model or None, progress=_reporter(progress)))


@shows_errors
def run_push_merged(folder: str, repo: str, private: bool, base_model: str, typed_token: str,
                    oauth_token: gr.OAuthToken | None = None, progress=gr.Progress(), request: gr.Request = None,
                    profile: gr.OAuthProfile | None = None) -> str:
    """Handler: push a merged model folder."""
    person = _pusher(request, profile, oauth_token)
    folder = _folder(person, folder)
    token = person.push_token(typed_token)
    return _summary(push_merged(folder, repo, token=token, private=bool(private), base_model=base_model or None,
                                progress=_reporter(progress)))


@shows_errors
def run_push_dataset(folder: str, repo: str, private: bool, typed_token: str,
                     oauth_token: gr.OAuthToken | None = None, progress=gr.Progress(), request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> str:
    """Handler: push a dataset folder."""
    person = _pusher(request, profile, oauth_token)
    folder = _folder(person, folder)
    token = person.push_token(typed_token)
    return _summary(push_dataset(folder, repo, token=token, private=bool(private), progress=_reporter(progress)))


def refresh_runs(request: gr.Request = None, profile: gr.OAuthProfile | None = None):
    """The visitor's own runs that hold an adapter (locally: every run under the runs folder)."""
    return gr.Dropdown(choices=run_folders(visitor(request, profile).workspace.runs))


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("share.tab"), id="share"):
        gr.Markdown(t("share.intro"))
        # the Login button is at the top of the page (interface.py) when the app runs on a Space
        token = gr.Textbox(label=t("share.token"), type="password")
        gr.Markdown(t("share.login_space") if on_space() else t("share.login_local"))
        with gr.Tab(t("share.adapter")):
            with gr.Row():
                # in public mode the list is the visitor's own, filled on page load
                run_folder = gr.Dropdown(label=t("share.run"), choices=[] if public_mode() else run_folders(),
                                         allow_custom_value=True,
                                         scale=4)
                refresh = gr.Button(t("share.refresh"), scale=1)
            adapter_repo = gr.Textbox(label=t("share.repo"))
            with gr.Row():
                adapter_base = gr.Textbox(label=t("share.base_model"))
                adapter_private = gr.Checkbox(label=t("share.private"), value=True)
            adapter_push = gr.Button(t("share.push_adapter"), variant="primary")
        with gr.Tab(t("share.merged")):
            merged_folder = gr.Textbox(label=t("share.merged_folder"))
            merged_repo = gr.Textbox(label=t("share.repo"))
            with gr.Row():
                merged_base = gr.Textbox(label=t("share.base_model"))
                merged_private = gr.Checkbox(label=t("share.private"), value=True)
            merged_push = gr.Button(t("share.push_merged"), variant="primary")
        with gr.Tab(t("share.dataset")):
            dataset_folder = gr.Textbox(label=t("share.dataset_folder"))
            dataset_repo = gr.Textbox(label=t("share.repo"))
            dataset_private = gr.Checkbox(label=t("share.private"), value=True)
            dataset_push = gr.Button(t("share.push_dataset"), variant="primary")
        result = gr.Markdown(label=t("share.result"))

        refresh.click(refresh_runs, outputs=run_folder, api_name="list_runs")
        gr.on(triggers=None, fn=refresh_runs, inputs=None, outputs=run_folder)
        adapter_push.click(run_push_adapter, inputs=[run_folder, adapter_repo, adapter_private, adapter_base, token],
                           outputs=result, api_name="push_adapter")
        merged_push.click(run_push_merged, inputs=[merged_folder, merged_repo, merged_private, merged_base, token],
                          outputs=result, api_name="push_merged")
        dataset_push.click(run_push_dataset, inputs=[dataset_folder, dataset_repo, dataset_private, token],
                           outputs=result, api_name="push_dataset")
