"""``docsense-desktop``: the window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docsense-desktop", description="The DocSense window.")
    parser.add_argument("--index", type=Path, help="index folder (default: $DOCSENSE_HOME/index or your data folder)")
    args = parser.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from desktop.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DocSense")
    window = MainWindow(args.index)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
