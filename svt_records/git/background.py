"""Programs svt leaves running after it exits. (svt starts every program from this package;
the one of these is its own watcher, index/watcher.py.)"""
from __future__ import annotations

import os


def start_detached(argv: list[str], log: str) -> None:
    """Run ``argv`` in a session of its own, outliving this process: no terminal, stdin and
    stdout on /dev/null, stderr appended to ``log`` (as is why, if it cannot be run), in
    ``/`` (so that ``python -m`` finds no module in the folder svt was run from, which may
    be a stranger's checkout). Returns at once; the middle process that detaches it is
    waited for, so no zombie is left behind."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir("/")
            if os.fork() == 0:
                try:
                    null = os.open(os.devnull, os.O_RDWR)
                    err = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                    os.dup2(null, 0)
                    os.dup2(null, 1)
                    os.dup2(err, 2)
                    os.execv(argv[0], argv)
                except BaseException:  # noqa: BLE001 - said in the log (fd 2), not lost
                    import traceback
                    said = f"{traceback.format_exc()}could not run {argv[0]}\n"
                    os.write(2, said.encode("utf-8", "replace"))
                    os._exit(127)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
