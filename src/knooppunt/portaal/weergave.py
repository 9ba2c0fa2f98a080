"""Templates and the filters they share: Dutch dates in Europe/Amsterdam, names of message types
and statuses. Jinja2 autoescapes every value (the templates never mark user input safe)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from knooppunt.portaal.sessies import LOGIN_CSRF_COOKIE, huidige
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.store import berichten as store
from knooppunt.store.db import db_nu, transactie

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_DAGEN = ("ma", "di", "wo", "do", "vr", "za", "zo")
_MAANDEN = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

STATUSSEN = {
    "aangeboden": "Nieuw",
    "opgehaald": "Gedownload",
    "bevestigd": "Bevestigd",
    "beantwoord": "Beantwoord",
    "verlopen": "Verlopen",
    "geweigerd": "Geweigerd",
}
ROLLEN = {
    "SHV": "Schuldhulpverlener",
    "SE": "Schuldeiser",
    "WF": "Waarborgfonds",
    "BW": "Bewindvoerder",
    "KNOOPPUNT": "Knooppunt",
}

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _lokaal(moment: datetime | str | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(AMSTERDAM)


def tijdstip(moment: datetime | str | None) -> str:
    """``ma 30 nov 2026 23:59``"""
    lokaal = _lokaal(moment)
    if lokaal is None:
        return "—"
    return (
        f"{_DAGEN[lokaal.weekday()]} {lokaal.day} {_MAANDEN[lokaal.month - 1]} {lokaal.year} {lokaal:%H:%M}"
    )


def datum(moment: datetime | str | None) -> str:
    lokaal = _lokaal(moment)
    if lokaal is None:
        return "—"
    return f"{_DAGEN[lokaal.weekday()]} {lokaal.day} {_MAANDEN[lokaal.month - 1]} {lokaal.year}"


def iso(moment: datetime | str | None) -> str:
    lokaal = _lokaal(moment)
    return lokaal.isoformat(timespec="minutes") if lokaal else ""


def berichttype_naam(code: str, module: str = "schuldregeling", versie: str | None = None) -> str:
    """The handbook's name of a type in its module and version; without a version its oldest (the
    name the handbook gave it), falling back to any module that has the code."""
    versies = CATALOGUS.versies(module, code)
    if versie is None and versies:
        versie = versies[0]
    gevonden = CATALOGUS.zoek(module, code, versie) or CATALOGUS.zoek(module, code)
    if gevonden is None:
        elders = CATALOGUS.per_code(code)
        return elders[0].naam if elders else code
    return gevonden.naam


def bericht_naam(bericht: Any) -> str:
    """The name of a message's type in its own module and version (a `Bericht` or a row of it)."""
    return berichttype_naam(
        bericht.berichttype,
        getattr(bericht, "module", None) or "schuldregeling",
        getattr(bericht, "versie", None),
    )


def modulenaam(code: str) -> str:
    gevonden = CATALOGUS.module(code)
    return gevonden.naam if gevonden is not None else code


def bedrag(centen: int | None) -> str:
    """Euro cents as ``€ 1.234,56``."""
    if centen is None:
        return "—"
    teken = "-" if centen < 0 else ""
    euro, cent = divmod(abs(int(centen)), 100)
    return f"{teken}€ {euro:,}".replace(",", ".") + f",{cent:02d}"


templates.env.filters["tijdstip"] = tijdstip
templates.env.filters["datum"] = datum
templates.env.filters["iso"] = iso
templates.env.filters["berichttype"] = berichttype_naam
templates.env.filters["bericht_naam"] = bericht_naam
templates.env.filters["module"] = modulenaam
templates.env.filters["bedrag"] = bedrag
templates.env.filters["status"] = lambda s: STATUSSEN.get(str(s), str(s))
templates.env.filters["rol"] = lambda r: ROLLEN.get(str(r), str(r))


def pagina(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the logged-in user, its CSRF token and the environment in the context."""
    gebruiker = huidige(request)
    rt = request.app.state.runtime
    csrf = gebruiker.csrf if gebruiker else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf:
        csrf = getattr(request.state, "login_csrf", "")
    nieuw_indicator = 0
    if gebruiker is not None and gebruiker.oin is not None:
        with transactie(rt.sessions) as session:
            nieuw_indicator = sum(
                store.nieuw_per_type(session, ontvanger=gebruiker.oin, nu=db_nu(session)).values()
            )
    return templates.TemplateResponse(
        request,
        template,
        {
            "gebruiker": gebruiker,
            "csrf": csrf,
            "ontwikkeling": rt.settings.is_development,
            "pad": request.url.path,
            "nieuw_indicator": nieuw_indicator,
            **context,
        },
        status_code=status_code,
    )


def pagina_zonder_database(
    request: Request, template: str, *, status_code: int, **context: Any
) -> HTMLResponse:
    """A page that needs no database (nobody logged in, no indicator): for when it is unreachable."""
    rt = request.app.state.runtime
    return templates.TemplateResponse(
        request,
        template,
        {
            "gebruiker": None,
            "csrf": "",
            "ontwikkeling": rt.settings.is_development,
            "pad": request.url.path,
            "nieuw_indicator": 0,
            **context,
        },
        status_code=status_code,
    )
