"""svt review on a real history; the CI files svt init writes; the pre-commit hooks."""
import yaml as pyyaml  # only to check the shape of CI files as the CI services read them

from pathlib import Path


def test_review_summarises_a_two_commit_change(db, svt, png, gitcmd):
    db.save_component("MOD-1", {"type": "module", "status": "incoming"})
    base = gitcmd(db.root, "rev-parse", "HEAD").strip()
    svt("test", "MOD-1", "--type", "iv_curve", "--fail", "--voltage", "60", "--image", str(png))
    svt("add", "--id", "MOD-1", "--status", "failed")
    out = svt("review", f"{base}..HEAD").stdout
    assert out.startswith(f"## svt review of `{base}..HEAD`")
    assert "- **MOD-1** changed: status: `incoming` → `failed`" in out
    assert "test `iv_curve` of MOD-1: **FAIL** (voltage=60.0 V)" in out
    assert f"_0.png` ({png.stat().st_size} bytes)" in out
    assert "### Validation: ✅ clean" in out


def test_review_lists_validation_problems_of_the_change(db, svt, gitcmd):
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    record = db.root / "records" / "feb" / "FEB-1" / "component.yaml"
    record.write_text(record.read_text().replace("status: spare", "status: sparee"))
    gitcmd(db.root, "commit", "-qam", "hand edit")
    out = svt("review").stdout
    assert "❌ 1 error(s)" in out
    assert "`records/feb/FEB-1/component.yaml:5:9` error: status is 'sparee'" in out


def test_init_writes_ci_for_github_and_gitlab(tmp_path, svt):
    svt("init", str(tmp_path / "s"), "--ci", "github,gitlab")
    gh = pyyaml.safe_load((tmp_path / "s/.github/workflows/svt-validate.yml").read_text())
    steps = gh["jobs"]["validate"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "--since \"origin/$BASE_REF\" --format github --rules-need-approval" in runs
    pr = next(s for s in steps if "BASE_REF" in s.get("env", {}))
    assert pr["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert set(gh["on"]) == {"pull_request", "push"}
    gl = pyyaml.safe_load((tmp_path / "s/.gitlab-ci.yml").read_text())
    mr = gl["svt-validate-mr"]
    assert mr["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert any("--format gitlab --output gl-code-quality-report.json" in s for s in mr["script"])
    svt("init", "--no-ci", str(tmp_path / "t"))
    assert not (tmp_path / "t/.gitlab-ci.yml").exists()


def test_pre_commit_hooks_offer_validate_and_fmt():
    hooks = pyyaml.safe_load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"svt-validate", "svt-fmt"}
    assert by_id["svt-validate"]["entry"].endswith(" validate --since HEAD")
    assert all(h["language"] == "python" for h in hooks)
