"""exchange: records in and out of other formats.

Owns the import of the original tracker's SQLite database (``legacy``), adding components and
tests from CSV (``bulk``), and ``svt export`` / ``svt results`` (``exporting``). Each writes
through ``Database``, so it applies the same rules as ``svt add``.

May import: model, files, git, analysis, store, index, rules, api.
"""
