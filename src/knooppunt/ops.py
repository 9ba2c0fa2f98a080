"""The operator listener (DESIGN §8): plain HTTP, bound to 127.0.0.1 by default, never on the
participant-facing port."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from knooppunt.runtime import Runtime
from knooppunt.store.db import database_bereikbaar


def create_ops_app(runtime: Runtime) -> FastAPI:
    ops = FastAPI(title="Knooppunt beheer", docs_url=None, redoc_url=None, openapi_url=None)

    @ops.get("/health/live")
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @ops.get("/health/ready")
    def ready() -> JSONResponse:
        if database_bereikbaar(runtime.engine):
            return JSONResponse({"status": "ok", "database": "bereikbaar"})
        return JSONResponse({"status": "fout", "database": "onbereikbaar"}, status_code=503)

    return ops
