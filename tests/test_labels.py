"""Scanned label URLs taken as ids by the commands."""
from __future__ import annotations

import pytest

SITE = "https://hps.example.org/svt"


def url(cid: str) -> str:
    return f"{SITE}/components/{cid}.html"


def build(db, png) -> None:
    db.save_component("HPK-SN123456", {"type": "module", "serial_number": "0042"})
    db.save_component("FEB-042", {"type": "feb"})


@pytest.fixture
def store(prebuilt):
    return prebuilt(build)


# ---- a scanned label is an id -------------------------------------------------------------------

def test_a_scanned_url_works_as_an_id(store, svt, svt_proc):
    shown = svt("show", url("HPK-SN123456"))
    assert shown.stdout.startswith("HPK-SN123456  (module)")
    svt("test", f"{SITE}/components/HPK-SN123456.html?from=label", "--type", "iv_curve",
        "--pass")
    svt("comment", "http://other.host/components/FEB-042.html", "label scanned")
    proc = svt_proc("show", url("HPK-SN123456"), "--format", "json")
    assert '"iv_curve"' in proc.stdout
    assert "label scanned" in svt("show", "FEB-042").stdout


def test_a_url_that_is_not_a_page_is_refused(store, svt):
    result = svt("show", f"{SITE}/HPK-SN123456", ok=False)
    assert result.exit_code == 1 and "has characters svt cannot use" in result.stderr
