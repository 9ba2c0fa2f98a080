"""Uploading and sending from the werkplek (DESIGN §5 "Portal", §7 art. 18): the JSON endpoints the
page calls for participants whose keys are in the browser. The page parses, validates, numbers,
signs and encrypts; the server sees only what the hub sees of any sender — envelopes (metadata) and
ciphertext — and judges them with the hub's own code:

- ``GET  …/verzenden/indelingen``: the upload layouts as metadata (file kinds, columns, how a column
  maps to a payload path, the answers a cell may choose and the payloads' JSON Schemas), made from
  `csvformaat`, `csvindeling` and the payload registry — the handbook's files and the generic files
  of every module and version the participant accepts (`generiek`) — so that the layouts stay
  defined once and the page is a generic engine;
- ``GET  …/verzenden/ontvanger?oin=…``: the recipient's current encryption certificate (PEM,
  kid = x5t#S256) and signing certificates, each with its age, so that the page warns about a young
  certificate (key transparency, ``KNOOPPUNT_PORTAAL_JONG_CERTIFICAAT_DAGEN``), and the versions of
  the module it accepts (a new message without a version goes in the highest both accept);
- ``POST …/verzenden/proef``: a dry run on metadata only (no ``inhoud``): per envelope the hub's
  refusal (code and Dutch text) or ok, the recipient of an answer (its question's sender), and the
  numbers this participant sent before (skipped as already sent: a re-upload sends nothing twice);
- ``POST …/verzenden``: at most 1,000 sealed envelopes through the hub's batch path, exactly as
  ``POST /api/v1/verzendingen`` with ``allesOfNiets`` admits them (`hub.verzendingen.verstuur`), with
  the participant as sender.

Nothing here logs or keeps an envelope's ``inhoud``.

The layouts (``…/verzenden/indelingen`` and the download's ``…/indeling``, some 540 KB of JSON for
a participant in every module) are answered gzip-compressed when the request accepts it, and their
compressed bytes are kept per layout (`metadata_json`, decision 0037): they hold no secret — no
CSRF token, no user's data — so compressing them leaks nothing (BREACH); the rest of the portal is
not compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import typing
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined, to_jsonable_python
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from knooppunt.api.schemas import VerzendingenCreate
from knooppunt.client.fouten import VerzendFout
from knooppunt.hub import adresboek, mailbox, verzendingen
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.portaal import csvindeling, formulier
from knooppunt.portaal.csvcellen import typenaam
from knooppunt.portaal.csvformaat import (
    ANTWOORD,
    BETAALVOORSTEL,
    BETAALVOORSTEL_ANTWOORDEN,
    EXCEL_CSV,
    FORMULETEKENS,
    SALDO_ANTWOORDEN,
    SALDOVERZOEK,
    SR,
    START,
    STATUSVERZOEK,
    Bestandsoort,
)
from knooppunt.portaal.gastclient import HUB, Gastclient
from knooppunt.portaal.routes.sleutels import API_PAD, ApiFout, _api_gebruiker, _fout, _json
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.portaal.weergave import fouttekst
from knooppunt.protocol.catalogus import CATALOGUS, SALDOVERZOEKEN, Berichttype, versiesleutel
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_oin
from knooppunt.protocol.jwe import x5t_s256
from knooppunt.protocol.payloads import payloadmodel, schema_voor
from knooppunt.store.db import db_nu, transactie

router = APIRouter()
PAD = API_PAD + "/verzenden"
MAX_DEEL = verzendingen.MAX_BERICHTEN
"""Sealed envelopes per submit: one verzending of the hub (DESIGN §4)."""
MAX_PROEF = 5_000
"""Envelopes in one dry run (metadata only, about 350 bytes each: well within the app's request
size, KNOOPPUNT_MAX_REQUEST_BYTES, which the page's requests also obey); the page asks in turns."""
RUIMTE = 64 * 1024
"""What a part leaves of KNOOPPUNT_MAX_REQUEST_BYTES for the JSON around its JWEs."""
MAX_BESTAND = 4 * 1024 * 1024
"""Art. 18.3b: at most 4 MB per file (checked in the browser, stated here once)."""
VERSIE = "1.0"

_VRAAGTYPEN = {SALDOVERZOEK.code: sorted(SALDOVERZOEKEN), BETAALVOORSTEL.code: ["betaalvoorstel"]}
MAX_GEGZIPT = 64
"""Compressed layouts kept per process (about 40 KB each): one per combination of modules, versions
and role the participants have."""


# --- compressed metadata ------------------------------------------------------------------------------


def wil_gzip(request: Request) -> bool:
    """Whether the request's Accept-Encoding accepts gzip (RFC 9110 §12.5.3: ``gzip``/``x-gzip`` or
    ``*``, with a q above 0)."""
    gzip_q: float | None = None
    ster_q: float | None = None
    for deel in request.headers.get("accept-encoding", "").split(","):
        naam, _, parameters = deel.partition(";")
        q = 1.0
        for parameter in parameters.split(";"):
            sleutel, _, waarde = parameter.partition("=")
            if sleutel.strip().lower() == "q":
                try:
                    q = float(waarde.strip())
                except ValueError:
                    q = 0.0
        naam = naam.strip().lower()
        if naam in ("gzip", "x-gzip"):
            gzip_q = q
        elif naam == "*":
            ster_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return ster_q is not None and ster_q > 0


class _Gegzipt:
    """gzip bytes per layout key, the least recently used dropped beyond ``maximum`` (the routes run
    in the thread pool, hence the lock; a layout is made at most a few times over in a race)."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self._bytes: OrderedDict[Hashable, bytes] = OrderedDict()
        self._slot = threading.Lock()

    def haal(self, sleutel: Hashable, maak: Callable[[], bytes]) -> bytes:
        with self._slot:
            if sleutel in self._bytes:
                self._bytes.move_to_end(sleutel)
                return self._bytes[sleutel]
        gemaakt = maak()
        with self._slot:
            self._bytes[sleutel] = gemaakt
            self._bytes.move_to_end(sleutel)
            while len(self._bytes) > self.maximum:
                self._bytes.popitem(last=False)
        return gemaakt

    def leeg(self) -> None:
        with self._slot:
            self._bytes.clear()


GEGZIPT = _Gegzipt(MAX_GEGZIPT)


def metadata_json(request: Request, sleutel: Hashable, maak: Callable[[], Any]) -> JSONResponse:
    """A layout as the portal's JSON answer (`sleutels._json`); gzip-compressed when the request
    accepts it, from the bytes kept under ``sleutel`` — which must name everything the layout depends
    on, and nothing of a user (decision 0037). Only for metadata without secrets: a compressed answer
    that holds a secret beside what an attacker can put in it leaks the secret through its length
    (BREACH)."""
    if not wil_gzip(request):
        antwoord = _json(maak())
    else:
        antwoord = _json(None)  # the headers of the portal's JSON answers; the body is replaced
        antwoord.body = GEGZIPT.haal(sleutel, lambda: gzip.compress(_json(maak()).body, mtime=0))
        antwoord.headers["Content-Length"] = str(len(antwoord.body))
        antwoord.headers["Content-Encoding"] = "gzip"
    antwoord.headers["Vary"] = "Accept-Encoding"
    return antwoord


# --- layouts ----------------------------------------------------------------------------------------


def _pad(kolom: str) -> str:
    """The payload path of an upload column (a list item's field as ``vorderingen[].veld``): the
    answer's columns without ``antwoord.``, the total under ``totaalvordering``, a debt row's
    fields in the list ``vorderingen`` (as `csvimport` builds them)."""
    kaal = kolom.removeprefix("antwoord.")
    eerste, _, rest = kaal.partition(".")
    if eerste == "totaal":
        return f"totaalvordering.{rest}"
    if eerste == "vordering":
        return f"vorderingen[].{rest}"
    return kaal


def _soort(
    soort: Bestandsoort,
    *,
    antwoordkolom: str | None,
    antwoorden: dict[str, str],
    envelopkolommen: tuple[str, ...],
    groeperen: bool,
    vast: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    velden = {
        k: _pad(k)
        for k in (*soort.sleutels, *soort.kolommen)
        if k not in envelopkolommen and k != antwoordkolom
    }
    typen = sorted(set(antwoorden.values()))
    return {
        "code": soort.code,
        "naam": soort.naam,
        "kenmerk": soort.kenmerk,
        "sleutels": list(soort.sleutels),
        "kolommen": list(dict.fromkeys((*soort.sleutels, *soort.kolommen))),
        "antwoordkolommen": [k for k in soort.kolommen if k.startswith("antwoord.")] or list(soort.kolommen),
        "antwoordkolom": antwoordkolom,
        "antwoorden": antwoorden,
        "vraagtypen": _VRAAGTYPEN.get(soort.code, []),
        "envelopkolommen": list(envelopkolommen),
        "velden": velden,
        "groeperen": groeperen,
        "lijst": {"prefix": "antwoord.vordering.", "pad": "vorderingen"} if groeperen else None,
        "vast": vast or {},
        "module": SR,
        "versie": VERSIE,
        "typen": {
            code: {"naam": csvindeling.typenaam(SR, code, VERSIE), "schema": schema_voor(SR, code, VERSIE)}
            for code in typen
        },
    }


def _sjabloon(kolom: str) -> str:
    """A column name with its list numbers as ``#`` (``vorderingen.#.hoofdsom``): the page matches a
    file's numbered columns (``vorderingen.7.hoofdsom``) against it, as `csvindeling.kolommen`
    numbers a list up to the highest number in the file."""
    return ".".join("#" if d.isdigit() else d for d in kolom.split("."))


def _kolommen(module: str, code: str, versie: str) -> list[dict[str, Any]]:
    """The payload columns of a type (`csvindeling.kolommen`) once per list item template, each with
    its kind of value (`csvindeling.waarde`) and choices."""
    uit: dict[str, dict[str, Any]] = {}
    for k in csvindeling.kolommen(module, code, versie):
        uit.setdefault(
            _sjabloon(k.naam),
            {"naam": _sjabloon(k.naam), "soort": k.soort, "opties": [list(o) for o in k.opties]},
        )
    return list(uit.values())


def _modellen_in(annotatie: Any) -> list[type[BaseModel]]:
    if isinstance(annotatie, type) and issubclass(annotatie, BaseModel):
        return [annotatie]
    return [m for arg in typing.get_args(annotatie) for m in _modellen_in(arg)]


def standaarden(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The defaults pydantic's ``model_dump`` (without None) adds to a payload, per block: ``#`` the
    payload itself, else the block's model name (its ``$defs`` name in the JSON Schema) — e.g. an
    empty ``factuurnummers``. The page adds them before numbering, as `csvimport._canoniek` numbers
    the payload as validated."""
    uit: dict[str, dict[str, Any]] = {}

    def loop(m: type[BaseModel], naam: str) -> None:
        if naam in uit:
            return
        eigen: dict[str, Any] = {}
        uit[naam] = eigen
        for veld, info in m.model_fields.items():
            if info.exclude:
                continue
            if info.default_factory is not None:
                eigen[veld] = to_jsonable_python(info.default_factory())  # type: ignore[call-arg]
            elif info.default is not None and info.default is not PydanticUndefined:
                eigen[veld] = to_jsonable_python(info.default)
            for sub in _modellen_in(info.annotation):
                loop(sub, sub.__name__)

    loop(model, "#")
    return {naam: eigen for naam, eigen in uit.items() if eigen}


def _type(module: str, code: str, versie: str) -> dict[str, Any] | None:
    try:
        schema = schema_voor(module, code, versie)
        model = payloadmodel(module, code, versie)
    except LookupError:
        return None
    return {
        "standaard": standaarden(model),
        "module": module,
        "versie": versie,
        "code": code,
        "naam": csvindeling.typenaam(module, code, versie),
        "naamKlein": typenaam(code, module, versie),
        "schema": schema,
        "kolommen": _kolommen(module, code, versie),
    }


def generiek(modules: dict[str, tuple[str, ...]], rol: str) -> dict[str, Any]:
    """The generic upload files of `csvmodules` for the modules and versions a participant accepts
    (``modules``: module → versions), as metadata: per question the answers ``antwoord.berichttype``
    may name (code and name, as `csvmodules._antwoordsoort` reads them) and the ``antwoord.*``
    columns its file may have; per type its payload columns (`csvindeling.kolommen`, list numbers as
    ``#``) and JSON Schema; the types this role starts itself (a file with ``module`` and
    ``ontvanger``, `csvmodules.starten`) per module, with their versions newest first."""
    vragen: dict[str, Any] = {}
    typen: dict[str, Any] = {}
    starten: dict[str, list[str]] = {}

    def voeg_toe(module: str, code: str, versie: str) -> bool:
        sleutel = f"{module}|{versie}|{code}"
        if sleutel not in typen:
            beschrijving = _type(module, code, versie)
            if beschrijving is None:
                return False
            typen[sleutel] = beschrijving
        return True

    for module in sorted(modules):
        for versie in sorted(modules[module], key=versiesleutel, reverse=True):
            for vraag in CATALOGUS.alle():
                if vraag.module != module or vraag.versie != versie or vraag.door_knooppunt:
                    continue
                antwoorden = [
                    t
                    for t in csvindeling.antwoordtypen(module, versie, vraag.code)
                    if voeg_toe(module, t.code, versie)
                ]
                vragen[f"{module}|{versie}|{vraag.code}"] = {
                    "naam": typenaam(vraag.code, module, versie),
                    "antwoorden": [{"code": t.code, "naam": t.naam} for t in antwoorden],
                    "kolommen": sorted(
                        {_sjabloon(k) for k in csvindeling.antwoordkolommen(module, versie, vraag.code)}
                    ),
                }
            for t in csvindeling.starttypen(module, versie, rol) if rol else []:
                if voeg_toe(module, t.code, versie):
                    starten.setdefault(f"{module}|{t.code}", []).append(versie)
    return {
        "antwoord": {
            "kenmerk": ANTWOORD.kenmerk,
            "sleutels": list(ANTWOORD.sleutels),
            "prefix": csvindeling.ANTWOORD,
        },
        "start": {"kenmerk": START.kenmerk, "sleutels": list(START.sleutels)},
        "modules": {
            m: {"naam": csvindeling.modulenaam(m), "versies": sorted(v, key=versiesleutel, reverse=True)}
            for m, v in sorted(modules.items())
        },
        "vragen": vragen,
        "typen": typen,
        "starten": starten,
    }


def indelingen(
    max_verzoek: int, modules: dict[str, tuple[str, ...]] | None = None, rol: str = ""
) -> dict[str, Any]:
    """The upload files as metadata for the page's generic engine: the handbook's (art. 18.2) and
    the generic files of every module and version in ``modules`` (module → the versions the
    participant accepts, `generiek`), with the limits of its requests (``max_verzoek``:
    KNOOPPUNT_MAX_REQUEST_BYTES)."""
    return {
        "generiek": generiek(modules or {}, rol),
        "scheidingsteken": ";",
        "maxBestand": MAX_BESTAND,
        "maxDeel": MAX_DEEL,
        "maxProef": MAX_PROEF,
        "maxVerzoek": max_verzoek - RUIMTE,
        "formuletekens": list(FORMULETEKENS),
        "excel": EXCEL_CSV,
        "soorten": [
            _soort(
                SALDOVERZOEK,
                antwoordkolom="antwoord.saldoverzoek",
                antwoorden=SALDO_ANTWOORDEN,
                envelopkolommen=("referentienummer", "conversatieReferentienummer"),
                groeperen=True,
                vast={
                    "saldoverzoek_antwoord": {"totaalvordering.standaardAkkoord": False},
                    "saldoverzoek_antwoord_standaard_akkoord": {"totaalvordering.standaardAkkoord": True},
                },
            ),
            _soort(
                BETAALVOORSTEL,
                antwoordkolom="antwoord.betaalvoorstel",
                antwoorden=BETAALVOORSTEL_ANTWOORDEN,
                envelopkolommen=("referentienummer", "conversatieReferentienummer"),
                groeperen=False,
            ),
            _soort(
                STATUSVERZOEK,
                antwoordkolom=None,
                antwoorden={"": "statusverzoek"},
                envelopkolommen=("ontvanger", "conversatieReferentienummer"),
                groeperen=False,
            ),
        ],
    }


@router.get(PAD + "/indelingen")
def indelingen_route(request: Request) -> JSONResponse:
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        deelnemer = adresboek.haal(session, gebruiker.oin)
        modules = {m: adresboek.versies_van(deelnemer, m) for m in adresboek.modules_van(deelnemer)}
    max_verzoek, rol = rt.settings.max_request_bytes, gebruiker.rol or ""
    # The layout depends on the modules and versions the participant accepts, its role and the
    # request limit — not on who asks: the key names exactly those.
    sleutel = ("indelingen", max_verzoek, tuple(sorted(modules.items())), rol)
    return metadata_json(request, sleutel, lambda: indelingen(max_verzoek, modules, rol))


# --- compose -----------------------------------------------------------------------------------------


def _formulier(sj: formulier.Sjabloon) -> dict[str, Any]:
    """A form field (`formulier.sjabloon`, the same description the server-rendered forms of
    `routes/opstellen.py` are made from) as JSON."""
    return {
        "naam": sj.naam,
        "label": sj.label,
        "hint": formulier.Veld(sj, "", sj.label, sj.label, sj.verplicht).hint,
        "soort": sj.soort,
        "verplicht": sj.verplicht,
        "opties": [list(o) for o in sj.opties],
        "maxLengte": sj.max_lengte,
        "minItems": sj.min_items,
        "maxItems": sj.max_items,
        "kinderen": [_formulier(k) for k in sj.kinderen],
        # filled by the page from the chosen PDF (a document's name and media type): not shown
        "verborgen": sj.verborgen,
        # a free code's documented codes in words, offered as a choice besides another code
        "suggesties": [list(o) for o in sj.suggesties],
        "andersHint": formulier.ANDERS_HINT if sj.suggesties else None,
    }


def beschrijving(t: Berichttype, rol: str | None = None) -> dict[str, Any] | None:
    """A message type as the werkplek composes it: its names, its form (`formulier.sjabloon`, with
    the labels for the sender's ``rol``) and its JSON Schema; None when the type has no payload
    model (nothing to compose)."""
    try:
        schema = schema_voor(t.module, t.code, t.versie)
    except LookupError:
        return None
    return {
        "module": t.module,
        "versie": t.versie,
        "berichttype": t.code,
        "naam": t.naam,
        "modulenaam": csvindeling.modulenaam(t.module),
        "formulier": _formulier(formulier.sjabloon(t.module, t.code, t.versie, str(rol or ""))),
        "schema": schema,
    }


def opstelbaar(session: Session, oin: str, rol: str) -> list[dict[str, Any]]:
    """The message types this participant starts itself (no answer), in every version of its modules
    that it accepts (newest first; the recipient must accept it too: the dry run says so), each with
    its form and JSON Schema. A type that refers to an earlier message (a reminder, a heroverweging)
    is not started here: the werkplek offers it from that message (`routes.werkplek_opstellen`)."""
    deelnemer = adresboek.haal(session, oin)
    uit = []
    for module in sorted(adresboek.modules_van(deelnemer)):
        for versie in sorted(adresboek.versies_van(deelnemer, module), key=versiesleutel, reverse=True):
            for t in csvindeling.starttypen(module, versie, rol):
                if t.verwijst_naar:
                    continue
                gegevens = beschrijving(t, rol)
                if gegevens is not None:
                    uit.append(gegevens)
    return uit


@router.get(PAD + "/opstellen")
def opstellen_route(request: Request) -> JSONResponse:
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    with transactie(runtime(request).sessions) as session:
        typen = opstelbaar(session, gebruiker.oin, gebruiker.rol or "")
    # the role, for the module rules that depend on it (DESIGN §3b), which the page checks as the SDK does
    return _json({"typen": typen, "rol": gebruiker.rol or ""})


# --- finding a recipient by name --------------------------------------------------------------------

ZOEK_LIMIET = 20


@router.get(PAD + "/zoek")
def zoek_ontvanger(
    request: Request, zoek: str = "", module: str = SR, berichttype: str = "", versie: str = ""
) -> JSONResponse:
    """Participants whose name (or OIN, KvK) holds `zoek`, of a role the type goes to, each saying
    whether it can get it through the hub (``waaromNiet`` when not): the werkplek's compose finds a
    recipient by name, as the server-side compose does. Adresboek metadata only."""
    try:
        gebruiker = _api_gebruiker(request)
        zoek = zoek.strip()[:100]
        if len(zoek) < 2:
            raise ApiFout(400, "Typ minstens 2 tekens van de naam, het OIN of het KvK-nummer.")
        soort = CATALOGUS.zoek(module, berichttype, versie) if berichttype and versie else None
        if berichttype and soort is None:
            raise ApiFout(400, f"Onbekend berichttype {berichttype!r} in module {module} {versie}.")
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    naar = sorted(str(r) for r in soort.naar) if soort is not None else None
    rt = runtime(request)
    client = Gastclient(rt, request.app.state.kluis, gebruiker.oin, wie=gebruiker.audit_actor)
    with client.transactie() as (session, _nu):
        gevonden = adresboek.zoek(
            session,
            rol=naar[0] if naar is not None and len(naar) == 1 else None,
            module=None,
            zoekterm=zoek,
            na_oin=None,
            limiet=ZOEK_LIMIET,
        )
        resultaten = []
        for d in gevonden:
            if d.oin == gebruiker.oin or (naar is not None and str(d.rol) not in naar):
                continue
            _, waarom_niet = client.bereikbaar(session, d.oin, module)
            resultaten.append({"oin": d.oin, "naam": d.naam, "rol": str(d.rol), "waaromNiet": waarom_niet})
    return _json({"resultaten": resultaten})


# --- the recipient's certificates --------------------------------------------------------------------


def _leeftijd(nu: datetime, sinds: datetime) -> float:
    return round((nu - sinds) / timedelta(days=1), 2)


@router.get(PAD + "/ontvanger")
def ontvanger(request: Request, oin: str = "", module: str = SR) -> JSONResponse:
    """The encryption certificate a message to ``oin`` is sealed for (the newest current one,
    checked against the trust anchors, as the SDK chooses it) and the recipient's signing
    certificates, each with the days since it entered the adresboek."""
    try:
        gebruiker = _api_gebruiker(request)
        try:
            oin = valideer_oin(oin)
        except OngeldigeIdentificatie as exc:
            raise ApiFout(400, f"Ongeldig OIN van de ontvanger: {exc}") from exc
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    rt = runtime(request)
    jong = rt.settings.portaal_jong_certificaat_dagen
    client = Gastclient(rt, request.app.state.kluis, gebruiker.oin, wie=gebruiker.audit_actor)
    with client.transactie() as (session, nu):
        deelnemer, waarom_niet = client.bereikbaar(session, oin, module)
        if deelnemer is None or waarom_niet is not None:
            naam = deelnemer.naam if deelnemer is not None else oin
            return _json({"detail": f"{naam} {waarom_niet}."}, 404)
        try:
            cert = client.ontvangercertificaat(session, deelnemer, nu)
        except (VerzendFout, OngeldigCertificaat) as exc:
            return _json({"detail": f"Geen bruikbaar versleutelingscertificaat: {exc}."}, 404)
        der = cert.public_bytes(serialization.Encoding.DER)
        kid = x5t_s256(der)
        rij = {c.vingerafdruk: c for c in deelnemer.certificaten}.get(hashlib.sha256(der).hexdigest())
        sinds = rij.toegevoegd_op if rij is not None else cert.not_valid_before_utc
        ondertekening = [
            {
                "kid": _kid_van_pem(c.pem),
                "toegevoegdOp": c.toegevoegd_op.astimezone(UTC).isoformat(),
                "leeftijdDagen": _leeftijd(nu, c.toegevoegd_op),
                "jong": _leeftijd(nu, c.toegevoegd_op) < jong,
            }
            for c in deelnemer.certificaten
            if c.gebruik_ondertekening and adresboek.is_actueel(c, nu)
        ]
        leeftijd = _leeftijd(nu, sinds)
        return _json(
            {
                "oin": deelnemer.oin,
                "naam": deelnemer.naam,
                "versies": list(adresboek.versies_van(deelnemer, module)),
                # DESIGN §3: a BSN only to creditors with gebruiktBsn (the page checks the payload).
                "gebruiktBsn": deelnemer.gebruikt_bsn,
                "jongDagen": jong,
                "versleuteling": {
                    "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                    "kid": kid,
                    "alg": "RSA-OAEP-256"
                    if rij is not None and rij.sleuteltype == "RSA"
                    else "ECDH-ES+A256KW",
                    "toegevoegdOp": sinds.astimezone(UTC).isoformat(),
                    "leeftijdDagen": leeftijd,
                    "jong": leeftijd < jong,
                },
                "ondertekening": ondertekening,
            }
        )


def _kid_van_pem(pem: str) -> str:
    return x5t_s256(
        x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(serialization.Encoding.DER)
    )


# --- bodies -----------------------------------------------------------------------------------------


async def _groot_body(request: Request, grens: int) -> dict[str, Any]:
    """`sleutels._json_body` with a larger cap (a dry run of 20,000 envelopes, a part of 1,000 JWEs)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiFout(415, "Stuur de gegevens als JSON (Content-Type: application/json).")
    delen: list[bytes] = []
    totaal = 0
    async for deel in request.stream():
        totaal += len(deel)
        if totaal > grens:
            raise ApiFout(
                413, f"Het verzoek is groter dan {grens // (1024 * 1024)} MiB; stuur het in kleinere delen."
            )
        delen.append(deel)
    try:
        data = json.loads(b"".join(delen))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiFout(400, "Het verzoek is geen geldige JSON.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("berichten"), list):
        raise ApiFout(400, "Het verzoek moet een JSON-object met een lijst 'berichten' zijn.")
    return data


# --- dry run ----------------------------------------------------------------------------------------

_ENVELOPVELDEN = (
    "referentienummer",
    "conversatieReferentienummer",
    "crossReferentienummer",
    "module",
    "berichttype",
    "versie",
    "ontvanger",
)


def _uuid(waarde: Any) -> str | None:
    if not isinstance(waarde, str):
        return None
    try:
        return str(uuid.UUID(waarde)).lower()
    except ValueError:
        return None


def _concept(index: int, ruw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """An envelope of the dry run (no inhoud), or why it is not one."""
    if not isinstance(ruw, dict):
        return None, f"Envelop {index} is geen JSON-object."
    if "inhoud" in ruw:
        return None, "Een proef gaat alleen over de envelop: stuur geen inhoud mee."
    onbekend = sorted(set(ruw) - set(_ENVELOPVELDEN))
    if onbekend:
        return None, "Onbekende velden in de envelop: " + ", ".join(onbekend) + "."
    ref, conv = _uuid(ruw.get("referentienummer")), _uuid(ruw.get("conversatieReferentienummer"))
    cross = _uuid(ruw.get("crossReferentienummer")) if ruw.get("crossReferentienummer") else None
    if ref is None or conv is None or (ruw.get("crossReferentienummer") and cross is None):
        return (
            None,
            "referentienummer, conversatieReferentienummer en crossReferentienummer moeten UUID's zijn.",
        )
    for veld in ("module", "berichttype", "versie"):
        if not isinstance(ruw.get(veld), str) or not ruw[veld]:
            return None, f"Het veld '{veld}' ontbreekt in de envelop."
    ontvanger = ruw.get("ontvanger") or ""
    if not isinstance(ontvanger, str):
        return None, "Het veld 'ontvanger' moet een OIN zijn."
    return {
        "referentienummer": ref,
        "conversatieReferentienummer": conv,
        "crossReferentienummer": cross,
        "module": ruw["module"],
        "berichttype": ruw["berichttype"],
        "versie": ruw["versie"],
        "ontvanger": ontvanger,
    }, None


def _envelop(c: dict[str, Any], inhoud: str = "") -> mailbox.Envelop:
    return mailbox.Envelop(
        referentienummer=c["referentienummer"],
        conversatie_referentienummer=c["conversatieReferentienummer"],
        cross_referentienummer=c["crossReferentienummer"],
        berichttype=c["berichttype"],
        module=c["module"],
        versie=c["versie"],
        ontvanger=c["ontvanger"],
        inhoud=inhoud,
    )


def proef(session: Session, rt: Any, oin: str, ruwe: list[Any], nu: datetime) -> list[dict[str, Any]]:
    """The dry run (DESIGN §7, art. 18.3c) of these envelopes in one transaction that writes nothing:
    per envelope ``ok``, or the refusal with its code, Dutch text and the envelope field it is about;
    ``alVerzondenOp`` when this participant sent this number before (skipped, never sent twice);
    for an answer its recipient (the question's sender) and whether answering confirms it."""
    afzender = adresboek.haal(session, oin)
    uit: list[dict[str, Any]] = []
    concepten: list[dict[str, Any] | None] = []
    for index, ruw in enumerate(ruwe):
        concept, fout = _concept(index, ruw)
        concepten.append(concept)
        uit.append(
            {"index": index, "ok": fout is None} | ({"code": "ONGELDIG", "melding": fout} if fout else {})
        )
    geldig = [(i, c) for i, c in enumerate(concepten) if c is not None]
    bestaand = mailbox.verstuurd_set(session, afzender, [c["referentienummer"] for _, c in geldig])
    vragen = mailbox.ontvangen_set(
        session, afzender, [c["crossReferentienummer"] for _, c in geldig if c["crossReferentienummer"]]
    )

    def weiger(i: int, code: str, melding: str, veld: str) -> None:
        uit[i] |= {"ok": False, "code": code, "melding": melding, "veld": veld}

    te_controleren: list[tuple[int, dict[str, Any]]] = []
    for i, c in geldig:
        if c["referentienummer"] in bestaand:
            uit[i]["alVerzondenOp"] = bestaand[c["referentienummer"]].astimezone(UTC).isoformat()
            continue
        soort = CATALOGUS.zoek(c["module"], c["berichttype"], c["versie"])
        if soort is None:
            weiger(
                i,
                "ONBEKEND_BERICHTTYPE",
                f"{c['module']} {c['versie']} kent geen {c['berichttype']}.",
                "berichttype",
            )
            continue
        if c["crossReferentienummer"] and soort.is_antwoord:
            vraag = vragen.get(c["crossReferentienummer"])
            if vraag is None or vraag.afzender == HUB:
                weiger(
                    i,
                    "ONBEKENDE_VRAAG",
                    "Er is geen bericht aan u met dit referentienummer. Neem het referentienummer "
                    "ongewijzigd over uit het gedownloade bestand.",
                    "crossReferentienummer",
                )
                continue
            if (vraag.module, vraag.versie) != (c["module"], c["versie"]) or not soort.beantwoordt_type(
                vraag.berichttype
            ):
                weiger(
                    i,
                    "VERKEERDE_VRAAG",
                    f"Dit referentienummer is een {vraag.berichttype} ({vraag.module} {vraag.versie}), geen "
                    f"vraag die een {soort.naam} beantwoordt: beantwoord het in het juiste bestand.",
                    "crossReferentienummer",
                )
                continue
            if vraag.conversatie_referentienummer != c["conversatieReferentienummer"]:
                weiger(
                    i,
                    "CONVERSATIE_ONJUIST",
                    "Hoort niet bij dit referentienummer: de vraag is uit conversatie "
                    f"{vraag.conversatie_referentienummer}.",
                    "conversatieReferentienummer",
                )
                continue
            if c["ontvanger"] and c["ontvanger"] != vraag.afzender:
                weiger(
                    i, "ONTVANGER_ONJUIST", "Een antwoord gaat naar de afzender van de vraag.", "ontvanger"
                )
                continue
            verlopen = mailbox.status_op(vraag, nu) == "verlopen"
            if verlopen or vraag.status == "geweigerd":
                wat = "is verlopen (niet op tijd bevestigd)" if verlopen else "is door u geweigerd"
                weiger(
                    i,
                    "VERLOPEN" if verlopen else "GEWEIGERD",
                    f"Deze vraag {wat} en kan niet meer beantwoord worden; de schuldhulpverlener is "
                    "daarover geïnformeerd en kan haar opnieuw sturen (art. 17.5).",
                    "crossReferentienummer",
                )
                continue
            c["ontvanger"] = vraag.afzender
            uit[i]["ontvanger"] = vraag.afzender
            uit[i]["bevestigt"] = vraag.status in ("aangeboden", "opgehaald")
            uit[i]["eerderBeantwoord"] = vraag.beantwoord_op is not None
        elif not c["ontvanger"]:
            weiger(i, "ONTVANGER_ONTBREEKT", "De ontvanger (OIN) ontbreekt.", "ontvanger")
            continue
        te_controleren.append((i, c))
    if te_controleren:
        uitkomsten = mailbox.controleer_reeks(
            session,
            afzender,
            [_envelop(c) for _, c in te_controleren],
            nu=nu,
            instellingen=rt.instellingen,
            met_inhoud=False,
        )
        for (i, _c), weigering in zip(te_controleren, uitkomsten, strict=True):
            if weigering is not None:
                veld = weigering.velden[0].name if weigering.velden else ""
                weiger(i, weigering.code, fouttekst(weigering.code, weigering.detail), veld)
    return uit


@router.post(PAD + "/proef")
async def proef_route(request: Request) -> JSONResponse:
    try:
        gebruiker = await run_in_threadpool(_api_gebruiker, request)
        verzoek = await _groot_body(request, runtime(request).settings.max_request_bytes)
        if len(verzoek["berichten"]) > MAX_PROEF:
            raise ApiFout(413, f"Een proef gaat over hoogstens {MAX_PROEF} enveloppen; verdeel de upload.")
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_proef, request, gebruiker, verzoek["berichten"])


def _proef(request: Request, gebruiker: Gebruiker, ruwe: list[Any]) -> JSONResponse:
    rt = runtime(request)
    assert gebruiker.oin is not None
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        uitkomsten = proef(session, rt, gebruiker.oin, ruwe, nu)
        session.rollback()  # a dry run writes nothing
    return _json({"berichten": uitkomsten, "nu": nu.astimezone(UTC).isoformat()})


# --- submit -----------------------------------------------------------------------------------------


@router.post(PAD)
async def verzend_route(request: Request) -> JSONResponse:
    try:
        gebruiker = await run_in_threadpool(_api_gebruiker, request)
        verzoek = await _groot_body(request, runtime(request).settings.max_request_bytes)
        if len(verzoek["berichten"]) > MAX_DEEL:
            raise ApiFout(
                413,
                f"Een deel bevat hoogstens {MAX_DEEL} berichten, dit {len(verzoek['berichten'])}; verdeel ze "
                "over meerdere delen.",
            )
        try:
            gelezen = VerzendingenCreate.model_validate(
                {"berichten": verzoek["berichten"], "allesOfNiets": True}
            )
        except ValidationError as exc:
            eerste = exc.errors()[0]
            plaats = ".".join(str(p) for p in eerste["loc"])
            raise ApiFout(400, f"Ongeldige envelop ({plaats}): {eerste['msg']}.") from None
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_verzend, request, gebruiker, gelezen)


def _verzend(request: Request, gebruiker: Gebruiker, verzoek: VerzendingenCreate) -> JSONResponse:
    from knooppunt.api.v1 import als_envelop

    rt = runtime(request)
    assert gebruiker.oin is not None
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            afzender = adresboek.haal(session, gebruiker.oin)
            uitslag = verzendingen.verstuur(
                session,
                afzender,
                [als_envelop(e) for e in verzoek.berichten],
                alles_of_niets=True,
                nu=nu,
                instellingen=rt.instellingen,
            )
    except HubFout as fout:
        return _json({"detail": fouttekst(fout.code, fout.detail), "code": fout.code}, fout.status)
    berichten: list[dict[str, Any]] = []
    for u in uitslag.uitkomsten:
        rij: dict[str, Any] = {
            "index": u.index,
            "status": u.status,
            "referentienummer": verzoek.berichten[u.index].referentienummer,
        }
        if u.bericht is not None:
            rij["ontvangenOp"] = u.bericht.ontvangen_op.astimezone(UTC).isoformat()
        if u.fout is not None:
            rij |= {"code": u.fout.code, "melding": fouttekst(u.fout.code, u.fout.detail)}
        berichten.append(rij)
    if uitslag.niets_verstuurd:
        return _json(
            {
                "detail": "Niets van dit deel is verstuurd: het knooppunt weigerde een of meer berichten.",
                "nietsVerstuurd": True,
                "berichten": berichten,
            },
            422,
        )
    return _json({"nietsVerstuurd": False, "berichten": berichten})
