"""API v1 routes (DESIGN §4). Thin: parse, call the hub, shape the answer."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from knooppunt.api import cursor
from knooppunt.api.deps import TransactieRoute, VerzoekDep
from knooppunt.api.schemas import (
    Afzender,
    BerichtenRead,
    BerichtRead,
    BerichttypenRead,
    BerichttypeRead,
    BevestigingenCreate,
    BevestigingenRead,
    BevestigingRead,
    CertificaatRead,
    DeelnemerRead,
    DeelnemersRead,
    EnvelopCreate,
    Limiet,
    Moment,
    Oin,
    OngeldigeParameter,
    Problem,
    Status,
    Tekst,
    Uuid,
    VerzendingenCreate,
    VerzendingenProbleem,
    VerzendingenRead,
    WeigeringCreate,
)
from knooppunt.hub import adresboek, audit, logboek, mailbox, verzendingen
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.hub.mailbox import Instellingen
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Rol, versiesleutel
from knooppunt.protocol.identificatie import is_oin_vorm
from knooppunt.protocol.jwe import b64url_encode, x5t_s256
from knooppunt.protocol.payloads import schemas_per_versie
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.runtime import Runtime
from knooppunt.store.berichten import Berichtkolommen
from knooppunt.store.models import Bericht, Certificaat, Deelnemer

router = APIRouter(route_class=TransactieRoute)

# Closed sets on the wire, stated as enums in the OpenAPI document: the modules of the registry
# (a new module folder appears here without an edit).
if TYPE_CHECKING:
    ModuleCode = str
    BerichttypeCode = str
    VersieCode = str
else:
    ModuleCode = Literal[tuple(CATALOGUS.modulecodes())]
    # A filter on a type that exists in no module answered an empty list, so a misspelt filter
    # looked like an empty inbox (an independent limits probe): the codes are a closed set too.
    BerichttypeCode = Literal[tuple(sorted({t.code for t in CATALOGUS.alle()}))]
    # Likewise a version that exists in no module (`?versie=3.0` answered an empty list, while an
    # unknown module was a 400: a versions probe); one that exists, but not in the module asked
    # for, is an empty list.
    VersieCode = Literal[tuple(sorted({t.versie for t in CATALOGUS.alle()}, key=versiesleutel))]
RolCode = Literal["SHV", "SE", "WF", "BW"]


def _problemen(*statussen: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {"model": Problem, "content": {"application/problem+json": {}}, "description": _OMSCHRIJVING[s]}
        for s in statussen
    }


_OMSCHRIJVING = {
    400: "Ongeldig verzoek (invalidParams noemt de velden)",
    401: "Geen geldig, geregistreerd clientcertificaat",
    404: "Bestaat niet of is niet voor u",
    409: "Conflict (bijv. REFERENTIENUMMER_CONFLICT)",
    410: "Verlopen (VERLOPEN)",
    413: "Verzoek te groot (TE_GROOT) of inhoud te groot (ONGELDIGE_INHOUD)",
    415: "De body is geen JSON (GEEN_JSON): stuur Content-Type: application/json",
    422: "Niet toegestaan door een regel van het knooppunt (code noemt de regel)",
    429: "Te veel onbevestigde berichten (TE_VEEL_OPEN) of inbox van de ontvanger vol (INBOX_VOL)",
}


def tijd(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(AMSTERDAM)


def bericht_weergave(
    bericht: Berichtkolommen,
    nu: datetime,
    *,
    inhoud: str | None = None,
    reminders: dict[str, int] | None = None,
) -> BerichtRead:
    return BerichtRead(
        referentienummer=bericht.referentienummer,
        conversatie_referentienummer=bericht.conversatie_referentienummer,
        cross_referentienummer=bericht.cross_referentienummer,
        berichttype=bericht.berichttype,
        module=bericht.module,
        versie=bericht.versie,
        afzender=bericht.afzender,
        ontvanger=bericht.ontvanger,
        ontvangen_op=bericht.ontvangen_op.astimezone(AMSTERDAM),
        verloopt_op=bericht.verloopt_op.astimezone(AMSTERDAM),
        opgehaald_op=tijd(bericht.opgehaald_op),
        bevestigd_op=tijd(bericht.bevestigd_op),
        antwoord_uiterlijk=tijd(bericht.antwoord_uiterlijk),
        beantwoord_op=tijd(bericht.beantwoord_op),
        verlopen_op=tijd(bericht.verlopen_op),
        geweigerd_op=tijd(bericht.geweigerd_op),
        status=mailbox.status_op(bericht, nu),
        te_laat=mailbox.te_laat(bericht, nu),
        aantal_reminders=(
            reminders.get(bericht.referentienummer, 0)
            if reminders is not None and mailbox.kan_reminder_krijgen(bericht)
            else None
        ),
        inhoud=inhoud,
        melding=bericht.melding,
    )


def _cursor(rt: Runtime, soort: str, waarde: int) -> str:
    return cursor.maak(rt.dagsleutels.hoofdsleutels, soort, waarde)


_MAX_ID = 2**63 - 1  # a BIGINT id; a larger number is no cursor of ours (PostgreSQL: a 500 before)


def _onbekende_cursor() -> HubFout:
    return HubFout(
        "ONGELDIG_VERZOEK",
        400,
        "Ongeldig verzoek",
        "volgende is geen cursor van het knooppunt; gebruik de waarde uit het vorige antwoord",
        [OngeldigVeld("volgende", "onbekende cursor")],
    )


def _ontcijfer(waarde: str, soort: str) -> str:
    try:
        tekst = base64.urlsafe_b64decode(waarde + "=" * (-len(waarde) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _onbekende_cursor() from exc
    gevonden, _, waarde = tekst.partition(":")
    if gevonden != soort or b64url_encode(tekst.encode()) != waarde:
        raise _onbekende_cursor()  # only what the hub writes: no padding, no other spelling
    return waarde


def _lees_cursor(rt: Runtime, soort: str, waarde: str | None) -> int | None:
    """The id a cursor of ``soort`` names (api.cursor: opaque, sealed by the hub); 400 for one the
    hub did not make."""
    if not waarde:
        return None
    getallen = cursor.lees(rt.dagsleutels.hoofdsleutels, soort, waarde, 1)
    if getallen is None or not 1 <= getallen[0] <= _MAX_ID:
        raise _onbekende_cursor()
    return getallen[0]


_BEGIN = datetime.min.replace(tzinfo=UTC)
_MAX_MICRO = (datetime.max.replace(tzinfo=UTC) - _BEGIN) // timedelta(microseconds=1)


def _logboekcursor(rt: Runtime, bericht: Bericht) -> str:
    # The position (ontvangenOp, id) of the last message given: microseconds since year 1 and id.
    micro = (bericht.ontvangen_op - _BEGIN) // timedelta(microseconds=1)
    return cursor.maak(rt.dagsleutels.hoofdsleutels, "logboek", micro, bericht.id)


def _lees_logboekcursor(rt: Runtime, waarde: str | None) -> logboek.Positie | None:
    if not waarde:
        return None
    getallen = cursor.lees(rt.dagsleutels.hoofdsleutels, "logboek", waarde, 2)
    if getallen is None or not (0 <= getallen[0] <= _MAX_MICRO and 1 <= getallen[1] <= _MAX_ID):
        raise _onbekende_cursor()
    return logboek.Positie(_BEGIN + timedelta(microseconds=getallen[0]), getallen[1])


def _verlopen(bericht: Bericht) -> HubFout:
    return HubFout(
        "VERLOPEN",
        410,
        "Bericht verlopen",
        f"Bericht {bericht.referentienummer} is niet binnen de bevestigingstermijn bevestigd en is "
        "verwijderd; de afzender is op de hoogte gebracht en kan het opnieuw aanbieden.",
    )


RefPad = Annotated[Uuid, Path(description="referentienummer (UUID, kleine letters)")]


@router.post(
    "/berichten",
    status_code=201,
    operation_id="verstuurBericht",
    summary="Bied een bericht aan",
    response_model=BerichtRead,
    response_description="Aangenomen: het bericht staat in de inbox van de ontvanger",
    responses=_problemen(400, 401, 409, 413, 415, 422, 429)
    | {200: {"model": BerichtRead, "description": "Herhaalde poging: het oorspronkelijke resultaat"}},
    tags=["berichten"],
)
def verstuur_bericht(v: VerzoekDep, envelop: EnvelopCreate) -> Response:
    bericht, nieuw = mailbox.verstuur(
        v.session,
        v.deelnemer,
        als_envelop(envelop),
        nu=v.nu,
        instellingen=v.runtime.instellingen,
        deelnemers=v.zoek_deelnemer,
    )
    return als_json(bericht_weergave(bericht, v.nu), 201 if nieuw else 200)


def als_json(model: BerichtRead | BevestigingenRead, status: int = 200) -> Response:
    """The answer serialised here, in the handler's thread, as FastAPI would serialise the
    route's response_model: FastAPI validates a returned model again in a thread-pool hop of its
    own (#13: one hop per request)."""
    return Response(model.model_dump_json(by_alias=True), status_code=status, media_type="application/json")


def als_envelop(envelop: EnvelopCreate) -> mailbox.Envelop:
    return mailbox.Envelop(
        referentienummer=envelop.referentienummer,
        conversatie_referentienummer=envelop.conversatie_referentienummer,
        cross_referentienummer=envelop.cross_referentienummer,
        berichttype=envelop.berichttype,
        module=envelop.module,
        versie=envelop.versie,
        ontvanger=envelop.ontvanger,
        inhoud=envelop.inhoud,
    )


@router.post(
    "/verzendingen",
    operation_id="verstuurBerichten",
    summary="Bied veel berichten tegelijk aan (hoogstens 1000)",
    description=(
        "De enveloppen worden op volgorde beoordeeld, elk precies zoals `POST /berichten` het zou doen "
        "(idempotentie inbegrepen) en met de gevolgen van de eerder in dit verzoek aangenomen "
        "enveloppen: een kennisgeving en daarna een saldoverzoek in dezelfde conversatie, of een "
        "antwoord op een eerder bericht in dit verzoek. Het antwoord geeft per envelop de status die "
        "een los verzoek had gekregen (201, 200 bij herhaling, of de weigering met haar eigen status en "
        "`code`), nooit de `inhoud`. Met `allesOfNiets: true` wordt alles aangenomen, of niets "
        "opgeslagen: dan 422 met dezelfde lijst per envelop. Een envelop die niet aan het schema "
        "voldoet maakt het hele verzoek een 400 (`invalidParams` noemt bijv. "
        "`berichten.3.referentienummer`); meer dan 1000 enveloppen is 413. Het hele verzoek herhalen "
        "is veilig: wat al aangenomen was krijgt 200 met het oorspronkelijke resultaat."
    ),
    response_model=VerzendingenRead,
    response_description="De uitkomst per envelop, op volgorde",
    responses=_problemen(400, 401, 413, 415)
    | {
        422: {
            "model": VerzendingenProbleem,
            "content": {"application/problem+json": {}},
            "description": "allesOfNiets en een envelop geweigerd: niets opgeslagen (NIETS_VERSTUURD)",
        }
    },
    tags=["berichten"],
)
def verstuur_berichten(v: VerzoekDep, verzoek: VerzendingenCreate) -> JSONResponse:
    if len(verzoek.berichten) > verzendingen.MAX_BERICHTEN:
        raise HubFout(
            "TE_GROOT",
            413,
            "Verzoek te groot",
            f"Een verzending bevat hoogstens {verzendingen.MAX_BERICHTEN} berichten, deze "
            f"{len(verzoek.berichten)}; verdeel ze over meerdere verzoeken.",
            [OngeldigVeld("berichten", f"hoogstens {verzendingen.MAX_BERICHTEN} enveloppen")],
        )
    uitslag = verzendingen.verstuur(
        v.session,
        v.deelnemer,
        [als_envelop(e) for e in verzoek.berichten],
        alles_of_niets=verzoek.alles_of_niets,
        nu=v.nu,
        instellingen=v.runtime.instellingen,
    )
    berichten = [_uitkomst_weergave(u, v.nu) for u in uitslag.uitkomsten]
    if not uitslag.niets_verstuurd:
        return JSONResponse({"berichten": berichten})
    geweigerd = [u.index for u in uitslag.geweigerd]
    genoemd = ", ".join(str(i) for i in geweigerd[:10]) + (" …" if len(geweigerd) > 10 else "")
    fout = HubFout(
        "NIETS_VERSTUURD",
        422,
        "Niets verstuurd",
        f"{len(geweigerd)} van de {len(berichten)} berichten "
        f"{'is' if len(geweigerd) == 1 else 'zijn'} geweigerd (index {genoemd}); met "
        "allesOfNiets is daarom niets opgeslagen. Elke weigering staat met haar eigen status en code in "
        "berichten; verbeter of verwijder die berichten en stuur het verzoek opnieuw.",
    )
    return JSONResponse(
        probleem_weergave(fout, "/api/v1/verzendingen") | {"berichten": berichten},
        status_code=422,
        media_type="application/problem+json",
    )


def _uitkomst_weergave(uitkomst: verzendingen.Uitkomst, nu: datetime) -> dict[str, Any]:
    uit: dict[str, Any] = {"index": uitkomst.index, "status": uitkomst.status}
    if uitkomst.bericht is not None:
        uit["bericht"] = bericht_weergave(uitkomst.bericht, nu).model_dump(
            mode="json", by_alias=True, exclude={"inhoud"}
        )
    if uitkomst.fout is not None:
        uit["probleem"] = probleem_weergave(uitkomst.fout)
    return uit


@router.get(
    "/berichten",
    operation_id="haalBerichtenOp",
    summary="Inbox: open berichten voor u, oudste eerst",
    response_model=BerichtenRead,
    response_description="Open berichten met inhoud; `volgende` als er meer zijn",
    responses=_problemen(400, 401),
    tags=["berichten"],
)
def haal_berichten_op(
    v: VerzoekDep,
    limit: Annotated[Limiet, Query()] = 100,
    berichttype: Annotated[BerichttypeCode | None, Query()] = None,
    afzender: Annotated[Afzender | None, Query()] = None,
    module: Annotated[ModuleCode | None, Query()] = None,
    volgende: Annotated[Tekst | None, Query(max_length=200)] = None,
) -> Response:
    pagina = mailbox.ophalen_pagina(
        v.session,
        v.partij,
        nu=v.nu,
        limiet=limit,
        max_bytes=v.runtime.instellingen.max_pagina_bytes,
        na_id=_lees_cursor(v.runtime, "berichten", volgende),
        berichttype=berichttype,
        afzender=afzender,
        module=module,
    )
    return StreamingResponse(
        berichten_stroom(v.runtime, v.partij.oin, v.nu, pagina), media_type="application/json"
    )


def berichten_stroom(rt: Runtime, ontvanger: str, nu: datetime, pagina: mailbox.Pagina) -> Iterator[bytes]:
    """The body of a fetch's answer, in pieces (`_stroom_berichten`). DESIGN §4: the page is chosen
    by size and its metadata rendered now (the handler's transaction commits when it returns); the
    inhoud that did not come with the page is read a group of messages at a time while the answer
    streams, so the hub never holds a page of content, however large the inbox. The event loop's
    fetch (api/lus_inbox.py) joins it when all of it came with the page (nothing to read)."""
    delen = [_deel(bericht, nu) for bericht in pagina.berichten]
    # DESIGN §4: "plus `volgende` (an opaque cursor) when more remain" — absent on the last page.
    slot = ',"volgende":' + _json(_cursor(rt, "berichten", pagina.berichten[-1].id)) if pagina.meer else ""
    return _stroom_berichten(rt, ontvanger, nu, delen, slot, dict(pagina.inhoud))


def te_lezen(pagina: mailbox.Pagina) -> list[str]:
    """The numbers whose inhoud the answer of `pagina` still reads while it streams (`_stukken`):
    those of messages not from the hub whose content did not come with the page."""
    return [
        b.referentienummer
        for b in pagina.berichten
        if b.afzender != mailbox.KNOOPPUNT and b.referentienummer not in pagina.inhoud
    ]


_INHOUD_PLEK = "\ue000inhoud\ue000"
_INHOUD_BROK = 256 * 1024
"""Characters of inhoud encoded at a time, and about the size of each piece sent."""
_GROEP_BYTES = 1024 * 1024
"""Inhoud read from the database in one query while a page streams (or the one larger message)."""


@dataclass(frozen=True, slots=True)
class _Deel:
    """One message of a streamed page: its JSON before and after the ``inhoud`` value (a hub
    notice: all of it in ``voor``, ``referentienummer`` None), and the size of its inhoud."""

    referentienummer: str | None
    grootte: int
    voor: str
    na: str


def _json(waarde: Any) -> str:
    """JSON as FastAPI's answers render it (Starlette's JSONResponse)."""
    return json.dumps(waarde, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _deel(bericht: Berichtkolommen, nu: datetime) -> _Deel:
    document = bericht_weergave(bericht, nu).model_dump(mode="json", by_alias=True)
    if bericht.afzender == mailbox.KNOOPPUNT:
        return _Deel(None, 0, _json(document), "")
    document["inhoud"] = _INHOUD_PLEK
    voor, _, na = _json(document).partition(_json(_INHOUD_PLEK))
    return _Deel(bericht.referentienummer, bericht.grootte or 0, voor, na)


def _groepen(delen: Sequence[_Deel]) -> Iterator[Sequence[_Deel]]:
    """Consecutive messages with at most `_GROEP_BYTES` of inhoud together, or one larger one."""
    begin = 0
    while begin < len(delen):
        einde, bytes_ = begin + 1, delen[begin].grootte
        while einde < len(delen) and bytes_ + delen[einde].grootte <= _GROEP_BYTES:
            bytes_ += delen[einde].grootte
            einde += 1
        yield delen[begin:einde]
        begin = einde


def _stroom_berichten(
    rt: Runtime,
    ontvanger: str,
    nu: datetime,
    delen: Sequence[_Deel],
    slot: str,
    ingesloten: dict[str, str | None],
) -> Iterator[bytes]:
    """``{"berichten": [...]}`` (and ``"volgende": ...`` when more remain: `slot`) in pieces of about
    `_INHOUD_BROK`: the inhoud of
    each group of messages read in a short read-only transaction of its own (a message confirmed
    meanwhile is left out). Starlette runs each step in the thread pool, so a page of small
    messages goes in a few steps, not one per message."""
    buffer: list[str] = []
    gebufferd = 0
    for stuk in _stukken(rt, ontvanger, nu, delen, slot, ingesloten):
        buffer.append(stuk)
        gebufferd += len(stuk)
        if gebufferd >= _INHOUD_BROK:
            yield "".join(buffer).encode()
            buffer, gebufferd = [], 0
    if buffer:
        yield "".join(buffer).encode()


def _stukken(
    rt: Runtime,
    ontvanger: str,
    nu: datetime,
    delen: Sequence[_Deel],
    slot: str,
    ingesloten: dict[str, str | None],
) -> Iterator[str]:
    """The answer's pieces; ``ingesloten``: the content that came with the page (served as it was
    when fetched, taken out as it goes), the rest read a group at a time."""
    yield '{"berichten":['
    eerste = True
    for groep in _groepen(delen):
        nummers = [
            d.referentienummer for d in groep if d.referentienummer and d.referentienummer not in ingesloten
        ]
        inhouden: dict[str, str | None] = dict(_lees_inhouden(rt, ontvanger, nummers, nu)) if nummers else {}
        for deel in groep:
            ref = deel.referentienummer
            jwe = (
                None if ref is None else ingesloten.pop(ref) if ref in ingesloten else inhouden.pop(ref, None)
            )
            if deel.referentienummer is not None and jwe is None:
                continue
            yield deel.voor if eerste else "," + deel.voor
            eerste = False
            if jwe is not None:
                yield '"'
                for begin in range(0, len(jwe), _INHOUD_BROK):
                    yield _json(jwe[begin : begin + _INHOUD_BROK])[1:-1]
                yield '"' + deel.na
            del jwe
    yield f"]{slot}}}"


def _lees_inhouden(rt: Runtime, ontvanger: str, referentienummers: list[str], nu: datetime) -> dict[str, str]:
    with rt.sessions() as session:
        if rt.engine.dialect.name == "sqlite":
            # a read transaction (deferred BEGIN): streaming never takes the write lock
            session.connection(execution_options={"knooppunt_alleen_lezen": True})
        return mailbox.inhoud_van(session, ontvanger, referentienummers, nu=nu)


@router.get(
    "/berichten/{referentienummer}",
    operation_id="haalBerichtOp",
    summary="Eén bericht voor u",
    response_model=BerichtRead,
    response_description="Het bericht, met inhoud zolang het open is",
    responses=_problemen(400, 401, 404),
    tags=["berichten"],
)
def haal_bericht_op(v: VerzoekDep, referentienummer: RefPad) -> Response:
    bericht, jwe = mailbox.een_bericht(v.session, v.partij, referentienummer, nu=v.nu)
    return als_json(bericht_weergave(bericht, v.nu, inhoud=jwe))


@router.post(
    "/berichten/{referentienummer}/bevestiging",
    operation_id="bevestigBericht",
    summary="Bevestig ontvangst: de inhoud wordt verwijderd, de afzender krijgt een ontvangstbevestiging",
    response_model=BerichtRead,
    response_description="Bevestigd (ook bij herhaling)",
    responses=_problemen(400, 401, 404, 409, 410),
    tags=["berichten"],
)
def bevestig_bericht(v: VerzoekDep, referentienummer: RefPad) -> BerichtRead:
    uitkomst = mailbox.bevestig(
        v.session, v.partij, referentienummer, nu=v.nu, instellingen=v.runtime.instellingen
    )
    if uitkomst.verlopen:
        v.session.commit()  # keep the expiry and the notice to the sender
        raise _verlopen(uitkomst.bericht)
    return bericht_weergave(uitkomst.bericht, v.nu)


@router.post(
    "/bevestigingen",
    operation_id="bevestigBerichten",
    summary="Bevestig meerdere berichten tegelijk",
    response_model=BevestigingenRead,
    response_description="Per referentienummer de uitkomst; `code` bij wat niet bevestigd is",
    responses=_problemen(400, 401, 413, 415),
    tags=["berichten"],
)
def bevestig_berichten(v: VerzoekDep, verzoek: BevestigingenCreate) -> Response:
    resultaten = mailbox.bevestig_meerdere(
        v.session, v.partij, verzoek.referentienummers, nu=v.nu, instellingen=v.runtime.instellingen
    )
    return als_json(
        BevestigingenRead(
            bevestigingen=[
                BevestigingRead(
                    referentienummer=ref,
                    status="onbekend" if bericht is None else bericht.status,
                    code=code,
                    bevestigd_op=None if bericht is None else tijd(bericht.bevestigd_op),
                    antwoord_uiterlijk=None if bericht is None else tijd(bericht.antwoord_uiterlijk),
                )
                for ref, bericht, code in resultaten
            ]
        )
    )


@router.post(
    "/berichten/{referentienummer}/weigering",
    operation_id="weigerBericht",
    summary="Weiger inhoud die u niet kunt ontsleutelen, verifiëren of valideren",
    response_model=BerichtRead,
    response_description="Geweigerd: de inhoud is verwijderd, de afzender krijgt een foutbericht",
    responses=_problemen(400, 401, 404, 409, 410, 413, 415),
    tags=["berichten"],
)
def weiger_bericht(
    v: VerzoekDep, referentienummer: RefPad, weigering: Annotated[WeigeringCreate, Body()]
) -> BerichtRead:
    uitkomst = mailbox.weiger(
        v.session,
        v.partij,
        referentienummer,
        weigering.reden,
        nu=v.nu,
        instellingen=v.runtime.instellingen,
    )
    if uitkomst.verlopen:
        v.session.commit()
        raise _verlopen(uitkomst.bericht)
    return bericht_weergave(uitkomst.bericht, v.nu)


@router.get(
    "/verzonden",
    operation_id="haalVerzondenOp",
    summary="Status van uw verzonden berichten, nieuwste eerst",
    response_model=BerichtenRead,
    response_description="Uw verzonden berichten (metadata); `volgende` als er meer zijn",
    responses=_problemen(400, 401),
    tags=["berichten"],
)
def haal_verzonden_op(
    v: VerzoekDep,
    status: Annotated[Status | None, Query()] = None,
    conversatie_referentienummer: Annotated[Uuid | None, Query(alias="conversatieReferentienummer")] = None,
    module: Annotated[ModuleCode | None, Query()] = None,
    limit: Annotated[Limiet, Query()] = 100,
    volgende: Annotated[Tekst | None, Query(max_length=200)] = None,
) -> BerichtenRead:
    berichten = list(
        mailbox.verzonden(
            v.session,
            v.partij,
            limiet=limit + 1,
            voor_id=_lees_cursor(v.runtime, "verzonden", volgende),
            status=status,
            conversatie=conversatie_referentienummer if conversatie_referentienummer else None,
            module=module,
            nu=v.nu,
        )
    )
    meer = len(berichten) > limit
    berichten = berichten[:limit]
    reminders = mailbox.aantal_reminders(v.session, v.partij, berichten)
    return BerichtenRead(
        berichten=[bericht_weergave(b, v.nu, reminders=reminders) for b in berichten],
        volgende=_cursor(v.runtime, "verzonden", berichten[-1].id) if meer else None,
    )


@router.get(
    "/logboek",
    operation_id="haalLogboekOp",
    summary="Logboek: de metadata van alles wat u in een periode verstuurde of ontving, oudste eerst",
    description=(
        "Elk bericht waarvan u afzender of ontvanger bent en dat het knooppunt in de periode "
        "ontving (`vanaf` ≤ `ontvangenOp` < `tot`), in elke status: ook bevestigde, geweigerde en "
        "verlopen berichten, zolang hun metadata bewaard wordt; nooit `inhoud`. Zonder `tot` loopt "
        "de periode tot nu, zonder `vanaf` begint ze 30 dagen vóór `tot`. Een datum zonder tijd is "
        "het begin van die dag in Europe/Amsterdam. Volgorde: `ontvangenOp`, dan het bericht; geef "
        "met `volgende` dezelfde parameters opnieuw mee."
    ),
    response_model=BerichtenRead,
    response_description="De berichten van de periode (metadata); `volgende` als er meer zijn",
    responses=_problemen(400, 401),
    tags=["berichten"],
)
def haal_logboek_op(
    v: VerzoekDep,
    *,
    vanaf: Annotated[
        Moment | None, Query(description="Begin van de periode (inclusief): datum of tijdstip met tijdzone")
    ] = None,
    tot: Annotated[
        Moment | None, Query(description="Einde van de periode (exclusief): datum of tijdstip met tijdzone")
    ] = None,
    richting: Annotated[
        Literal["verzonden", "ontvangen"] | None,
        Query(description="Alleen wat u verstuurde of alleen wat u ontving; zonder: beide"),
    ] = None,
    module: Annotated[ModuleCode | None, Query()] = None,
    berichttype: Annotated[BerichttypeCode | None, Query()] = None,
    limit: Annotated[Limiet, Query()] = 100,
    volgende: Annotated[Tekst | None, Query(max_length=200)] = None,
) -> BerichtenRead:
    begin, eind = logboek.periode(vanaf, tot, nu=v.nu)
    berichten = list(
        logboek.logboek(
            v.session,
            v.partij.oin,
            vanaf=begin,
            tot=eind,
            richting=richting,
            module=module,
            berichttype=berichttype,
            na=_lees_logboekcursor(v.runtime, volgende),
            limiet=limit + 1,
        )
    )
    meer = len(berichten) > limit
    berichten = berichten[:limit]
    eigen = [b for b in berichten if b.afzender == v.partij.oin]
    reminders = mailbox.aantal_reminders(v.session, v.deelnemer, eigen)
    return BerichtenRead(
        berichten=[
            bericht_weergave(b, v.nu, reminders=reminders if b.afzender == v.partij.oin else None)
            for b in berichten
        ],
        volgende=_logboekcursor(v.runtime, berichten[-1]) if meer else None,
    )


@router.get(
    "/conversaties/{conversatieReferentienummer}",
    operation_id="haalConversatieOp",
    summary="Tijdlijn (metadata) van de berichten die u in een conversatie verstuurde of ontving",
    response_model=BerichtenRead,
    response_description="De berichten van de conversatie waarbij u afzender of ontvanger bent",
    responses=_problemen(400, 401, 404),
    tags=["conversaties"],
)
def haal_conversatie_op(
    v: VerzoekDep,
    conversatie_referentienummer: Annotated[Uuid, Path(alias="conversatieReferentienummer")],
) -> BerichtenRead:
    berichten = mailbox.conversatie(v.session, v.partij, conversatie_referentienummer)
    eigen = [b for b in berichten if b.afzender == v.partij.oin]
    reminders = mailbox.aantal_reminders(v.session, v.partij, eigen)
    return BerichtenRead(
        berichten=[
            bericht_weergave(b, v.nu, reminders=reminders if b.afzender == v.partij.oin else None)
            for b in berichten
        ]
    )


def _certificaat(cert: Certificaat, nu: datetime) -> CertificaatRead:
    from knooppunt.pki.certificaat import lees_pem

    return CertificaatRead.model_validate(
        {
            "vingerafdruk": cert.vingerafdruk,
            "x5t#S256": x5t_s256(lees_pem(cert.pem).der),
            "pem": cert.pem,
            "onderwerp": cert.onderwerp,
            "uitgever": cert.uitgever,
            "sleuteltype": cert.sleuteltype,
            "geldigVanaf": cert.geldig_vanaf.astimezone(AMSTERDAM),
            "geldigTot": cert.geldig_tot.astimezone(AMSTERDAM),
            "gebruik": cert.gebruik,
            "ingetrokkenOp": tijd(cert.ingetrokken_op),
            "actueel": adresboek.is_actueel(cert, nu),
            "toegevoegdOp": cert.toegevoegd_op.astimezone(AMSTERDAM),
        }
    )


def deelnemer_weergave(deelnemer: Deelnemer, nu: datetime, instellingen: Instellingen) -> DeelnemerRead:
    return DeelnemerRead(
        oin=deelnemer.oin,
        kvk_nummer=deelnemer.kvk_nummer,
        vestigingsnummer=deelnemer.vestigingsnummer,
        naam=deelnemer.naam,
        rol=deelnemer.rol,
        modules=sorted(adresboek.modules_van(deelnemer)),
        versies=adresboek.versies_per_module(deelnemer),
        gebruikt_bsn=deelnemer.gebruikt_bsn,
        standaard_akkoord=deelnemer.standaard_akkoord,
        schuldensoorten=sorted(adresboek.schuldensoorten_van(deelnemer)),
        certificaten=[
            _certificaat(c, nu)
            for c in adresboek.zichtbare_certificaten(
                deelnemer,
                nu=nu,
                kalender=instellingen.kalender,
                bevestigingstermijn=instellingen.bevestigingstermijn,
            )
        ],
    )


@router.get(
    "/adresboek",
    operation_id="zoekInAdresboek",
    summary="Publieke adresboekgegevens van deelnemers, met certificaten",
    response_model=DeelnemersRead,
    response_description="Deelnemers; `volgende` als er meer zijn",
    responses=_problemen(400, 401),
    tags=["adresboek"],
)
def zoek_in_adresboek(
    v: VerzoekDep,
    *,
    rol: Annotated[RolCode | None, Query()] = None,
    module: Annotated[ModuleCode | None, Query()] = None,
    zoek: Annotated[Tekst | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[Limiet, Query()] = 100,
    volgende: Annotated[Tekst | None, Query(max_length=200)] = None,
) -> DeelnemersRead:
    na_oin = None
    if volgende:
        na_oin = _ontcijfer(volgende, "oin")
        if not is_oin_vorm(na_oin):
            raise _onbekende_cursor()
    deelnemers = list(
        adresboek.zoek(v.session, rol=rol, module=module, zoekterm=zoek, na_oin=na_oin, limiet=limit + 1)
    )
    meer = len(deelnemers) > limit
    deelnemers = deelnemers[:limit]
    return DeelnemersRead(
        deelnemers=[deelnemer_weergave(d, v.nu, v.runtime.instellingen) for d in deelnemers],
        volgende=b64url_encode(f"oin:{deelnemers[-1].oin}".encode()) if meer else None,
    )


@router.get(
    "/adresboek/{oin}",
    operation_id="haalDeelnemerOp",
    summary="Eén adresboekvermelding",
    response_model=DeelnemerRead,
    response_description="De publieke gegevens van de deelnemer",
    responses=_problemen(400, 401, 404),
    tags=["adresboek"],
)
def haal_deelnemer_op(v: VerzoekDep, oin: Annotated[Oin, Path()]) -> DeelnemerRead:
    return deelnemer_weergave(adresboek.haal(v.session, oin), v.nu, v.runtime.instellingen)


def berichttype_weergave(t: Berichttype, instellingen: Instellingen) -> BerichttypeRead:
    return BerichttypeRead(
        code=t.code,
        naam=t.naam,
        module=t.module,
        van=sorted(r.value for r in t.van),
        naar=sorted(r.value for r in t.naar),
        beantwoordt=sorted(t.beantwoordt),
        verwijst_naar=sorted(t.verwijst_naar),
        antwoord_verwacht=t.antwoord_verwacht,
        antwoordtermijn_werkdagen=instellingen.antwoordtermijn_van(t) if t.antwoord_verwacht else None,
        voorwaarden=[v.value for v in t.voorwaarden],
        artikel=t.artikel,
        versie=t.versie,
        versies=list(CATALOGUS.versies(t.module, t.code)),
        omschrijving=t.omschrijving,
        door_knooppunt=Rol.KNOOPPUNT in t.van,
        schemas=schemas_per_versie(t.module, t.code, (t.versie,)),
    )


@router.get(
    "/berichttypen",
    operation_id="haalBerichttypenOp",
    summary="De berichtencatalogus",
    description="Elk berichttype van elke module, één keer per versie waarin het bestaat, met het "
    "JSON Schema van de inhoud en de antwoordtermijn van die versie.",
    response_model=BerichttypenRead,
    response_description="Alle berichttypen",
    responses=_problemen(400, 401),
    tags=["berichttypen"],
)
def haal_berichttypen_op(
    v: VerzoekDep,
    module: Annotated[ModuleCode | None, Query()] = None,
    versie: Annotated[VersieCode | None, Query()] = None,
) -> BerichttypenRead:
    instellingen = v.runtime.instellingen
    return BerichttypenRead(
        berichttypen=[
            berichttype_weergave(t, instellingen)
            for t in CATALOGUS.alle()
            if (module is None or t.module == module) and (versie is None or t.versie == versie)
        ]
    )


@router.get(
    "/berichttypen/{code}",
    operation_id="haalBerichttypeOp",
    summary="Eén berichttype",
    description="Zonder `versie` de hoogste versie waarin het type bestaat. Een code die in meer "
    "modules voorkomt vraagt om `module` (anders 400).",
    response_model=BerichttypeRead,
    response_description="Het berichttype",
    responses=_problemen(400, 401, 404),
    tags=["berichttypen"],
)
def haal_berichttype_op(
    v: VerzoekDep,
    code: Annotated[Tekst, Path(min_length=1, max_length=64)],
    module: Annotated[ModuleCode | None, Query()] = None,
    versie: Annotated[Tekst | None, Query(min_length=1, max_length=16)] = None,
) -> BerichttypeRead:
    modules = sorted({t.module for t in CATALOGUS.per_code(code) if module is None or t.module == module})
    if not modules:
        raise HubFout("NIET_GEVONDEN", 404, "Niet gevonden", f"Berichttype {code!r} bestaat niet.")
    if len(modules) > 1:
        raise HubFout(
            "MODULE_ONTBREEKT",
            400,
            "Module ontbreekt",
            f"Berichttype {code!r} bestaat in module {', '.join(modules)}: geef ?module= mee.",
            [OngeldigVeld("module", f"kies uit {', '.join(modules)}")],
        )
    gevonden = CATALOGUS.zoek(modules[0], code, versie)
    if gevonden is None:
        raise HubFout(
            "NIET_GEVONDEN",
            404,
            "Niet gevonden",
            f"Berichttype {code!r} bestaat niet in versie {versie} van module {modules[0]}; wel in "
            f"{', '.join(CATALOGUS.versies(modules[0], code))}.",
        )
    return berichttype_weergave(gevonden, v.runtime.instellingen)


@router.get(
    "/audit/checkpoint",
    operation_id="haalAuditCheckpointOp",
    summary="Het nieuwste ondertekende checkpoint van het auditlog",
    description="Een C2SP tlog-checkpoint (origin, boomgrootte, wortelhash van de RFC 6962-boom over het "
    "auditlog) met een Ed25519-handtekening van het knooppunt. Bewaar het en controleer later met "
    "`knooppunt audit verify --checkpoint` dat de geschiedenis niet is herschreven of afgeknipt.",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Het ondertekende checkpoint (C2SP signed note)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **_problemen(400, 401, 404),
    },
    tags=["audit"],
)
def haal_audit_checkpoint_op(v: VerzoekDep) -> PlainTextResponse:
    checkpoint = audit.nieuwste_checkpoint(v.session)
    if checkpoint is None:
        raise HubFout(
            "GEEN_CHECKPOINT",
            404,
            "Nog geen checkpoint",
            "Het auditlog heeft nog geen ondertekend checkpoint; vraag het over een minuut opnieuw.",
        )
    return PlainTextResponse(checkpoint)


def probleem_weergave(fout: HubFout, instance: str | None = None) -> dict[str, Any]:
    """A refusal as RFC 9457 problem details (the body of `json_probleem`)."""
    return Problem(
        type=f"urn:knooppunt:probleem:{fout.code.lower()}",
        title=fout.titel,
        status=fout.status,
        detail=fout.detail,
        instance=instance,
        code=fout.code,
        invalid_params=[OngeldigeParameter(name=v.name, reason=v.reason) for v in fout.velden] or None,
    ).model_dump(by_alias=True, exclude_none=True)


def json_probleem(fout: HubFout, instance: str | None = None) -> JSONResponse:
    return JSONResponse(
        probleem_weergave(fout, instance), status_code=fout.status, media_type="application/problem+json"
    )
