"""Components: one read, one created or updated, all those matching filters listed.

``Database``'s methods of these names delegate here (their docstrings say what each does);
the checks of a component write are the store's (:mod:`..store.staging`), the listing is the
index's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .. import model
from ..model.errors import InvalidInput, NotFoundError
from ..store.staging import component_write
from ..store.txn import Change

if TYPE_CHECKING:
    from .database import Database


def get_component(db: "Database", component_id: str) -> dict | None:
    db.require()
    model.check_id(component_id)
    try:
        return db.read_component(component_id).data
    except NotFoundError:
        return None


def save_component(db: "Database", component_id: str, fields: dict[str, Any], *,
                   attributes: dict[str, Any] | None) -> tuple[str, bool]:
    write = component_write(db, component_id, fields, attributes=attributes)
    if write.old is None:
        message = f"add {component_id}: new {write.record['type']}, {write.record['status']}"
    elif not write.changes:
        raise InvalidInput(f"nothing to change: {component_id} already has these values")
    else:
        message = f"update {component_id}: {'; '.join(write.changes)}"
    change = Change(message)
    write.stage(db, change)
    return db.commit(change), write.old is None


def list_components(db: "Database", *, component_type: str | None, status: str | None,
                    location: str | None, position: str | None,
                    attributes: Sequence[str]) -> list[dict]:
    db.require()
    if component_type:
        model.check_type(component_type, db.enums)
    if status:
        model.check_status(status, db.enums)
    keep = attribute_filter(attributes)
    from ..index.queries import Index
    rows = Index(db).components(component_type, status, location, position)
    return [r for r in rows if keep(r)]


def attribute_filter(attributes: Sequence[str]) -> Any:
    filters = [model.parse_attribute_filter(text) for text in attributes]
    return lambda record: model.attributes_match(record.get("attributes"), filters)
