"""A store's schemas brought up to svt's: what `svt upgrade` writes, and whether `svt validate`
should say that a store's schemas are older than svt's.

Each store's ``schemas/`` is its own authority (a pull request that changes them is a rule
change), and they say ``additionalProperties: false``: a key svt learns later is refused by a
store made before. The way for a store to take them is one reviewed commit of svt's current
schemas (:func:`upgraded`), keeping what the store added to them itself:

- a value the store added to an ``enum`` (an extra status, say) stays, after svt's values;
- an entry the store added to a ``required`` list stays;
- a key svt's schema does not have (a property, a ``$defs`` entry, a keyword) stays;
- everything else is svt's: a keyword both give is written with svt's value, and the
  values of the store's that this replaces are listed (``Upgrade.replaced``) so the
  committer and the reviewer see them.

The one key svt took out on purpose, a top-level ``$id`` (older svt wrote https ids, which
send other validators to the network), is dropped.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NamedTuple

from ..files import schema
from ..model.errors import SvtError

_UNION_LISTS = ("enum", "required")  # lists the store may add to: svt's values, then its own
# words for people, not rules: svt's are written, and a difference is not worth a mention
ANNOTATIONS = ("description", "title", "$comment", "examples")
DROPPED_TOP_LEVEL = ("$id",)


class FileUpgrade(NamedTuple):
    """One schema file: the text to write (None: it already holds exactly that) and what the
    merge kept of the store's, added of svt's and replaced of the store's."""
    name: str
    text: str | None
    kept: list[str]
    added: list[str]
    replaced: list[str]


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(the schema)"


def _show(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def merge(svt: Any, store: Any, path: tuple = ()) -> tuple[Any, list[str], list[str], list[str]]:
    """svt's schema node with the store's additions: (node, kept, added, replaced), each list
    naming places (``properties.status.enum "banana"``)."""
    kept: list[str] = []
    added: list[str] = []
    replaced: list[str] = []
    if isinstance(svt, dict) and isinstance(store, dict):
        out: dict = {}
        for key, value in svt.items():
            if key in ANNOTATIONS and not isinstance(value, (dict, list)):
                out[key] = value
            elif key in store:
                node, k, a, r = merge(value, store[key], path + (key,))
                out[key] = node
                kept += k
                added += a
                replaced += r
            else:
                out[key] = copy.deepcopy(value)
                added.append(_where(path + (key,)))
        for key, value in store.items():
            if key in svt or (not path and key in DROPPED_TOP_LEVEL):
                continue
            out[key] = copy.deepcopy(value)
            kept.append(_where(path + (key,)))
        return out, kept, added, replaced
    if (path and path[-1] in _UNION_LISTS and isinstance(svt, list)
            and isinstance(store, list)):
        extra = [v for v in store if v not in svt]
        added += [f"{_where(path)} {_show(v)}" for v in svt if v not in store]
        kept += [f"{_where(path)} {_show(v)}" for v in extra]
        return copy.deepcopy(svt) + copy.deepcopy(extra), kept, added, replaced
    if isinstance(svt, list) and isinstance(store, list) and len(svt) == len(store):
        items = []
        for i, (a_item, b_item) in enumerate(zip(svt, store)):
            node, k, a, r = merge(a_item, b_item, path + (i,))
            items.append(node)
            kept += k
            added += a
            replaced += r
        return items, kept, added, replaced
    if svt != store or type(svt) is not type(store):
        replaced.append(f"{_where(path)} (the store's {_show(store)}, svt's {_show(svt)})")
    return copy.deepcopy(svt), kept, added, replaced


def render(doc: Any) -> str:
    """A schema's text as svt writes its own (two-space JSON, a final newline)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def upgraded(store_dir: Path | str) -> list[FileUpgrade]:
    """Every schema svt ships, merged with the store's copy in ``store_dir``."""
    store_dir, svt_dir = Path(store_dir), schema.package_schema_dir()
    out = []
    for name in schema.SCHEMA_NAMES:
        file_name = f"{name}.schema.json"
        svt_text = (svt_dir / file_name).read_text(encoding="utf-8")
        svt_doc = json.loads(svt_text)
        try:
            current = (store_dir / file_name).read_text(encoding="utf-8")
        except FileNotFoundError:
            out.append(FileUpgrade(file_name, svt_text, [], ["(the whole file)"], []))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise SvtError(f"schemas/{file_name} cannot be read ({exc}): restore it (git"
                           f" checkout -- schemas/{file_name}), then run svt upgrade again")
        try:
            store_doc = json.loads(current)
        except ValueError as exc:
            raise SvtError(f"schemas/{file_name} is not valid JSON ({exc}): fix it or restore"
                           f" it (git checkout -- schemas/{file_name}), then run svt upgrade"
                           " again") from None
        doc, kept, added, replaced = merge(svt_doc, store_doc)
        # the same schema in other formatting is left as it is
        text = None if doc == store_doc else svt_text if doc == svt_doc else render(doc)
        out.append(FileUpgrade(file_name, text, kept, added, replaced))
    return out


def older_than_svt(store_dir: Path | str) -> str | None:
    """What the store's schemas lack of svt's, in a few words; None when they hold all of it
    (a store whose schemas cannot be read is validate's to report, not this)."""
    store_dir = Path(store_dir)
    if store_dir.resolve() == schema.package_schema_dir().resolve():
        return None
    try:
        files = upgraded(store_dir)
    except SvtError:
        return None
    changes = [(f.name, what.split(" ", 1)[0]) for f in files if f.text is not None
               for what in f.added + f.replaced]
    if not changes:
        return None
    shown = ", ".join(f"{name} {what}" for name, what in changes[:3])
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return shown + more
