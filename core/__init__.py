"""The bottom layer: the desired-state model, the remote runner and its evidence, output parsers.

Imports nothing of the project."""

import sys

# paramiko imports invoke (about a twentieth of a second, a tenth of the audit's own start-up) only to run
# ``Match exec`` in its own reading of ssh_config; the suite takes every SSH setting from the user's ssh instead
# (core.sshconf: ssh -G). A None here makes paramiko's ``import invoke`` fail as if it were not installed.
sys.modules.setdefault("invoke", None)
