"""Issue 12's daily questions and small things: positions, results by verdict and date,
search by attribute, tables that fit the terminal, commit messages, shell completion."""
from __future__ import annotations

import json
from pathlib import Path


def subject(root: Path, gitcmd) -> str:
    return gitcmd(root, "log", "-1", "--format=%s").strip()


# ---- commit messages never print None ---------------------------------------------------
def test_update_messages_say_set_to_instead_of_none(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M1", "--location", "Bench 3")
    assert subject(store_path, gitcmd) == "update M1: location set to Bench 3"
    svt("add", "--id", "M1", "--attr", "channel_count=512")
    assert subject(store_path, gitcmd) == "update M1: attribute channel_count set to 512"
    svt("add", "--id", "M1", "--attr", "channel_count=640", "--location", "CR")
    assert subject(store_path, gitcmd) == ("update M1: location Bench 3 -> CR;"
                                           " attribute channel_count 512 -> 640")
    assert "None" not in "".join(gitcmd(store_path, "log", "--format=%s"))


# ---- tables fit the terminal ------------------------------------------------------------
def test_tables_cut_long_columns_to_the_width_given():
    from svt_records.cli.render import table
    rows = [["M1", "module", "A very long location name in the clean room, shelf 3"],
            ["FEB-042", "feb", None]]
    text = table(rows, ["ID", "TYPE", "LOCATION"], width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "A very long location" in text and "…" in text and "FEB-042" in text
    assert table(rows, ["ID", "TYPE", "LOCATION"], width=200) == table(
        rows, ["ID", "TYPE", "LOCATION"], width=0)  # 0: no limit


def test_tables_print_at_full_width_in_a_pipe(store_path, svt_proc):
    place = "Clean Room, cabinet 7, shelf 3, the drawer on the left with the blue label"
    svt_proc("add", "--id", "M1", "--type", "module", "--location", place,
             env={"COLUMNS": "40"})
    assert place in svt_proc("list", env={"COLUMNS": "40"}).stdout


def test_tables_fit_a_terminal(store_path, svt_proc):
    import os
    import subprocess
    import sys
    place = "Clean Room, cabinet 7, shelf 3, the drawer on the left with the blue label"
    svt_proc("add", "--id", "M1", "--type", "module", "--location", place)
    # stdout is a terminal, 80 columns wide (list's ten columns, health and verdicts among
    # them, need 74 at the narrowest)
    leader, follower = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "svt_records", "list"], stdout=follower,
                              stderr=subprocess.PIPE, env=dict(os.environ, COLUMNS="80"),
                              timeout=60)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    lines = out.decode().replace("\r", "").splitlines()
    assert lines and all(len(line) <= 80 for line in lines), lines
    assert any("…" in line for line in lines) and any("M1" in line for line in lines)


# ---- results by verdict and date --------------------------------------------------------
def _iv_history(svt):
    for cid in ("M1", "M2", "M3"):
        svt("add", "--id", cid, "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--fail", "--current", "9e-6", "--date", "2025-03-01")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--current", "2e-6", "--date", "2025-03-10")
    svt("test", "M2", "--type", "iv_curve", "--fail", "--current", "8e-6", "--date", "2025-03-05")
    svt("test", "M3", "--type", "iv_curve", "--pass", "--current", "1e-6", "--date", "2025-04-02")


def test_results_by_verdict_and_date(store_path, svt):
    _iv_history(svt)

    def rows(*args):
        out = svt("results", "--type", "iv_curve", "--format", "json", *args).stdout
        return [(r["component"], r["date"][:10], r["result"]) for r in json.loads(out)]

    # the latest result of each component decides: M1 passed on its second try
    assert rows("--fail") == [("M2", "2025-03-05", "fail")]
    assert rows("--pass") == [("M1", "2025-03-10", "pass"), ("M3", "2025-04-02", "pass")]
    assert rows("--all", "--fail") == [("M1", "2025-03-01", "fail"), ("M2", "2025-03-05", "fail")]
    # a window first: up to 2025-03-05 (the whole day), M1's latest was its failure
    assert rows("--until", "2025-03-05", "--fail") == [("M1", "2025-03-01", "fail"),
                                                       ("M2", "2025-03-05", "fail")]
    assert rows("--since", "2025-03-05", "--until", "2025-03-31") == [
        ("M1", "2025-03-10", "pass"), ("M2", "2025-03-05", "fail")]
    assert rows("--since", "2025-04-01") == [("M3", "2025-04-02", "pass")]
    csv = svt("results", "--type", "iv_curve", "--fail", "--format", "csv").stdout
    assert csv.splitlines()[1].startswith("M2,")
    bad = svt("results", "--type", "iv_curve", "--pass", "--fail", ok=False)
    assert bad.exit_code == 2 and "--pass and --fail together" in bad.stderr
    bad = svt("results", "--type", "iv_curve", "--since", "2025-04-01", "--until", "2025-03-01",
              ok=False)
    assert bad.exit_code != 0 and "swap them" in bad.stderr and "Traceback" not in bad.stderr
    bad = svt("results", "--type", "iv_curve", "--since", "March", ok=False)
    assert "--since date 'March' is not an ISO 8601 date" in bad.stderr
    assert "No iv_curve results match." in svt("results", "--type", "iv_curve", "--since",
                                                "2025-05-01").stdout


def test_results_all_counts_results_and_components(store_path, svt):
    _iv_history(svt)
    out = svt("results", "--type", "iv_curve", "--all").stdout
    assert out.rstrip().splitlines()[-1] == "4 result(s) of 3 component(s)"
    out = svt("results", "--type", "iv_curve").stdout
    assert out.rstrip().splitlines()[-1] == "3 component(s)"


def test_show_lists_tests_and_logs_within_dates(store_path, svt):
    _iv_history(svt)
    svt("log", "M1", "Bond wire repaired", "--date", "2025-03-02")
    svt("log", "M1", "Noise is back to normal", "--date", "2025-03-12")
    info = json.loads(svt("show", "M1", "--format", "json", "--since", "2025-03-02",
                          "--until", "2025-03-11").stdout)
    assert [t["date"][:10] for t in info["tests"]] == ["2025-03-10"]
    assert [e["text"] for e in info["logs"]] == ["Bond wire repaired"]
    text = svt("show", "M1", "--until", "2025-03-01").stdout
    assert "Tests (1):" in text and "Logs (0):" in text
    bad = svt("show", "M1", "--since", "yesterday", ok=False)
    assert bad.exit_code != 0 and "is not an ISO 8601 date" in bad.stderr


# ---- search by attribute ----------------------------------------------------------------
def test_list_by_attribute(store_path, svt, db):
    svt("add", "--id", "H1", "--type", "hybrid", "--attr", "channel_count=512",
        "--attr", "firmware=1.2.3")
    svt("add", "--id", "H2", "--type", "hybrid", "--attr", "channel_count=640")
    svt("add", "--id", "H3", "--type", "hybrid", "--attr", "serial=0042")
    svt("add", "--id", "H4", "--type", "hybrid")

    def ids(*args):
        out = svt("list", "--format", "json", *args).stdout
        return [r["id"] for r in json.loads(out)]

    assert ids("--attr", "channel_count=512") == ["H1"]
    assert ids("--attr", "channel_count") == ["H1", "H2"]
    assert ids("--attr", "channel_count", "--attr", "firmware") == ["H1"]
    assert ids("--attr", "channel_count=640", "--attr", "firmware") == []
    assert ids("--attr", "serial=0042") == ["H3"] and ids("--attr", "serial=42") == []
    table = svt("list", "--attr", "channel_count").stdout
    assert "H1" in table and "H2" in table and "H3" not in table and "2 component(s)" in table
    csv = svt("list", "--attr", "firmware=1.2.3", "--format", "csv").stdout.splitlines()
    assert len(csv) == 2 and csv[1].startswith("H1,hybrid")
    assert "No components match." in svt("list", "--attr", "missing").stdout
    bad = svt("list", "--attr", "1bad", ok=False)
    assert bad.exit_code != 0 and "attribute name '1bad' is not usable" in bad.stderr
    bad = svt("list", "--attr", "firmware=", ok=False)
    assert "has no value" in bad.stderr and "Traceback" not in bad.stderr
    assert [r["id"] for r in db.list_components(attributes=["channel_count"])] == ["H1", "H2"]


# ---- what is installed where ------------------------------------------------------------
def test_positions_now_in_a_run_period_and_at_a_date(store_path, svt, gitcmd):
    for cid in ("M1", "M2"):
        svt("add", "--id", cid, "--type", "module")
    svt("add", "--id", "F1", "--type", "feb")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--current", "2e-6", "--date", "2025-02-01")
    svt("install", "M1", "Layer0_top_axial", "--run-period", "2025_spring", "--date", "2025-03-01")
    svt("install", "F1", "FEB3", "--run-period", "2025_spring", "--date", "2025-03-01")
    svt("remove", "M1", "--date", "2025-06-01")
    svt("test", "M1", "--type", "noise_test", "--fail", "--noise", "3000", "--date", "2025-06-02")
    svt("install", "M2", "Layer0_top_axial", "--run-period", "2025_fall", "--date", "2025-09-01")

    def rows(*args):
        out = json.loads(svt("positions", "--format", "json", *args).stdout)
        return {r["position"]: r for r in out}, [r["position"] for r in out]

    now, order = rows()
    # detector order: 16 positions of layers 0-3, 32 of layers 4-7, then FEB1-FEB12
    assert len(order) == 16 + 32 + 12
    assert order[:5] == ["Layer0_top_axial", "Layer0_top_stereo", "Layer0_bottom_axial",
                         "Layer0_bottom_stereo", "Layer1_top_axial"]
    assert order[16:18] == ["Layer4_top_axial_slot", "Layer4_top_axial_hole"]
    assert order[47:] == ["Layer7_bottom_stereo_hole"] + [f"FEB{n}" for n in range(1, 13)]
    assert now["Layer0_top_axial"]["component"] == "M2"
    assert now["Layer0_top_axial"]["since"].startswith("2025-09-01")
    assert now["Layer0_top_axial"]["health"] == "untested"  # M2 was never tested
    assert now["Layer0_top_axial"]["verdicts"] == {}
    assert (now["FEB3"]["component"], now["FEB3"]["run_period"]) == ("F1", "2025_spring")
    assert now["Layer1_top_axial"]["component"] is None

    spring, _ = rows("--run-period", "2025_spring")
    m1 = spring["Layer0_top_axial"]
    assert (m1["component"], m1["since"][:10], m1["until"][:10]) == ("M1", "2025-03-01",
                                                                     "2025-06-01")
    # the latest verdict of each test type: the later noise test's fail makes it fail
    assert m1["verdicts"] == {"iv_curve": "pass", "noise_test": "fail"}
    assert m1["health"] == "fail" and m1["tested"].startswith("2025-06-02")
    assert spring["FEB3"]["component"] == "F1" and spring["FEB3"]["until"] is None

    in_april, _ = rows("--at", "2025-04-15")
    m1 = in_april["Layer0_top_axial"]
    assert (m1["component"], m1["verdicts"], m1["health"]) == ("M1", {"iv_curve": "pass"},
                                                              "pass")
    assert rows("--at", "2025-07-01")[0]["Layer0_top_axial"]["component"] is None
    # a day alone means its end: M1 was installed during 2025-03-01
    assert rows("--at", "2025-03-01")[0]["Layer0_top_axial"]["component"] == "M1"
    assert rows("--at", "2025-02-28")[0]["FEB3"]["component"] is None

    table = svt("positions").stdout
    assert "Layer0_top_axial" in table and "M2" in table
    assert "2 of 60 position(s) filled" in table
    csv = svt("positions", "--run-period", "2025_spring", "--format", "csv").stdout.splitlines()
    assert csv[0] == ("position,component,type,since,until,run_period,health,"
                      "verdicts.iv_curve,verdicts.noise_test,tested")
    assert csv[1].startswith("Layer0_top_axial,M1,module,2025-03-01")
    bad = svt("positions", "--run-period", "2024_run", ok=False)
    assert bad.exit_code != 0 and "2025_fall, 2025_spring" in bad.stderr
    bad = svt("positions", "--at", "soon", ok=False)
    assert "--at date 'soon' is not an ISO 8601 date" in bad.stderr


def test_positions_show_a_test_result_edited_by_hand_at_once(store_path, svt):
    """The tests of an installed component are read from its folder as it is now."""
    svt("add", "--id", "M1", "--type", "module")
    svt("install", "M1", "Layer0_top_axial", "--run-period", "2025_spring")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--date", "2025-02-01")
    svt("test", "M1", "--type", "noise_test", "--pass", "--date", "2025-01-01")

    def latest():
        rows = json.loads(svt("positions", "--format", "json").stdout)
        return next((r["verdicts"], r["tested"][:10]) for r in rows
                    if r["position"] == "Layer0_top_axial")
    assert latest() == ({"iv_curve": "pass", "noise_test": "pass"}, "2025-02-01")
    event = next((store_path / "records/module/M1").glob("*/*_iv_curve_*.yaml"))
    with open(event, "r+") as fh:  # in place, uncommitted
        text = fh.read().replace("result: pass", "result: fail")
        fh.seek(0)
        fh.write(text)
        fh.truncate()
    assert latest() == ({"iv_curve": "fail", "noise_test": "pass"}, "2025-02-01")
    event.write_text(event.read_text().replace("2025-02-01", "2024-12-01"))
    assert latest() == ({"iv_curve": "fail", "noise_test": "pass"}, "2025-01-01")


def test_positions_take_the_feb_count_and_other_positions_from_svt_yaml(store_path, svt,
                                                                        gitcmd):
    config = store_path / "svt.yaml"
    config.write_text(config.read_text() + "detector:\n  febs: 2\n  positions:\n"
                      "    flange_board: [Flange_slot0, Flange_slot1]\n")
    gitcmd(store_path, "commit", "-qam", "two FEBs and two flange slots")
    svt("add", "--id", "FL1", "--type", "flange_board")
    svt("add", "--id", "C1", "--type", "cable")
    svt("install", "FL1", "Flange_slot1")
    svt("install", "C1", "Rack2")  # not configured: listed after the configured ones
    order = [r["position"] for r in json.loads(svt("positions", "--format", "json").stdout)]
    assert order[48:] == ["FEB1", "FEB2", "Flange_slot0", "Flange_slot1", "Rack2"]
    assert "error" not in svt("validate").stdout


# ---- shell completion -------------------------------------------------------------------
def complete(svt_proc, words: str, cwd=None, env=None) -> list[str]:
    """What bash completion offers for the command line ``words`` (the last one is being
    typed), as click's bash_complete protocol answers: TYPE,VALUE lines."""
    proc = svt_proc(cwd=cwd, env={"_SVT_COMPLETE": "bash_complete", "COMP_WORDS": words,
                                  "COMP_CWORD": str(len(words.split(" ")) - 1), **(env or {})})
    return [line for line in proc.stdout.splitlines() if line]


def test_completion_offers_ids_positions_and_paths(store_path, svt, svt_proc, tmp_path):
    for cid in ("MOD-1", "MOD-2", "FEB-042"):
        svt("add", "--id", cid, "--type", "feb" if cid.startswith("FEB") else "module")
    assert complete(svt_proc, "svt show MOD") == ["plain,MOD-1", "plain,MOD-2"]
    assert complete(svt_proc, "svt install F") == ["plain,FEB-042"]
    assert complete(svt_proc, "svt connect MOD-1 FEB") == ["plain,FEB-042"]
    assert complete(svt_proc, "svt assemble MOD-1 --sensor MOD-2") == ["plain,MOD-2"]
    assert complete(svt_proc, "svt install MOD-1 Layer7_bottom_stereo_") == [
        "plain,Layer7_bottom_stereo_slot", "plain,Layer7_bottom_stereo_hole"]
    assert complete(svt_proc, "svt list --position FEB1")[:4] == [
        "plain,FEB1", "plain,FEB10", "plain,FEB11", "plain,FEB12"]
    # file options complete paths (the shell lists the files)
    assert complete(svt_proc, "svt test MOD-1 --images pl") == ["file,pl"]
    assert complete(svt_proc, "svt attach MOD-1 ph") == ["file,ph"]
    assert complete(svt_proc, "svt --repo st") == ["file,st"]
    # --repo on the command line names the store completions read
    assert complete(svt_proc, f"svt --repo {store_path} show FEB",
                    env={"SVT_REPO": str(tmp_path)}) == ["plain,FEB-042"]


def test_completion_never_fails(tmp_path, svt_proc):
    (tmp_path / "svt.yaml").write_text("not: [a store\n")  # broken: offer nothing, quietly
    proc = svt_proc(cwd=tmp_path, env={"_SVT_COMPLETE": "bash_complete",
                                       "COMP_WORDS": "svt show M", "COMP_CWORD": "2"})
    assert proc.stdout.strip() == "" and proc.stderr == ""
    empty = tmp_path / "empty"
    empty.mkdir()  # no store here, none in HOME
    assert complete(svt_proc, "svt install M1 L", cwd=empty) == []


def test_summary_counts_and_lists_tests_within_dates(store_path, svt):
    _iv_history(svt)
    data = json.loads(svt("summary", "--format", "json", "--since", "2025-03-05",
                          "--until", "2025-03-31").stdout)
    assert data["tests"]["iv_curve"]["count"] == 2
    assert (data["tests"]["iv_curve"]["pass"], data["tests"]["iv_curve"]["fail"]) == (1, 1)
    assert [(r["component"], r["date"][:10]) for r in data["recent_tests"]] == [
        ("M1", "2025-03-10"), ("M2", "2025-03-05")]
    assert data["total"] == 3  # the components are all counted, whatever the dates
    text = svt("summary", "--until", "2025-03-01").stdout
    assert "iv_curve                1 recorded, 0 pass, 1 fail" in text
    everything = json.loads(svt("summary", "--format", "json").stdout)
    assert everything["tests"]["iv_curve"]["count"] == 4
