"""Tests and logs in full: the original's file options on `svt test`, photos and the
original's option names on `svt log`, stored files named by `svt show`, `svt show-test`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import yaml


def _event(store: Path, cid: str, kind_word: str) -> tuple[Path, dict]:
    found = sorted(store.glob(f"records/*/{cid}/*/*_{kind_word}_*.yaml"))
    assert len(found) == 1, found
    return found[0], yaml.safe_load(found[0].read_text())


@pytest.fixture
def files(tmp_path, png) -> dict[str, Path]:
    out = {"image": png}
    for name, text in (("iv.csv", "V,I\n60,2.3e-6\n"), ("iv_fit.svg", "<svg/>\n"),
                       ("run.log", "bias ramp ok\n")):
        (tmp_path / name).write_text(text)
        out[name] = tmp_path / name
    return out


def test_test_stores_raw_data_plots_log_files_and_images_with_their_kinds(store_path, svt,
                                                                           files):
    svt("add", "--id", "MOD-1", "--type", "module")
    svt("test", "MOD-1", "--type", "cv_curve", "--pass", "--raw-data", str(files["iv.csv"]),
        "--plot", str(files["iv_fit.svg"]), "--log-file", str(files["run.log"]),
        "--image", str(files["image"]), "--data", str(files["iv.csv"]))
    path, event = _event(store_path, "MOD-1", "cv_curve")
    kinds = sorted((f["kind"], f["original_name"]) for f in event["files"])
    assert kinds == [("data", "iv.csv"), ("data", "iv.csv"), ("image", "plot.png"),
                     ("log", "run.log"), ("plot", "iv_fit.svg")]
    for entry in event["files"]:
        assert (path.parent / entry["path"]).is_file()
    assert svt("validate").exit_code == 0


def test_test_file_options_are_repeatable(store_path, svt, files):
    svt("add", "--id", "MOD-1", "--type", "module")
    svt("test", "MOD-1", "--type", "noise", "--plot", str(files["iv_fit.svg"]),
        "--plot", str(files["image"]), "--log-file", str(files["run.log"]),
        "--log-file", str(files["iv.csv"]))
    _, event = _event(store_path, "MOD-1", "noise")
    assert [f["kind"] for f in event["files"]] == ["plot", "plot", "log", "log"]
    assert len({f["path"] for f in event["files"]}) == 4


def test_a_missing_plot_is_refused_and_nothing_is_written(store_path, svt, gitcmd):
    svt("add", "--id", "MOD-1", "--type", "module")
    before = gitcmd(store_path, "rev-parse", "HEAD")
    result = svt("test", "MOD-1", "--type", "cv_curve", "--pass", "--plot", "nowhere.png",
                 ok=False)
    assert result.exit_code != 0
    assert "nowhere.png" in result.stderr and "Traceback" not in result.stderr
    assert gitcmd(store_path, "rev-parse", "HEAD") == before
    assert not list(store_path.glob("records/*/MOD-1/*/*"))


def test_attr_without_value_is_an_attribute_error(store_path, svt):
    result = svt("add", "--id", "MOD-1", "--type", "module", "--attr", "channel_count", ok=False)
    assert result.exit_code != 0
    assert "attribute" in result.stderr and "channel_count" in result.stderr
    assert "measurement" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (store_path / "records" / "module" / "MOD-1").exists()


def test_log_takes_the_originals_option_names(store_path, svt):
    svt("add", "--id", "MOD-1", "--type", "module")
    svt("log", "MOD-1", "Bias line shorted", "--type", "issue", "--severity", "warning",
        "--logged-by", "Jane Doe", "--resolution", "Replaced the HV cable")
    _, event = _event(store_path, "MOD-1", "log")
    assert event["logged_by"] == "Jane Doe"
    assert event["resolution"] == "Replaced the HV cable"
    assert "Replaced the HV cable" in svt("show", "MOD-1").stdout


def test_log_stores_photos_beside_the_entry_and_show_lists_them(store_path, svt, files,
                                                                gitcmd):
    svt("add", "--id", "MOD-1", "--type", "module")
    svt("log", "MOD-1", "Bond wires lifted on channel 12", "--type", "issue",
        "--image", str(files["image"]), "--image", str(files["iv_fit.svg"]))
    path, event = _event(store_path, "MOD-1", "log")
    assert [(f["kind"], f["original_name"]) for f in event["files"]] == [
        ("image", "plot.png"), ("image", "iv_fit.svg")]
    for entry in event["files"]:
        assert (path.parent / entry["path"]).is_file()
    assert gitcmd(store_path, "status", "--porcelain") == ""
    out = svt("show", "MOD-1").stdout
    assert "image plot.png" in out and "image iv_fit.svg" in out
    assert svt("validate").exit_code == 0


def test_log_photo_in_a_store_whose_schema_predates_it_is_refused_cleanly(store_path, svt,
                                                                          files, gitcmd):
    schema_file = store_path / "schemas" / "log.schema.json"
    old = json.loads(schema_file.read_text())
    del old["properties"]["files"]
    schema_file.write_text(json.dumps(old, indent=2) + "\n")
    gitcmd(store_path, "commit", "-qam", "an older store's log schema")
    svt("add", "--id", "MOD-1", "--type", "module")
    head = gitcmd(store_path, "rev-parse", "HEAD")
    result = svt("log", "MOD-1", "photo", "--image", str(files["image"]), ok=False)
    assert result.exit_code != 0 and "log.schema.json" in result.stderr
    assert "Traceback" not in result.stderr
    assert gitcmd(store_path, "rev-parse", "HEAD") == head
    svt("log", "MOD-1", "no photo")  # logs without photos still work there


def _tested(svt, files) -> None:
    svt("add", "--id", "MOD-1", "--type", "module")
    svt("test", "MOD-1", "--type", "cv_curve", "--pass", "--voltage", "60", "--current",
        "2.3e-6", "--measure", "enc=1500e", "--tested-by", "Jane Doe", "--setup", "stand 2",
        "--raw-data", str(files["iv.csv"]), "--plot", str(files["iv_fit.svg"]),
        "--notes", "Normal operation\nsecond line", "--date", "2025-03-14T10:22")


def _test_id(svt, cid: str = "MOD-1") -> str:
    return json.loads(svt("show", cid, "--format", "json").stdout)["tests"][0]["id"]


def test_show_names_each_stored_file_of_a_test_and_prints_its_id(store_path, svt, files):
    _tested(svt, files)
    out = svt("show", "MOD-1").stdout
    size = files["iv.csv"].stat().st_size
    assert f"raw data iv.csv ({size} B)" in out
    assert f"plot iv_fit.svg ({files['iv_fit.svg'].stat().st_size} B)" in out
    assert "file(s)]" not in out
    test_id = _test_id(svt)
    assert len(test_id) == 6
    assert any(line.split()[:1] == [test_id] for line in out.splitlines())


def test_show_test_prints_one_test_in_full(store_path, svt, files):
    _tested(svt, files)
    test_id = _test_id(svt)
    out = svt("show-test", test_id).stdout
    for text in ("MOD-1", "cv_curve", "2025-03-14T10:22", "PASS", "Jane Doe", "stand 2",
                 "voltage: 60.0 V", "current: 2.30 \u00b5A", "enc: 1.50 ke",
                 "Normal operation", "second line", "raw data  iv.csv", "plot  iv_fit.svg"):
        assert text in out, text
    path, event = _event(store_path, "MOD-1", "cv_curve")
    for entry in event["files"]:
        assert str(path.parent / entry["path"]) in out
    assert svt("show-test", f"MOD-1:{test_id}").stdout == out
    data = json.loads(svt("show-test", test_id, "--format", "json").stdout)
    assert data["id"] == test_id and data["component"] == "MOD-1"
    assert data["measurements"]["voltage"] == {"value": 60.0, "unit": "V"}
    assert [(f["kind"], f["original_name"], f["size"]) for f in data["files"]] == [
        ("data", "iv.csv", files["iv.csv"].stat().st_size),
        ("plot", "iv_fit.svg", files["iv_fit.svg"].stat().st_size)]
    assert all(Path(f["full_path"]).is_file() for f in data["files"])


def test_show_test_of_an_unknown_id_is_a_one_line_error(store_path, svt):
    svt("add", "--id", "MOD-1", "--type", "module")
    for wanted in ("abcdef", "MOD-1:abcdef", "NOPE:abcdef", "17"):
        result = svt("show-test", wanted, ok=False)
        assert result.exit_code != 0, wanted
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_an_id_two_components_share_asks_for_the_component(store_path, svt, files):
    _tested(svt, files)
    svt("add", "--id", "MOD-2", "--type", "module")
    test_id = _test_id(svt)
    path, event = _event(store_path, "MOD-1", "cv_curve")
    twin = store_path / "records" / "module" / "MOD-2" / path.parent.name / path.name
    twin.parent.mkdir(parents=True)  # written by hand: no stored files
    twin.write_text(path.read_text().replace("component: MOD-1", "component: MOD-2")
                    .split("files:")[0])
    result = svt("show-test", test_id, ok=False)
    assert result.exit_code != 0
    assert f"MOD-1:{test_id}" in result.stderr and f"MOD-2:{test_id}" in result.stderr
    assert "component: MOD-2" not in svt("show-test", f"MOD-1:{test_id}").stdout
    assert json.loads(svt("show-test", f"MOD-2:{test_id}", "--format", "json").stdout)[
        "component"] == "MOD-2"


def test_an_id_is_found_among_files_changed_by_hand_since_the_index_was_built(
        store_path, svt, files):
    """show-test ID looks for the id in the folders without refreshing the index: a copy
    added by hand, a file removed or made unreadable, are seen at once."""
    _tested(svt, files)
    svt("add", "--id", "MOD-2", "--type", "module")
    svt("summary")  # the index is built and knows every event
    test_id = _test_id(svt)
    path, _ = _event(store_path, "MOD-1", "cv_curve")
    text = path.read_text().split("files:")[0]
    twin = store_path / "records" / "module" / "MOD-2" / path.parent.name / path.name
    twin.parent.mkdir(parents=True)  # a new year folder, in a component the index knows
    twin.write_text(text.replace("component: MOD-1", "component: MOD-2"))
    result = svt("show-test", test_id, ok=False)
    assert f"MOD-1:{test_id}" in result.stderr and f"MOD-2:{test_id}" in result.stderr
    path.rename(path.with_name(path.name + ".bak"))  # renamed away: not a record any more
    assert json.loads(svt("show-test", test_id, "--format", "json").stdout)[
        "component"] == "MOD-2"
    twin.write_text("kind: [unreadable\n")  # a copy that does not load: named, with why
    said = svt("show-test", test_id, ok=False)
    assert said.exit_code == 1 and "does not load" in said.stderr, said.stderr
    assert f"{twin.relative_to(store_path).as_posix()}:1:7: error: YAML syntax" in said.stderr
    path.with_name(path.name + ".bak").rename(path)
    shown = svt("show-test", test_id, "--format", "json", ok=False)  # the test that loads,
    assert json.loads(shown.stdout)["component"] == "MOD-1"  # and the copy named (issue 25)
    assert shown.exit_code == 1 and twin.relative_to(store_path).as_posix() in shown.stderr


def test_original_numbers_are_read_as_the_strict_reader_reads_them(store_path, svt, files):
    """A note whose lines look like ``legacy_id: 5`` gives no number, and a number no
    SQLite integer holds makes the record unreadable (and breaks nothing else)."""
    _tested(svt, files)
    path, _ = _event(store_path, "MOD-1", "cv_curve")
    text = path.read_text()
    path.write_text(text + 'conditions: "copied from\nlegacy_id: 5\nthe old sheet"\n')
    assert svt("validate").exit_code == 0
    assert "no test '5'" in svt("show-test", "5", ok=False).stderr
    path.write_text(text + "legacy_id: 5\nnotes: [not closed\n")  # top lines read, YAML not
    assert "no test '5'" in svt("show-test", "5", ok=False).stderr
    path.write_text(text + "legacy_id: 99999999999999999999\n")
    # a record holds 64-bit integers: this one is unreadable, named by validate with its line,
    # and the index goes on without it
    summary = svt("summary", ok=False)  # it says it left the file out (issue 25)
    assert summary.exit_code == 1 and "cv_curve" not in summary.stdout
    assert path.relative_to(store_path).as_posix() in summary.stderr
    assert "out of range" in svt("validate", ok=False).stdout
    for number in ("99999999999999999999", "9223372036854775808"):
        assert f"no test '{number}'" in svt("show-test", number, ok=False).stderr


def test_show_test_end_to_end(store_path, svt, svt_proc, files):
    _tested(svt, files)
    proc = svt_proc("show-test", _test_id(svt))
    assert "cv_curve" in proc.stdout and "raw data  iv.csv" in proc.stdout


def test_show_test_takes_the_record_path(store_path, svt, files, tmp_path):
    _tested(svt, files)
    path, _ = _event(store_path, "MOD-1", "cv_curve")
    rel = str(path.relative_to(store_path))
    assert "cv_curve" in svt("show-test", rel).stdout
    assert "cv_curve" in svt("show-test", str(path)).stdout
    (tmp_path / "elsewhere.yaml").write_text(path.read_text())
    for wanted in (str(tmp_path / "elsewhere.yaml"), "records/module/MOD-1/component.yaml"):
        result = svt("show-test", wanted, ok=False)
        assert result.exit_code != 0 and len(result.stderr.strip().splitlines()) == 1
