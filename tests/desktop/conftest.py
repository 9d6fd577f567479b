"""GUI tests run offscreen; each window is closed (and its workers joined) by qtbot."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
