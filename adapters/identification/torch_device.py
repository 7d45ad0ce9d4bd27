"""Choosing where networks run: the user's ``device``, else the best one available."""

from __future__ import annotations

import os

import torch
from idtracker.application.errors import UserError


def cpu_threads() -> int:
    """Half the usable cores, 1 to 4: our networks are small, and OpenMP threads that must wait
    for a busy core (segmentation workers, the user's other programs) make training several
    times slower rather than faster (measured: 12 s with 1 thread, 142 s with 2 on a loaded
    2-core machine)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cores // 2))


def select_device(name: str) -> torch.device:
    """``''`` picks cuda, then mps, then cpu; anything else must be a device torch accepts."""
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        torch.set_num_threads(cpu_threads())
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise UserError(f"device: {name!r} is not a torch device ({error}); use '', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device: {name!r} requested but CUDA is not available here; use '' or 'cpu'")
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads())
    return device
