"""The start page: what needs attention now, per role (art. 16.1 for creditors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from knooppunt.hub import mailbox
from knooppunt.portaal.browserdemo import demomelding, is_browserdemo
from knooppunt.portaal.sessies import Ingelogd, huidige, runtime
from knooppunt.portaal.weergave import pagina, per_soort
from knooppunt.store import berichten as berichten_store
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Certificaat

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def start(request: Request, gebruiker: Ingelogd, demoberichten: str | None = None) -> Response:
    if gebruiker.is_beheerder:
        return RedirectResponse("/portaal/beheer", status_code=303)
    if gebruiker.is_aanmelder:  # not a participant yet: only its aanvragen (routes/aanmelden.py)
        return RedirectResponse("/portaal/aanmelden/aanvragen", status_code=303)
    rt = runtime(request)
    assert gebruiker.oin is not None
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        deelnemer = deelnemers_store.haal(session, gebruiker.oin)
        assert deelnemer is not None
        nieuw = mailbox.nieuw_per_type(session, deelnemer, nu=nu)
        open_ = mailbox.open_berichten(session, deelnemer, nu=nu)
        # Confirmed questions still to answer and how many are late (DESIGN §6), metadata only.
        eerste_vraag, vragen, vragen_te_laat = berichten_store.te_beantwoorden(
            session, ontvanger=deelnemer.oin, nu=nu, limiet=1
        )
        certificaten = sleuteloverzicht(deelnemer.certificaten)
    eerst_verlopend = min((b.verloopt_op for b in open_), default=None)
    return pagina(
        request,
        "start.html",
        titel="Overzicht",
        nieuw=per_soort(nieuw),
        totaal_nieuw=sum(nieuw.values()),
        totaal_open=len(open_),
        eerst_verlopend=eerst_verlopend,
        vragen=vragen,
        vragen_te_laat=vragen_te_laat,
        eerste_antwoordtermijn=eerste_vraag[0].antwoord_uiterlijk if eerste_vraag else None,
        certificaten=certificaten,
        laatste_wijziging=max(
            (moment for c in certificaten for moment in (c.toegevoegd_op, c.ingetrokken_op) if moment),
            default=None,
        ),
        browserdemo=rt.settings.is_development and is_browserdemo(gebruiker.oin),
        browserdemo_melding=demomelding(demoberichten) if rt.settings.is_development else None,
    )


@dataclass(frozen=True, slots=True)
class Sleutelregel:
    """One certificate of the participant as the start page shows it (key transparency)."""

    gebruik: str
    vingerafdruk: str
    uitgever: str
    geldig_tot: datetime
    toegevoegd_op: datetime
    ingetrokken_op: datetime | None


def sleuteloverzicht(certificaten: Sequence[Certificaat]) -> list[Sleutelregel]:
    """DESIGN §5 "Key transparency": every certificate registered for the participant, shown at
    every login, so that one the operator issued or registered without the participant is seen —
    newest first."""
    regels = []
    for c in certificaten:
        gebruik = [
            naam
            for naam, aan in (
                ("TLS", c.gebruik_tls),
                ("ondertekenen", c.gebruik_ondertekening),
                ("versleutelen", c.gebruik_versleuteling),
            )
            if aan
        ]
        regels.append(
            Sleutelregel(
                gebruik=", ".join(gebruik),
                vingerafdruk=c.vingerafdruk[:16],
                uitgever=c.uitgever,
                geldig_tot=c.geldig_tot,
                toegevoegd_op=c.toegevoegd_op,
                ingetrokken_op=c.ingetrokken_op,
            )
        )
    return sorted(regels, key=lambda r: r.toegevoegd_op, reverse=True)


@router.get("/status/nieuw", response_class=HTMLResponse)
def nieuw_teller(request: Request) -> Response:
    """The count behind the indicator in the header (also without JavaScript: it is in every page)."""
    gebruiker = huidige(request)
    if gebruiker is None or gebruiker.oin is None:
        return HTMLResponse("")
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        deelnemer = deelnemers_store.haal(session, gebruiker.oin)
        assert deelnemer is not None
        aantal = sum(mailbox.nieuw_per_type(session, deelnemer, nu=db_nu(session)).values())
    return HTMLResponse(str(aantal))
