"""collab: how clones and people work together through git and a forge.

Owns the three-way merge of records (``merge``: pure, values in, merged values and conflicts
out), git's merge driver (``driver``), ``svt resolve`` (``resolve``), ``svt sync`` and topic
branches (``sync``), ``svt undo`` (``undo``), ``svt history`` (``history``), ``svt review``
(``review``), the files svt writes for GitHub and GitLab: CI, Pages, CODEOWNERS
(``forge``), the GitHub issue forms and the workflow that records them (``forms``,
``issueflow``; ``attachments`` fetches the files attached to an issue, svt's only network
code, loaded by `svt from-issue` alone), and ``svt upgrade``, which takes svt's current schemas and CI files into a store
(``upgrade``).

May import: model, files, git, analysis, store, index, rules.
"""
