"""Issue 24, "Input that cannot leak or trick": `svt import-sqlite` reads files only from
inside --data-dir. The SQLite file is input like any other: a path it names that is absolute,
leads out through `..`, or passes through a symbolic link is not copied (let alone committed)
and the summary lists it with the reason; the files inside still come over."""
from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not for the store"

SCHEMA = """
CREATE TABLE components (id TEXT PRIMARY KEY, type TEXT, installation_status TEXT,
  created_at TEXT, updated_at TEXT);
CREATE TABLE test_results (id INTEGER PRIMARY KEY, component_id TEXT, test_date TEXT,
  test_type TEXT, pass_fail INTEGER);
CREATE TABLE test_files (id INTEGER PRIMARY KEY, test_id INTEGER, file_type TEXT,
  file_path TEXT, original_filename TEXT, description TEXT);
CREATE TABLE component_images (id INTEGER PRIMARY KEY, component_id TEXT, image_path TEXT,
  description TEXT, uploaded_by TEXT, upload_date TEXT);
"""


@pytest.fixture
def legacy(tmp_path: Path) -> dict:
    """An original tracker's folder whose database names files in and out of test_data."""
    home = tmp_path / "victim-home"
    key = home / ".ssh" / "id_ed25519"
    key.parent.mkdir(parents=True)
    key.write_bytes(SECRET)
    folder = tmp_path / "tracker"
    data = folder / "test_data"
    (data / "2024").mkdir(parents=True)
    (data / "2024" / "iv.csv").write_bytes(b"v,i\n0,0\n60,2e-6\n")
    (data / "photos").mkdir()
    (data / "photos" / "ok.jpg").write_bytes(b"a real photo")
    (data / "2024" / "key.png").symlink_to(key)  # a link inside, to a file outside
    (data / "linked").symlink_to(home / ".ssh", target_is_directory=True)  # a linked folder
    (folder / "secret.txt").write_bytes(SECRET)  # beside test_data, reachable by ..
    named = {
        "inside": "2024/iv.csv",
        "absolute": str(key),
        "dotdot": "../secret.txt",
        "dotdot-deep": "2024/../../secret.txt",
        "link": "2024/key.png",
        "linked-folder": "linked/id_ed25519",
        "home": "~/.ssh/id_ed25519",
        "up-up": "../..",
    }
    db_path = folder / "svt_components.db"
    con = sqlite3.connect(db_path)
    con.executescript(SCHEMA)
    con.execute("INSERT INTO components VALUES ('MOD-1', 'module', 'spare',"
                " '2024-11-01 10:00:00', '2024-11-01 10:00:00')")
    con.execute("INSERT INTO test_results VALUES (1, 'MOD-1', '2024-11-15T14:30:22',"
                " 'iv_curve', 1)")
    con.executemany("INSERT INTO test_files (test_id, file_type, file_path, original_filename)"
                    " VALUES (1, 'raw_data', ?, 'f')", [(p,) for p in named.values()])
    con.executemany("INSERT INTO component_images (component_id, image_path, upload_date)"
                    " VALUES ('MOD-1', ?, '2024-11-03T12:00:00')",
                    [("photos/ok.jpg",), (str(key),), ("../secret.txt",), ("linked/id_ed25519",)])
    con.commit()
    con.close()
    return {"db": db_path, "data": data, "named": named}


def all_blobs(store: Path) -> bytes:
    """Every object git holds in the store, as one byte string."""
    out = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=store,
                         capture_output=True, check=True)
    return out.stdout


def test_only_files_inside_the_data_folder_are_imported(db, svt, legacy):
    result = svt("import-sqlite", str(legacy["db"]), "--data-dir", str(legacy["data"]))
    out = result.stdout
    # nothing from outside reached the work tree or git's objects
    for path in db.root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(db.root).parts:
            assert SECRET not in path.read_bytes(), path
    assert SECRET not in all_blobs(db.root)
    assert not any(p.is_symlink() for p in db.root.rglob("*"))
    # what was inside came over
    test = next(e for e in db.events("MOD-1") if e["kind"] == "test")
    assert [f["kind"] for f in test["files"]] == ["data"]
    photo = next(e for e in db.events("MOD-1") if e["kind"] == "attachment")
    assert photo["files"][0]["size"] == len(b"a real photo")
    # each refused path is listed, with why
    skipped = out.split("Skipped", 1)[1]
    for name, rel in legacy["named"].items():
        if name == "inside":
            continue
        line = next((l for l in skipped.splitlines()
                     if f"file {rel} of " in l or f"file {rel}: " in l), None)
        assert line is not None, (rel, out)
        reason = {"absolute": "an absolute path", "home": "an absolute path",
                  "link": "symbolic link", "linked-folder": "symbolic link"}.get(name, "'..'")
        assert reason in line and "--data-dir" in line, line
    assert svt("validate", ok=False).exit_code == 0


def test_a_database_naming_only_outside_files_commits_none_of_them(db, svt, legacy, gitcmd):
    con = sqlite3.connect(legacy["db"])
    con.execute("DELETE FROM test_files WHERE file_path = '2024/iv.csv'")
    con.execute("DELETE FROM component_images WHERE image_path = 'photos/ok.jpg'")
    con.commit()
    con.close()
    svt("import-sqlite", str(legacy["db"]), "--data-dir", str(legacy["data"]))
    files = gitcmd(db.root, "ls-files", "records/module").split()
    assert files and all(f.endswith(".yaml") for f in files), files
    assert SECRET not in all_blobs(db.root)
