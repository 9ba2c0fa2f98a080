"""Logging in and out. eHerkenning through an OpenID Connect broker (``oidc``); in development
only, a development login that picks a participant from the adresboek (DESIGN §5)."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from knooppunt.portaal import sessies
from knooppunt.portaal.fouten import GeenToegang, PortaalFout
from knooppunt.portaal.oidc import Niveau, markeer_uitloggen
from knooppunt.portaal.sessies import Csrf, Ingelogd
from knooppunt.portaal.weergave import meervoud, pagina
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_kvk
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import portaal as store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer

router = APIRouter()
PREFIX = "/portaal"

INLOGMELDINGEN: dict[str, str] = {
    "sessie-verlopen": "Uw sessie is verlopen of u bent uitgelogd. Log opnieuw in om verder te gaan.",
    "eherkenning-niet-ingesteld": (
        "Inloggen met eHerkenning is op dit knooppunt niet ingesteld. Neem contact op met de beheerder "
        "van het knooppunt."
    ),
}
"""What the login page may say for ``?fout=<code>``: a fixed text per known code, nothing for any
other value. Never the query's own text: a link to the real portal saying "call 0900-…" or "log in
at …" would lend the hub's address to a phishing mail."""


def veilig_volgende(volgende: str | None) -> str:
    """Only paths inside the portal: never an open redirect to another site."""
    if (
        volgende
        and volgende.startswith(PREFIX + "/")
        and not volgende.startswith("//")
        and "\\" not in volgende
    ):
        return volgende
    return PREFIX + "/"


def inloggen_gelukt(request: Request, token: str, volgende: str | None) -> Response:
    doel = veilig_volgende(volgende)
    if doel == PREFIX + "/" and _heeft_sleutels(request, token):
        # Keys in the browser (DESIGN §5): after login, the key page asks for the passphrase and
        # unlocks them in its memory. A deep link the user asked for is still honoured.
        doel = PREFIX + "/sleutels"
    antwoord = RedirectResponse(doel, status_code=303)
    antwoord.headers.append("set-cookie", sessies.zet_cookie_kop(token))
    return antwoord


def _heeft_sleutels(request: Request, token: str) -> bool:
    """Whether the user of this new session keeps a key blob in the portal."""
    rt = sessies.runtime(request)
    with transactie(rt.sessions) as session:
        rij = store.sessie(session, hashlib.sha256(token.encode("ascii")).hexdigest())
        if rij is None or rij.oin is None:
            return False
        return store.sleutelblob(session, rij.oin, rij.onderwerp) is not None


@router.get("/inloggen", response_class=HTMLResponse)
def inlogpagina(
    request: Request, volgende: str | None = None, fout: str | None = None, browserdemo: str | None = None
) -> HTMLResponse:
    return toon_inlogpagina(
        request,
        volgende,
        INLOGMELDINGEN.get(fout or ""),
        browserdemo=_browserdemo_melding(request, browserdemo),
    )


def _browserdemo_melding(request: Request, waarde: str | None) -> str | None:
    """What the login page says after "Demogegevens laden (sleutels in de browser)": from the
    counts in ``?browserdemo=<sent>-<answered>``, and per portal participant of the demo what to do
    next (read from the adresboek: whether its browser made keys yet), a text of the portal's own
    (names from the cast)."""
    from knooppunt.portaal.browserdemo import beantwoorder, heeft_sleutels, opstellen, wachtzin

    rt = sessies.runtime(request)
    gevonden = re.fullmatch(r"(\d{1,4})-(\d{1,4})", waarde or "")
    if gevonden is None or not rt.settings.is_development:
        return None
    verstuurd, beantwoord = int(gevonden.group(1)), int(gevonden.group(2))
    zinnen = ["Demogegevens met sleutels in de browser geladen."]
    if verstuurd:
        berichten = meervoud(verstuurd, "demobericht", "demoberichten")
        zinnen.append(f"{berichten} verstuurd naar wie al sleutels heeft.")
    if beantwoord:
        zinnen.append(f"{meervoud(beantwoord, 'antwoord', 'antwoorden')} verstuurd naar wie al iets vroeg.")
    druk = "druk daarna op het overzicht op ‘Demoberichten laten sturen’"
    for d, sleutels in heeft_sleutels(rt):
        schuldeiser = beantwoorder(d.naam)
        if not sleutels:
            zinnen.append(f"{wachtzin(d.naam, opnieuw=druk)}.")
        elif schuldeiser is not None:
            zinnen.append(f"{d.naam}: {opstellen(schuldeiser)}, en {druk} om het antwoord te krijgen.")
    return " ".join(zinnen)


def toon_inlogpagina(
    request: Request, volgende: str | None, melding: str | None, *, browserdemo: str | None = None
) -> HTMLResponse:
    """The login page, with `melding` (a text of the portal's own, never one from the request)."""
    rt = sessies.runtime(request)
    deelnemers: list[Deelnemer] = []
    if rt.settings.is_development:
        with transactie(rt.sessions) as session:
            deelnemers = list(store.gehost(session))
    return pagina(
        request,
        "inloggen.html",
        titel="Inloggen",
        volgende=veilig_volgende(volgende),
        oidc=bool(rt.settings.oidc_issuer),
        eh_niveau=Niveau.van_getal(rt.settings.oidc_min_niveau).label,
        deelnemers=deelnemers,
        nieuwe_kvk=NIEUWE_KVK,
        fout=melding,
        browserdemo=browserdemo,
    )


AANMELDER = "aanmelder"
NIEUWE_KVK = "59123450"
"""The KvK number the development login offers for "Nieuwe organisatie (aanmelden)": of no
participant of either demo, so that a newcomer can try the aanmeldformulier (DESIGN §7, #14)."""
AANMELDFORMULIER = PREFIX + "/aanmelden"


@router.post("/inloggen/ontwikkeling", dependencies=[Csrf])
def ontwikkel_login(
    request: Request,
    wie: Annotated[str, Form()],
    naam: Annotated[str, Form()] = "Ontwikkelaar",
    volgende: Annotated[str | None, Form()] = None,
    kvk: Annotated[str, Form()] = NIEUWE_KVK,
) -> Response:
    """The development login: exists only when KNOOPPUNT_ENV=development (DESIGN §5). As a
    participant, as beheer, or (``wie=aanmelder``) as an organisation with KvK number `kvk` that
    is no participant yet: the restricted session the eHerkenning login gives it, to apply."""
    rt = sessies.runtime(request)
    if not rt.settings.is_development:
        raise GeenToegang("De ontwikkel-login bestaat alleen in ontwikkeling.", status=404)
    naam = naam.strip()[:100] or "Ontwikkelaar"
    if wie == AANMELDER:
        return _als_aanmelder(request, rt, naam, kvk, volgende)
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        if wie == "beheer":
            token = sessies.begin(
                session,
                rt,
                soort="beheerder",
                oin=None,
                gebruiker=naam,
                onderwerp=f"dev:{naam}",
                hoe="ontwikkeling",
                nu=nu,
            )
        else:
            deelnemer = deelnemers_store.haal(session, wie)
            if deelnemer is None:
                raise PortaalFout(f"Er is geen deelnemer met OIN {wie}. Kies een deelnemer uit de lijst.")
            token = sessies.begin(
                session,
                rt,
                soort="deelnemer",
                oin=deelnemer.oin,
                gebruiker=naam,
                onderwerp=f"dev:{naam}",
                hoe="ontwikkeling",
                nu=nu,
            )
    return inloggen_gelukt(request, token, volgende)


def _als_aanmelder(request: Request, rt: Runtime, naam: str, kvk: str, volgende: str | None) -> Response:
    kvk = kvk.strip()
    try:
        kvk = valideer_kvk(kvk)
    except OngeldigeIdentificatie:
        return _weer_inloggen(
            request,
            volgende,
            "Het KvK-nummer van de nieuwe organisatie bestaat niet uit 8 cijfers. Vul het KvK-nummer in van "
            f"de organisatie die zich aanmeldt, bijvoorbeeld {NIEUWE_KVK}.",
        )
    with transactie(rt.sessions) as session:
        bestaand = deelnemers_store.met_kvk(session, kvk, limiet=1)
        deelnemer = bestaand[0].naam if bestaand else None
        if deelnemer is None:
            token = sessies.begin(
                session,
                rt,
                soort="aanmelder",
                oin=None,
                gebruiker=naam,
                onderwerp=f"dev:{naam}",
                hoe="ontwikkeling",
                nu=db_nu(session),
                kvk=kvk,
            )
    if deelnemer is not None:
        return _weer_inloggen(
            request,
            volgende,
            f"KvK-nummer {kvk} hoort al bij deelnemer {deelnemer}. Kies die organisatie in de lijst, of "
            "vul een KvK-nummer in dat nog geen deelnemer is om u aan te melden.",
        )
    # Like the eHerkenning login of an organisation that is no participant: straight to the form.
    return inloggen_gelukt(request, token, AANMELDFORMULIER)


def _weer_inloggen(request: Request, volgende: str | None, melding: str) -> HTMLResponse:
    antwoord = toon_inlogpagina(request, volgende, melding)
    antwoord.status_code = 400
    return antwoord


@router.post("/uitloggen", dependencies=[Csrf])
def uitloggen(request: Request, gebruiker: Ingelogd) -> Response:
    sessies.beeindig(request, gebruiker)
    # Logged in through eHerkenning: offer to log out at the broker too (RP-initiated logout).
    makelaar_uitloggen = markeer_uitloggen(request, request.app.state.oidc, gebruiker.onderwerp)
    antwoord = pagina(
        request, "uitgelogd.html", titel="U bent uitgelogd", makelaar_uitloggen=makelaar_uitloggen
    )
    antwoord.headers.append("set-cookie", sessies.wis_cookie_kop())
    return antwoord


def _alleen_in_ontwikkeling(request: Request) -> Runtime:
    """The runtime, or 404 outside development: the demo routes do not exist in production."""
    rt = sessies.runtime(request)
    if not rt.settings.is_development:
        raise GeenToegang("Demogegevens bestaan alleen in ontwikkeling.", status=404)
    return rt


@router.post("/inloggen/demo", dependencies=[Csrf])
def demo_laden(request: Request) -> Response:
    """Seed the demo participants and messages (development only, on request)."""
    from knooppunt.portaal.demo import laad_demo

    rt = _alleen_in_ontwikkeling(request)
    aantallen = laad_demo(rt, request.app.state.kluis)
    return RedirectResponse(
        f"{PREFIX}/inloggen?demo={aantallen['deelnemers']}-{aantallen['berichten']}"
        f"&al={aantallen.get('al_verstuurd', 0)}",
        status_code=303,
    )


@router.post("/inloggen/browserdemo", dependencies=[Csrf])
def browserdemo_laden(request: Request) -> Response:
    """The demo with keys in the browser (development only): register its participants and send
    the demo messages to those whose browser made keys (decision 0038)."""
    from knooppunt.portaal.browserdemo import laad_browserdemo

    uitslag = laad_browserdemo(_alleen_in_ontwikkeling(request))
    return RedirectResponse(
        f"{PREFIX}/inloggen?browserdemo={uitslag.berichten}-{uitslag.antwoorden}", status_code=303
    )


@router.post("/demo/berichten", dependencies=[Csrf])
def demoberichten_sturen(request: Request, gebruiker: Ingelogd) -> Response:
    """The werkplek's "Demoberichten laten sturen" of a browser-demo participant (development
    only): the simulated counterparts send it the demo messages it has not had yet, or (a debt
    counsellor) open, confirm and answer what it sent them."""
    from knooppunt.portaal.browserdemo import is_browserdemo, stuur_demoberichten, uitkomst

    rt = _alleen_in_ontwikkeling(request)
    if not is_browserdemo(gebruiker.oin):
        raise GeenToegang(
            "Alleen de deelnemers van de demo met sleutels in de browser krijgen demoberichten.", status=404
        )
    uitslag = stuur_demoberichten(rt, alleen=gebruiker.oin)
    return RedirectResponse(f"{PREFIX}/?demoberichten={uitkomst(uitslag)}", status_code=303)
