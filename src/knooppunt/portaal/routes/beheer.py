"""Portal pages for the beheerders of the hub (DESIGN §2, §5, §7): the participants in the
adresboek, the aanmeldformulier, a participant's modules, flags and certificates, and a dashboard
of volumes and response times from message metadata only.

Every change goes through ``hub.adresboek`` (checked, audited with the beheerder as actor, and
e-mailed to the participant); forms are in ``portaal.aanmelding``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from knooppunt.hub import adresboek, notificaties, statistiek
from knooppunt.hub.fouten import HubFout
from knooppunt.notify.email import door_in_woorden
from knooppunt.pki.portaal_ca import OngeldigeAanvraag, PortaalCa, lees_aanvraag
from knooppunt.portaal import aanvragen as aanvraag_regels
from knooppunt.portaal import grafiek
from knooppunt.portaal.aanmelding import (
    Formulier,
    Fouten,
    aanmelden,
    certificaat_toevoegen,
    lees_formulier,
    modulekeuzes,
    moduleopties,
)
from knooppunt.portaal.sessies import Beheerder, Csrf, Gebruiker, runtime
from knooppunt.portaal.weergave import AMSTERDAM, ROLLEN, datum, modulenaam, pagina, templates
from knooppunt.protocol.catalogus import Module, Rol, Schuldensoort
from knooppunt.store import aanvragen as aanvragen_store
from knooppunt.store import portaal as portaal_store
from knooppunt.store.db import db_nu, leesverbinding, transactie
from knooppunt.store.models import Certificaat, Deelnemer

router = APIRouter(prefix="/beheer")

PAD = "/portaal/beheer"
PER_PAGINA = 50
WAARSCHUW_DAGEN = 60  # certificates expiring within this many days get a warning
GRAFIEK_RIJEN = 12  # bars per participant chart; the tables have everyone

MODULES = [m.value for m in Module]
SCHULDENSOORTEN = [
    ("nuts", "Nuts (energie, water)"),
    ("publiek", "Publiek (belastingen, overheid)"),
    ("zorg", "Zorg (zorgverzekering)"),
    ("overig", "Overig"),
]
ROL_KEUZES = [(r.value, f"{ROLLEN[r.value]} ({r.value})") for r in Rol if r is not Rol.KNOOPPUNT]
SLEUTELBEHEER = [
    ("eigen", "Eigen: de deelnemer beheert zijn sleutel (koppeling met eigen software)"),
    ("portaal", "Portaal: het portaal bewaart de sleutel versleuteld (deelnemer werkt in het webportaal)"),
]
GEBRUIK = [
    ("tls", "Verbinding (TLS)"),
    ("ondertekening", "Ondertekenen van berichten"),
    ("versleuteling", "Versleutelen van berichten aan deze deelnemer"),
]
GEDAAN = {
    "aangemeld": "De deelnemer is aangemeld.",
    "gewijzigd": "De wijziging is opgeslagen. De deelnemer krijgt er een e-mail over (als er een "
    "e-mailadres voor notificaties is).",
    "ongewijzigd": "Er was niets gewijzigd; er is niets opgeslagen.",
    "certificaat-toegevoegd": "Het certificaat is toegevoegd. De deelnemer krijgt er een e-mail over.",
    "certificaat-ingetrokken": "Het certificaat is ingetrokken. De deelnemer krijgt er een e-mail over.",
}
assert all(s in [w for w, _ in SCHULDENSOORTEN] for s in Schuldensoort)


def dag(waarde: date) -> str:
    """A calendar date (no time zone to convert) as the portal writes dates: ``ma 30 nov 2026``."""
    return datum(datetime.combine(waarde, time(12), tzinfo=AMSTERDAM))


templates.env.filters["dag"] = dag


# --- participants --------------------------------------------------------------------------------


def certificaatstatus(cert: Certificaat, nu: datetime) -> tuple[str, int]:
    """(status, days left): ingetrokken | verlopen | nog_niet | verloopt (within the warning
    period) | geldig."""
    dagen = (cert.geldig_tot - nu).days
    if cert.ingetrokken_op is not None:
        return "ingetrokken", dagen
    if cert.geldig_tot <= nu:
        return "verlopen", dagen
    if cert.geldig_vanaf > nu:
        return "nog_niet", dagen
    if cert.geldig_tot - nu <= timedelta(days=WAARSCHUW_DAGEN):
        return "verloopt", dagen
    return "geldig", dagen


def _overzichtsrij(d: Deelnemer, nu: datetime) -> dict[str, Any]:
    actueel = [c for c in d.certificaten if adresboek.is_actueel(c, nu)]
    if actueel:
        langst = max(actueel, key=lambda c: c.geldig_tot)
        status, dagen = certificaatstatus(langst, nu)
        cert = {"status": status, "geldig_tot": langst.geldig_tot, "dagen": dagen}
    else:
        cert = {"status": "geen", "geldig_tot": None, "dagen": 0}
    kenmerken = [
        naam for naam, aan in (("BSN", d.gebruikt_bsn), ("standaard akkoord", d.standaard_akkoord)) if aan
    ] + [s.soort for s in d.schuldensoorten]
    return {
        "oin": d.oin,
        "naam": d.naam,
        "kvk": d.kvk_nummer,
        "vestigingsnummer": d.vestigingsnummer,
        "rol": d.rol,
        "modules": [
            f"{modulenaam(m.module)} ({', '.join(adresboek.versies_van(d, m.module))})" for m in d.modules
        ],
        "kenmerken": kenmerken,
        "sleutelbeheer": d.sleutelbeheer,
        "cert": cert,
    }


@router.get("", response_class=HTMLResponse)
def deelnemers(
    request: Request, gebruiker: Beheerder, zoek: str = "", rol: str = "", module: str = "", na: str = ""
) -> Response:
    rt = runtime(request)
    zoek = zoek.strip()[:200]
    rol = rol if rol in ROLLEN and rol != "KNOOPPUNT" else ""
    module = module if module in MODULES else ""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        gevonden = adresboek.zoek(
            session,
            rol=rol or None,
            module=module or None,
            zoekterm=zoek or None,
            na_oin=na[:20] or None,
            limiet=PER_PAGINA + 1,
        )
        rijen = [_overzichtsrij(d, nu) for d in gevonden[:PER_PAGINA]]
    volgende = None
    if len(gevonden) > PER_PAGINA:
        volgende = urlencode({"zoek": zoek, "rol": rol, "module": module, "na": rijen[-1]["oin"]})
    return pagina(
        request,
        "beheer/deelnemers.html",
        titel="Deelnemers",
        rijen=rijen,
        zoek=zoek,
        rol=rol,
        module=module,
        rollen=[(code, naam) for code, naam in ROLLEN.items() if code != "KNOOPPUNT"],
        modules=MODULES,
        volgende=volgende,
        waarschuw_dagen=WAARSCHUW_DAGEN,
        gedaan=None,
    )


# --- the aanmeldformulier ------------------------------------------------------------------------


def _aanmeldpagina(
    request: Request, formulier: Formulier, fouten: Fouten | None, status: int = 200
) -> Response:
    return pagina(
        request,
        "beheer/nieuw.html",
        status_code=status,
        titel=("Fout: " if fouten else "") + "Deelnemer aanmelden",
        f=formulier,
        fouten=fouten,
        versies_gekozen={m: formulier.lijst(f"versies.{m}") for m in formulier.lijst("modules")},
        rollen=ROL_KEUZES,
        modules=moduleopties(),
        schuldensoorten=SCHULDENSOORTEN,
        sleutelbeheer=SLEUTELBEHEER,
        gebruik=GEBRUIK,
        gebruik_standaard=[g for g, _ in GEBRUIK],
    )


@router.get("/deelnemers/nieuw", response_class=HTMLResponse)
def aanmeldformulier(request: Request, gebruiker: Beheerder) -> Response:
    return _aanmeldpagina(request, Formulier(), None)


def _aanmelden(request: Request, gebruiker: Gebruiker, formulier: Formulier) -> Response:
    rt = runtime(request)
    oin, fouten = aanmelden(rt, request.app.state.kluis, formulier, door=gebruiker.audit_actor)
    if oin is None:
        # Keep what was typed; a pasted or uploaded certificate is public and stays, a key never.
        formulier.tekst.pop("sleutel", None)
        if "certificaatBestand" in formulier.bestanden and not formulier.waarde("certificaat"):
            formulier.tekst["certificaat"] = formulier.bestanden["certificaatBestand"].decode(
                "ascii", errors="replace"
            )
        return _aanmeldpagina(request, formulier, fouten, status=400)
    return RedirectResponse(f"{PAD}/deelnemers/{oin}?gedaan=aangemeld", status_code=303)


@router.post("/deelnemers/nieuw", dependencies=[Csrf])
async def aanmelding_versturen(request: Request, gebruiker: Beheerder) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_aanmelden, request, gebruiker, formulier)


# --- one participant -----------------------------------------------------------------------------


def _kid(vingerafdruk: str) -> str:
    """x5t#S256 (the kluis's kid) from the hex SHA-256 fingerprint: the same digest, base64url."""
    return base64.urlsafe_b64encode(bytes.fromhex(vingerafdruk)).rstrip(b"=").decode("ascii")


def _detailpagina(
    request: Request,
    oin: str,
    *,
    status: int = 200,
    gedaan: str = "",
    wijzig_fouten: Fouten | None = None,
    wijzig: dict[str, Any] | None = None,
    cert_fouten: Fouten | None = None,
    cert_formulier: Formulier | None = None,
) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        d = adresboek.haal(session, oin)
        instellingen = notificaties.weergave(oin, notificaties.haal(session, oin))
        kids = {s.kid for s in portaal_store.sleutels_van(session, oin)}
        certificaten = []
        for c in sorted(
            d.certificaten, key=lambda c: (c.ingetrokken_op is not None, c.geldig_tot), reverse=False
        ):
            status_, dagen = certificaatstatus(c, nu)
            certificaten.append(
                {"cert": c, "status": status_, "dagen": dagen, "sleutel": _kid(c.vingerafdruk) in kids}
            )
        huidig = {
            "modules": sorted(adresboek.modules_van(d)),
            "versies": adresboek.versies_per_module(d),
            "gebruiktBsn": d.gebruikt_bsn,
            "standaardAkkoord": d.standaard_akkoord,
            "schuldensoorten": sorted(adresboek.schuldensoorten_van(d)),
        }
        return pagina(
            request,
            "beheer/deelnemer.html",
            status_code=status,
            titel=("Fout: " if wijzig_fouten or cert_fouten else "") + d.naam,
            d=d,
            gedaan=GEDAAN.get(gedaan),
            certificaten=certificaten,
            notificaties=instellingen,
            wijzig=wijzig or huidig,
            wijzig_fouten=wijzig_fouten,
            cert_fouten=cert_fouten,
            cert_formulier=cert_formulier or Formulier(),
            modules=moduleopties(),
            schuldensoorten=SCHULDENSOORTEN,
            gebruik=GEBRUIK,
            gebruik_standaard=[g for g, _ in GEBRUIK],
        )


@router.get("/deelnemers/{oin}", response_class=HTMLResponse)
def deelnemer(request: Request, gebruiker: Beheerder, oin: str, gedaan: str = "") -> Response:
    return _detailpagina(request, oin, gedaan=gedaan)


def _wijzigen(request: Request, gebruiker: Gebruiker, oin: str, formulier: Formulier) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        is_se = adresboek.haal(session, oin).rol == Rol.SE
    wijziging = adresboek.DeelnemerWijziging(
        modules=modulekeuzes(formulier),
        gebruikt_bsn=formulier.aan("gebruiktBsn") if is_se else None,
        standaard_akkoord=formulier.aan("standaardAkkoord") if is_se else None,
        schuldensoorten=formulier.lijst("schuldensoorten") if is_se else None,
    )
    try:
        with transactie(rt.sessions) as session:
            gewijzigd = adresboek.wijzig(
                session, oin, wijziging, door=gebruiker.audit_actor, nu=db_nu(session)
            )
    except HubFout as fout:
        if not fout.velden:
            raise
        fouten = Fouten()
        fouten.uit_hub(fout)
        ingevuld = {
            "modules": formulier.lijst("modules"),
            "versies": {m: formulier.lijst(f"versies.{m}") for m in formulier.lijst("modules")},
            "gebruiktBsn": formulier.aan("gebruiktBsn"),
            "standaardAkkoord": formulier.aan("standaardAkkoord"),
            "schuldensoorten": formulier.lijst("schuldensoorten"),
        }
        return _detailpagina(request, oin, status=400, wijzig_fouten=fouten, wijzig=ingevuld)
    gedaan = "gewijzigd" if gewijzigd else "ongewijzigd"
    return RedirectResponse(f"{PAD}/deelnemers/{oin}?gedaan={gedaan}", status_code=303)


@router.post("/deelnemers/{oin}", dependencies=[Csrf])
async def deelnemer_wijzigen(request: Request, gebruiker: Beheerder, oin: str) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_wijzigen, request, gebruiker, oin, formulier)


def _certificaat_toevoegen(
    request: Request, gebruiker: Gebruiker, oin: str, formulier: Formulier
) -> Response:
    rt = runtime(request)
    vingerafdruk, fouten = certificaat_toevoegen(
        rt, request.app.state.kluis, oin, formulier, door=gebruiker.audit_actor
    )
    if vingerafdruk is None:
        formulier.tekst.pop("sleutel", None)
        if "certificaatBestand" in formulier.bestanden and not formulier.waarde("certificaat"):
            formulier.tekst["certificaat"] = formulier.bestanden["certificaatBestand"].decode(
                "ascii", errors="replace"
            )
        return _detailpagina(request, oin, status=400, cert_fouten=fouten, cert_formulier=formulier)
    return RedirectResponse(f"{PAD}/deelnemers/{oin}?gedaan=certificaat-toegevoegd", status_code=303)


@router.post("/deelnemers/{oin}/certificaten", dependencies=[Csrf])
async def certificaat_toevoegen_versturen(request: Request, gebruiker: Beheerder, oin: str) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_certificaat_toevoegen, request, gebruiker, oin, formulier)


def _certificaat_van(d: Deelnemer, vingerafdruk: str) -> Certificaat:
    cert = next((c for c in d.certificaten if c.vingerafdruk == vingerafdruk.lower()), None)
    if cert is None:
        raise HubFout(
            "NIET_GEVONDEN",
            404,
            "Certificaat niet gevonden",
            f"{d.naam} heeft geen certificaat met vingerafdruk {vingerafdruk[:64]}. Ga terug naar de "
            "deelnemer en kies het certificaat in de lijst.",
        )
    return cert


@router.get("/deelnemers/{oin}/certificaten/{vingerafdruk}/intrekken", response_class=HTMLResponse)
def intrekken_bevestigen(request: Request, gebruiker: Beheerder, oin: str, vingerafdruk: str) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        d = adresboek.haal(session, oin)
        cert = _certificaat_van(d, vingerafdruk)
        if cert.ingetrokken_op is not None:
            return RedirectResponse(f"{PAD}/deelnemers/{oin}", status_code=303)
        andere = [c for c in d.certificaten if c is not cert and adresboek.is_actueel(c, nu)]
        return pagina(
            request,
            "beheer/intrekken.html",
            titel="Certificaat intrekken",
            d=d,
            cert=cert,
            laatste=not andere,
            zichtbaar_tot=adresboek.zichtbaar_tot(
                nu, rt.instellingen.kalender, rt.instellingen.bevestigingstermijn
            ),
        )


@router.post("/deelnemers/{oin}/certificaten/{vingerafdruk}/intrekken", dependencies=[Csrf])
def intrekken(request: Request, gebruiker: Beheerder, oin: str, vingerafdruk: str) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        _certificaat_van(adresboek.haal(session, oin), vingerafdruk)
        adresboek.trek_certificaat_in(
            session, oin, vingerafdruk, nu=db_nu(session), door=gebruiker.audit_actor
        )
    return RedirectResponse(f"{PAD}/deelnemers/{oin}?gedaan=certificaat-ingetrokken", status_code=303)


# --- dashboard -----------------------------------------------------------------------------------


def _uren(waarde: float | None, eenheid: str) -> str:
    if waarde is None:
        return "—"
    return f"{grafiek.getal(waarde, 1)} {eenheid}"


def _procent(waarde: float | None) -> str:
    return "—" if waarde is None else f"{grafiek.getal(waarde * 100, 0)}%"


def _datum(tekst: str, veld: str, fouten: list[tuple[str, str]]) -> date | None:
    if not tekst:
        return None
    try:
        return date.fromisoformat(tekst)
    except ValueError:
        naam = "Van" if veld == "van" else "Tot en met"
        fouten.append(
            (veld, f"{naam}: '{tekst[:20]}' is geen datum; gebruik jjjj-mm-dd, bijvoorbeeld 2026-11-30.")
        )
        return None


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, gebruiker: Beheerder, van: str = "", tot: str = "", module: str = "", eenheid: str = ""
) -> Response:
    rt = runtime(request)
    werkuren = eenheid != "uren"
    fouten: list[tuple[str, str]] = []
    van_d, tot_d = _datum(van, "van", fouten), _datum(tot, "tot", fouten)
    if module and module not in MODULES:
        fouten.append(("module", f"Module '{module[:40]}' bestaat niet; kies een module uit de lijst."))
    with leesverbinding(rt.engine, momentopname=True) as conn:
        nu = db_nu(conn)
        vandaag = nu.astimezone(AMSTERDAM).date()
        tot_d = tot_d or vandaag
        van_d = van_d or tot_d - timedelta(days=29)
        if not fouten and van_d > tot_d:
            fouten.append(("van", "Van ligt na Tot en met; kies een begindatum vóór de einddatum."))
        if not fouten and (tot_d - van_d).days >= statistiek.MAX_DAGEN:
            fouten.append(("van", f"Kies een periode van ten hoogste {statistiek.MAX_DAGEN} dagen."))
        cijfers = None
        if not fouten:
            cijfers = statistiek.dashboard(
                conn,
                van=van_d,
                tot=tot_d,
                module=module or None,
                werkuren=werkuren,
                kalender=rt.instellingen.kalender,
                nu=nu,
            )
    filter_ = {
        "van": van_d.isoformat(),
        "tot": tot_d.isoformat(),
        "module": module,
        "eenheid": "werkuren" if werkuren else "uren",
    }
    afkorting = "wu" if werkuren else "u"
    context: dict[str, Any] = {
        "filter": filter_,
        "fouten": fouten,
        "foutvelden": {v for v, _ in fouten},
        "modules": MODULES,
        "d": cijfers,
        "max_momenten": grafiek.getal(statistiek.MAX_MOMENTEN),
        "eenheid_naam": "werkuren" if werkuren else "uren",
        "eenheid_uitleg": (
            "Tijden in werkuren (wu): alleen uren op werkdagen tellen, zoals bij de termijnen van 5 "
            "werkdagen; weekend en feestdagen niet."
            if werkuren
            else "Tijden in uren (u) op de klok, weekend en feestdagen meegeteld."
        ),
        "uur": lambda w: _uren(w, afkorting),
        "procent": _procent,
        # Counts as the charts show them: 1.275, not 1275 (one Dutch number format on the page).
        "getal": grafiek.getal,
    }
    if cijfers is not None:
        context.update(_grafieken(cijfers, afkorting))
    return pagina(
        request,
        "beheer/dashboard.html",
        status_code=400 if fouten else 200,
        titel=("Fout: " if fouten else "") + "Dashboard",
        **context,
    )


def _grafieken(d: statistiek.Dashboard, afkorting: str) -> dict[str, Any]:
    periode = f"{d.van.isoformat()} tot en met {d.tot.isoformat()}"
    actief = [r for r in d.deelnemers if r.actief]
    top = sorted(actief, key=lambda r: -(r.verzonden + r.ontvangen))[:GRAFIEK_RIJEN]
    met_tijden = [r for r in actief if r.bevestigen.mediaan is not None]
    top_tijden = sorted(met_tijden, key=lambda r: -r.ontvangen)[:GRAFIEK_RIJEN]
    drukste = max(d.weken, key=lambda w: w.aantal, default=None)
    weken = grafiek.kolommen(
        "grafiek-weken",
        "Berichten per week",
        f"Staafdiagram: aantal aangeboden berichten per week, {periode}. "
        + (
            f"Drukste week: week {drukste.nummer} met {grafiek.getal(drukste.aantal)} berichten. "
            if drukste and drukste.aantal
            else "Geen berichten. "
        )
        + "De tabel ernaast geeft dezelfde cijfers.",
        [f"wk {w.nummer}" for w in d.weken],
        [w.aantal for w in d.weken],
    )
    volumes = grafiek.balken(
        "grafiek-volumes",
        "Verstuurd en ontvangen per deelnemer",
        f"Liggend staafdiagram per deelnemer: verstuurde (donkerblauw, bovenste staaf) en ontvangen "
        f"(oranje, onderste staaf) berichten, {periode}; de {len(top)} drukste deelnemers. De tabel "
        "ernaast geeft dezelfde cijfers.",
        [r.naam for r in top],
        [("Verstuurd", [r.verzonden for r in top]), ("Ontvangen", [r.ontvangen for r in top])],
    )
    tijden = grafiek.balken(
        "grafiek-tijden",
        "Mediane tijd tot bevestigen per deelnemer",
        f"Liggend staafdiagram: mediane tijd van aanbieden tot bevestigen per deelnemer, in "
        f"{'werkuren' if afkorting == 'wu' else 'uren'}, {periode}. De tabel ernaast geeft dezelfde cijfers.",
        [r.naam for r in top_tijden],
        [("Mediaan", [r.bevestigen.mediaan or 0.0 for r in top_tijden])],
        eenheid=afkorting,
        decimalen=1,
    )
    return {
        "actief": actief,
        "stil": len(d.deelnemers) - len(actief),
        "top": top,
        "top_tijden": top_tijden,
        "grafiek_weken": weken,
        "grafiek_volumes": volumes,
        "grafiek_tijden": tijden,
    }


# --- aanvragen (self-service aanmelding and extra modules, #14) ----------------------------------

AANVRAAG_GEDAAN = {
    "goedgekeurd": "De aanvraag is goedgekeurd en de organisatie krijgt er een e-mail over.",
    "goedgekeurd-met-certificaten": "De aanvraag is goedgekeurd: de deelnemer staat in het adresboek "
    "met certificaten voor ondertekenen en versleutelen van de portaal-CA. De organisatie krijgt er een "
    "e-mail over.",
    "goedgekeurd-zonder-certificaten": "De aanvraag is goedgekeurd en de deelnemer staat in het "
    "adresboek, maar er zijn géén certificaten uitgegeven: er is geen portaal-CA ingesteld "
    "(KNOOPPUNT_PORTAAL_CA_CERTIFICAAT en KNOOPPUNT_PORTAAL_CA_SLEUTEL). Importeer de certificaten van de "
    "deelnemer bij 'Certificaat toevoegen'.",
    "geweigerd": "De aanvraag is geweigerd. De organisatie krijgt de reden per e-mail.",
}


def _verzoek(pem: str | None) -> str:
    """What a certificate request holds, for the beheerder: the key type and size."""
    if not pem:
        return "ontbreekt"
    try:
        sleutel = lees_aanvraag(pem).public_key()
        if isinstance(sleutel, ec.EllipticCurvePublicKey):
            return f"EC {sleutel.curve.name}"
        if isinstance(sleutel, rsa.RSAPublicKey):
            return f"RSA {sleutel.key_size} bits"
        return type(sleutel).__name__
    except (ValueError, OngeldigeAanvraag):
        return "onleesbaar"


@router.get("/aanvragen", response_class=HTMLResponse)
def aanvragen(request: Request, gebruiker: Beheerder, alle: bool = False) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        rijen = [
            {
                "nummer": a.id,
                "soort": aanvraag_regels.SOORTEN.get(a.soort, a.soort),
                "status": a.status,
                "status_tekst": aanvraag_regels.STATUSSEN.get(a.status, a.status),
                "naam": a.naam,
                "oin": a.oin,
                "kvk": a.kvk_nummer,
                "vestiging": a.vestigingsnummer,
                "modules": [aanvraag_regels.modulelabel(m) for m in a.modules],
                "ingediend_op": a.ingediend_op,
            }
            for a in aanvragen_store.lijst(session, status=None if alle else aanvragen_store.INGEDIEND)
        ]
    return pagina(request, "beheer/aanvragen.html", titel="Aanvragen", rijen=rijen, alle=alle)


def _aanvraagpagina(
    request: Request,
    nummer: int,
    *,
    status: int = 200,
    gedaan: str = "",
    fout: str | None = None,
    weiger_fouten: Fouten | None = None,
    reden: str = "",
) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        a = aanvragen_store.haal(session, nummer)
        if a is None:
            raise HubFout(
                "NIET_GEVONDEN",
                404,
                "Aanvraag niet gevonden",
                f"Er is geen aanvraag met nummer {nummer}. Kies een aanvraag uit de lijst.",
            )
        huidig: list[str] = []
        if a.soort == aanvraag_regels.EXTRA_MODULES:
            d = adresboek.haal(session, a.oin)
            huidig = [
                f"{modulenaam(m)} ({', '.join(v)})"
                for m, v in sorted(adresboek.versies_per_module(d).items())
            ]
        return pagina(
            request,
            "beheer/aanvraag.html",
            status_code=status,
            titel=("Fout: " if fout or weiger_fouten else "") + f"Aanvraag {a.id}",
            a=a,
            soort=aanvraag_regels.SOORTEN.get(a.soort, a.soort),
            status_tekst=aanvraag_regels.STATUSSEN.get(a.status, a.status),
            modules=[aanvraag_regels.modulelabel(m) for m in a.modules],
            huidig=huidig,
            verzoek_ondertekening=_verzoek(a.csr_ondertekening),
            verzoek_versleuteling=(
                "EC P-256 (uit de browser, met bewijs)"
                if a.browsersleutels and not a.csr_versleuteling
                else _verzoek(a.csr_versleuteling)
            ),
            portaal_ca=PortaalCa.laad(rt.settings) is not None,
            # Who submitted and who decided, in words as the e-mails say it (the audit actor beside).
            door=lambda actor: door_in_woorden(actor, beheerders=rt.settings.portaal_beheerders),
            gedaan=AANVRAAG_GEDAAN.get(gedaan),
            fout=fout,
            weiger_fouten=weiger_fouten,
            reden=reden,
        )


@router.get("/aanvragen/{nummer}", response_class=HTMLResponse)
def aanvraag(request: Request, gebruiker: Beheerder, nummer: int, gedaan: str = "") -> Response:
    return _aanvraagpagina(request, nummer, gedaan=gedaan)


@router.post("/aanvragen/{nummer}/goedkeuren", dependencies=[Csrf])
def aanvraag_goedkeuren(request: Request, gebruiker: Beheerder, nummer: int) -> Response:
    try:
        besluit = aanvraag_regels.keur_goed(runtime(request), nummer, door=gebruiker.audit_actor)
    except aanvraag_regels.AanvraagFout as fout:
        return _aanvraagpagina(request, nummer, status=fout.status, fout=fout.uitleg)
    gedaan = "goedgekeurd"
    if besluit.soort == aanvraag_regels.AANMELDING:
        gedaan += "-met-certificaten" if besluit.certificaten_uitgegeven else "-zonder-certificaten"
    return RedirectResponse(f"{PAD}/aanvragen/{nummer}?gedaan={gedaan}", status_code=303)


def _weigeren(request: Request, gebruiker: Gebruiker, nummer: int, formulier: Formulier) -> Response:
    reden = formulier.tekst.get("reden", "")
    try:
        besluit, fouten = aanvraag_regels.weiger(runtime(request), nummer, reden, door=gebruiker.audit_actor)
    except aanvraag_regels.AanvraagFout as fout:
        return _aanvraagpagina(request, nummer, status=fout.status, fout=fout.uitleg)
    if besluit is None:
        return _aanvraagpagina(request, nummer, status=400, weiger_fouten=fouten, reden=reden)
    return RedirectResponse(f"{PAD}/aanvragen/{nummer}?gedaan=geweigerd", status_code=303)


@router.post("/aanvragen/{nummer}/weigeren", dependencies=[Csrf])
async def aanvraag_weigeren(request: Request, gebruiker: Beheerder, nummer: int) -> Response:
    formulier = await lees_formulier(request)
    return await run_in_threadpool(_weigeren, request, gebruiker, nummer, formulier)
