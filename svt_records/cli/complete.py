"""Component ids on the command line (``type=COMPONENT_ID``: ids or scanned label URLs), and
shell completion of ids and positions (click's ``shell_complete=``). Each completion
answers from the index of the store the command line names, cheaply, and never fails: on
any trouble it offers nothing."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:  # the library is imported when a completion runs
    from ..api.database import Database


def _store(ctx: click.Context) -> Database | None:
    from ..api.database import Database
    root = ctx.find_root()
    repo = (root.obj or {}).get("repo") or root.params.get("repo")  # completion parses only
    db = Database(repo)
    return db if db.exists else None


def _offer(find: Callable[[Database], list[str]]) -> Callable[..., list[CompletionItem]]:
    def complete(ctx: click.Context, param: click.Parameter,
                 incomplete: str) -> list[CompletionItem]:
        try:
            db = _store(ctx)
            if db is None:
                return []
            names = find(db)
        except Exception:  # a completion must never break the shell: offer nothing
            return []
        return [CompletionItem(n) for n in names if n.startswith(incomplete)]
    return complete


def _ids(db: Database) -> list[str]:
    from ..index.queries import Index
    return sorted({row[0] for row in Index(db).components(columns=("id",))})


def _positions(db: Database) -> list[str]:
    from ..index.queries import Index
    from ..index.positions import layout
    names = layout(db.config)
    taken = {row[0] for row in Index(db).components(columns=("position",)) if row[0]}
    return names + sorted(taken - set(names))


complete_id = _offer(_ids)
complete_position = _offer(_positions)


class ComponentId(click.ParamType):
    """A component id, as typed or as a scanner reads a label: the URL of the component's
    page (``<anything>/components/<ID>.html``) gives its id. Completes ids."""

    name = "id"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> object:
        if not isinstance(value, str) or "/" not in value:
            return value  # a bare id: the library checks it
        from ..model import id_from_scan
        return id_from_scan(value)

    def shell_complete(self, ctx: click.Context, param: click.Parameter,
                       incomplete: str) -> list[CompletionItem]:
        return complete_id(ctx, param, incomplete)


COMPONENT_ID = ComponentId()
