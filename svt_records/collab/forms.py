"""Recording from a browser through GitHub, with no server (`svt init --forms`): three GitHub
issue forms, and reading the body GitHub renders from one (`svt from-issue`).

An issue form's body reaches svt as GitHub renders it: a ``### Label`` heading per field,
its value below, ``_No response_`` for a field left empty. :func:`parse_issue` reads it
back into an :class:`IssueRequest` (which form, which values) and checks every value before
anything is written; the command line then makes the change with the library calls of
`svt test`, `svt log`/`svt comment`, `svt location` and `svt add --status`. Files people
drag into a form's text box become attachment links; :func:`attachment_links` lists them,
and :mod:`.attachments` fetches them, only from GitHub's attachment addresses.

The file names and each form's ``component`` field id are a contract: the site links to
``.github/ISSUE_TEMPLATE/<name>?template=<name>&component=<ID>``.
"""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from ..files import yamlio
from ..model.errors import InvalidInput

if TYPE_CHECKING:
    from ..store.base import StoreBase

FORM_LABEL = "svt-record"  # every form's issues carry it; the workflow runs only for them
FORM_DIR = ".github/ISSUE_TEMPLATE"
TEST_FORM, LOG_FORM, STATUS_FORM = "svt-test.yml", "svt-log.yml", "svt-status.yml"
FORM_FILES = tuple(f"{FORM_DIR}/{name}" for name in (TEST_FORM, LOG_FORM, STATUS_FORM))
NO_RESPONSE = "_No response_"
MAX_BODY_BYTES = 65536  # GitHub's own limit on an issue body
FROM_LIMITS, PASSED, FAILED = "From the limits", "Pass", "Fail"
LOG_ENTRY, COMMENT = "Log entry", "Comment"

FILES_NOTE = ("Issue forms have no file field: drag the files into this box (or paste them),"
              " and GitHub turns each into a link here; svt stores the files behind the links."
              " In a private repository GitHub serves those links to no workflow: upload the"
              " files to the pull request's branch instead, as its comment says.")


class Field(NamedTuple):
    id: str
    label: str
    kind: str  # input, textarea, dropdown
    description: str
    required: bool = False
    options: tuple[str, ...] = ()
    value: str = ""  # prefilled


COMPONENT = Field("component", "Component", "input",
                  "The component's id as svt knows it (its label's QR code), e.g. HPK-SN123456.",
                  required=True)
DATE = Field("date", "When", "input",
             "ISO 8601, e.g. 2025-03-14T10:22; empty: now.")

FORMS: dict[str, dict[str, Any]] = {
    TEST_FORM: {
        "name": "Record a test result", "title": "svt test: ", "command": "svt test",
        "description": "Record a test of one component, with its data file and photos;"
                       " svt opens a pull request with it.",
        "fields": (COMPONENT,
                   Field("test_type", "Test type", "input",
                         "As svt.yaml defines it (svt test-types), e.g. iv_curve, noise_test.",
                         required=True),
                   Field("result", "Verdict", "dropdown",
                         "From the limits: svt.yaml's limits for the type decide (as svt test"
                         " without --pass or --fail).",
                         required=True, options=(FROM_LIMITS, PASSED, FAILED)),
                   Field("measurements", "Measurements", "textarea",
                         "One per line, NAME=VALUE[UNIT] as svt test --measure takes it, e.g."
                         " leakage=2.3uA or bad_channels=47,128."),
                   Field("data", "Data files", "textarea",
                         "The raw data (an IV or noise CSV): the first is analysed when"
                         " svt.yaml defines an analysis for the type. " + FILES_NOTE),
                   Field("images", "Photos and plots", "textarea", FILES_NOTE),
                   Field("setup", "Setup", "input", "The test stand, e.g. probe-station-2."),
                   Field("notes", "Notes", "textarea", "Anything worth noting."),
                   Field("tested_by", "Tested by", "input",
                         "Who ran the test; empty: you (your GitHub login)."),
                   DATE)},
    LOG_FORM: {
        "name": "Add a log entry or a comment", "title": "svt log: ", "command": "svt log",
        "description": "Add a log entry (svt log) or a comment (svt comment) to one component,"
                       " with photos; svt opens a pull request with it.",
        "fields": (COMPONENT,
                   Field("entry", "Entry", "dropdown", "A log entry has a type and a severity.",
                         required=True, options=(LOG_ENTRY, COMMENT)),
                   Field("text", "Text", "textarea", "What happened, or what you have to say.",
                         required=True),
                   Field("log_type", "Log type", "input",
                         "A log entry's type, e.g. note, observation, issue, repair.",
                         value="note"),
                   Field("severity", "Severity", "input", "info, warning or critical.",
                         value="info"),
                   Field("images", "Photos", "textarea", FILES_NOTE),
                   DATE)},
    STATUS_FORM: {
        "name": "Report a move or a status change", "title": "svt status: ",
        "command": "svt location",
        "description": "Record that a component moved (svt location) or has a new status"
                       " (svt add --status); svt opens a pull request with it.",
        "fields": (COMPONENT,
                   Field("location", "New location", "input",
                         "Where it is now, e.g. Clean Room Storage; empty: it did not move."),
                   Field("status", "New status", "input",
                         "e.g. incoming, testing, qualified, spare, repair; empty: unchanged."),
                   Field("notes", "Notes", "textarea", "Why, or anything worth noting."),
                   DATE)},
}


def _element(field: Field) -> dict:
    attributes: dict[str, Any] = {"label": field.label, "description": field.description}
    if field.options:
        attributes["options"] = list(field.options)
        attributes["default"] = 0
    if field.value:
        attributes["value"] = field.value
    element: dict[str, Any] = {"type": field.kind, "id": field.id, "attributes": attributes}
    if field.required:
        element["validations"] = {"required": True}
    return element


def issue_forms() -> dict[str, bytes]:
    """The three issue forms, as svt writes them (built as data, written by svt's YAML
    writer)."""
    out = {}
    for name, form in FORMS.items():
        intro = (f"This form records with `{form['command']}` on a branch `svt/issue-N`, and"
                 " opens a pull request for review. It records issues of the people"
                 " issue_authors in svt.yaml names (by default the repository's owners,"
                 " members and collaborators).")
        data = {"name": form["name"], "description": form["description"],
                "title": form["title"], "labels": [FORM_LABEL],
                "body": [{"type": "markdown", "attributes": {"value": intro}},
                         *(_element(f) for f in form["fields"])]}
        text = ("# Written by `svt init --forms` (docs/how-to/recording-from-a-phone.md); the"
                " workflow\n# svt-issue.yml records what this form sends.\n" + yamlio.dump(data))
        out[f"{FORM_DIR}/{name}"] = text.encode()
    return out


# ---- the body GitHub renders from a form ---------------------------------------------------

class IssueRequest(NamedTuple):
    """What one issue asks for: the form (a name of :data:`FORMS`) and each field's value
    by its id ("" when left empty)."""
    form: str
    values: dict[str, str]


HEADING = "### "  # a field's label, as GitHub renders it


def _sections(body: str) -> list[tuple[str, str]]:
    # (no regular expression: `^### (.*?)\s*$` took time quadratic in a line's spaces)
    out: list[tuple[str, list[str]]] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.startswith(HEADING):
            out.append((line[len(HEADING):].rstrip(), []))
        elif out:
            out[-1][1].append(line)
        elif line.strip():
            raise InvalidInput("the issue does not start with a form's first field (### "
                               "Component): open it from one of svt's forms (New issue)")
    return [(label, "\n".join(lines).strip()) for label, lines in out]


def parse_issue(body: str) -> IssueRequest:
    """The form and values of an issue body as GitHub renders an issue form. Raises
    InvalidInput naming what is wrong: a body made by no form of svt's, a missing required
    field, an unknown option."""
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise InvalidInput(f"the issue body is over {MAX_BODY_BYTES} bytes: no form of svt's"
                           " makes one so long")
    sections = _sections(body)
    labels = [label for label, _ in sections]
    for name, form in FORMS.items():
        fields = form["fields"]
        own = {f.label for f in fields}
        others = {f.label for other, o in FORMS.items() if other != name for f in o["fields"]}
        if set(labels) <= own and set(labels) & (own - others):
            break
    else:
        raise InvalidInput("the issue was made with none of svt's forms (svt-test, svt-log,"
                           " svt-status): open a new issue from one of them")
    given = dict(sections)
    values: dict[str, str] = {}
    for field in fields:
        text = given.get(field.label, "")
        text = "" if text == NO_RESPONSE else text
        if field.kind != "textarea":
            text = " ".join(text.split())
        if field.required and not text:
            raise InvalidInput(f"the field \"{field.label}\" is empty: fill it in (edit the"
                               " issue's text, or open a new issue from the form)")
        if field.options and text not in field.options:
            raise InvalidInput(f"the field \"{field.label}\" is {text[:40]!r}, not one of the"
                               f" form's choices ({', '.join(field.options)})")
        values[field.id] = text
    return IssueRequest(name, values)


def measurement_lines(text: str) -> list[str]:
    """The non-empty lines of the Measurements field (a leading "- " of a list is dropped)."""
    lines = [line.strip() for line in text.splitlines()]
    return [line[2:].strip() if line.startswith("- ") else line for line in lines if line]


# ---- attachment links ------------------------------------------------------------------------

class Link(NamedTuple):
    name: str  # the file's name as the link shows it ("" when it shows none)
    url: str


# Each repeat stops at the next "[" or "<", so that no start scans the rest of the text
# again: a files field of 60,000 "[" took 40 s (each start ran to the line's end).
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(\s*<?([^()\s<>]+)>?\s*\)")
_IMG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""\b(alt|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BARE = re.compile(r"https?://[^\s<>()\[\]\"']+")


def attachment_links(text: str) -> list[Link]:
    """The links of a files field, in order: Markdown links and images (``[iv.csv](URL)``,
    ``![photo](URL)``), HTML images (``<img alt src>``, as GitHub pastes photos) and bare
    addresses. Text that is no link is an error: the field is for files only."""
    links: list[Link] = []
    rest = text
    for found in _IMG.finditer(text):
        attrs = {m[1].lower(): html.unescape(m[2] if m[2] is not None else m[3])
                 for m in _ATTR.finditer(found[0])}
        if attrs.get("src"):
            links.append(Link(attrs.get("alt", ""), attrs["src"]))
    rest = _IMG.sub(" ", rest)
    for found in _MARKDOWN_LINK.finditer(rest):
        links.append(Link(found[1].strip(), found[2]))
    rest = _MARKDOWN_LINK.sub(" ", rest)
    for found in _BARE.finditer(rest):
        links.append(Link("", found[0]))
    leftover = _BARE.sub(" ", rest).strip()
    if leftover:
        raise InvalidInput(f"a files field holds text that is no file link ({leftover[:40]!r}):"
                           " drag files into it, and write notes in the Notes field")
    return links


# ---- what an issue asks svt to do ------------------------------------------------------------

LOGIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
FILE_FIELDS = {"data": "data_files", "images": "images"}  # field id -> the call's argument


class Call(NamedTuple):
    """One write, as the command line makes it: a ``Database`` method (the one `svt test`,
    `svt log`, `svt comment`, `svt location` or `svt add --status` calls), its arguments,
    and the attachment links whose files become the argument named in ``files``."""
    method: str
    args: tuple
    kwargs: dict
    files: dict[str, list[Link]]
    summary: str


def _choice(value: str, choices: tuple[str, ...], label: str) -> str:
    if value not in choices:
        raise InvalidInput(f"the field \"{label}\" is {value[:40]!r}, which this store does not"
                           f" know: one of {', '.join(choices)}")
    return value


def _measurements(text: str) -> dict:
    from ..model import parse_measurement
    values: dict = {}
    for line in measurement_lines(text):
        try:
            name, measured = parse_measurement(line)
        except (InvalidInput, ValueError) as exc:
            raise InvalidInput(f"the field \"Measurements\" has {line[:40]!r}: {exc}; write"
                               " one NAME=VALUE[UNIT] per line, e.g. leakage=2.3uA") from None
        values[name] = measured
    return values


def plan(request: IssueRequest, author: str, store: "StoreBase") -> list[Call]:
    """The writes an issue asks for, every value checked first (the component exists, the
    choices are the store's, the measurements and the date read), so that a bad issue
    writes nothing. ``author`` (the issue's GitHub login) is who did it, unless the form
    names someone."""
    from ..model import check_id, check_test_type
    from ..store.inputs import event_time
    if not LOGIN_RE.fullmatch(author):
        raise InvalidInput(f"--author {author[:60]!r} is no GitHub login")
    v = request.values
    component = check_id(v["component"])  # the CLI's rule, before any path is made of it
    store.read_component(component)  # it exists (else: no component 'X'; svt list ...)
    date = v["date"] or None
    event_time(date)  # a date svt reads, not in the future
    files = {FILE_FIELDS[f]: attachment_links(v[f]) for f in FILE_FIELDS if v.get(f)}
    enums = store.enums
    if request.form == TEST_FORM:
        test_type = v["test_type"]
        check_test_type(test_type)
        passed = {PASSED: True, FAILED: False}.get(v["result"])
        return [Call("record_test", (component, test_type), {
            "passed": passed, "measurements": _measurements(v["measurements"]),
            "tested_by": v["tested_by"] or author, "notes": v["notes"] or None,
            "setup": v["setup"] or None, "date": date}, files,
            f"svt test: {test_type} of {component}")]
    if request.form == LOG_FORM:
        comment = v["entry"] == COMMENT
        log_type = "note" if comment else _choice(v["log_type"] or "note", enums.log_types,
                                                 "Log type")
        severity = "info" if comment else _choice(v["severity"] or "info", enums.severities,
                                                 "Severity")
        return [Call("add_log", (component, v["text"]), {
            "log_type": log_type, "severity": severity, "logged_by": author, "date": date,
            "kind": "comment" if comment else "log"}, files,
            f"svt {'comment' if comment else 'log'}: {component}")]
    location, status, notes = v["location"], v["status"], v["notes"] or None
    if not location and not status:
        raise InvalidInput("fill in \"New location\" or \"New status\" (or both): the issue"
                           " asks for no change")
    calls = []
    if location:
        calls.append(Call("set_location", (component, location), {
            "moved_by": author, "notes": notes, "date": date}, {},
            f"svt location: {component} to {location}"))
    if status:
        calls.append(Call("save_component", (component, {
            "status": _choice(status, enums.statuses, "New status")}), {}, {},
            f"svt add --status: {component} is {status}"))
        if notes and not location:  # the note of a status change: a comment
            calls.append(Call("add_log", (component, notes), {
                "log_type": "note", "severity": "info", "logged_by": author, "date": date,
                "kind": "comment"}, {}, f"svt comment: {component}"))
    return calls
