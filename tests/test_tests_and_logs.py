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
    svt("test", "MOD-1", "--type", "iv_curve", "--pass", "--raw-data", str(files["iv.csv"]),
        "--plot", str(files["iv_fit.svg"]), "--log-file", str(files["run.log"]),
        "--image", str(files["image"]), "--data", str(files["iv.csv"]))
    path, event = _event(store_path, "MOD-1", "iv_curve")
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
    result = svt("test", "MOD-1", "--type", "iv_curve", "--pass", "--plot", "nowhere.png",
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
