"""Which device runs the models, and its name for people."""

from __future__ import annotations

import os
import sys

# What a GPU's driver puts on Linux: NVIDIA's (CUDA), AMD's (ROCm, which torch also calls cuda), and WSL's GPU
# (CUDA under Windows).
GPU_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def pick_device(requested: str | None = None) -> str:
    """Return the torch device to use: the requested one (the device setting), else cuda, else mps, else cpu.

    On Linux without a GPU driver it is the CPU, said without importing torch (1.6 s of a cold search, which on
    the CPU runs in OpenVINO)."""
    if requested:
        return requested
    if sys.platform.startswith("linux") and not any(os.path.exists(f) for f in GPU_DRIVER_FILES):
        return "cpu"
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
