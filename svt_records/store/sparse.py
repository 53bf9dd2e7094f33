"""``SparseView``: a clone with a sparse checkout, where HEAD, not the work tree, says which
components exist; the components outside it, and the refusal to write there.
"""
from __future__ import annotations

from ..files import yamlio
from ..model.errors import SvtError
from ..git.worktree import SparseCheckout
from .layout import COMPONENT_FILE, RECORDS
from .root import _UNKNOWN, StoreRoot


class SparseView(StoreRoot):
    """What a sparse checkout leaves out (nothing in a full checkout)."""

    @property
    def sparse_checkout(self) -> SparseCheckout | None:
        if self._sparse is _UNKNOWN:
            self._sparse = self.repo.sparse_checkout()
        return self._sparse

    def outside_sparse(self) -> dict[str, str]:
        """{id: type} of the components HEAD holds outside this clone's sparse checkout
        (none in a full checkout, which pays one stat for the answer)."""
        sparse = self.sparse_checkout
        if sparse is None:
            return {}
        if self._outside is None:
            self._outside = {}
            for name in self.repo.tree_names("HEAD", [f"{RECORDS}/{t}"
                                                      for t in self.enums.component_types]):
                _, ctype, cid = name.split("/", 2)
                path = f"{name}/{COMPONENT_FILE}"
                inside = sparse.includes(path)
                if inside is None:  # not cone mode: what git checked out
                    inside = (self.root / path).exists()
                if not inside:
                    self._outside[cid] = ctype
        return self._outside

    def outside_sparse_records(self) -> dict[str, dict]:
        """The component records (as HEAD has them) behind :meth:`outside_sparse`; an
        empty mapping for one that cannot be read."""
        specs = {cid: f"HEAD:{RECORDS}/{ctype}/{cid}/{COMPONENT_FILE}"
                 for cid, ctype in self.outside_sparse().items()}
        blobs = self.repo.read_blobs(list(specs.values()))
        out = {}
        for cid, spec in specs.items():
            try:
                text = (blobs.get(spec) or b"").decode("utf-8")
                data = yamlio.load_fast(text)
                data = yamlio.load(text).data if data is None else data
            except (UnicodeDecodeError, yamlio.YamlError):
                data = None
            out[cid] = data if isinstance(data, dict) else {}
        return out

    def hidden_by_sparse_checkout(self) -> int:
        """How many components listings leave out: those outside the sparse checkout."""
        self.require()
        return len(self.outside_sparse())

    def _refuse_outside_sparse(self, paths: list[str]) -> None:
        sparse = self.sparse_checkout
        if sparse is None:
            return
        for path in paths:
            if sparse.includes(path) is False:
                parts = path.split("/")
                folder = "/".join(parts[:2]) if parts[0] == RECORDS and len(parts) > 2 else path
                raise SvtError(f"refused: {path} lies outside this clone's sparse checkout:"
                               f" include it with `git sparse-checkout add {folder}`, then run"
                               " the command again")
