"""The CI files `svt init` writes, so every pull/merge request of a records store is checked,
and the CODEOWNERS file that makes a maintainer approve changes to the rules."""
from __future__ import annotations

from .. import __version__

DEFAULT_INSTALL = f"svt-records=={__version__}"  # svt.yaml's svt_install overrides it
APPROVAL_LABEL = "rules-approved"  # a maintainer's label: the branch may change the rules
GITHUB_FILE = ".github/workflows/svt-validate.yml"
GITLAB_FILE = ".gitlab-ci.yml"
CODEOWNERS_FILES = (".github/CODEOWNERS", ".gitlab/CODEOWNERS")
# what the checks of a store follow: a change to these is a change of the rules
RULE_PATHS = ("schemas/", "svt.yaml", ".gitattributes", GITHUB_FILE, GITLAB_FILE,
              *CODEOWNERS_FILES, ".pre-commit-config.yaml")

# the first steps of every GitHub workflow svt writes: the whole history (validate --since
# and the site's commit links need it), LFS files, Python and svt
GITHUB_SETUP_STEPS = """\
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          lfs: true
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "{install}"
"""

GITHUB = """\
# Written by `svt init`: checks every pull request's records and annotates the diff.
# svt comes from svt_install in svt.yaml; a pull request that changes the rules (schemas/,
# svt.yaml) passes only with the label {label}, which a maintainer gives.
name: svt validate
on:
  pull_request:
    types: [opened, synchronize, reopened, labeled, unlabeled]
  push:
    branches: ["{main}"]
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
{setup}      # a pull request's checkout is GitHub's merge of it into the base: the merged result
      - name: Validate what the pull request changes
        if: github.event_name == 'pull_request'
        run: svt --repo . validate --since "origin/${{{{ github.base_ref }}}}" --format github ${{{{ contains(github.event.pull_request.labels.*.name, '{label}') && '--allow-rule-changes' || '' }}}}
      - name: Validate the whole store
        if: github.event_name == 'push'
        run: svt --repo . validate --format github
"""

GITLAB = """\
# Written by `svt init`: checks every merge request's records (Code Quality widget).
# svt comes from svt_install in svt.yaml; a merge request that changes the rules (schemas/,
# svt.yaml) passes only with the label {label}, which a maintainer gives.
svt-validate-mr:
  image: python:3.11
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0"
  script:
    - pip install "{install}"
    # check the merged result: merge the target branch here, as the merge would
    - git fetch origin "+refs/heads/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME:refs/remotes/origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - git -c user.name=svt-ci -c user.email=svt-ci@localhost merge --no-edit "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - ALLOW=""; case ",$CI_MERGE_REQUEST_LABELS," in *",{label},"*) ALLOW="--allow-rule-changes";; esac
    - svt --repo . validate --since "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" --format gitlab --output gl-code-quality-report.json $ALLOW
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json

svt-validate-main:
  image: python:3.11
  rules:
    - if: $CI_COMMIT_BRANCH == "{main}"
  script:
    - pip install "{install}"
    - svt --repo . validate
"""

CODEOWNERS = """\
# Written by `svt init`: who must approve changes to the rules the records are checked
# against. Binding only with branch protection (see docs/review.md). Owners come from
# maintainers in svt.yaml.
{lines}"""


def ci_files(install: str = DEFAULT_INSTALL, main: str = "main") -> dict[str, bytes]:
    values = {"install": install, "main": main, "label": APPROVAL_LABEL,
              "setup": GITHUB_SETUP_STEPS.format(install=install)}
    return {GITHUB_FILE: GITHUB.format(**values).encode(),
            GITLAB_FILE: GITLAB.format(**values).encode()}


def codeowners(maintainers: list[str] | tuple[str, ...]) -> dict[str, bytes]:
    """CODEOWNERS for GitHub and GitLab; without maintainers, a commented placeholder."""
    owners = " ".join(maintainers)
    lines = "".join(
        (f"/{p} {owners}\n" if owners else f"# /{p} @maintainer\n") for p in RULE_PATHS)
    if not owners:
        lines = "# add maintainers (svt init --maintainer @NAME) and uncomment:\n" + lines
    text = CODEOWNERS.format(lines=lines).encode()
    return {path: text for path in CODEOWNERS_FILES}


# ---- svt init --pages: publish `svt site` from the main branch ----------------------------
PAGES_GITHUB_FILE = ".github/workflows/svt-pages.yml"
PAGES_DIR = "public"  # what GitLab Pages publishes; GitHub's artifact is the same folder

PAGES_GITHUB = """\
# Written by `svt init --pages`: builds the records' web site (svt site) from {main} and
# publishes it with GitHub Pages (Settings > Pages > Source: GitHub Actions). Anyone who can
# see the Pages site sees the records: publish only what may be read.
name: svt pages
on:
  push:
    branches: ["{main}"]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
{setup}      - name: Build the site
        run: svt --repo . site {out}
      - uses: actions/upload-pages-artifact@v3
        with:
          path: {out}
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""

PAGES_GITLAB = """\
# Written by `svt init --pages`: builds the records' web site (svt site) from {main} and
# publishes it with GitLab Pages. Anyone who can see the Pages site sees the records.
pages:
  image: python:3.11
  rules:
    - if: $CI_COMMIT_BRANCH == "{main}"
  variables:
    GIT_DEPTH: "0"
  script:
    - pip install "{install}"
    - svt --repo . site {out}
  artifacts:
    paths:
      - {out}
"""


def with_site_extra(install: str) -> str:
    """svt_install with the ``site`` extra: ``svt-records==1.0`` becomes
    ``svt-records[site]==1.0``, a URL ``svt-records[site] @ URL``, a folder ``FOLDER[site]``."""
    import re
    named = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?\s*([=<>!~].*)?", install)
    if named and not named.group(1).endswith((".", "/")) and "/" not in install.split("=")[0]:
        extras = [e.strip() for e in (named.group(2) or "").split(",") if e.strip()]
        extras += [] if "site" in extras else ["site"]
        return f"{named.group(1)}[{','.join(extras)}]{named.group(3) or ''}"
    if "://" in install or install.startswith("git+"):
        return f"svt-records[site] @ {install}"
    return f"{install}[site]"


def pages_files(install: str, main: str, gitlab_ci: str | None) -> dict[str, bytes]:
    """The Pages CI: a GitHub workflow of its own, and the GitLab ``pages`` job added at the
    end of ``gitlab_ci`` (the current .gitlab-ci.yml text, None when there is none; left
    out when it has a ``pages`` job already)."""
    site_install = with_site_extra(install)
    values = {"install": site_install, "main": main, "out": PAGES_DIR,
              "setup": GITHUB_SETUP_STEPS.format(install=site_install)}
    files = {PAGES_GITHUB_FILE: PAGES_GITHUB.format(**values).encode()}
    job = PAGES_GITLAB.format(**values)
    if gitlab_ci is None:
        files[GITLAB_FILE] = job.encode()
    elif not any(line.startswith("pages:") for line in gitlab_ci.splitlines()):
        files[GITLAB_FILE] = (gitlab_ci.rstrip("\n") + "\n\n" + job).encode()
    return files
