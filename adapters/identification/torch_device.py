"""Choosing where networks run: the user's ``device``, else the best one available."""

from __future__ import annotations

import os

import torch
from idtracker.application.errors import UserError


def select_device(name: str) -> torch.device:
    """``''`` picks cuda, then mps, then cpu; anything else must be a device torch accepts."""
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise UserError(f"device: {name!r} is not a torch device ({error}); use '', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device: {name!r} requested but CUDA is not available here; use '' or 'cpu'")
    return device
