"""api: the library's front door.

Owns ``Database`` (``database``), a facade whose every method hands its arguments to the
module that holds the operation: ``setup`` (svt init, --lfs, --pages, backups),
``components``, ``events`` (tests, installations, moves, logs, attachments), ``assembly``
(modules and connections) and ``queries`` (what reads many records or asks the index); and
the original SQLite tracker's API over it (``original``: ``Component``, ``TestResult``,
``install_component``, ...). ``from svt_records import Database`` loads it.

May import: model, files, git, analysis, store, index, rules, collab.
"""
