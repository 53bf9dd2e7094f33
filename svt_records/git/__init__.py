"""git: every git call svt makes, and nothing else runs a process.

Owns running git (one helper that shows the command, exit code and stderr on failure), writing
blobs, trees and commits, reading git's index and its stat check, reading logs and history,
config and identity, remotes and branches for sync, sparse checkouts and Git LFS. ``GitRepo``
(``repo``) is the one object the rest of svt holds.

May import: model.
"""
