"""DocSense front ends: the command-line tool (``desktop.cli``) and the window."""
