"""Aanmelden and extra modules, self-service (#14 item 5; DESIGN §7): the aanmeldformulier of an
organisation that logged in with eHerkenning and is not yet a participant (a restricted session),
a participant's request for extra modules, and the state of one's aanvragen. The rules are in
``portaal.aanvragen``; beheer decides in ``routes/beheer.py``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from knooppunt.hub import adresboek
from knooppunt.portaal.aanmelding import Formulier, Fouten, lees_formulier, moduleopties
from knooppunt.portaal.aanvragen import (
    AANMELDING,
    EXTRA_MODULES,
    SOORTEN,
    STATUSSEN,
    dien_aanmelding_in,
    dien_extra_modules_in,
    modulelabel,
)
from knooppunt.portaal.routes import sleutels
from knooppunt.portaal.routes.beheer import ROL_KEUZES, SCHULDENSOORTEN
from knooppunt.portaal.sessies import Aanmelder, Csrf, DeelnemerGebruiker, Gebruiker, Ingelogd, runtime
from knooppunt.portaal.weergave import modulenaam, pagina
from knooppunt.protocol.identificatie import KVK_PREFIX
from knooppunt.store import aanvragen as store
from knooppunt.store.db import transactie

router = APIRouter(prefix="/aanmelden")

PAD = "/portaal/aanmelden"


def _formulierpagina(
    request: Request,
    gebruiker: Gebruiker,
    soort: str,
    formulier: Formulier,
    fouten: Fouten | None,
    *,
    status: int = 200,
) -> Response:
    rt = runtime(request)
    huidig: list[str] = []
    rol: str | None = None
    if soort == EXTRA_MODULES:
        assert gebruiker.oin is not None
        with transactie(rt.sessions) as session:
            d = adresboek.haal(session, gebruiker.oin)
            rol = str(d.rol)
            huidig = [
                f"{modulenaam(m)} (versie {', '.join(v)})"
                for m, v in sorted(adresboek.versies_per_module(d).items())
            ]
    titel = "Aanmelden als deelnemer" if soort == AANMELDING else "Extra modules aanvragen"
    # The aanmeldformulier makes the organisation's keys in the browser (the werkplek's bundle, with
    # Argon2id in WebAssembly: the key page's policy); extra modules need no keys.
    met_sleutels = soort == AANMELDING
    antwoord = pagina(
        request,
        "aanmelden/formulier.html",
        status_code=status,
        titel=("Fout: " if fouten else "") + titel,
        kop=titel,
        soort=soort,
        f=formulier,
        fouten=fouten,
        versies_gekozen={m: formulier.lijst(f"versies.{m}") for m in formulier.lijst("modules")},
        rollen=ROL_KEUZES,
        # An existing participant is offered only the modules its role can use (DESIGN §3b); a new
        # one picks its role on the same form, and the submit checks the pair.
        modules=moduleopties(rol),
        schuldensoorten=SCHULDENSOORTEN,
        huidig=huidig,
        voorgesteld_oin=f"{KVK_PREFIX}{gebruiker.kvk}0000" if gebruiker.kvk else "",
        actie=PAD if soort == AANMELDING else f"{PAD}/modules",
        bundel_url=sleutels.BUNDEL_URL if met_sleutels else "",
        bundel_integriteit=sleutels.bundel_integriteit() if met_sleutels else "",
    )
    if met_sleutels:
        antwoord.headers["Content-Security-Policy"] = sleutels.CSP_SLEUTELS
    return antwoord


@router.get("", response_class=HTMLResponse)
def aanmeldformulier(request: Request, gebruiker: Ingelogd) -> Response:
    if gebruiker.is_beheerder:
        return RedirectResponse("/portaal/beheer/aanvragen", status_code=303)
    if not gebruiker.is_aanmelder:
        return RedirectResponse(f"{PAD}/modules", status_code=303)
    return _formulierpagina(request, gebruiker, AANMELDING, Formulier(), None)


def _na_indienen(
    request: Request,
    gebruiker: Gebruiker,
    soort: str,
    formulier: Formulier,
    nummer: int | None,
    fouten: Fouten,
) -> Response:
    if nummer is None:
        return _formulierpagina(request, gebruiker, soort, formulier, fouten, status=400)
    return RedirectResponse(f"{PAD}/aanvragen?ingediend={nummer}", status_code=303)


def _aanmelden(request: Request, gebruiker: Gebruiker, formulier: Formulier) -> Response:
    nummer, fouten = dien_aanmelding_in(runtime(request), formulier, gebruiker)
    return _na_indienen(request, gebruiker, AANMELDING, formulier, nummer, fouten)


@router.post("", dependencies=[Csrf])
async def aanmelding_indienen(request: Request, gebruiker: Aanmelder) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_aanmelden, request, gebruiker, formulier)


@router.get("/modules", response_class=HTMLResponse)
def modulesformulier(request: Request, gebruiker: DeelnemerGebruiker) -> Response:
    return _formulierpagina(request, gebruiker, EXTRA_MODULES, Formulier(), None)


def _extra_modules(request: Request, gebruiker: Gebruiker, formulier: Formulier) -> Response:
    nummer, fouten = dien_extra_modules_in(runtime(request), formulier, gebruiker)
    return _na_indienen(request, gebruiker, EXTRA_MODULES, formulier, nummer, fouten)


@router.post("/modules", dependencies=[Csrf])
async def extra_modules_indienen(request: Request, gebruiker: DeelnemerGebruiker) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_extra_modules, request, gebruiker, formulier)


@router.get("/aanvragen", response_class=HTMLResponse)
def mijn_aanvragen(request: Request, gebruiker: Ingelogd, ingediend: int | None = None) -> Response:
    """The state of the organisation's aanvragen."""
    if gebruiker.is_beheerder:
        return RedirectResponse("/portaal/beheer/aanvragen", status_code=303)
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        if gebruiker.oin is not None:
            rijen = list(store.van_deelnemer(session, gebruiker.oin))
        else:
            assert gebruiker.kvk is not None
            rijen = list(store.van_organisatie(session, kvk=gebruiker.kvk, vestiging=gebruiker.vestiging))
        aanvragen = [
            {
                "nummer": a.id,
                "soort": SOORTEN.get(a.soort, a.soort),
                "status": a.status,
                "status_tekst": STATUSSEN.get(a.status, a.status),
                "modules": [modulelabel(m) for m in a.modules],
                "ingediend_op": a.ingediend_op,
                "beoordeeld_op": a.beoordeeld_op,
                "reden": a.reden,
            }
            for a in rijen
        ]
    return pagina(
        request,
        "aanmelden/aanvragen.html",
        titel="Mijn aanvragen",
        aanvragen=aanvragen,
        ingediend=ingediend if any(a["nummer"] == ingediend for a in aanvragen) else None,
    )
