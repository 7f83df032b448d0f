"""What the Fine-tune tab does with a run besides training it: merge it, export it, push it, resume it.

- **Merge** a finished run into a standalone 16-bit model in the base's own
  dtype (``train.merge.merge_run``: ``RUN/merged``);
- **Export** a DeepSeek-OCR v1 run in the official layout that vLLM loads
  (``train.merge.export_official_v1``: ``RUN/merged-v1``);
- each offered for **download** (``ui.downloads.downloadable``: temporary copies of
  what lies outside the folders Gradio serves, so no visitor's folder is exposed) or
  **pushed** to the Hub with the visitor's token;
- the **interrupted** runs (their process died mid-training: a crash, a Space
  restart) listed for a Resume click.

Handlers here take plain values (the run folder, the token) so the tab decides
who may do what and passes the visitor's folders and token in.
"""

from __future__ import annotations

from pathlib import Path

from ocr_space.errors import ConfigError
from ocr_space.train.run_dir import RunDir, interrupted_runs
from ocr_space.ui.downloads import downloadable
from ocr_space.ui.strings import t

#: what the buttons make, each a folder of that name in the run
PRODUCTS = ("merged", "merged-v1")


def make(run_dir: str, product: str) -> Path:
    """``RUN/merged`` or ``RUN/merged-v1``, made unless it is there already."""
    from ocr_space.train.merge import export_official_v1, merge_run

    run = _finished(run_dir)
    folder = run.path / product
    if (folder / "config.json").is_file():
        return folder
    return merge_run(run.path, folder) if product == "merged" else export_official_v1(run.path, folder)


def merge_and_offer(run_dir: str, product: str) -> tuple[str, list[str]]:
    """Handler body: make ``product`` and offer its files for download; (message, files)."""
    folder = make(run_dir, product)
    files = downloadable(sorted(path for path in folder.iterdir() if path.is_file()))
    return t(f"runs.{product}.done", folder=folder, count=len(files)), files


def push_product(run_dir: str, product: str, repo: str, private: bool, token: str | None) -> str:
    """Handler body: push ``RUN/merged`` or ``RUN/merged-v1`` (made first if needed) to ``repo``; the result line."""
    from ocr_space.hub.push import push_merged
    from ocr_space.models.adapter_base import hub_repo_id
    from ocr_space.train.recipe import TrainConfig

    folder = make(run_dir, product)
    base = TrainConfig.from_yaml(RunDir(run_dir).config_file).model
    result = push_merged(folder, repo, token=token, private=bool(private), base_model=hub_repo_id(base))
    return t("runs.pushed", url=result.url, count=len(result.files), size=result.size)


def interrupted_markdown(root: Path) -> str:
    """The interrupted runs under ``root`` as a list, or "" when there are none."""
    runs = interrupted_runs(root)
    if not runs:
        return ""
    lines = [t("runs.interrupted", count=len(runs))]
    for run in runs:
        status = run.read_status()
        checkpoint = run.latest_checkpoint()
        lines.append(t("runs.interrupted_line", name=run.path.name, step=status.get("step") or 0,
                       max_steps=status.get("max_steps") or 0,
                       checkpoint=checkpoint.name if checkpoint else t("finetune.the_start")))
    return "\n".join(lines)


def _finished(run_dir: str) -> RunDir:
    if not run_dir:
        raise ConfigError(t("runs.pick_run"))
    run = RunDir(run_dir)
    if not (run.adapter / "adapter_config.json").is_file():
        raise ConfigError(t("runs.not_finished", run=run.path.name))
    return run
