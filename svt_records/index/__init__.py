"""index: the derived SQLite index and the queries that span the store.

Owns the index file's tables and the rows a record file becomes (``rows``), the refresh
protocol that keeps it from ever answering from stale data (``freshness``), the queries
(``queries``: list, summary, tests by id, a component folder's latest commits) and the
detector's positions now or at a past moment (``positions``). Delete the file and the next
query rebuilds it.

May import: model, files, git, analysis, store.
"""
