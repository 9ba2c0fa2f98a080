"""`knooppunt serve` with one change, for a what-if figure (bench/run.py --variant nodelay).

`knooppunt.cli.serve._bind_tcp` creates its listening socket as ``socket.socket(family,
SOCK_STREAM)``, so ``sock.proto`` is 0 and asyncio's ``_set_nodelay`` (which only acts when
``proto == IPPROTO_TCP``) leaves Nagle's algorithm on for every accepted connection: each response
written in two pieces then waits for the client's delayed ACK (~40 ms on Linux). This launcher
wraps ``_bind_tcp`` to set TCP_NODELAY on the listening socket (Linux copies it to accepted
sockets) and then runs the unchanged CLI. Nothing under src/ is modified.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from knooppunt.cli import serve
from knooppunt.cli.main import main

_origineel = serve._bind_tcp


def _bind_tcp_nodelay(*args: Any, **kwargs: Any) -> socket.socket:
    sock = _origineel(*args, **kwargs)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


serve._bind_tcp = _bind_tcp_nodelay  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(main())
