"""`svt site OUT --serve`: a local preview with Python's http.server, on localhost only."""
from __future__ import annotations

import functools
import http.server
from pathlib import Path
from typing import Any

from ..model.errors import InvalidInput


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the library never prints; the CLI says where the site is


def preview_server(out: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server of ``out`` on 127.0.0.1:``port`` (0: any free port), not yet serving."""
    handler = functools.partial(_QuietHandler, directory=str(out))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise InvalidInput(f"cannot listen on port {port}: {exc.strerror}; give another with"
                           " --port") from None
