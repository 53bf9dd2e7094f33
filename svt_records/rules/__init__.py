"""rules: what a valid store is, and ``svt validate``.

Owns the checks of each file on its own (``checks``: syntax, schema, layout, stored files),
the rules across records, one function each (``crosschecks``: ids, one module per position,
assembly, connections), the second pass of ``validate --since`` under the base's rules and
its rule changes (``rulechanges``), the rule-bearing files and what svt checks of them itself
(``rulefiles``: branch names, CODEOWNERS), a store's schemas merged with svt's
(``schemaupgrade``), path-safe names and active content in attachments (``safety``), the
rendering of problems (``report``) and the canonical form of ``svt fmt`` (``canonical``).

May import: model, files, git, analysis, store, index.
"""
