"""The pytest side of the suite: options, targets, pre-flight, lab reset, bootstrap, evidence gathering,
the xdist scheduler. Used by conftest.py; steps/ and reporting/ build on it."""
