"""The routed experts as batched matmuls over rows padded per expert, where grouped matmul loops on the host.

The routed experts' matmuls are one grouped matmul per projection where a kernel exists for it: bf16 on CUDA
capability 8.0 and up. Everywhere else (fp16 on any GPU, so every T4 run and every fp16 run on a newer card)
torch and transformers run that grouped matmul as a host loop: read the token counts back to the host, then one
matmul per expert. In a LoRA training step that is six grouped matmuls per MoE layer forward (the base weights
and two LoRA factors, for gate/up and for down) and more in the backward, each up to 64 small kernel launches
after a host read, over 11 MoE layers: fp16 training was bound by the host (bench/RESULTS.md, session 6: 0.455
s per step against bf16's 0.188).

Here the counts are read once per MoE layer, each routed row gets a slot in an (experts x capacity) block,
capacity being the largest expert's row count, and every projection is one ``torch.bmm`` over the whole
block, forward and backward, on kernels every GPU has. The math is the grouped one (each row meets only its
own expert's weights; padding rows are zeros, computed and dropped). Blocks live only inside a projection:
the backward keeps the routed rows, as the grouped path does, and pads again (a first version that let
autograd keep the blocks needed 1.5 GiB more at 8 text lines, enough to turn gradient checkpointing on under
the 15 GiB cap). The cost is the padding's compute: the block holds experts x capacity rows instead of the
routed ones, so where that exceeds :data:`MAX_PADDING` times the routed rows (a few rows, as in one decode
step, or an expert taking most tokens) the host loop stays, being cheaper there. Session 9 measured 29.8
against 18.7 lines/s under the 15 GiB fp16 cap on an H200 (bench/RESULTS.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

#: padded rows allowed per routed row before the host loop is cheaper (8 text lines route thousands of rows
#: over 64 experts: even routing pads them little, one decode step's 6 rows would pad to 64)
MAX_PADDING = 4.0
#: "0" (or "off", "false", "no") keeps the host loop everywhere: for side-by-side measurements
ENV_SWITCH = "OCR_SPACE_PADDED_EXPERTS"
#: the capacity is rounded up to a multiple of this, so nearby batches reuse one shape (and matmul tiles)
CAPACITY_STEP = 8


def grouped_experts_native(device: str | torch.device, dtype: torch.dtype) -> bool:
    """True where the routed experts run as one grouped matmul: bf16 on CUDA capability 8.0 and up.

    Elsewhere they run in a loop over the experts that reads the token counts on the host, which a CUDA graph
    cannot capture: transformers' own loop on older GPUs (a T4 is 7.5), and torch's on newer ones for any dtype
    but bf16 (in fp16 on the H200 the decoder's capture failed: "Cannot copy between CPU and CUDA tensors during
    CUDA graph capture", bench/RESULTS.md, session 6).
    """
    device = torch.device(device)
    if device.type != "cuda":
        return False
    return dtype == torch.bfloat16 and torch.cuda.get_device_capability(device) >= (8, 0)


def padded_layout_switched_on() -> bool:
    """False when :data:`ENV_SWITCH` says so; read when a model's experts are set up, not per call."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("0", "off", "false", "no")


def pads_where_grouped_mm_loops(device: torch.device, dtype: torch.dtype) -> bool:
    """Where the padded layout replaces a host loop: CUDA without a native grouped matmul for ``dtype``.

    CPUs keep torch's grouped matmul (a CPU kernel, no launches to save).
    """
    return torch.device(device).type == "cuda" and not grouped_experts_native(device, dtype)


@dataclass(frozen=True)
class PaddedRows:
    """Where each routed row (sorted by expert) sits in an (experts x capacity) block."""

    slots: torch.Tensor  # (routed rows,) int64: expert * capacity + position within the expert
    num_experts: int
    capacity: int

    @classmethod
    def plan(cls, sorted_expert_ids: torch.Tensor, rows_per_expert: torch.Tensor) -> PaddedRows | None:
        """The block for rows sorted by expert, or None where padding would cost more than :data:`MAX_PADDING`.

        Reads the largest count back to the host: the one synchronisation per MoE layer this layout keeps.
        """
        counts = rows_per_expert.to(torch.int64)
        num_experts, routed = counts.numel(), sorted_expert_ids.numel()
        largest = int(counts.max())
        capacity = -(-max(largest, 1) // CAPACITY_STEP) * CAPACITY_STEP
        if num_experts * capacity > MAX_PADDING * routed:
            return None
        firsts = torch.cumsum(counts, dim=0) - counts  # each expert's first row in the sorted order
        ids = sorted_expert_ids.to(torch.int64)
        positions = torch.arange(routed, device=ids.device) - firsts[ids]
        return cls(slots=ids * capacity + positions, num_experts=num_experts, capacity=capacity)

    def pad(self, rows: torch.Tensor) -> torch.Tensor:
        """(routed rows, d) sorted by expert -> (experts, capacity, d), zeros in the padding."""
        block = rows.new_zeros(self.num_experts * self.capacity, rows.shape[-1])
        return block.index_copy(0, self.slots, rows).view(self.num_experts, self.capacity, rows.shape[-1])

    def unpad(self, block: torch.Tensor) -> torch.Tensor:
        """(experts, capacity, d) -> (routed rows, d), in the sorted order :meth:`pad` took."""
        return block.reshape(self.num_experts * self.capacity, block.shape[-1]).index_select(0, self.slots)


def padded_grouped_linear(rows: torch.Tensor, weight: torch.Tensor, padded: PaddedRows,
                          is_transposed: bool) -> torch.Tensor:
    """``rows @ W_e^T`` for each routed row's expert, as one batched matmul over the padded block.

    ``rows`` are sorted by expert, as :meth:`PaddedRows.plan` was given them; ``weight`` is (experts, out, in),
    or (experts, in, out) when ``is_transposed`` (transformers' two expert layouts). Computed in the weight's
    dtype, as transformers' grouped matmul does (it is not autocast either). Only the routed rows are kept for
    the backward, never a padded block, so activation memory is the grouped path's; a frozen weight gets no
    gradient computed.
    """
    return _PaddedGroupedLinear.apply(rows, weight, padded, is_transposed)


class _PaddedGroupedLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, rows: torch.Tensor, weight: torch.Tensor, padded: PaddedRows,
                is_transposed: bool) -> torch.Tensor:  # noqa: D102
        ctx.padded, ctx.is_transposed, ctx.rows_dtype = padded, is_transposed, rows.dtype
        ctx.save_for_backward(rows if weight.requires_grad else None, weight)
        with torch.autocast(rows.device.type, enabled=False):
            return padded.unpad(torch.bmm(padded.pad(rows.to(weight.dtype)), _as_in_out(weight, is_transposed)))

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # noqa: D102
        rows, weight = ctx.saved_tensors
        padded = ctx.padded
        grad_rows = grad_weight = None
        with torch.autocast(grad_output.device.type, enabled=False):
            grad_block = padded.pad(grad_output.to(weight.dtype))
            if ctx.needs_input_grad[0]:
                in_out = _as_in_out(weight, ctx.is_transposed)
                grad_rows = padded.unpad(torch.bmm(grad_block, in_out.transpose(1, 2))).to(ctx.rows_dtype)
            if ctx.needs_input_grad[1]:
                grad_in_out = torch.bmm(padded.pad(rows.to(weight.dtype)).transpose(1, 2), grad_block)
                grad_weight = grad_in_out if ctx.is_transposed else grad_in_out.transpose(1, 2)
        return grad_rows, grad_weight, None, None


def _as_in_out(weight: torch.Tensor, is_transposed: bool) -> torch.Tensor:
    """The (experts, in, out) view of an expert weight in either layout."""
    return weight if is_transposed else weight.transpose(1, 2)
