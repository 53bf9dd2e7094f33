"""A test result under its definition: the analysis of its data file, the verdict of the
limits, and `svt reanalyze`. ``Database.record_test`` and ``Database.reanalyze`` call these;
numpy and matplotlib are imported only when a file is analysed.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Callable

from .. import model
from ..model import registry
from ..files import schema
from ..analysis import testtypes
from ..model.errors import InvalidInput, Problem, SvtError
from .layout import CONFIG_FILE, EVENT_NAME_RE, event_id
from .txn import Change, sha256_file

if TYPE_CHECKING:
    from ..analysis.iv_noise import AnalysisResult
    from .base import StoreBase

PLOT_NAME = "{analysis}_analysis.png"  # the original_name of the plot an analysis draws


def definition_for(db: "StoreBase", test_type: str) -> testtypes.TestType | None:
    """The store's definition of ``test_type``; an undefined type adds a warning to
    ``db.warnings`` (an error under ``strict: true``)."""
    definition, warning = testtypes.lookup(db.config, test_type)
    if warning:
        db.warnings.append(warning)
    return definition


def analyse(definition: testtypes.TestType, source: Path, measurements: dict[str, Any], *,
            plot_dir: Path | None, title: str, label: str) -> tuple["AnalysisResult", Path | None]:
    """Run the definition's analysis on the file ``source``; with ``plot_dir``, draw its
    plot there (IV only; the curve named ``label``). Raises DataFileError for a file it
    cannot use."""
    from ..analysis import iv_noise as analysis
    from ..analysis.ivfile import read_iv, read_noise
    name = definition.analysis or ""
    version = testtypes.ANALYSIS_VERSIONS[name]
    settings = {key: definition.setting(key) for key in testtypes.ANALYSIS_SETTINGS[name]}
    if name == "noise":
        return analysis.noise_analysis(read_noise(source), version=version, **settings), None
    data = read_iv(source)
    hand_temperature = testtypes.number_in(measurements.get("temperature"), "C")
    result = analysis.iv_analysis(data, temperature=hand_temperature, version=version,
                                  **settings)
    if plot_dir is None:
        return result, None
    from ..analysis import plots
    # a folder of its own: one change may analyse many files (svt test --from-csv)
    import tempfile
    out = Path(tempfile.mkdtemp(dir=plot_dir)) / PLOT_NAME.format(analysis=name)
    plots.iv_figure([(label, data)], out, operating_voltage=result.operating_voltage,
                    breakdown=result.breakdown, title=title)
    return result, out


def merge_derived(measurements: dict[str, Any], result: "AnalysisResult") -> list[str]:
    """Add the analysis' values to ``measurements`` (those typed by hand), never over one of
    them; returns the names added."""
    added = []
    for name, value in result.measurements.items():
        if name not in measurements:
            measurements[name] = value
            added.append(name)
    return added


def wants_plot(definition: testtypes.TestType) -> bool:
    """Whether to draw the analysis plot: the definition asks (``plot``, default true) and
    matplotlib is installed (else the values are stored without it)."""
    import importlib.util
    return definition.settings.get("plot", True) is not False \
        and importlib.util.find_spec("matplotlib") is not None


def apply_limits(db: "StoreBase", event: dict, definition: testtypes.TestType,
                 component_type: str, passed: bool | None, file_kinds: list[str], *,
                 tell: bool = True) -> testtypes.Verdict:
    """Set ``event``'s result from the limits the collaboration has set when none was given,
    and record what they say (``limits:``); a result given by hand that they contradict is
    kept, with a warning in ``db.warnings``. Placeholder limits never decide: what they
    would say goes to ``db.notes`` (with ``tell``), as does a deciding limit whose value
    rests on placeholder settings. Returns the verdict."""
    measurements = event.get("measurements") or {}
    derived = (event.get("analysis") or {}).get("values") or ()
    verdict = testtypes.judge(definition, component_type, measurements, derived)
    missing = testtypes.missing_requirements(definition, measurements, file_kinds)
    limits: dict[str, Any] | None = None
    if verdict.verdict:
        limits = {"verdict": verdict.verdict, "failed": list(verdict.failed) or None}
    name = f"{event['component']} {event['test_type']}"
    if passed is None:
        if verdict.verdict == "fail" or (verdict.verdict == "pass" and not missing):
            event["result"] = verdict.verdict
            assert limits is not None
            limits["decided"] = True
        elif missing and tell:
            db.notes.append(f"{name}: no verdict from the limits: {event['test_type']} requires"
                            f" {', '.join(missing)}; give --pass or --fail, or the missing data")
    elif verdict.verdict and verdict.verdict != event.get("result"):
        db.warnings.append(f"{name}: recorded {event.get('result')} by hand, but the"
                           f" limits say {verdict.verdict}"
                           + (f" ({'; '.join(verdict.show(verdict.failed))})"
                              if verdict.failed else ""))
    if tell:
        db.notes.extend(f"{name}: {line}" for line in verdict.notes())
    if limits and schema.knows_field("test", "limits", db.schema_dir):
        event["limits"] = {k: v for k, v in limits.items() if v is not None}
    return verdict


def verdict_notes(config: dict, event: dict,
                  defined: dict[str, testtypes.TestType] | None = None) -> list[str]:
    """What the definitions' placeholders say of a stored test (`svt show`, `svt show-test`):
    the advisory outcome of the placeholder limits, the deciding limits that rest on
    placeholder settings, and a result the placeholders decided before they stopped
    deciding. ``defined``: the definitions, when the caller has them."""
    definitions = defined if defined is not None else testtypes.definitions(config)
    definition = definitions.get(str(event.get("test_type")))
    if definition is None:
        return []
    parts = str(event.get("_path") or "").split("/")
    component_type = parts[1] if len(parts) > 2 else None
    derived = (event.get("analysis") or {}).get("values") or ()
    verdict = testtypes.judge(definition, component_type, event.get("measurements") or {},
                              derived)
    out = verdict.notes()
    if (event.get("limits") or {}).get("decided") and verdict.verdict is None \
            and verdict.advisory:
        out.append(f"the limits that gave this result are placeholders now: `svt reanalyze"
                   f" --type {event['test_type']}` judges it again")
    return out


PLACEHOLDER_RULE = "placeholders"  # the rule name of placeholder_problems' warnings


def placeholder_problems(db: "StoreBase", paths: list[str],
                         skip: AbstractSet[str] = frozenset()) -> list[Problem]:
    """`svt validate`'s warnings, on the main branch, for each test type whose results rest
    on placeholders: a placeholder limit judges a measurement of one, or the analysis
    derived one's values with placeholder settings (``paths``: the store's record files; a
    test's file name says its type, and the first result that rests on them is enough).
    None where svt.yaml cannot be read: its own check says why. ``skip``: paths known not to
    rest on placeholders (unchanged since a look found so): counted, not read."""
    try:
        if db.repo.current_branch() != db.main_branch:
            return []
        defined = testtypes.definitions(db.config)
    except SvtError:
        return []
    tests: dict[str, list[str]] = {}
    for path in paths:
        named = EVENT_NAME_RE.match(path.rsplit("/", 1)[1]) if path.count("/") == 4 else None
        definition = defined.get(named.group("name")) if named else None
        if definition is not None and definition.placeholders:
            tests.setdefault(definition.name, []).append(path)
    resting = {}
    for name, found in tests.items():
        for path in found:
            if path in skip:
                continue
            try:
                event = db.load(path, check=False)
            except SvtError:
                continue  # its own check says why
            if testtypes.rests_on_placeholders(defined[name], path.split("/")[1], event):
                resting[name] = len(found)
                break
    return [Problem(CONFIG_FILE, 1, 1, message, "warning", PLACEHOLDER_RULE)
            for message in testtypes.placeholder_warnings(defined, resting)]


def complete_new_test(db: "StoreBase", event: dict, definition: testtypes.TestType | None,
                      component_type: str, passed: bool | None,
                      copies: list[tuple[Path, str, str]], plot_dir: Path) -> None:
    """Analyse a new test's first data file and judge it, before anything is written:
    adds derived measurements and the ``analysis:`` record to ``event`` and the plot to
    ``copies``."""
    if definition is None:
        return
    data, label = next(((source, name) for source, kind, name in copies if kind == "data"),
                       (None, ""))
    if definition.analysis and data is not None:
        from ..analysis import iv_noise as analysis
        from ..analysis.ivfile import TABLE_SUFFIXES, is_table  # not loaded by a test without data (4 ms)
        if not is_table(data.name):
            db.notes.append(f"stored {label} without analysing it: the {definition.analysis}"
                            f" analysis reads {', '.join(TABLE_SUFFIXES)} files")
        elif not analysis.available():
            from ..files.install import pip_command
            db.notes.append(f"stored {data.name} without analysing it: the {definition.analysis}"
                            f" analysis needs numpy ({pip_command('analysis')}); then run"
                            f" `svt reanalyze --type {event['test_type']} {event['component']}`")
        else:
            measurements = dict(event.get("measurements") or {})
            draw = plot_dir if wants_plot(definition) else None
            result, plot = analyse(definition, data, measurements, plot_dir=draw,
                                   title=f"{event['component']} {event['test_type']}",
                                   label=label)
            derived = merge_derived(measurements, result)
            event["measurements"] = measurements or None
            if schema.knows_field("test", "analysis", db.schema_dir):
                event["analysis"] = {"name": result.name, "version": result.version,
                                     "values": derived}
            if plot is not None:
                copies.append((plot, "plot", plot.name))
    apply_limits(db, event, definition, component_type, passed,
                 [kind for _, kind, _ in copies])


# ---- svt reanalyze ---------------------------------------------------------------------

def reanalyze(db: Any, test_type: str, component_ids: tuple[str, ...],
              all_paths: Callable[[], list[str]]) -> tuple[str | None, list[str]]:
    """Re-run the analysis of ``test_type`` on the stored data of its results (of
    ``component_ids``, or all: ``all_paths()`` gives the paths of its results, from the
    index, which the caller asks), replacing the derived values, the plot and a verdict the
    limits decided, in one commit. Values typed by hand stay. Returns (commit or None when
    nothing changed, one line per changed result)."""
    model.check_test_type(test_type)
    definition = testtypes.definitions(db.config).get(test_type)
    if definition is None or not definition.analysis:
        raise InvalidInput(f"test type {test_type!r} defines no analysis in svt.yaml:"
                           " `svt test-types` lists the definitions")
    if not schema.knows_field("test", "analysis", db.schema_dir):
        raise InvalidInput("this store's schemas/test.schema.json predates analyses: copy svt's"
                           " schemas/ into the store (svt validate checks them), then retry")
    from ..analysis import iv_noise as analysis
    analysis.numpy()  # says how to install the extra
    if component_ids:
        paths = [ev["_path"] for cid in component_ids
                 for ev in db.events(model.check_id(cid), kinds=("test",))
                 if ev.get("test_type") == test_type]
    else:
        paths = all_paths()
    change = Change("")
    lines: list[str] = []
    import tempfile
    with tempfile.TemporaryDirectory(prefix="svt-reanalyze-") as tmp:
        for n, rel in enumerate(paths):
            line = _reanalyze_one(db, definition, rel, change, Path(tmp) / str(n))
            if line:
                lines.append(line)
        if not lines:
            return None, []
        name = definition.analysis
        change.message = (f"reanalyze {test_type}: {len(lines)} result(s) updated ({name}"
                          f" analysis v{testtypes.ANALYSIS_VERSIONS[name]})\n\n"
                          + "\n".join(lines))
        return db.commit(change), lines


def _reanalyze_one(db: Any, definition: testtypes.TestType, rel: str, change: Change,
                   plot_dir: Path) -> str | None:
    read = db.read(rel, kind="test")
    event = dict(read.data)
    files = [dict(f) for f in event.get("files") or []]
    data = next((f for f in files if f.get("kind") == "data"), None)
    from ..analysis.ivfile import is_table
    if data is None or not is_table(str(data["path"])):
        return None
    folder = rel.rsplit("/", 1)[0]
    old_measurements = dict(event.get("measurements") or {})
    derived_before = set((event.get("analysis") or {}).get("values") or ())
    hand = {k: v for k, v in old_measurements.items() if k not in derived_before}
    plot_dir.mkdir()
    try:
        result, plot = analyse(definition, db.root / folder / data["path"], hand,
                               plot_dir=plot_dir if wants_plot(definition) else None,
                               title=f"{event['component']} {event['test_type']}",
                               label=data.get("original_name") or data["path"])
    except SvtError as exc:
        from ..files.install import message  # an extra's pip command, for this install
        raise InvalidInput(f"{rel}: {message(exc)}") from None
    measurements = dict(hand)
    derived = merge_derived(measurements, result)
    event["measurements"] = measurements or None
    event["analysis"] = {"name": result.name, "version": result.version, "values": derived}
    component_type = rel.split("/")[1]
    decided = bool((event.get("limits") or {}).get("decided"))
    had_result = event.get("result") is not None and not decided
    if decided:
        event.pop("result", None)
    event.pop("limits", None)
    kinds = [f["kind"] for f in files] + (["plot"] if plot else [])
    verdict = apply_limits(db, event, definition, component_type,
                           None if not had_result else event["result"] == "pass", kinds,
                           tell=False)
    changes = [registry.describe_change(k, old_measurements.get(k), measurements.get(k))
               for k in list(old_measurements) + [k for k in measurements
                                                  if k not in old_measurements]
               if old_measurements.get(k) != measurements.get(k)]
    if read.data.get("result") != event.get("result"):
        why = "; ".join((event.get("limits") or {}).get("failed") or [])
        if event.get("result") is None and verdict.advisory:
            why = f"placeholder limits would say {verdict.advisory.upper()}" + (
                f": {'; '.join(verdict.advisory_failed)}" if verdict.advisory_failed else "")
        changes.append(registry.describe_change("result", read.data.get("result"),
                                                event.get("result"))
                       + (f" ({why})" if why else ""))
    if read.data.get("analysis") != event.get("analysis") and not changes:
        changes.append(f"analysis {result.name} v{result.version}")
    if plot is not None:
        plot_name = PLOT_NAME.format(analysis=result.name)
        entry = next((f for f in files if f.get("kind") == "plot"
                      and f.get("original_name") == plot_name), None)
        size, digest = sha256_file(plot)
        if entry is None:
            base = rel.rsplit("/", 1)[1][:-len(".yaml")]
            n = sum(f.get("kind") != "data" for f in files)
            entry = {"path": f"{base}_{n}.png", "kind": "plot", "original_name": plot_name}
            files.append(entry)
            changes.append("plot added")
        if entry.get("sha256") != digest:
            target = f"{folder}/{entry['path']}"
            if "sha256" in entry:  # replaced only as it was when read
                change.expected[target] = (db.root / target).read_bytes()
            change.copies[target] = plot
            entry.update(size=size, sha256=digest)
            if not changes:
                changes.append("plot redrawn")
        event["files"] = files
    if not changes:
        return None
    db.stage_replace(change, read, event, "test")
    return f"{event['component']}:{event_id(rel)}: {'; '.join(changes)}"
