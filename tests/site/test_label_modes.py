"""Labels and site files get the same file modes (issue 29): what any program writes under
the user's umask (0644 under 022), not 0600 for labels alone. Both go through
site.FILE_MODE; the real CLI writes them."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from svt_records import Database


def build_store(db: Database, png) -> Database:
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    db.save_component("MOD-1", {"type": "module"})
    return db


@pytest.fixture
def store(prebuilt) -> Database:
    return prebuilt(build_store)


def modes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("umask, expected", [(0o002, 0o664)])  # a team group: rw for it
def test_labels_are_written_with_the_modes_of_site_files(store, svt, tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        svt("label", "FEB-1", "MOD-1", "--out", str(tmp_path / "labels"))
        svt("label", "FEB-1", "--format", "png", "--out", str(tmp_path / "labels"))
        svt("label", "--sheet", "--format", "pdf", "--out", str(tmp_path / "sheets"))
        svt("site", str(tmp_path / "site"))
    finally:
        os.umask(old)
    labels = modes(tmp_path / "labels") | modes(tmp_path / "sheets")
    site = modes(tmp_path / "site")
    assert {"FEB-1.svg", "MOD-1.svg", "FEB-1.png"} <= set(labels) and len(labels) == 4, labels
    assert site and set(site.values()) == {expected}, site
    assert set(labels.values()) == {expected}, {k: oct(v) for k, v in labels.items()}
    assert not [p for p in (tmp_path / "labels").iterdir() if p.name.startswith(".")]
