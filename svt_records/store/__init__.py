"""store: a records repository on disk, and the one write path into it.

Owns the layout (``layout``: where a store is, how records and events are named and rendered),
``StoreBase`` (``base``), stacked from where the store is and its lock (``root``), what a sparse
checkout leaves out (``sparse``), reading svt.yaml, components and events (``reading``) and the
refusals before a commit (``refusals``); the lock and the transaction that turns a change into
one commit (``txn``); and the write path behind ``Database``: checking typed values
(``inputs``), staging a component, an event and its stored files (``staging``), and the write
of an analysed test (``testrun``); reading a stored file without following a symbolic link
anywhere on its way (``nofollow``). Nothing here asks the index; what needs it is handed in by
the caller.

May import: model, files, git, analysis.
"""
