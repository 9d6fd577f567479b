"""``docsense-desktop``: the window."""

from __future__ import annotations

import argparse
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docsense-desktop", description="The DocSense window.")
    parser.add_argument("--index", help="index folder (default: $DOCSENSE_HOME/index or your data folder), or a "
                        "PostgreSQL server's URL (postgresql://user@host/db)")  # fmt: skip
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
    # Ctrl+C in the terminal, or a SIGTERM, closes the window as its close button would: an indexing run stops
    # where it is safe to, and the search socket is removed. Python sees the signal when it next runs: every 0.5 s.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    from PySide6.QtCore import QTimer

    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(500)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
