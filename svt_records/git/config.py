"""git's configuration as svt reads it, and the identity commits are made with.

``GitConfig`` reads every level of git's config, and git's identities, from one ``git var
-l``, kept while the config files stay the same. From it come the identity commits are made
with, whether a hook would run on ``git commit``, the hash of the objects, and whether git
would store files as their bytes are (no end-of-line conversion, no attributes file naming a
filter). It registers svt's merge driver in this clone's config and attributes.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import NamedTuple, Sequence

from .process import GitProcess

MERGE_DRIVER = "svt"  # the name of svt's merge driver in .git/config and attributes
MERGE_ATTRIBUTE = f"records/**/component.yaml merge={MERGE_DRIVER}"
GIT_FALSE = ("false", "no", "off", "0")  # what git's config reads as false (as `git var -l` shows)
GIT_TRUE = ("true", "yes", "on", "1")  # and as true


class Identity(NamedTuple):
    name: str
    email: str
    fallback: bool = False  # True when git had no identity and the OS user was used


class GitConfig(GitProcess):
    """git's configuration, identity and attributes files, and svt's merge driver."""

    # caches set on first use (class defaults: GitProcess.__init__ makes the instance)
    _identity: Identity | None = None  # see identity()
    _conf_key: tuple = ()  # the config files' signatures when _conf was read (see _config)

    def identity(self) -> Identity:
        """The git identity commits are made with; the OS user when git has none."""
        if self._identity is None:
            conf = self._config()
            given = [os.environ.get("GIT_AUTHOR_NAME") or conf.get("author.name")
                     or conf.get("user.name"),
                     os.environ.get("GIT_AUTHOR_EMAIL") or conf.get("author.email")
                     or conf.get("user.email") or os.environ.get("EMAIL")]
            if all(given):  # git var -l's (lenient) ident is what strict git var would say
                out = conf.get("GIT_AUTHOR_IDENT", "")
            else:  # none configured: git may refuse, or guess from the host name
                out = self.run("var", "GIT_AUTHOR_IDENT", check=False).strip()
            if out and "<" in out:
                name, rest = out.split("<", 1)
                email = rest.split(">", 1)[0]
                if name.strip():
                    self._identity = Identity(name.strip(), email.strip())
            if self._identity is None:
                user = _os_user()
                import socket  # here, not at start-up: rarely needed, 2 ms to import
                self._identity = Identity(user, f"{user}@{socket.gethostname() or 'localhost'}",
                                          fallback=True)
        return self._identity

    def _config(self) -> dict[str, str]:
        """git's configuration (every level, lower-case keys as git prints them, the last
        value of a key) and its GIT_AUTHOR_IDENT and GIT_COMMITTER_IDENT, from one ``git var
        -l``. Kept while the config files' stat signatures and git's config variables stay
        the same (a long-lived process sees a hooks path set later)."""
        key = self._config_stale()
        if key is not None:
            self._keep_config(self.run("var", "-l", check=False), key)
        assert self._conf is not None
        return self._conf

    def _config_stale(self) -> tuple | None:
        """The config files' signatures when the kept settings are not theirs, else None."""
        key = self._config_key()
        return key if self._conf is None or self._conf_key != key else None

    def _keep_config(self, listing: str, key: tuple) -> None:
        """Keep the settings ``git var -l`` printed (``listing``) for the files of ``key``."""
        conf: dict[str, str] = {}
        for line in listing.splitlines():
            name, _, value = line.partition("=")
            conf[name] = value
        self._conf, self._conf_key = conf, key

    def _config_false(self, key: str, default: str) -> bool:
        """Whether git reads the config value ``key`` (``default`` when unset) as false."""
        return self._config().get(key, default).lower() in GIT_FALSE

    def _object_format(self) -> str:
        """The hash of this repository's objects: sha1 (git's default) or sha256."""
        return self._config().get("extensions.objectformat", "sha1").lower()

    def _config_key(self) -> tuple:
        files = [self.common_dir / "config", self.git_dir / "config.worktree",
                 Path(os.environ.get("GIT_CONFIG_GLOBAL") or
                      Path(os.path.expanduser("~")) / ".gitconfig"),
                 _xdg_git_file("config")]
        key: list = [os.environ.get(v) for v in ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                                                 "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_SYSTEM")]
        for f in files:
            try:
                st = os.stat(f)
                key.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                key.append(None)
        return tuple(key)

    def _identity_env(self) -> dict[str, str]:
        ident = self.identity()
        env = {}
        for role in ("AUTHOR", "COMMITTER"):
            if not os.environ.get(f"GIT_{role}_NAME"):
                env[f"GIT_{role}_NAME"] = ident.name
            if not os.environ.get(f"GIT_{role}_EMAIL"):
                env[f"GIT_{role}_EMAIL"] = ident.email
        return env

    def hooks_present(self, names: Sequence[str] = ("pre-commit", "commit-msg")) -> bool:
        """True when one of these hooks would run (by default: on `git commit`)."""
        hooks_path = self._config().get("core.hookspath", "").strip()
        hooks = Path(os.path.expanduser(hooks_path)) if hooks_path else self.common_dir / "hooks"
        if hooks_path and not hooks.is_absolute():
            hooks = self.root / hooks
        return any(os.access(hooks / name, os.X_OK) for name in names)

    def config_value(self, key: str) -> str | None:
        """A value of this repository's git config as written (no insteadOf rewriting)."""
        return self.run("config", "--get", key, check=False).strip() or None

    def _plain_blobs(self, paths: Sequence[str]) -> bool:
        """True when git would store these files' bytes as they are: no end-of-line
        conversion configured, and no attributes file that applies to them mentions a
        filter, text, eol, crlf, ident or encoding (then git hashes them: LFS, filters)."""
        return self._config_false("core.autocrlf", "false") and not self._attributes_mention(
            paths, (b"filter", b"text", b"eol", b"crlf", b"ident", b"encoding"))

    def _attributes_mention(self, paths: Sequence[str], words: Sequence[bytes]) -> bool:
        """Does any attributes file git would consult for ``paths`` contain one of
        ``words``? (.gitattributes in the folders on their way, $GIT_DIR/info/attributes,
        core.attributesFile or the XDG default, the system file.) A cheap test: a
        yes only sends the question on to git."""
        conf = self._config()
        folders = {""}
        for path in paths:
            parts = path.split("/")[:-1]
            folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        files = [self.root / f / ".gitattributes" for f in folders]
        files.append(self.common_dir / "info" / "attributes")
        files.append(Path(os.path.expanduser(conf.get("core.attributesfile") or ""))
                     if conf.get("core.attributesfile") else _xdg_git_file("attributes"))
        if not os.environ.get("GIT_ATTR_NOSYSTEM"):
            files.append(Path("/etc/gitattributes"))
            prefix = _git_prefix(os.environ.get("PATH"))
            if prefix:
                files.append(prefix / "etc" / "gitattributes")
        for f in files:
            try:
                text = f.read_bytes().lower()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue
            except OSError:
                return True
            if any(w in text for w in words):
                return True
        return False

    # ---- svt's merge driver -------------------------------------------------------------
    def merge_driver_registered(self, driver: str) -> bool:
        """Whether ``merge.svt.driver`` runs ``driver`` (the path of the running Python is in
        it) and the attribute sends component.yaml there: two file reads, no git process."""
        try:
            config = (self.common_dir / "config").read_text(encoding="utf-8", errors="replace")
            attributes = (self.common_dir / "info" / "attributes").read_text(
                encoding="utf-8", errors="replace")
        except OSError:
            return False
        return (f'[merge "{MERGE_DRIVER}"]' in config and driver.split(" ", 1)[0] in config
                and MERGE_ATTRIBUTE in attributes.splitlines())

    def register_merge_driver(self, name: str, driver: str) -> None:
        """Set ``merge.svt.*`` in this clone's .git/config and route component.yaml to it in
        .git/info/attributes (this clone only; .gitattributes may say so for everyone)."""
        self.run("config", f"merge.{MERGE_DRIVER}.name", name)
        self.run("config", f"merge.{MERGE_DRIVER}.driver", driver)
        info = self.common_dir / "info"
        info.mkdir(exist_ok=True)
        path = info / "attributes"
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        if MERGE_ATTRIBUTE not in old.splitlines():
            sep = "" if not old or old.endswith("\n") else "\n"
            path.write_text(old + sep + MERGE_ATTRIBUTE + "\n", encoding="utf-8")


def _os_user() -> str:
    try:
        import getpass
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER") or "unknown"


def _xdg_git_file(name: str) -> Path:
    """git's file ``name`` in the XDG configuration folder ($XDG_CONFIG_HOME/git, by
    default ~/.config/git)."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "git" / name


@functools.lru_cache(maxsize=4)
def _git_prefix(search_path: str | None) -> Path | None:
    """The folder git is installed under (its etc/ holds the system attributes file), for
    one $PATH: looked up once per process."""
    if os.name == "nt":  # git.exe and PATHEXT: shutil knows them
        import shutil
        found = shutil.which("git", path=search_path)
        return Path(found).resolve().parent.parent if found else None
    if search_path == "":  # an empty PATH names no folder (shutil.which: none either)
        return None
    for folder in (search_path if search_path is not None else os.defpath).split(os.pathsep):
        git = os.path.join(folder or os.curdir, "git")  # as shutil.which looks on POSIX,
        if os.path.isfile(git) and os.access(git, os.X_OK):  # without loading bz2 and lzma
            return Path(git).resolve().parent.parent
    return None
