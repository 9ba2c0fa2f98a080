"""Structured JSON logs (structlog) with a request id; metadata only, never content."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import structlog
from structlog.typing import EventDict

_MAX_REDEN = 500
_MAX_PLEKKEN = 3


def fout_zonder_inhoud(_logger: object, _methode: str, regel: EventDict) -> EventDict:
    """`log.exception(...)` in one JSON line that says why: the exception's type (``fout``), its
    message cut at 500 characters (``reden``) and where it was raised (``waar``: the innermost
    frames, file:line in function) — never a traceback's local variables. Database errors carry no
    values (store.db: ``hide_parameters``), and the hub never holds plaintext to put in a message."""
    exc_info = regel.pop("exc_info", None)
    if not exc_info:
        return regel
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    soort, fout, tb = exc_info
    if soort is None or fout is None:
        return regel
    regel["fout"] = f"{soort.__module__}.{soort.__qualname__}"
    reden = str(fout).strip()
    regel["reden"] = reden if len(reden) <= _MAX_REDEN else reden[:_MAX_REDEN] + " …"
    plekken = traceback.extract_tb(tb)[-_MAX_PLEKKEN:]
    regel["waar"] = [f"{Path(p.filename).name}:{p.lineno} in {p.name}" for p in reversed(plekken)]
    return regel


def configureer(*, json: bool = True, niveau: int = logging.INFO) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        processors.append(fout_zonder_inhoud)
    processors.append(structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer())
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(niveau),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
