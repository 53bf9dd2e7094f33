"""files: the on-disk formats of a record.

Owns the YAML reader and writer (``yamlio``: the strict reader on libyaml's events, the fast
reader of the canonical form, the canonical writer; the only module that imports yaml) and the
JSON Schema checks (``schema``: jsonschema itself, for ``svt validate``; ``quickschema``: a
compiled checker of the subset svt's schemas use, for the write path and the index), the
place and wording of YAML syntax errors (``yamlsyntax``), and how this svt was installed
(``install``: PEP 610's direct_url.json, for the pip command of an extra).

May import: model.
"""
