"""Where the site puts a component's files, relative to OUT (besides its page,
``components/<ID>.html``, :func:`svt_records.site.component_page`)."""
from __future__ import annotations

from . import COMPONENTS_DIR

FILES_DIR = f"{COMPONENTS_DIR}/files"  # files/<ID>/<year>/<name>: copies of stored files
IV_DIR = f"{COMPONENTS_DIR}/iv"  # iv/<ID>.png: the component's IV runs overlaid
LABELS_DIR = "labels"  # labels/<ID>.svg: each component's printable label (issue 17)
