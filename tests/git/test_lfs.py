"""Git LFS: `svt init --lfs` stores images and data through LFS when git-lfs is installed
(.ci/run installs it); without git-lfs the option is refused and plain stores work the same."""
import shutil
import subprocess

import pytest

from svt_records import Database

HAVE_LFS = shutil.which("git-lfs") is not None


def test_init_lfs_without_git_lfs_is_refused_and_makes_nothing(tmp_path, svt, without_git_lfs):
    store = tmp_path / "lfs"
    result = svt("init", "--lfs", str(store), ok=False)
    assert result.exit_code == 1 and "git-lfs" in result.stderr
    assert not (store / "svt.yaml").exists()


@pytest.mark.skipif(not HAVE_LFS, reason="git-lfs is not installed (.ci/run installs it)")
def test_lfs_store_keeps_pointers_in_git_and_content_on_disk(tmp_path, svt, png, gitcmd):
    store = tmp_path / "lfs"
    result = svt("init", "--lfs", str(store), ok=False)
    assert result.exit_code == 0, result.stderr
    svt("--repo", str(store), "add", "--id", "M1", "--type", "module")
    svt("--repo", str(store), "test", "M1", "--type", "iv_curve", "--pass", "--image", str(png),
        "--data", str(png))
    tracked = gitcmd(store, "lfs", "ls-files", "--name-only").split()
    assert len(tracked) == 2 and all(p.startswith("records/module/M1/") for p in tracked)
    image = next(p for p in tracked if p.endswith("_0.png"))
    blob = gitcmd(store, "cat-file", "-p", f"HEAD:{image}")
    assert blob.startswith("version https://git-lfs.github.com/spec/v1")
    assert (store / image).read_bytes() == png.read_bytes()
    assert gitcmd(store, "status", "--porcelain") == ""
    assert Database(store).config["lfs"] is True


def test_plain_store_holds_files_as_ordinary_blobs(store_path, svt, png, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--image", str(png))
    name = gitcmd(store_path, "show", "--name-only", "--format=", "HEAD").split()
    image = next(p for p in name if p.endswith(".png"))
    raw = subprocess.run(["git", "cat-file", "-p", f"HEAD:{image}"], cwd=store_path,
                         capture_output=True, check=True).stdout
    assert raw == png.read_bytes()
