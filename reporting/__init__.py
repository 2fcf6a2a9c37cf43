"""The student report: one self-contained HTML page per run, and the terminal summary."""
