"""No network at run time: set before any library that could reach it is imported.

``engine/__init__.py`` imports this module first, so every DocSense process (the command line, the window, the
extraction workers) is sealed before torch, transformers, huggingface_hub, spaCy or OpenVINO load.

- Hugging Face libraries are told to stay offline (HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE) and send no telemetry,
  unless the user set DOCSENSE_ALLOW_DOWNLOADS=1.
- OpenVINO's usage telemetry (Google Analytics, a client id under ~/intel) is sent from ``openvino.tools.ovc``'s
  import, which ``import openvino`` runs. OpenVINO falls back to its own no-op stub when the ``openvino_telemetry``
  module cannot be imported (``openvino/tools/ovc/telemetry_utils.py``); marking it absent in ``sys.modules`` makes
  that import fail in this process, so nothing is sent and nothing is written under ~/intel. Its documented opt-out
  (``opt_in_out --opt_out``) would write a consent file there, which is the user's choice, not ours; and its
  ``CI=true`` switch is not ours to set either. This is never lifted: telemetry is not a download.
"""

from __future__ import annotations

import os
import sys

#: Modules that only phone home; DocSense imports none of them, and makes sure nothing it loads can.
BLOCKED_MODULES = ("openvino_telemetry",)


_SET_BY_US: list[str] = []  # the offline variables seal() set (not the user): allow_downloads() lifts only those


def truthy(value: str | None) -> bool:
    """How DocSense reads a yes/no variable: 1, true, yes, on (any case) are yes."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def seal() -> None:
    """Keep this process (and the processes it starts, through the environment) off the network. Idempotent."""
    if not truthy(os.environ.get("DOCSENSE_ALLOW_DOWNLOADS")):
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            if name not in os.environ:
                os.environ[name] = "1"
                _SET_BY_US.append(name)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    for name in BLOCKED_MODULES:
        if sys.modules.get(name) is None:
            sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError from now on


def allow_downloads() -> None:
    """The user allowed downloads in the config file (allow_downloads = true): lift what seal() set for Hugging Face
    libraries that are not loaded yet. OpenVINO's telemetry stays off."""
    while _SET_BY_US:
        os.environ.pop(_SET_BY_US.pop(), None)


seal()
