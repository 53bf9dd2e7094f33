"""The seed README's first steps, in-process and as a real program."""
from svt_records import Component, Database


def test_add_list_show_in_process(store_path, svt, gitcmd):
    svt("add", "--id", "HPK-SN123456", "--type", "module", "--manufacturer", "Hamamatsu",
        "--location", "Clean Room", "--status", "incoming")
    out = svt("list").stdout
    assert "HPK-SN123456" in out and "Clean Room" in out
    comp = Component.get("HPK-SN123456", Database(store_path))
    assert comp.manufacturer == "Hamamatsu" and comp.installation_status == "incoming"
    assert gitcmd(store_path, "log", "-1", "--format=%s").strip() == \
        "add HPK-SN123456: new module, incoming"


def test_real_program(tmp_path, svt_proc):
    store = tmp_path / "s"
    svt_proc("init", str(store))
    svt_proc("--repo", str(store), "add", "--id", "FEB-042", "--type", "feb")
    proc = svt_proc("--repo", str(store), "show", "NOPE", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("Error: no component 'NOPE'")
    assert "Traceback" not in proc.stderr
