"""The CI files `svt init` writes, so every pull/merge request of a records store is checked."""
from __future__ import annotations

DEFAULT_SOURCE = "svt-records"  # what pip installs in CI; svt.yaml's ci_install overrides it

GITHUB = """\
# Written by `svt init`: checks every pull request's records and annotates the diff.
name: svt validate
on:
  pull_request:
  push:
    branches: [main]
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          lfs: true
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # install svt from where your collaboration keeps it, e.g. git+https://github.com/ORG/svt
      - run: pip install "{source}"
      - name: Validate what the pull request changes
        if: github.event_name == 'pull_request'
        run: svt --repo . validate --since "origin/${{{{ github.base_ref }}}}" --format github
      - name: Validate the whole store
        if: github.event_name == 'push'
        run: svt --repo . validate --format github
"""

GITLAB = """\
# Written by `svt init`: checks every merge request's records (Code Quality widget).
svt-validate-mr:
  image: python:3.11
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0"
  script:
    # install svt from where your collaboration keeps it, e.g. git+https://gitlab.com/ORG/svt
    - pip install "{source}"
    - svt --repo . validate --since "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --format gitlab --output gl-code-quality-report.json
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json

svt-validate-main:
  image: python:3.11
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - pip install "{source}"
    - svt --repo . validate
"""


def ci_files(source: str = DEFAULT_SOURCE) -> dict[str, bytes]:
    return {
        ".github/workflows/svt-validate.yml": GITHUB.format(source=source).encode(),
        ".gitlab-ci.yml": GITLAB.format(source=source).encode(),
    }
