"""Request-scoped dependencies: the request owns its transaction (warehouse style)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from knooppunt.api import auth, invoer
from knooppunt.hub import adresboek, audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.db import transactie, zonder_ping
from knooppunt.store.models import Deelnemer

log = structlog.get_logger("knooppunt.api")
T = TypeVar("T")


@dataclass
class Verzoek:
    """One authenticated request: its session (one transaction), the caller (a plain record,
    perhaps from this node's authentication cache) and the DB clock.

    Everything that blocks — the session, the first statement, authentication, the handler's work,
    COMMIT or ROLLBACK and the refusal's audit entry — runs in the handler's own thread
    (`_in_een_draad`): one hop to the thread pool per request, not three (#13: FastAPI runs a
    synchronous generator dependency's start and end each in a hop of their own)."""

    runtime: Runtime
    request: Request
    session: Session = field(init=False)
    partij: Partij = field(init=False)
    nu: datetime = field(init=False)
    adresboek_versie: int | None = None
    deelnemers: adresboek.Deelnemercache | None = None
    _deelnemer: Deelnemer | None = field(default=None, init=False, repr=False)
    _geopend: bool = field(default=False, init=False, repr=False)
    _partij: Partij | None = field(default=None, init=False, repr=False)
    _nu: datetime | None = field(default=None, init=False, repr=False)

    def begin(self) -> None:
        """Open the session, read the clock and versions, authenticate (raises HubFout 401)."""
        rt = self.runtime
        request = self.request
        self.session = rt.sessions()
        self._geopend = True
        session = self.session
        sqlite = rt.engine.dialect.name == "sqlite"
        if sqlite:
            # Authenticate in a read transaction (a deferred BEGIN) and end it here: the write lock
            # (BEGIN IMMEDIATE) is taken only by the handler's first write, so requests that only
            # read never wait for it, and no thread holds it while waiting for another.
            session.connection(execution_options={"knooppunt_alleen_lezen": True})
        # The first statement reads the clock, the shared CRL state's version and the adresboek's
        # together, so that a revocation any node loaded, or a certificate retired, counts here
        # without another round trip, also for a certificate this node verified before (DESIGN §5).
        try:
            with zonder_ping():
                nu, crl_versie, adresboek_versie = crl_staat.nu_en_versie(session)
        except crl_staat.VerbindingVerloren:
            # PostgreSQL restarted while the hub was idle: its pooled connections are dead. A new
            # pool, and the request starts over (nothing of it happened yet) — the first request
            # after a restart is served, not answered 503 (tests/functional/test_chaos.py).
            session.close()
            rt.engine.dispose(close=False)
            self.session = session = rt.sessions()
            nu, crl_versie, adresboek_versie = crl_staat.nu_en_versie(session)
        self._nu = self.nu = nu
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
        self._partij = self.partij = partij
        self.adresboek_versie = adresboek_versie
        self.deelnemers = deelnemercache(request)
        request.state.oin = partij.oin
        if sqlite:
            session.commit()
        if (herhaald := invoer.herhaalde_parameters(request)) is not None:
            raise herhaald

    def commit(self) -> None:
        self.session.commit()

    def mislukt(self, fout: BaseException) -> None:
        """Roll back; a refusal leaves nothing but its audit entry, in a transaction of its own."""
        if self._geopend:
            self.session.rollback()
        if not isinstance(fout, HubFout):
            return
        if (
            fout.auditregel is None
            and self._partij is not None
            and self._nu is not None
            and fout.status in _GEAUDITEERD
        ):
            route = self.request.scope.get("route")
            fout.auditregel = audit.geweigerd_verzoek(
                actor=self._partij.oin,
                operatie=str(getattr(route, "operation_id", None) or "onbekend"),
                code=fout.code,
                nu=self._nu,
            )
        if fout.auditregel is not None:
            try:
                with transactie(self.runtime.sessions) as eigen:
                    audit.noteer(eigen, [fout.auditregel])
            except SQLAlchemyError as exc:
                # The participant still gets the refusal it is owed; the operator sees the gap.
                log.error("auditregel van weigering niet vastgelegd", code=fout.code, fout=type(exc).__name__)

    def sluit(self) -> None:
        if self._geopend:
            self._geopend = False
            self.session.close()

    def weiger_invoer(self, fout: RequestValidationError) -> None:
        """FastAPI found a parameter or the body malformed before the handler ran: authenticate
        (a caller without a valid certificate hears 401, not what was wrong with its input), then
        refuse it as the hub's own refusal (invoer.als_hubfout), audited."""
        try:
            self.begin()
            weigering = invoer.als_hubfout(self.request, fout)
        except BaseException as exc:
            self.mislukt(exc)
            self.sluit()
            raise
        self.mislukt(weigering)
        self.sluit()
        raise weigering from fout

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


async def verzoek(request: Request) -> AsyncIterator[Verzoek]:
    """The request's `Verzoek`, opened in the handler's thread (`_in_een_draad`); this dependency
    itself blocks on nothing, so FastAPI runs it on the event loop, not in the thread pool."""
    v = Verzoek(runtime(request), request)
    try:
        yield v
    except RequestValidationError as exc:
        # FastAPI validates parameters and body before the handler: the refusal is answered, and
        # audited, as the hub's own (invoer.als_hubfout), after authentication.
        await run_in_threadpool(v.weiger_invoer, exc)
        raise
    finally:
        if v._geopend:
            await run_in_threadpool(v.sluit)


VerzoekDep = Annotated[Verzoek, Depends(verzoek, scope="function")]


def _in_een_draad(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A synchronous handler that opens its request (`Verzoek.begin`), does its work and commits
    or rolls back before it returns, in its own thread: one thread-pool hop per request. The
    commit comes before FastAPI validates the returned value (another hop): on SQLite the write
    lock (BEGIN IMMEDIATE) would be held across that hop, and with every pool thread waiting in
    BEGIN IMMEDIATE for it, nothing could run: the hub stood still for the 30 s busy timeout
    (tests/functional/test_sqlite_gelijktijdig.py)."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        v = next((w for w in kwargs.values() if isinstance(w, Verzoek)), None)
        if v is None:
            return endpoint(*args, **kwargs)
        return in_transactie(v, lambda: endpoint(*args, **kwargs))

    return handler


def in_transactie(v: Verzoek, werk: Callable[[], T]) -> T:
    """Open the request (`Verzoek.begin`: clock, versions, authentication), do the work, commit;
    on any failure roll back (and audit a refusal); always close. Blocking: run in a thread."""
    try:
        v.begin()
        uitkomst = werk()
        v.commit()
    except BaseException as fout:
        v.mislukt(fout)
        raise
    finally:
        v.sluit()
    return uitkomst


class TransactieRoute(APIRoute):
    """The API's routes: each synchronous handler opens, works and commits or rolls back in one
    thread (see `_in_een_draad`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _in_een_draad(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Bodies are parsed strictly (invoer.StrengeRequest): JSON by RFC 8259, bounded."""
        standaard = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await standaard(invoer.StrengeRequest(request.scope, request.receive))

        return handler
