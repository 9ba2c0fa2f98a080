"""Request-scoped dependencies: the request owns its transaction (warehouse style)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knooppunt.api import auth
from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer

log = structlog.get_logger("knooppunt.api")


@dataclass
class Verzoek:
    """One authenticated request: its session (one transaction), the caller and the DB clock."""

    session: Session
    deelnemer: Deelnemer
    nu: datetime
    runtime: Runtime


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


def verzoek(request: Request) -> Iterator[Verzoek]:
    rt = runtime(request)
    session = rt.sessions()
    try:
        nu = db_nu(session)
        if rt.ankers is None:
            raise auth.niet_geauthenticeerd("Het knooppunt heeft geen vertrouwensankers geconfigureerd.")
        deelnemer = auth.authenticeer(
            session,
            dict(request.scope),
            ankers=rt.ankers,
            header=rt.settings.client_cert_header,
            proxies=rt.settings.trusted_proxy_networks,
            nu=nu,
        )
        request.state.oin = deelnemer.oin
        yield Verzoek(session=session, deelnemer=deelnemer, nu=nu, runtime=rt)
        session.commit()
    except HubFout as fout:
        session.rollback()
        if fout.auditregel is not None:
            # A refused submit leaves nothing but its audit entry, in a transaction of its own.
            try:
                with transactie(rt.sessions) as eigen:
                    audit.noteer(eigen, [fout.auditregel])
            except SQLAlchemyError as exc:
                # The participant still gets the refusal it is owed; the operator sees the gap.
                log.error("auditregel van weigering niet vastgelegd", code=fout.code, fout=type(exc).__name__)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


VerzoekDep = Annotated[Verzoek, Depends(verzoek, scope="function")]
