"""The ``svt`` command line: click only here; each command is a thin shell over the library.

Commands are loaded on first use (``svt --help`` imports click and nothing else of weight).
The only package that prints.

May import: every package.
"""
from __future__ import annotations

import gc
import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

# A command is one short process, and nearly every object its imports make lives as long as
# it does: Python's cycle collector, run after every 700 new objects, walked them again and
# again (about 40 collections, 4-5 ms of a write). After every 100,000 instead: a command
# with a million objects to make (an import, a rebuild) still collects as it goes (svt site
# at 1,000 components: 111 MB at its peak against 110). Set before click is imported, so
# for any process that imports the command line (click's CliRunner too); the library alone
# leaves Python's setting as it is.
GC_THRESHOLD = (100_000, 10, 10)
gc.set_threshold(*GC_THRESHOLD)

import click  # noqa: E402 - after the collector's setting

if TYPE_CHECKING:  # the library is imported when a command runs, not at start-up
    from ..api.database import Database
    from ..model.registry import Enumerations
    from ..store.base import StoreBase

# name -> (module, function, one-line help shown by `svt --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("setup", "init", "Create a records store (a git repository)."),
    "upgrade": ("setup", "upgrade", "Take this svt's schemas and CI files into the store."),
    "add": ("components", "add", "Add a component, or update fields of an existing one."),
    "list": ("components", "list_cmd", "List components, with filters."),
    "show": ("components", "show", "Show one component: state, tests, history."),
    "summary": ("components", "summary", "Counts by type and status, installations, tests."),
    "location": ("components", "location", "Move a component to another place."),
    "retype": ("retype", "retype", "Change a component's type (its records move)."),
    "move-events": ("retype", "move_events", "Move one part's events to another id."),
    "positions": ("positions", "positions", "What is installed at each detector position."),
    "test": ("events", "test", "Record a test result with measurements and files."),
    "show-test": ("events", "show_test", "Show one test in full: measurements, files, notes."),
    "test-types": ("testtypes", "test_types", "List the test definitions: limits, analyses."),
    "reanalyze": ("testtypes", "reanalyze", "Re-run a test type's analysis on stored data."),
    "install": ("events", "install", "Install a component at a detector position."),
    "remove": ("events", "remove", "Remove an installed component from its position."),
    "assemble": ("events", "assemble", "Assemble a sensor and/or hybrid onto a module."),
    "disassemble": ("events", "disassemble", "Detach the sensor and hybrid of a module."),
    "log": ("events", "log", "Add a maintenance log entry to a component."),
    "comment": ("events", "comment", "Add a comment to a component."),
    "from-issue": ("fromissue", "from_issue", "Record what a GitHub issue form asks for."),
    "attach": ("events", "attach", "Store photos or documents of a component."),
    "connect": ("events", "connect", "Record a cable connection between two components."),
    "disconnect": ("events", "disconnect", "Undo a connection between two components."),
    "connections": ("events", "connections", "List the connections of a component."),
    "validate": ("review", "validate", "Check records: syntax, schemas, files, cross-rules."),
    "fmt": ("review", "fmt_cmd", "Rewrite hand-edited records into canonical form."),
    "review": ("review", "review_cmd", "Summarise a change for a reviewer (Markdown)."),
    "import-sqlite": ("transfer", "import_sqlite", "Import the original SQLite tracker's data."),
    "export": ("transfer", "export", "Export the store as JSON, CSV or YAML."),
    "results": ("transfer", "results", "One row per component: latest results of a test."),
    "backup": ("transfer", "backup", "Write the whole store and history to one file."),
    "restore": ("transfer", "restore", "Restore a backup into a new store."),
    "setup": ("setup", "setup", "Prepare this clone: register svt's merge driver."),
    "watch": ("setup", "watch", "Keep a watcher of records/ running: faster queries."),
    "sync": ("sync", "sync", "Fetch, rebase (or merge), validate and push."),
    "branch": ("sync", "branch", "Start a topic branch from the up-to-date main; --prune."),
    "resolve": ("collab", "resolve", "Settle a merge conflict in a component's record."),
    "history": ("collab", "history", "Every change of a component, field by field."),
    "site": ("site", "site", "Build a static web site of the store (Pages, or --serve)."),
    "label": ("labels", "label", "Write labels with QR codes, one by one or on sheets."),
    "undo": ("collab", "undo", "Take back one commit of records with a new commit."),
    "merge-driver": ("collab", "merge_driver", "(Run by git.) Merge a component.yaml."),
}


class SvtClickError(click.ClickException):
    """A library error on its way to the user: one line, no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        from .render import terminal_text  # it may quote a record: no control characters
        super().__init__(terminal_text(message))
        # click declares exit_code a ClassVar (1) but reads it from the instance
        self.exit_code = exit_code  # type: ignore[misc]


class LazyGroup(click.Group):
    """A group whose commands are imported only when invoked (or asked for help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module = import_module(f"{__name__}.{spec[0]}")
        return getattr(module, spec[1])

    def invoke(self, ctx: click.Context) -> Any:
        from ..model.errors import SvtError
        try:
            return super().invoke(ctx)
        except SvtError as exc:
            from ..files.install import message  # an extra's pip command, for this install
            raise SvtClickError(message(exc), exc.exit_code) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.option("--db-path", "--repo", "repo", metavar="PATH", envvar="SVT_REPO",
              type=click.Path(),
              help="The records store to use (a folder). Default: $SVT_REPO, else the store"
                   " enclosing the current folder, else ~/.hps_svt_tracker.")
@click.version_option(package_name="svt-records", prog_name="svt")
@click.pass_context
def cli(ctx: click.Context, repo: str | None) -> None:
    """svt: the HPS Silicon Vertex Tracker component tracker.

    Records live as YAML files in a git repository; every change is one commit.
    Start with `svt init`, then `svt add`, `svt list` and `svt show ID`.
    Each command has its own --help.
    """
    ctx.obj = {"repo": repo}


def open_db(ctx: click.Context | None = None) -> Database:
    """The Database the user selected (the library is imported here, not at start-up)."""
    from ..api.database import Database
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    repo = (root.obj or {}).get("repo")
    db = Database(repo)
    if stderr_is_terminal():  # validate, index rebuilds and exports show how far they are
        from .render import progress_bar
        db.progress = progress_bar
    db.require()
    report_notes(db)  # e.g. an interrupted change that was just finished or undone
    return db


class StoreChoice(click.Choice):
    """One of the store's enumerations (``Enumerations`` field ``enum``), read when first
    needed: the store's schemas/ say, so a collaboration may add e.g. a status; outside a
    store (and in --help there) svt's defaults."""

    def __init__(self, enum: str, exclude: tuple[str, ...] = ()) -> None:
        self.enum, self.exclude = enum, exclude
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(c for c in getattr(store_enums(), self.enum) if c not in self.exclude)

    @choices.setter
    def choices(self, value: Any) -> None:
        pass  # click.Choice.__init__ sets them; ours come from the store


def store_enums() -> Enumerations:
    """The enumerations of the store the user selected (once per command)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    meta = root.meta if root else {}
    if "svt.enums" not in meta:
        from ..store.base import StoreBase
        meta["svt.enums"] = StoreBase((root.obj or {}).get("repo") if root else None).enums
    return meta["svt.enums"]


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def report_notes(db: StoreBase) -> None:
    if db.warnings or db.notes:  # they may quote records: printed as render.echo prints
        from .render import echo
        for warning in db.warnings:
            echo(f"warning: {warning}", err=True)
        for note in db.notes:
            echo(f"note: {note}", err=True)
    db.warnings.clear()
    db.notes.clear()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every svt error into one line and an exit code."""
    from ..model.errors import SvtError
    try:
        rv = cli.main(args=argv, prog_name="svt", standalone_mode=False)
    except SystemExit as exc:  # click's own exit where the reader of stdout left (svt's
        # commands end with click.exceptions.Exit; the one sys.exit, the merge driver's, is
        # status 9: status 1 here is click's)
        if exc.code == 1 and _stdout_reader_gone():
            return 0  # `svt list | head -1`: no error
        raise
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SvtError as exc:
        from .render import echo
        echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing was left half-written.", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so briefly, details on request
        from .render import echo
        if isinstance(exc, OSError) and _writing_output(exc):  # `svt list > /dev/full`
            echo(f"Error: could not write svt's output: {exc.strerror or exc}", err=True)
            return 120
        if os.environ.get("SVT_DEBUG"):
            raise
        echo(f"Internal error: {type(exc).__name__}: {exc} (set SVT_DEBUG=1 for the"
             " traceback, and please report it)", err=True)
        return 3
    return rv if isinstance(rv, int) else 0


def _writing_output(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by click.echo, which only writes (e.g. to a full disk:
    `svt list > /dev/full`)."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "echo" and code.co_filename.endswith(os.path.join("click", "utils.py")):
            return True
        tb = tb.tb_next
    return False


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (click exits with 1
    there, its own rule for a broken pipe)."""
    try:
        import select
        poller = select.poll()
        poller.register(sys.__stdout__.fileno(), select.POLLOUT)  # type: ignore[union-attr]
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no stdout
        return False


def entry() -> None:
    """The `svt` program: :func:`main`, then an exit without Python's teardown of every
    loaded module (7 ms of each command at 10,000 components' worth of imports), after what
    that teardown would do that matters: other threads joined, atexit functions run, the
    output flushed. A failure to write or flush the output is exit status 120, as Python
    has it (:func:`main` says so in one line), except a closed pipe (`svt list | head`),
    which is no error."""
    code = main()
    import atexit
    import threading
    # what Python's finalization does first, in its order (CPython's own functions)
    shutdown = getattr(threading, "_shutdown", None)
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exit_functions is None:  # another Python: its own teardown
        sys.exit(code)
    shutdown()  # threading's exit callbacks, then every non-daemon thread joined
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            pass
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)
