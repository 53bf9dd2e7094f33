"""Where git is installed (its etc/gitattributes counts for every file): svt looks along
PATH as shutil.which does, without loading shutil on every write."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from svt_records.git.config import _git_prefix


def _which_prefix(search_path: str) -> Path | None:
    found = shutil.which("git", path=search_path)
    return Path(found).resolve().parent.parent if found else None


@pytest.mark.skipif(os.name == "nt", reason="Windows looks for git.exe through shutil")
def test_git_is_found_along_path_as_shutil_finds_it(tmp_path, monkeypatch):
    not_exec, folder_named_git, real, later = (tmp_path / n / "bin" for n in
                                              ("a", "b", "c", "d"))
    for d in (not_exec, folder_named_git, real, later):
        d.mkdir(parents=True)
    (not_exec / "git").write_text("#!/bin/sh\n")  # not executable: passed over
    (folder_named_git / "git").mkdir()  # a folder: passed over
    for d in (real, later):
        (d / "git").write_text("#!/bin/sh\n")
        (d / "git").chmod(0o755)
    (tmp_path / "git").write_text("#!/bin/sh\n")  # in the current folder: not on PATH
    (tmp_path / "git").chmod(0o755)
    (tmp_path / "link" / "bin").mkdir(parents=True)
    (tmp_path / "link" / "bin" / "git").symlink_to(real / "git")  # resolved, as which's
    monkeypatch.chdir(tmp_path)
    paths = [[not_exec, folder_named_git, real, later], [later, real], [not_exec],
             [tmp_path / "link" / "bin", later], [], [tmp_path / "missing", real]]
    for folders in paths:
        search = os.pathsep.join(map(str, folders))
        _git_prefix.cache_clear()
        assert _git_prefix(search) == _which_prefix(search), folders
    _git_prefix.cache_clear()
    assert _git_prefix(os.pathsep + str(later)) == _which_prefix(os.pathsep + str(later))
