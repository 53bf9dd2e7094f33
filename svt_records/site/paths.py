"""Where the site puts a component's files, relative to OUT (besides its page,
``components/<ID>.html``, :func:`svt_records.site.component_page`)."""
from __future__ import annotations

from . import COMPONENTS_DIR

# beside the component pages, so a page links them as FILES/... and IV/...
FILES = "files"  # files/<ID>/<year>/<name>: copies of stored files
IV = "iv"  # iv/<ID>.png: the component's IV runs overlaid
FILES_DIR = f"{COMPONENTS_DIR}/{FILES}"
IV_DIR = f"{COMPONENTS_DIR}/{IV}"
LABELS_DIR = "labels"  # labels/<ID>.svg: each component's printable label (issue 17)
