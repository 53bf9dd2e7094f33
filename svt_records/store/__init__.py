"""store: a records repository on disk, and the one write path into it.

Owns where a store is and its layout, reading a record, the lock and the transaction that
turns a change into one commit (``txn``), and the write path behind ``Database``: staging a
component, an event and its stored files, and the write of an analysed test (``testrun``).
Nothing here asks the index; what needs it is handed in by the caller.

May import: model, files, git, analysis.
"""
