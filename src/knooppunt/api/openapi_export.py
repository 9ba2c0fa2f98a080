"""The OpenAPI document of API v1 exactly as the hub serves it, without a server or database.

``python -m knooppunt.api.openapi_export openapi.json`` writes it to a file (``bin/openapi-lint``
lints that file with the NL API Design Rules linter). The app is built in-process on a throwaway
SQLite database and ``GET /api/v1/openapi.json`` is answered by calling the ASGI app directly, so
what is linted is what vendors download, post-processing included.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from starlette.types import Message

from knooppunt.config import Omgeving, Settings

OPENAPI_PAD = "/api/v1/openapi.json"


class ExportFout(RuntimeError):
    """The app did not serve a usable OpenAPI document."""


async def _get(app: Any, pad: str) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": pad,
        "raw_path": pad.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"knooppunt.invalid"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("knooppunt.invalid", 443),
    }
    verzoek_gedaan = False
    status = 0
    headers: dict[str, str] = {}
    lichaam = bytearray()

    async def receive() -> Message:
        nonlocal verzoek_gedaan
        if not verzoek_gedaan:
            verzoek_gedaan = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(bericht: Message) -> None:
        nonlocal status
        if bericht["type"] == "http.response.start":
            status = bericht["status"]
            headers.update({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in bericht["headers"]})
        elif bericht["type"] == "http.response.body":
            lichaam.extend(bericht.get("body", b""))

    await app(scope, receive, send)
    return status, headers, bytes(lichaam)


def openapi_document() -> dict[str, Any]:
    """GET /api/v1/openapi.json from an in-process app on a throwaway SQLite database."""
    from knooppunt import runtime as runtime_mod
    from knooppunt.app import create_app

    with tempfile.TemporaryDirectory(prefix="knooppunt-openapi-") as tmp:
        settings = Settings(
            env=Omgeving.DEVELOPMENT,
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'knooppunt.sqlite3'}",
            trust_anchors=[],
        )
        rt = runtime_mod.bouw(settings, upgrade=False)
        try:
            status, headers, lichaam = asyncio.run(_get(create_app(rt), OPENAPI_PAD))
        finally:
            rt.close()
    if status != 200:
        raise ExportFout(f"GET {OPENAPI_PAD} gaf {status}: {lichaam[:500]!r}")
    if not headers.get("content-type", "").startswith("application/json"):
        raise ExportFout(f"GET {OPENAPI_PAD} gaf content-type {headers.get('content-type')!r}")
    document = json.loads(lichaam)
    if not isinstance(document, dict):
        raise ExportFout(f"GET {OPENAPI_PAD} gaf geen JSON-object")
    return document


def schrijf(pad: Path) -> None:
    pad.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argumenten = sys.argv[1:] if argv is None else argv
    if len(argumenten) > 1:
        print("gebruik: python -m knooppunt.api.openapi_export [UITVOER.json]", file=sys.stderr)
        return 2
    from knooppunt.logging import configureer

    configureer(niveau=logging.WARNING)
    if argumenten and argumenten[0] != "-":
        schrijf(Path(argumenten[0]))
    else:
        sys.stdout.write(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
