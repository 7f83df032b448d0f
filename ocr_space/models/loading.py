"""`load_model`: one entry point from a repo id or folder (plus optional LoRA adapter) to a ready model.

Recognition, training, evaluation and the UI all load through here, so a
checkpoint that works in one place works in all of them, and every failure
reaches the user as a :class:`ModelLoadError` that says what to do.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_space.errors import ModelLoadError
from ocr_space.hub_ids import is_hub_id
from ocr_space.hub_reads import hub_read_token
from ocr_space.models.devices import dtype_name, pick_device, pick_dtype
from ocr_space.models.family import ModelFamily
from ocr_space.models.registry import family_for_config

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model with everything needed to use it: processor, family, where it came from."""

    model: Any
    processor: Any
    family: ModelFamily
    source: str
    adapter: str | None
    device: str
    dtype: Any
    #: the resolution mode the adapter (or the adapter merged into this model) was trained in; None when nothing
    #: records one; reading defaults to it
    adapter_mode: str | None = None

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    def describe(self) -> dict:
        info = {
            "model": self.source,
            "adapter": self.adapter,
            "family": self.family.name,
            "device": self.device,
            "dtype": dtype_name(self.dtype),
        }
        if self.adapter or self.adapter_mode:
            info["adapter_mode"] = self.adapter_mode
        return info


def read_checkpoint_config(reference: str) -> tuple[dict, Path | None]:
    """config.json of a local folder or Hub repo, with user-facing errors.

    Returns the parsed config and the local folder (None for Hub repos).
    """
    if not is_hub_id(reference):
        folder = Path(reference).expanduser()
        if not folder.is_dir():
            raise ModelLoadError(f"Model folder not found: {reference}. Give an existing folder or a Hub repo id "
                                 "like 'deepseek-community/DeepSeek-OCR-2'.")
        config_file = folder / "config.json"
        if not config_file.is_file():
            raise ModelLoadError(f"{reference} has no config.json, so it is not a saved model folder "
                                 "(is it a LoRA adapter? then pass it as the adapter, with its base model).")
        return json.loads(config_file.read_text(encoding="utf-8")), folder
    return json.loads(Path(_hub_file(reference, "config.json")).read_text(encoding="utf-8")), None


def _hub_file(repo_id: str, filename: str) -> str:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    try:
        return hf_hub_download(repo_id, filename, token=hub_read_token())
    except GatedRepoError as exc:
        raise ModelLoadError(f"{repo_id} is gated: accept its terms on the Hub and log in (HF_TOKEN).") from exc
    except RepositoryNotFoundError as exc:
        raise ModelLoadError(f"No repo {repo_id!r} on the Hub, or it is private and you are not logged in "
                             "(set HF_TOKEN or log in).") from exc
    except LocalEntryNotFoundError as exc:
        raise ModelLoadError(f"Could not fetch {repo_id!r}: the Hugging Face Hub is unreachable (offline, or "
                             "HF_HUB_OFFLINE=1) and it is not in the local cache. Use a local model folder "
                             "(e.g. one made by `python -m ocr_space tiny-model --out DIR`).") from exc
    except EntryNotFoundError as exc:
        raise ModelLoadError(f"{repo_id} has no {filename}; is it a model repo?") from exc
    except OSError as exc:
        raise ModelLoadError(f"Could not fetch {repo_id!r} from the Hub: {exc}") from exc


def load_model(
    model_id_or_path: str,
    adapter: str | None = None,
    device: str | None = "auto",
    dtype: str | Any = "auto",
    quantization_config: Any = None,
) -> LoadedModel:
    """Load an OCR model (local folder or Hub repo id), optionally with a PEFT LoRA adapter on top.

    >>> loaded = load_model("deepseek-community/DeepSeek-OCR-2", adapter="me/my-ocr-lora")  # doctest: +SKIP
    >>> loaded.describe()["family"]  # doctest: +SKIP
    'deepseek-ocr-2'

    ``quantization_config`` (e.g. bitsandbytes 4-bit for QLoRA training) places the
    quantized weights on ``device`` while loading; quantized models cannot be moved after.
    """
    import torch

    reference = str(model_id_or_path).strip()
    if not reference:
        raise ModelLoadError("No model given: pass a Hub repo id or a local model folder.")
    config, folder = read_checkpoint_config(reference)
    family = family_for_config(config)
    source: str | Path = folder if folder is not None else reference
    if family.prepare_checkpoint is not None:
        source = family.prepare_checkpoint(Path(source) if folder else Path(_snapshot(reference)), config)

    device = pick_device(device)
    torch_dtype = pick_dtype(device, dtype)
    try:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        processor = AutoProcessor.from_pretrained(str(source), token=hub_read_token())
        if quantization_config is None:
            model = AutoModelForImageTextToText.from_pretrained(str(source), dtype=torch_dtype, token=hub_read_token())
            model.to(device)
        else:
            model = AutoModelForImageTextToText.from_pretrained(
                str(source), dtype=torch_dtype, device_map={"": device}, quantization_config=quantization_config,
                token=hub_read_token())
    except torch.cuda.OutOfMemoryError as exc:
        raise ModelLoadError(f"Not enough GPU memory to load {reference} in {dtype_name(torch_dtype)}: free the GPU "
                             "(unload other models) or load on CPU.") from exc
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"Could not load {reference}: {exc}") from exc

    from ocr_space.models.adapter_mode import RESOLUTION_FILE, read_adapter_mode

    adapter_mode = None
    if adapter:
        model = attach_adapter(model, str(adapter).strip(), base=reference)
        adapter_mode = read_adapter_mode(str(adapter).strip(), family)
    elif folder is not None and (folder / RESOLUTION_FILE).is_file():  # a merged model keeps its adapter's record
        adapter_mode = read_adapter_mode(str(folder), family)
    model.eval()
    faster_paths(model, device, quantized=quantization_config is not None)
    log.info("loaded %s (adapter=%s) on %s as %s", reference, adapter, device, dtype_name(torch_dtype))
    return LoadedModel(model=model, processor=processor, family=family, source=reference,
                       adapter=str(adapter).strip() if adapter else None, device=device, dtype=torch_dtype,
                       adapter_mode=adapter_mode)


def faster_paths(model, device: str, quantized: bool = False) -> None:
    """Same numbers, faster: SAM's position lookup without host waits everywhere; on CUDA the image encoder
    replayed as CUDA graphs where it can be (one image at a time; training turns on its own graphs; not for
    quantized weights, whose bitsandbytes kernels are not captured) and the routed experts' kernel chosen by the
    number of routed rows (:mod:`ocr_space.models.sized_experts`)."""
    from ocr_space.models.sam_rel_pos import device_side_rel_pos
    from ocr_space.models.sized_experts import use_sized_experts
    from ocr_space.models.vision_graph import install_vision_graphs

    device_side_rel_pos(model)
    if str(device).startswith("cuda"):
        use_sized_experts(model)
        if not quantized:
            install_vision_graphs(model)


def attach_adapter(model, adapter: str, base: str | None = None):
    """Wrap ``model`` with the LoRA adapter at ``adapter`` (folder or Hub repo id).

    Every adapter weight must land: PEFT only warns about missing keys, which
    would silently give the base model's output, so we turn that into an error.
    ``base`` names the model being adapted; when the adapter records another
    base, a failure says so (and a success logs a warning).
    """
    import warnings

    from peft import PeftModel

    from ocr_space.models.adapter_base import base_mismatch

    if not is_hub_id(adapter):
        folder = Path(adapter).expanduser()
        if not (folder / "adapter_config.json").is_file():
            raise ModelLoadError(f"Adapter folder {adapter} has no adapter_config.json; give the folder that "
                                 "training wrote (run_dir/adapter) or a Hub adapter repo id.")
        adapter_config_file = folder / "adapter_config.json"
    else:
        adapter_config_file = Path(_hub_file(adapter, "adapter_config.json"))
    recorded = json.loads(adapter_config_file.read_text(encoding="utf-8")).get("base_model_name_or_path")
    mismatch = base_mismatch(adapter, recorded, base)
    if mismatch:
        log.warning("%s", mismatch)
    try:
        with warnings.catch_warnings(record=True) as caught, keep_native_adapter_keys():
            warnings.simplefilter("always")
            peft_model = PeftModel.from_pretrained(model, adapter, token=hub_read_token())
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"{mismatch} (PEFT: {str(exc)[:300]})" if mismatch else
                             f"Could not apply adapter {adapter}: {exc}") from exc
    missing = [str(w.message) for w in caught if "missing adapter keys" in str(w.message)]
    if missing:
        raise ModelLoadError(mismatch or f"Adapter {adapter} does not fit this model (was it trained on another "
                                         f"base?): {missing[0][:300]}")
    from ocr_space.models.expert_lora import use_factored_expert_lora

    # generation would otherwise rebuild every expert weight (W + BA) for each new token
    use_factored_expert_lora(peft_model)
    return peft_model


@contextlib.contextmanager
def keep_native_adapter_keys():
    r"""Skip PEFT's checkpoint-layout conversion for adapters already saved in the native layout.

    PEFT (0.21) applies transformers' DeepSeek-OCR-2 conversion rules, meant for
    the remote-code checkpoint layout, to every adapter it loads. The rule
    ``(^|model\.)layers\.`` -> ``language_model.layers.`` also matches inside
    ``language_model.layers.``, so our own saved adapters lose their decoder
    weights on reload. Adapters in the old layout (no ``language_model.`` in
    their keys) still go through the conversion.
    """
    from peft.utils import transformers_weight_conversion as conversion

    original = conversion.convert_peft_adapter_state_dict_for_transformers

    def convert_unless_native(model, peft_config, adapter_state_dict, adapter_name="default"):
        if any(".language_model." in key for key in adapter_state_dict):
            return adapter_state_dict
        return original(model, peft_config, adapter_state_dict, adapter_name)

    conversion.convert_peft_adapter_state_dict_for_transformers = convert_unless_native
    try:
        yield
    finally:
        conversion.convert_peft_adapter_state_dict_for_transformers = original


def checkpoint_folder(reference: str) -> Path:
    """A local folder for ``reference``: the folder itself, or a download of the Hub repo.

    >>> checkpoint_folder("deepseek-ai/DeepSeek-OCR")  # doctest: +SKIP
    """
    read_checkpoint_config(reference)  # clear errors for missing folders and unknown repos
    if not is_hub_id(reference):
        return Path(reference).expanduser()
    return Path(_snapshot(reference))


def _snapshot(repo_id: str) -> str:
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, token=hub_read_token())
    except OSError as exc:
        raise ModelLoadError(f"Could not download {repo_id}: {exc}") from exc
