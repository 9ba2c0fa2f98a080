"""The operator listener (DESIGN §8): plain HTTP, bound to 127.0.0.1 by default, never on the
participant-facing port. Health checks and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from knooppunt import metrics
from knooppunt.runtime import Runtime
from knooppunt.store.db import database_bereikbaar


def create_ops_app(runtime: Runtime, *, multiproces_map: Path | None = None) -> FastAPI:
    ops = FastAPI(title="Knooppunt beheer", docs_url=None, redoc_url=None, openapi_url=None)
    register = metrics.registry(runtime.engine, multiproces_map=multiproces_map)

    @ops.get("/health/live")
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @ops.get("/health/ready")
    def ready() -> JSONResponse:
        if database_bereikbaar(runtime.engine):
            return JSONResponse({"status": "ok", "database": "bereikbaar"})
        return JSONResponse({"status": "fout", "database": "onbereikbaar"}, status_code=503)

    @ops.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(register), media_type=CONTENT_TYPE_LATEST)

    return ops
