"""Which device runs the models, and its name for people."""

from __future__ import annotations


def pick_device(requested: str | None = None) -> str:
    """Return the torch device to use: the requested one (the device setting), else cuda, else mps, else cpu."""
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
