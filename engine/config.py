"""Where things live and which device runs the models."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "docsense"


def default_index_path() -> Path:
    """The index folder used when none is given: $DOCSENSE_HOME/index, else the user data dir."""
    home = os.environ.get("DOCSENSE_HOME")
    if home:
        return Path(home).expanduser() / "index"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "index"


def cache_dir() -> Path:
    """Where derived files live (converted models): $DOCSENSE_CACHE, else $DOCSENSE_HOME/cache, else the user cache
    dir."""
    if os.environ.get("DOCSENSE_CACHE"):
        return Path(os.environ["DOCSENSE_CACHE"]).expanduser()
    home = os.environ.get("DOCSENSE_HOME")
    if home:
        return Path(home).expanduser() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def pick_device(requested: str | None = None) -> str:
    """Return the torch device to use: the requested one, else cuda, else mps, else cpu.

    DOCSENSE_DEVICE overrides the automatic choice.
    """
    requested = requested or os.environ.get("DOCSENSE_DEVICE") or None
    if requested:
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def device_label(device: str, backend: str = "torch") -> str:
    """A name for people: the GPU's name on CUDA, else the device string upper-cased; the backend when it is not
    torch ("CPU (OpenVINO)")."""
    if device.startswith("cuda"):
        import torch

        label = f"CUDA ({torch.cuda.get_device_name(0)})"
    else:
        label = device.upper()
    return label if backend == "torch" else f"{label} ({'OpenVINO' if backend == 'openvino' else backend})"
