"""Logging in with eHerkenning through the OpenID Connect broker (``portaal/oidc.py``): the start,
the callback, and logging out at the broker too.

The handlers are async because Authlib's Starlette client is; what touches the database (the
session, the adresboek, rendering a page) runs in the thread pool, as the synchronous routes do.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from knooppunt.portaal import sessies
from knooppunt.portaal.oidc import (
    GeenDeelnemer,
    Inlog,
    Makelaar,
    MakelaarFout,
    Weigering,
    beoordeel,
    deelnemer_van,
    is_beheerder,
    lees_inlog,
    neem_uitlogmarkering,
)
from knooppunt.portaal.routes.inloggen import (
    AANMELDFORMULIER,
    PREFIX,
    inloggen_gelukt,
    toon_inlogpagina,
    veilig_volgende,
)
from knooppunt.portaal.weergave import pagina
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie

router = APIRouter()
log = structlog.get_logger("knooppunt.portaal.oidc")


def _makelaar(request: Request) -> Makelaar | None:
    makelaar: Makelaar | None = getattr(request.app.state, "oidc", None)
    return makelaar


async def _inlogpagina_met_fout(request: Request, volgende: str | None, uitleg: str, status: int) -> Response:
    antwoord: HTMLResponse = await run_in_threadpool(toon_inlogpagina, request, volgende, uitleg)
    antwoord.status_code = status
    return antwoord


@router.get("/inloggen/oidc", name="oidc_start")
async def oidc_start(request: Request, volgende: str | None = None) -> Response:
    """Send the browser to the broker (Authorization Code flow, PKCE S256, state, nonce)."""
    volgende = veilig_volgende(volgende)
    makelaar = _makelaar(request)
    if makelaar is None:
        return await _inlogpagina_met_fout(
            request,
            volgende,
            "Inloggen met eHerkenning is op dit knooppunt niet ingesteld. Neem contact op met de beheerder "
            "van het knooppunt.",
            404,
        )
    try:
        url = await makelaar.naar_makelaar(request, volgende)
    except MakelaarFout as fout:
        log.warning("oidc-login niet gestart", reden=fout.reden)
        return await _inlogpagina_met_fout(request, volgende, fout.uitleg, 502)
    return RedirectResponse(url, status_code=303)


def _begin_sessie(rt: Runtime, inlog: Inlog) -> tuple[str, bool]:
    """(cookie token, whether it is an aanmelder's restricted session)."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        if is_beheerder(inlog, rt.settings):
            soort, oin, naam = "beheerder", None, inlog.naam or "Beheerder"
        else:
            try:
                deelnemer = deelnemer_van(session, inlog)
            except GeenDeelnemer:
                # Not a participant yet: it may apply, and do nothing else (DESIGN §7, #14).
                assert inlog.kvk is not None
                token = sessies.begin(
                    session,
                    rt,
                    soort="aanmelder",
                    oin=None,
                    gebruiker=inlog.naam or "Medewerker",
                    onderwerp=inlog.onderwerp,
                    hoe="oidc",
                    nu=nu,
                    kvk=inlog.kvk,
                    vestiging=inlog.vestiging,
                )
                return token, True
            soort, oin, naam = "deelnemer", deelnemer.oin, inlog.naam or "Medewerker"
        token = sessies.begin(
            session, rt, soort=soort, oin=oin, gebruiker=naam, onderwerp=inlog.onderwerp, hoe="oidc", nu=nu
        )
        return token, False


@router.get("/inloggen/oidc/terug", name="oidc_terug")
async def oidc_terug(request: Request) -> Response:
    """The broker's redirect back: check it, apply the rules of DESIGN §5, start the session."""
    makelaar = _makelaar(request)
    if makelaar is None:
        return RedirectResponse(PREFIX + "/inloggen?fout=eherkenning-niet-ingesteld", status_code=303)
    rt = sessies.runtime(request)
    volgende = makelaar.neem_volgende(request)
    try:
        inlog = lees_inlog(await makelaar.terug(request), rt.settings)
        beoordeel(inlog, rt.settings)
        token, aanmelder = await run_in_threadpool(_begin_sessie, rt, inlog)
    except Weigering as weigering:
        # Metadata only: the reason code, never the subject, name or claims.
        log.info("oidc-login geweigerd", reden=weigering.reden)
        return await _inlogpagina_met_fout(request, volgende, weigering.uitleg, weigering.status)
    except MakelaarFout as fout:
        log.warning("oidc-login mislukt", reden=fout.reden)
        return await _inlogpagina_met_fout(request, volgende, fout.uitleg, 502)
    return inloggen_gelukt(request, token, AANMELDFORMULIER if aanmelder else volgende)


@router.get("/uitloggen/oidc", response_class=HTMLResponse)
async def uitloggen_bij_makelaar(request: Request) -> Response:
    """Offered on the page after logging out: log out at the broker too (RP-initiated logout).
    Only right after a logout in this browser (a mark in the flow cookie), so that no other site
    can send a user here to end their broker session."""
    makelaar = _makelaar(request)
    if makelaar is None or not neem_uitlogmarkering(request):
        return RedirectResponse(PREFIX + "/uitgelogd", status_code=303)
    try:
        url = await makelaar.uitlog_url(request)
    except MakelaarFout as fout:
        log.warning("uitloggen bij makelaar mislukt", reden=fout.reden)
        url = None
    if url is None:
        return await run_in_threadpool(
            pagina,
            request,
            "uitgelogd.html",
            titel="U bent uitgelogd",
            makelaar_fout=(
                "Uitloggen bij eHerkenning lukte niet. Sluit alle vensters van de browser, zeker op een "
                "gedeelde computer."
            ),
        )
    return RedirectResponse(url, status_code=303)


@router.get("/uitgelogd", response_class=HTMLResponse)
async def uitgelogd(request: Request) -> Response:
    """Where the broker sends the user back after logging out there: the logged-out page (HTML; a
    user still logged in is sent to the start page)."""
    if await run_in_threadpool(sessies.huidige, request) is not None:
        return RedirectResponse(PREFIX + "/", status_code=303)
    makelaar = _makelaar(request)
    bij_makelaar = makelaar is not None and await makelaar.terug_van_uitloggen(request)
    return await run_in_threadpool(
        pagina, request, "uitgelogd.html", titel="U bent uitgelogd", bij_makelaar=bij_makelaar
    )
