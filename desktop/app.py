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
    from engine.errors import DocSenseError

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DocSense")
    try:
        window = MainWindow(args.index)
    except DocSenseError as exc:  # a config file that cannot be read, a bad setting: say so, not a traceback
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "DocSense cannot start", f"{exc}\n\nFix it and start DocSense again.")
        return 1
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
