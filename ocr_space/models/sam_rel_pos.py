"""SAM's relative-position lookup with its indices made once on the model's device.

transformers' SAM attention, DeepSeek-OCR's first image encoder, rebuilds its lookup indices with a CPU
``torch.arange`` in every forward. It then indexes the GPU table with them. So every attention layer copies
two CPU tensors to the GPU from pageable memory, and the host waits for the GPU each time: 24 waits per image
batch on the H200 profile (bench/RESULTS.md, "Memcpy HtoD (Pageable)"). A CUDA graph cannot capture such a
copy either (:mod:`ocr_space.models.vision_graph`).

The indices depend only on the query and key sizes. So :func:`device_side_rel_pos` computes them with the same
arithmetic, on the CPU, once per size, and keeps a copy on the table's device. The lookup returns the same
tensor as before; tests/models/test_vision_graph.py compares them.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F


def _rel_pos_indices(q_size: int, k_size: int) -> torch.Tensor:
    """transformers' index arithmetic, unchanged (CPU, float32, then ``long``)."""
    q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    return ((q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)).long()


def _get_rel_pos(self, q_size: int, k_size: int, rel_pos: torch.Tensor) -> torch.Tensor:
    max_rel_dist = int(2 * max(q_size, k_size) - 1)
    resized = F.interpolate(rel_pos.reshape(1, rel_pos.shape[0], -1).transpose(1, 2), size=max_rel_dist,
                            mode="linear")
    resized = resized.reshape(-1, max_rel_dist).permute(1, 0)
    key = (q_size, k_size, rel_pos.device)
    indices = self._rel_pos_index_cache.get(key)
    if indices is None:
        indices = self._rel_pos_index_cache[key] = _rel_pos_indices(q_size, k_size).to(rel_pos.device)
    return resized[indices]


def device_side_rel_pos(model) -> int:
    """Give every SAM attention layer of ``model`` the device-side lookup; returns how many layers have it."""
    count = 0
    for module in model.modules():
        if hasattr(module, "get_rel_pos") and hasattr(module, "rel_pos_h"):
            if not hasattr(module, "_rel_pos_index_cache"):
                module._rel_pos_index_cache = {}
                module.get_rel_pos = types.MethodType(_get_rel_pos, module)
            count += 1
    return count
