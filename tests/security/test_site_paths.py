"""Issue 24, writes outside OUT: every output path stays inside OUT.

Names from records become file names of the site. A measurement name holding "../" passed
validate and made the site write a PNG outside OUT; an invalid ``test_type: "../../x"``
made it write x.html outside OUT; a component id does the same with its page. One rule of
path-safe names, built into svt (model.names.is_path_safe), is checked by validate and by
the site, which refuses such a store in one line and writes nothing. OUT itself, where CI
builds it inside the checked-out store, may hold no file or link the store tracks."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


def git(path: Path, *args: str) -> str:
    """Run git in ``path`` (as conftest.git does; imported from no conftest, whose module
    name another folder's conftest.py may take)."""
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


def outside(tmp_path: Path, out: Path) -> list[str]:
    """Files under tmp_path, outside the store and OUT, that the build wrote."""
    return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                  if p.is_file() and "store" not in p.relative_to(tmp_path).parts
                  and out not in p.parents and p.suffix in (".png", ".html", ".svg"))


def write_event(root: Path, cid: str, name: str, text: str) -> None:
    folder = root / "records/module" / cid / "2025"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a pull request")


@pytest.fixture
def module(db):
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    return db


def test_a_measurement_name_with_dot_dots_never_leaves_out(module, svt, tmp_path):
    for day in (10, 11):
        write_event(module.root, "MOD-1", f"202501{day}_100000_noise_test.yaml",
                    f"kind: test\ndate: '2025-01-{day}T10:00:00+00:00'\ncomponent: MOD-1\n"
                    "test_type: noise_test\nresult: pass\nmeasurements:\n"
                    f"  x/../../../../escape: {day}.0\n")
    out = tmp_path / "site" / "public"
    result = svt("site", str(out), ok=False)
    assert outside(tmp_path, out) == []
    assert result.exit_code == 1
    assert "measurement name 'x/../../../../escape' cannot name a file" in result.stderr
    assert "nothing was written" in result.stderr and not out.exists()
    checked = svt("validate", ok=False)
    assert checked.exit_code != 0 and "cannot name a file" in checked.stdout + checked.stderr


def test_an_invalid_test_type_never_leaves_out(module, svt, tmp_path):
    write_event(module.root, "MOD-1", "20250110_100000_x.yaml",
                "kind: test\ndate: '2025-01-10T10:00:00+00:00'\ncomponent: MOD-1\n"
                "test_type: ../../x\nresult: pass\n")
    out = tmp_path / "site" / "public"
    result = svt("site", str(out), ok=False)
    assert outside(tmp_path, out) == []
    assert result.exit_code == 1 and "test_type '../../x' cannot name a file" in result.stderr
    assert not out.exists()


def test_a_component_id_with_dot_dots_never_leaves_out(module, svt_proc, tmp_path):
    """The pull request also loosens the store's schema of ids (it controls schemas/); svt
    runs in a process of its own, which reads that schema afresh."""
    defs = module.root / "schemas/defs.schema.json"
    schema = json.loads(defs.read_text())
    del schema["$defs"]["id"]["pattern"]
    defs.write_text(json.dumps(schema, indent=2))
    folder = module.root / "records/module/MOD-9"
    folder.mkdir()
    (folder / "component.yaml").write_text("id: ../../evil\ntype: module\nstatus: testing\n")
    git(module.root, "add", "-A")
    git(module.root, "commit", "-q", "-m", "a pull request")
    out = tmp_path / "site" / "public"
    result = svt_proc("site", str(out), check=False)
    assert outside(tmp_path, out) == []
    assert result.returncode == 1 and "id '../../evil' cannot name a file" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("committed", ["public/components", "public"])
def test_an_out_the_store_tracks_is_refused(module, svt, tmp_path, committed):
    """CI builds into public/ of the checked-out store: a pull request commits it, or a
    folder in it, as a link to elsewhere."""
    root = module.root
    (tmp_path / "elsewhere").mkdir()
    link = root / committed
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(Path("../" * committed.count("/")) / ".." / "elsewhere")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a pull request")
    result = svt("site", str(root / "public"), ok=False)
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_files_committed_into_out_are_refused(module, svt):
    root = module.root
    (root / "public").mkdir()
    (root / "public/index.html").write_text("<p>mine</p>")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a pull request")
    result = svt("site", str(root / "public"), ok=False)
    assert result.exit_code == 1 and "the store tracks files there" in result.stderr
    assert (root / "public/index.html").read_text() == "<p>mine</p>"
    # an OUT the store does not track is fine, inside the store or not
    svt("site", str(root / "site-out"))


def test_the_advice_for_a_tracked_out_works_as_pasted_and_never_untracks_the_store(module,
                                                                                  svt):
    """The refusal suggests untracking OUT: pasted as given it untracks just that folder, even
    one whose name holds a space, and for the store's own folder it suggests no such thing."""
    import shlex
    root = module.root
    (root / "pub lic").mkdir()
    (root / "pub lic/index.html").write_text("<p>mine</p>")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a pull request")
    stderr = svt("site", str(root / "pub lic"), ok=False).stderr
    command = stderr.split("(git rm", 1)[1].split(" and commit", 1)[0]
    subprocess.run(["git", "rm", *shlex.split(command)], cwd=root, check=True,
                   capture_output=True)
    assert git(root, "ls-files", "pub lic") == "" and git(root, "ls-files", "records")
    whole = svt("site", str(root), ok=False).stderr
    assert "the store tracks files there" in whole and "git rm" not in whole


def test_a_manifest_naming_components_outside_out_deletes_nothing_there(module, svt,
                                                                         tmp_path):
    """The manifest in OUT is a file anyone can edit: a gone component it names with "../"
    removes nothing outside OUT."""
    out = tmp_path / "site" / "public"
    svt("site", str(out))
    victim = tmp_path / "victim.html"
    victim.write_text("keep me")
    manifest_path = out / ".svt-site/manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["digests"]["../../../victim"] = dict(manifest["digests"]["MOD-1"],
                                                  id="../../../victim")
    manifest_path.write_text(json.dumps(manifest))
    module.save_component("MOD-2", {"type": "module", "status": "testing"})
    svt("site", str(out))
    assert victim.read_text() == "keep me"


def test_the_site_writes_only_plain_paths_inside_out(tmp_path):
    """Whatever reaches the writer: ".." and links on the way are refused."""
    from svt_records.site.outputs import OutsideOut, SiteOutputs
    out = tmp_path / "public"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "tests").symlink_to(tmp_path / "elsewhere")
    outputs = SiteOutputs(out, {})
    for rel in ("../x.html", "a/../../x.html", "/etc/x", "", "a//b", "tests/x.html"):
        with pytest.raises(OutsideOut):
            outputs.write(rel, b"x")
    outputs.write("components/x.html", b"x")
    assert (out / "components/x.html").read_bytes() == b"x"
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize("name, safe", [
    ("MOD-1", True), ("iv_curve", True), ("I_leak.max", True), ("HPK+SN.12", True),
    ("../x", False), ("a/b", False), ("a\\b", False), ("..", False), (".hidden", False),
    ("x.", False), ("leakage current", False), ("", False), ("x" * 129, False), (7, False),
])
def test_one_rule_of_path_safe_names(name, safe):
    from svt_records.model.names import is_path_safe
    assert is_path_safe(name) is safe


def test_svt_refuses_to_write_a_measurement_name_that_cannot_name_a_file(module, svt):
    result = svt("test", "MOD-1", "--type", "noise_test", "--pass", "--measure",
                 "x/../y=1", ok=False)
    assert result.exit_code == 1 and "'x/../y'" in result.stderr
    from svt_records.model.errors import InvalidInput
    with pytest.raises(InvalidInput, match="cannot name a file"):
        module.record_test("MOD-1", "noise_test", passed=True, measurements={"a/../b": 1.0})
