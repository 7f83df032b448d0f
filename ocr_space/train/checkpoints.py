"""Resume: put a checkpoint's adapter weights back into the model, and prove they landed.

The Trainer restores the optimizer, scheduler, RNG and data position itself,
but it reloads PEFT weights through ``PeftModel.load_adapter``, which in PEFT
0.21 mis-converts our native-layout keys and only *warns* about the weights it
then leaves out. So we load them ourselves with the same workaround as
:func:`ocr_space.models.loading.attach_adapter` and compare every tensor.
"""

from __future__ import annotations

from pathlib import Path

from transformers import Trainer

from ocr_space.errors import OcrSpaceError


class CheckpointError(OcrSpaceError):
    """A checkpoint is missing, incomplete, or does not fit the model."""


def restore_adapter_weights(peft_model, checkpoint: str | Path, adapter_name: str = "default") -> int:
    """Load ``checkpoint``'s adapter into ``peft_model`` and verify each tensor; returns how many were restored.

    >>> restore_adapter_weights(model, "runs/r/checkpoints/checkpoint-20")  # doctest: +SKIP
    112
    """
    import torch
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from peft.utils import load_peft_weights

    from ocr_space.models.loading import keep_native_adapter_keys

    checkpoint = Path(checkpoint)
    if not any((checkpoint / name).is_file() for name in ("adapter_model.safetensors", "adapter_model.bin")):
        raise CheckpointError(f"{checkpoint} has no adapter weights; it is not a LoRA training checkpoint.")
    saved = load_peft_weights(str(checkpoint), device="cpu")
    try:
        with keep_native_adapter_keys():
            set_peft_model_state_dict(peft_model, saved, adapter_name=adapter_name)
    except RuntimeError as exc:  # shape mismatches: another rank or another base model
        raise CheckpointError(f"Checkpoint {checkpoint.name} does not fit this model: {str(exc)[:300]}") from exc
    current = get_peft_model_state_dict(peft_model, adapter_name=adapter_name)
    missing = sorted(set(current) - set(saved))
    unmatched = sorted(set(saved) - set(current))
    if missing or unmatched:
        raise CheckpointError(f"Checkpoint {checkpoint.name} does not fit this model: {len(missing)} adapter tensors "
                              f"missing from it, {len(unmatched)} it has that the model lacks "
                              f"(e.g. {(missing or unmatched)[0]}). Was the run's config changed?")
    for key, tensor in saved.items():
        if not torch.equal(current[key].detach().cpu().to(tensor.dtype), tensor):
            raise CheckpointError(f"Adapter tensor {key} did not load from {checkpoint.name}.")
    return len(saved)


class AdapterCheckpointTrainer(Trainer):
    """A Trainer whose resume restores adapter weights through :func:`restore_adapter_weights`."""

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        from peft import PeftModel

        target = model if model is not None else self.model
        if isinstance(target, PeftModel):
            restore_adapter_weights(target, resume_from_checkpoint)
            return
        super()._load_from_checkpoint(resume_from_checkpoint, model)
