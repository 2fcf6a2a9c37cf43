"""The bottom layer: the desired-state model, the remote runner and its evidence, output parsers.

Imports nothing of the project."""
