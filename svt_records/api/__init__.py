"""api: the library's front door.

Owns ``Database`` (``database``: every operation of the CLI as a method, a facade over the
packages below) and the original SQLite tracker's API over it (``original``: ``Component``,
``TestResult``, ``install_component``, ...). ``from svt_records import Database`` loads it.

May import: model, files, git, analysis, store, index, rules, collab.
"""
