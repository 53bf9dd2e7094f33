"""`svt init --name`: the store's title (its web site's), never the folder's name."""
from __future__ import annotations

import yaml


def _name(store):
    return yaml.safe_load((store / "svt.yaml").read_text())["name"]


def test_a_new_store_is_titled_by_name_or_a_meaningful_default(tmp_path, svt):
    svt("init", str(tmp_path / "store"))
    assert _name(tmp_path / "store") == "HPS SVT records"  # not "store"
    svt("init", str(tmp_path / "bench"), "--name", "HPS SVT  test stand 2")
    assert _name(tmp_path / "bench") == "HPS SVT test stand 2"


def test_a_bad_name_writes_nothing(tmp_path, svt):
    result = svt("init", str(tmp_path / "store"), "--name", "x" * 201, ok=False)
    assert result.exit_code == 1 and "--name" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "store").exists()


def test_an_existing_store_keeps_its_name_and_says_how_to_change_it(tmp_path, svt):
    svt("init", str(tmp_path / "store"), "--name", "First")
    again = svt("init", str(tmp_path / "store"), "--name", "Second")
    assert _name(tmp_path / "store") == "First" and "name in svt.yaml" in again.stdout
