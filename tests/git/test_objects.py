"""svt writes blobs, trees and commits as loose objects itself, and reads HEAD from the files
under .git: the objects must be exactly git's, and git must still do the work wherever its
settings (filters, signing, another object format) would make it write something else."""
from __future__ import annotations

import os
import subprocess
import zlib
from pathlib import Path

import pytest

from svt_records.git.repo import GitRepo


def git_out(root: Path, *args: str, **kw) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True, **kw).stdout.strip()


def loose_bytes(root: Path, sha: str) -> bytes:
    return (root / ".git" / "objects" / sha[:2] / sha[2:]).read_bytes()


def git_processes(trace: Path) -> list[str]:
    return [line.split("built-in: ", 1)[1] for line in trace.read_text().splitlines()
            if "built-in: git" in line]


def test_a_test_result_costs_three_git_processes_and_show_none(store_path, svt_proc, png,
                                                                tmp_path):
    """git's index is written in-process after the commit (git/indexwrite.py): no
    `update-index`, and `git status` is clean after."""
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt_proc("show", "FEB-001")  # writes the commit-graph once
    trace = tmp_path / "trace"
    svt_proc("test", "FEB-001", "--type", "iv_curve", "--pass", "--image", str(png),
             env={"GIT_TRACE": str(trace)})
    ran = git_processes(trace)
    assert [r.split()[1] for r in ran] == ["var", "cat-file", "update-ref"], ran
    assert git_out(store_path, "status", "--porcelain") == ""
    trace.unlink()
    svt_proc("show", "FEB-001", env={"GIT_TRACE": str(trace)})
    assert not trace.exists()  # the commit's history comes from svt's link (ownwrites)


def test_a_write_that_replaces_records_costs_three_git_processes(store_path, svt_proc,
                                                                tmp_path):
    """Whether a record to be replaced has uncommitted changes is read from git's index
    file, the file and HEAD's tree (the commit's own `cat-file`), not asked of `git status`."""
    for cid, ctype in (("M-1", "module"), ("S-1", "sensor"), ("FEB-001", "feb")):
        svt_proc("add", "--id", cid, "--type", ctype, "--status", "spare")
    trace = tmp_path / "trace"
    for args in (["add", "--id", "FEB-001", "--status", "testing"],
                 ["location", "FEB-001", "Lab"],
                 ["assemble", "M-1", "--sensor", "S-1"]):
        trace.unlink(missing_ok=True)
        svt_proc(*args, env={"GIT_TRACE": str(trace)})
        ran = [r.split()[1] for r in git_processes(trace)]
        assert ran == ["var", "cat-file", "update-ref"], (args, ran)
    assert git_out(store_path, "status", "--porcelain") == ""


def test_reading_git_config_keeps_the_cached_settings_and_writing_it_drops_them(
        store_path, tmp_path, monkeypatch):
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    repo = GitRepo(store_path)
    repo._config()
    repo.run("config", "--get", "user.name", check=False)  # as lfs_configured asks
    repo._config()
    assert [r.split()[1] for r in git_processes(trace)] == ["var", "config"]
    repo.run("config", "svt.test", "yes")
    assert repo._config()["svt.test"] == "yes"


@pytest.mark.parametrize("perm", [0o644, 0o755, 0o654, 0o744, 0o611])
def test_a_file_is_executable_as_git_says_by_its_owner_bit(tmp_path, perm):
    """svt's trees and its uncommitted-change check give a file the mode git stages."""
    from svt_records.git.objects import _file_mode
    git_out(tmp_path, "init", "-q")
    f = tmp_path / "f"
    f.write_text("x")
    f.chmod(perm)
    git_out(tmp_path, "-c", "core.filemode=true", "add", "f")
    staged = git_out(tmp_path, "ls-files", "-s", "f").split()[0]
    assert _file_mode(os.stat(f).st_mode) == staged


def test_objects_svt_writes_are_the_ones_git_writes(db, png):
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, images=[png])
    root = db.root
    # every blob of the commit is what git hash-object makes of the file on disk
    for line in git_out(root, "diff-tree", "-r", "--no-commit-id", "HEAD~1", "HEAD").splitlines():
        meta, path = line.split("\t")
        assert meta.split()[3] == git_out(root, "hash-object", path), path
    # the commit: git commit-tree given the same tree, parent, names, dates and message
    head = git_out(root, "rev-parse", "HEAD")
    text = subprocess.run(["git", "cat-file", "commit", head], cwd=root, capture_output=True,
                          check=True).stdout
    headers, _, message = text.partition(b"\n\n")
    fields = dict(line.split(" ", 1) for line in headers.decode().splitlines())
    env = dict(os.environ)
    for role in ("author", "committer"):
        who, _, when = fields[role].rpartition("> ")
        name, email = who.split(" <")
        env.update({f"GIT_{role.upper()}_NAME": name, f"GIT_{role.upper()}_EMAIL": email,
                    f"GIT_{role.upper()}_DATE": when})
    again = subprocess.run(["git", "commit-tree", fields["tree"], "-p", fields["parent"]],
                           cwd=root, input=message, capture_output=True, env=env,
                           check=True).stdout.decode().strip()
    assert again == head
    # loose, zlib at git's default loose level (1), and the whole store passes fsck
    raw = loose_bytes(root, head)
    assert raw[:2] == b"\x78\x01"
    assert zlib.decompress(raw) == b"commit %d\0" % len(text) + text
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=root,
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_core_compression_sets_the_loose_objects_level(db, gitcmd):
    gitcmd(db.root, "config", "core.compression", "9")
    db.save_component("M-1", {"type": "module", "status": "spare"})
    assert loose_bytes(db.root, git_out(db.root, "rev-parse", "HEAD"))[:2] == b"\x78\xda"


def test_a_clean_filter_in_gitattributes_still_applies(db, gitcmd):
    """A filter (here one that upper-cases) changes the bytes git stores: git hashes them."""
    root = db.root
    gitcmd(root, "config", "filter.upper.clean", "tr a-z A-Z")
    gitcmd(root, "config", "filter.upper.smudge", "cat")
    (root / ".gitattributes").write_text("records/**/component.yaml filter=upper\n")
    gitcmd(root, "add", ".gitattributes")
    gitcmd(root, "commit", "-q", "-m", "filter")
    db.save_component("M-1", {"type": "module", "status": "spare"})
    stored = git_out(root, "show", "HEAD:records/module/M-1/component.yaml")
    assert "TYPE: MODULE" in stored
    assert git_out(root, "status", "--porcelain") == ""


def test_a_commit_encoding_setting_sends_the_commit_through_git(db, gitcmd):
    """i18n.commitEncoding makes git commit-tree add an encoding header: git writes it."""
    gitcmd(db.root, "config", "i18n.commitEncoding", "ISO-8859-1")
    db.save_component("M-1", {"type": "module", "status": "spare"})
    assert "\nencoding ISO-8859-1\n" in git_out(db.root, "cat-file", "commit", "HEAD")


def test_a_sha256_repository_is_refused_with_nothing_written(tmp_path, svt):
    store = tmp_path / "s"
    store.mkdir()
    subprocess.run(["git", "init", "-q", "--object-format=sha256"], cwd=store, check=True)
    result = svt("init", str(store), ok=False)
    assert result.exit_code == 1
    assert "sha256" in result.stderr and "SHA-1" in result.stderr
    assert git_out(store, "status", "--porcelain", "--untracked-files=all") == ""


def test_head_is_read_from_the_files_as_git_resolves_it(tmp_path, gitcmd):
    root = tmp_path / "r"
    root.mkdir()
    gitcmd(root, "init", "-q", "--initial-branch=main")
    repo = GitRepo(root)
    assert repo.head() is None  # unborn
    for n in range(2):
        (root / f"f{n}").write_text("x")
        gitcmd(root, "add", ".")
        gitcmd(root, "commit", "-q", "-m", f"c{n}")
    assert repo.head() == git_out(root, "rev-parse", "HEAD")  # loose ref
    gitcmd(root, "pack-refs", "--all")
    assert not (root / ".git" / "refs" / "heads" / "main").exists()
    assert repo.head() == git_out(root, "rev-parse", "HEAD")  # packed
    gitcmd(root, "checkout", "-q", "--detach", "HEAD~1")
    assert repo.head() == git_out(root, "rev-parse", "HEAD")  # detached
    gitcmd(root, "checkout", "-q", "main")
    gitcmd(root, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"), "HEAD~1")
    assert GitRepo(tmp_path / "wt").head() == git_out(root, "rev-parse", "main~1")  # worktree
    gitcmd(root, "checkout", "-q", "--orphan", "fresh")
    assert repo.head() is None  # unborn again, with packed refs present


def test_setup_split_index_keeps_gits_index_split_through_svt_commits(store_path, svt):
    result = svt("setup", "--split-index")
    assert "split" in result.stdout
    assert git_out(store_path, "config", "core.splitIndex") == "true"
    shared = set((store_path / ".git").glob("sharedindex.*"))
    assert shared
    svt("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    assert git_out(store_path, "status", "--porcelain") == ""
    assert git_out(store_path, "ls-files", "records/feb/FEB-001")
    # the commit rewrote the small split part, not the shared index
    assert shared <= set((store_path / ".git").glob("sharedindex.*"))
    fsck = subprocess.run(["git", "fsck", "--no-progress"], cwd=store_path,
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_list_and_show_inside_a_store_never_load_the_yaml_parser(prebuilt, svt):
    """Run from inside the store (no --repo), as users do: finding the store reads svt.yaml
    only to see whether it is an example store, which needs no parser when it says nothing
    of examples."""
    import sys
    db = prebuilt(lambda d, png: d.save_component("FEB-001", {"type": "feb",
                                                               "status": "spare"}))
    for args in (["list"], ["show", "FEB-001"]):
        code = ("import sys\nfrom svt_records.cli import main\n"
                f"sys.argv = ['svt', *{args!r}]\n"
                "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
                "print('yaml' in sys.modules)\n")
        env = {k: v for k, v in os.environ.items() if k != "SVT_REPO"}
        out = subprocess.run([sys.executable, "-c", code], cwd=db.root / "records",
                             capture_output=True, text=True, env=env, check=True).stdout
        assert out.splitlines()[-1] == "False", (args, out)


def test_a_list_asks_git_for_heads_records_tree_only_when_head_moved(store_path, svt_proc,
                                                                       tmp_path, gitcmd):
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt_proc("list")  # builds the index
    svt_proc("list")  # notes HEAD's commit and git's index file
    trace = tmp_path / "trace"

    def asked() -> list[str]:
        trace.unlink(missing_ok=True)
        assert "FEB-001" in svt_proc("list", env={"GIT_TRACE": str(trace)}).stdout
        return [r.split()[1] for r in git_processes(trace)]
    assert asked() == ["diff-files"]
    gitcmd(store_path, "commit", "-q", "--allow-empty", "-m", "moved")
    # HEAD moved: git names its records tree again (rev-parse runs alongside diff-files and
    # others, so the trace may list it anywhere)
    assert "rev-parse" in asked()
    assert asked() == ["diff-files"]


def test_positions_refresh_the_index_once(store_path, svt_proc, tmp_path):
    """`svt positions` reads components and their tests from one refresh (one git process),
    not a refresh for each query."""
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt_proc("install", "FEB-001", "FEB3", "--run-period", "2025_spring")
    svt_proc("test", "FEB-001", "--type", "iv_curve", "--pass")
    svt_proc("positions")  # builds the index, notes HEAD
    trace = tmp_path / "trace"
    out = svt_proc("positions", "--format", "csv", env={"GIT_TRACE": str(trace)}).stdout
    assert "FEB3,FEB-001,feb," in out and ",pass,pass," in out  # health, verdicts.iv_curve
    assert [r.split()[1] for r in git_processes(trace)] == ["diff-files"]


def test_writing_an_object_that_exists_freshens_it_against_pruning(tmp_path, gitcmd):
    gitcmd(tmp_path, "init", "-q")
    sha = git_out(tmp_path, "hash-object", "-w", "--stdin", input="old\n")
    path = tmp_path / ".git" / "objects" / sha[:2] / sha[2:]
    os.utime(path, (1_000_000_000, 1_000_000_000))  # unreachable and weeks old: prunable
    writer = GitRepo(tmp_path)._loose_writer()
    assert writer is not None
    assert writer.write(b"blob", b"old\n") == sha
    assert path.stat().st_mtime > 1_000_000_000


def test_plain_writes_load_no_module_they_do_not_use(store_path):
    """`svt add` and a `svt test` without data load neither jsonschema (0.1 s), the YAML
    parser, the data file readers nor tempfile: the compiled checker and svt's own writer do
    the work, and a folder for a plot is made only where data is analysed."""
    import sys
    code = ("import sys\nfrom svt_records.cli import main\n"
            "for args in (['add', '--id', 'F-1', '--type', 'feb'],\n"
            "             ['add', '--id', 'F-1', '--status', 'spare'],\n"
            "             ['test', 'F-1', '--type', 'iv_curve', '--pass', '--voltage', '100']):\n"
            "    assert main(args) == 0, args\n"
            "print(sorted(m for m in ('jsonschema', 'yaml', 'tempfile', 'svt_records.analysis.ivfile',"
            " 'numpy') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[-1] == "[]", out
