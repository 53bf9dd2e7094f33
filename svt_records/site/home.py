"""What the home page and the components table show, from the components' digests
(component_data.py): the counts, each with the components list's filter that shows them
(``components.html#status=installed``: static/table.js reads it), the components that need
attention (a test type's latest verdict failed: model.verdicts), the latest photos; and one
row of the components table per component."""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping
from urllib.parse import urlencode

from ..model.verdicts import HEALTH, overall_health, verdict_cells, verdict_line
from ..store.base import StoreBase
from ..store.layout import DEFAULT_NAME

__all__ = ["HEALTH", "component_row", "home_context", "site_title", "table_test_types"]

ATTENTION_SHOWN = 30  # the failing components listed on the home page (the card links all)
PHOTOS_SHOWN = 8
MAX_TYPE_COLUMNS = 8  # test types with a column of their own in the components table


def site_title(config: Mapping[str, Any]) -> str:
    """The site's title: svt.yaml's ``name`` (never the store's folder name)."""
    name = config.get("name")
    return str(name) if isinstance(name, (str, int, float)) and str(name).strip() \
        else DEFAULT_NAME


def filtered(**wanted: str) -> str:
    """The components list showing only ``wanted`` (its filters in the address' fragment,
    URL-quoted)."""
    return "components.html#" + urlencode(wanted)


def _health(d: dict) -> str:
    return overall_health(d.get("verdicts") or {})


def home_context(ordered: list[dict], by_status: Counter, by_type: Mapping[str, Counter],
                 month: str) -> dict:
    """The home page's cards, the components needing attention and the latest photos."""
    failing = [d for d in ordered if _health(d) == "fail"]
    tests_month = sum(1 for d in ordered for t in d.get("tests") or []
                      if str(t[1]).startswith(month))
    tested_month = sum(1 for d in ordered if (d.get("latest") or [None, ""])[1].startswith(month))
    cards = [{"label": "components", "count": len(ordered), "href": "components.html",
              "kind": "total"},
             {"label": f"tests this month ({tested_month} components)", "count": tests_month,
              "href": filtered(tested=month), "kind": "tests"},
             {"label": "failing components", "count": len(failing),
              "href": filtered(health="fail"), "kind": "fail" if failing else "pass"}]
    statuses = [{"label": status, "count": n, "href": filtered(status=status),
                 "kind": f"status-{status}"} for status, n in sorted(by_status.items())]
    types = [{"label": t, "count": sum(c.values()), "href": filtered(type=t), "kind": "type",
              "statuses": [(s, k, filtered(type=t, status=s)) for s, k in sorted(c.items())]}
             for t, c in sorted(by_type.items())]
    attention = [{"id": d["id"], "type": d["type"], "status": d.get("status") or "",
                  "line": verdict_line(d.get("verdicts") or {}),
                  "verdicts": list((d.get("verdicts") or {}).items())}
                 for d in failing[:ATTENTION_SHOWN]]
    photos = sorted((p + [d["id"]] for d in ordered for p in d.get("photos") or []),
                    key=lambda p: p[0], reverse=True)[:PHOTOS_SHOWN]
    return {"cards": cards, "statuses": statuses, "types": types, "attention": attention,
            "failing": len(failing), "failing_href": filtered(health="fail"),
            "photos": [{"date": p[0], "src": p[1], "name": p[2], "id": p[3]} for p in photos],
            "total": len(ordered), "month": month}


def table_test_types(db: StoreBase, ordered: list[dict]) -> list[str]:
    """The test types with a column in the components table: those svt.yaml defines, then
    the others recorded, most used first (at most MAX_TYPE_COLUMNS)."""
    from ..analysis import testtypes
    defined = list(testtypes.definitions(db.config))
    used: Counter = Counter(t for d in ordered for t in (d.get("verdicts") or {}))
    others = [t for t, _ in sorted(used.items(), key=lambda i: (-i[1], i[0])) if t not in defined]
    return (sorted(defined) + others)[:MAX_TYPE_COLUMNS]


def component_row(d: dict, test_types: list[str]) -> list:
    """One row of the components table: id, type, status, health, each test type's latest
    verdict (model.verdict_cells: "pass", "fail", "no verdict", "": not tested), the latest
    test's date, serial, manufacturer, host module, location, position, run period; then
    whether its records are invalid and its attributes' text (searched, not shown)."""
    verdicts = d.get("verdicts") or {}
    latest = d.get("latest") or [None, None, None]
    return [d["id"], d["type"], d.get("status") or "(none)", _health(d),
            verdict_cells(verdicts, test_types),
            latest[1] or "", d.get("serial") or "", d.get("manufacturer") or "",
            d.get("host") or "", d.get("location") or "", d.get("position") or "",
            d.get("run_period") or "", d["invalid"], d.get("search") or ""]
