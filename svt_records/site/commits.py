"""The commits the site lists (each component's latest, the home page's activity); their
web addresses come from the forge (forge_links.Forge.commits)."""
from __future__ import annotations

from typing import Callable

from ..git.log import LogEntry
from ..store.base import StoreBase
from ..store.layout import RECORDS

COMMITS_SHOWN = 20  # per component page


def component_commits(db: StoreBase, components: list[tuple[str, str]],
                      whole_log: Callable[[], list[LogEntry]] | None = None, *,
                      many: bool) -> dict[str, list[dict]]:
    """The latest commits of each component (newest first): for ``many`` components one log
    of records/ (``whole_log``, when it was started already), else one log each."""
    out: dict[str, list[dict]] = {}
    if not components or db.repo.head() is None:
        return out
    if many:
        wanted = {cid for cid, _ in components}
        for entry in whole_log() if whole_log else db.repo.full_log([RECORDS]):
            seen = set()
            for _, path in entry.changes:
                parts = path.split("/")
                if len(parts) >= 4 and parts[2] in wanted and parts[2] not in seen:
                    seen.add(parts[2])
                    got = out.setdefault(parts[2], [])
                    if len(got) < COMMITS_SHOWN:
                        got.append({"sha": entry.sha, "date": entry.date,
                                    "author": entry.author, "subject": entry.subject})
        return out
    for cid, path in components:
        folder = path.rsplit("/", 1)[0]
        out[cid] = [c._asdict() for c in db.repo.log([folder], COMMITS_SHOWN)]
    return out
