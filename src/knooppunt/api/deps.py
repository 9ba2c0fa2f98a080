"""Request-scoped dependencies: the request owns its transaction (warehouse style)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.responses import Response

from knooppunt.api import auth, invoer
from knooppunt.hub import adresboek, audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.db import transactie
from knooppunt.store.models import Deelnemer

log = structlog.get_logger("knooppunt.api")


@dataclass
class Verzoek:
    """One authenticated request: its session (one transaction), the caller (a plain record,
    perhaps from this node's authentication cache) and the DB clock."""

    session: Session
    partij: Partij
    nu: datetime
    runtime: Runtime
    adresboek_versie: int | None = None
    deelnemers: adresboek.Deelnemercache | None = None
    _deelnemer: Deelnemer | None = field(default=None, init=False, repr=False)

    def zoek_deelnemer(self, oin: str) -> Deelnemer | None:
        """An adresboek entry: from this process's cache for the version this request read, else
        from the database."""
        if self.deelnemers is not None and self.adresboek_versie is not None:
            return self.deelnemers.haal(self.session, oin, versie=self.adresboek_versie)
        return deelnemer_store.haal(self.session, oin)

    @property
    def deelnemer(self) -> Deelnemer:
        """The caller's adresboek entry, read on first use: only a submit's rules need more of it
        than `partij` holds."""
        if self._deelnemer is None:
            deelnemer = self.zoek_deelnemer(self.partij.oin)
            if deelnemer is None:
                raise auth.niet_geauthenticeerd(f"OIN {self.partij.oin} staat niet (meer) in het adresboek.")
            self._deelnemer = deelnemer
        return self._deelnemer


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


def deelnemercache(request: Request) -> adresboek.Deelnemercache | None:
    """This process's adresboek entries (one per API app, api.app)."""
    cache = getattr(request.app.state, "deelnemers", None)
    return cache if isinstance(cache, adresboek.Deelnemercache) else None


def authenticaties(request: Request) -> auth.Authenticatiecache | None:
    """This process's cache of verified certificates (one per API app, api.app)."""
    cache = getattr(request.app.state, "authenticaties", None)
    return cache if isinstance(cache, auth.Authenticatiecache) else None


# Refusals of malformed input (400, and 415 for a body that is not JSON) get an audit entry of
# their own when the hub has no more specific one (a refused submit's).
_GEAUDITEERD = frozenset({400, 415})


def verzoek(request: Request) -> Iterator[Verzoek]:
    rt = runtime(request)
    session = rt.sessions()
    sqlite = rt.engine.dialect.name == "sqlite"
    partij: Partij | None = None
    nu: datetime | None = None
    try:
        if sqlite:
            # Authenticate in a read transaction (a deferred BEGIN) and end it here: the write lock
            # (BEGIN IMMEDIATE) is then taken in the handler's own thread and released in this
            # function's exit, which FastAPI runs outside the thread pool's limit. Held from this
            # hop into the handler's, the lock made requests wait for a thread while every thread
            # waited in BEGIN IMMEDIATE for that lock: the hub stood still for the busy timeout.
            session.connection(execution_options={"knooppunt_alleen_lezen": True})
        # The first statement reads the clock, the shared CRL state's version and the adresboek's
        # together, so that a revocation any node loaded, or a certificate retired, counts here
        # without another round trip, also for a certificate this node verified before (DESIGN §5).
        nu, crl_versie, adresboek_versie = crl_staat.nu_en_versie(session)
        if rt.ankers is None:
            raise auth.niet_geauthenticeerd("Het knooppunt heeft geen vertrouwensankers geconfigureerd.")
        partij = auth.authenticeer(
            session,
            dict(request.scope),
            ankers=rt.ankers,
            header=rt.settings.client_cert_header,
            proxies=rt.settings.trusted_proxy_networks,
            nu=nu,
            crl_versie=crl_versie,
            adresboek_versie=adresboek_versie,
            cache=authenticaties(request),
        )
        request.state.oin = partij.oin
        if sqlite:
            session.commit()
        if (herhaald := invoer.herhaalde_parameters(request)) is not None:
            raise herhaald
        try:
            yield Verzoek(
                session=session,
                partij=partij,
                nu=nu,
                runtime=rt,
                adresboek_versie=adresboek_versie,
                deelnemers=deelnemercache(request),
            )
        except RequestValidationError as exc:
            # FastAPI validates parameters and body after this dependency authenticated the
            # caller: the refusal is answered, and audited, as the hub's own (invoer.als_hubfout).
            raise invoer.als_hubfout(request, exc) from exc
        session.commit()
    except HubFout as fout:
        session.rollback()
        if fout.auditregel is None and partij is not None and nu is not None and fout.status in _GEAUDITEERD:
            route = request.scope.get("route")
            fout.auditregel = audit.geweigerd_verzoek(
                actor=partij.oin,
                operatie=str(getattr(route, "operation_id", None) or "onbekend"),
                code=fout.code,
                nu=nu,
            )
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


def _commit_in_de_handler(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A synchronous handler that commits its request's transaction before it returns, in its own
    thread. FastAPI validates the returned value in another thread-pool hop before it closes the
    dependency; on SQLite the write lock (BEGIN IMMEDIATE) would be held across that hop, and with
    every pool thread waiting in BEGIN IMMEDIATE for it, nothing could run: the hub stood still
    for the 30 s busy timeout (tests/functional/test_sqlite_gelijktijdig.py). On PostgreSQL it only
    commits before the answer is built, not after."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        uitkomst = endpoint(*args, **kwargs)
        for waarde in kwargs.values():
            if isinstance(waarde, Verzoek):
                waarde.session.commit()
        return uitkomst

    return handler


class TransactieRoute(APIRoute):
    """The API's routes: each synchronous handler commits in its own thread (see
    `_commit_in_de_handler`); errors still roll back in the `verzoek` dependency."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _commit_in_de_handler(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Bodies are parsed strictly (invoer.StrengeRequest): JSON by RFC 8259, bounded."""
        standaard = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await standaard(invoer.StrengeRequest(request.scope, request.receive))

        return handler
