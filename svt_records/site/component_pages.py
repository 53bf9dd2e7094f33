"""Each component's page and printable label, with copies of the stored files its page
links (in the forms stored.py chooses): made again only when their inputs changed, in this
process or, for many components, in a pool of forked workers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from urllib.parse import quote

from ..analysis import testtypes
from ..store.base import StoreBase
from . import COMPONENTS_DIR, labels
from .component_data import ComponentInput, component_context
from .forge_links import Forge
from .home import site_title
from .outputs import SiteOutputs, input_hash
from .paths import FILES_DIR, LABELS_DIR
from .stored import prune, publish

LABEL_VERSION = 1  # bump when the label's drawing changes: every label is written again
# the site's labels take one QR mask instead of scoring all eight: 1 ms a label instead of 6
# (10,000 labels in a full build); any mask is a valid code, `svt label` still scores them
LABEL_MASK = 2

# a component made: (id, digest, page's input hash, page written, label's input hash or
# None, label written)
Made = tuple[str, dict, str, bool, str | None, bool]


@dataclass
class ComponentPages:
    """What every component's page and label are made with."""

    outputs: SiteOutputs
    db: StoreBase
    test_types: dict[str, testtypes.TestType]  # svt.yaml's test_types
    # the events as the full validation read them (path -> data): the pages take them
    # from here instead of reading every file again; None: each page reads its own
    events: dict[str, dict] | None
    labels: bool  # segno is there: draw labels
    site_url: str | None  # svt.yaml's, which the labels' QR codes hold
    jobs: int
    # the store's project on GitHub or GitLab, for the links to each record's source (the
    # build's SiteProject: the remote is asked once a build)
    forge: Forge | None


def make_all(pages: ComponentPages, items: list[ComponentInput], pool_from: int
             ) -> Iterable[Made]:
    """Make the components' pages and labels: in this process for fewer than ``pool_from``
    components (or one job, or no fork), else in a pool of ``pages.jobs`` forked workers."""
    from ..index.queries import fork_available
    if len(items) < pool_from or pages.jobs < 2 or not fork_available():
        for item in items:
            yield one_component(pages, item)
        return
    import multiprocessing
    global _WORKER
    _WORKER = pages
    size = max(50, len(items) // (pages.jobs * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    pages.outputs.environment()  # loaded once, inherited
    result = pages.outputs.result
    try:
        with multiprocessing.get_context("fork").Pool(pages.jobs) as pool:
            for made in pool.imap_unordered(_component_job, chunks):
                for one in made:
                    cid, wrote = one[0], one[3]
                    if wrote:
                        result.pages_written += 1
                        result.written.append(f"{COMPONENTS_DIR}/{cid}.html")
                    else:
                        result.pages_kept += 1
                    yield one
    finally:
        _WORKER = None


# what the pages of a parallel run are made with (inherited by forked workers)
_WORKER: ComponentPages | None = None


def _component_job(items: list[ComponentInput]) -> list[Made]:
    assert _WORKER is not None
    pages = _WORKER
    return [one_component(pages, item) for item in items]


def one_component(pages: ComponentPages, item: ComponentInput) -> Made:
    """Render a component's page and label if their inputs changed; (id, digest, page's
    input hash, page written, label's input hash or None, label written)."""
    outputs = pages.outputs
    context, digest, copies = component_context(pages.db, item, pages.test_types,
                                                pages.events, pages.forge)
    root = str(pages.db.root)
    published = {f"{copy.folder}/{name}" for copy in copies
                 if (name := publish(outputs, root, copy)) is not None}
    prune(outputs, f"{FILES_DIR}/{item.cid}", published)
    digest["photos"] = photos(context)
    context["site_name"] = site_title(pages.db.config)
    label_hash, label_wrote = None, False
    if pages.labels:
        label_hash, label_wrote = _label(pages, item)
        context["label"] = f"{LABELS_DIR}/{quote(item.cid)}.svg"
    rel = f"{COMPONENTS_DIR}/{item.cid}.html"
    before = outputs.result.pages_written
    outputs.page(rel, "component.html.j2", context)
    return (item.cid, digest, outputs.hashes[rel], outputs.result.pages_written > before,
            label_hash, label_wrote)


def photos(context: dict, most: int = 2) -> list[list[str]]:
    """The component's latest photos, for the home page: [date, address from the site's
    root, name], newest first (stored as images, not plots, and shown as images:
    stored.publish)."""
    out = []
    events = [(t["date"], t["stored"]) for t in context["tests"]] + \
        [(e["date"], e["_stored"]) for e in context["logs"]]
    for date, entries in sorted(events, key=lambda e: e[0], reverse=True):
        for entry in entries:
            if entry.get("show") == "image" and entry.get("href") and \
                    entry.get("kind") in ("image", "photo"):  # (not a plot)
                out.append([date, f"{COMPONENTS_DIR}/{entry['href']}", str(entry["name"])])
                if len(out) >= most:
                    return out
    return out


def missing(outputs: SiteOutputs, cid: str, with_labels: bool) -> bool:
    """Whether the component's page, or its label, is gone from OUT (deleted by hand): it
    is made again."""
    return not outputs.still_there(f"{COMPONENTS_DIR}/{cid}.html") or \
        (with_labels and not outputs.still_there(f"{LABELS_DIR}/{cid}.svg"))


def _label(pages: ComponentPages, item: ComponentInput) -> tuple[str, bool]:
    """Write the component's label unless its id, type, serial number and the site's URL
    are those of the last build (and the file is there); (input hash, written)."""
    record = item.record or {}
    component = {"id": item.cid, "type": item.ctype,
                 "serial_number": record.get("serial_number")}
    digest = input_hash([LABEL_VERSION, component, pages.site_url])
    rel = f"{LABELS_DIR}/{item.cid}.svg"
    if pages.outputs.still_there(rel, digest):
        return digest, False
    pages.outputs.write(rel, labels.label_svg(component, pages.site_url,
                                              mask=LABEL_MASK).encode("utf-8"))
    return digest, True
