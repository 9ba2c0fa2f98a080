"""Wire schemas of API v1 (DESIGN §4): lowerCamelCase, lists wrapped under the resource name."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from knooppunt.protocol.identificatie import (
    OIN_LENGTE,
    OIN_PATROON,
    UUID_LENGTE,
    UUID_PATROON,
    UUID_V4_PATROON,
    UUID_VOORBEELD,
    heeft_stuurtekens,
    is_oin_vorm,
    is_uuid,
    is_uuid_v4,
)
from knooppunt.protocol.werkdagen import AMSTERDAM

# What the OpenAPI document states of an identifier: a pattern anchored at the start and the exact
# length, which together match it whole (JSON Schema patterns are unanchored; no ``$``).
UUID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": UUID_PATROON,
    "minLength": UUID_LENGTE,
    "maxLength": UUID_LENGTE,
}
UUID_V4_SCHEMA: dict[str, Any] = UUID_SCHEMA | {"pattern": UUID_V4_PATROON}
OIN_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": OIN_PATROON,
    "minLength": OIN_LENGTE,
    "maxLength": OIN_LENGTE,
}


def _als_uuid(waarde: str) -> str:
    # Never rewritten (no .lower()): the sender's signed JWS header binds the exact value.
    if not is_uuid(waarde):
        raise PydanticCustomError(
            "uuid",
            "moet een UUID in kleine letters zijn, met streepjes, zoals {voorbeeld}",
            {"voorbeeld": UUID_VOORBEELD},
        )
    return waarde


def _als_uuid_v4(waarde: str) -> str:
    if not is_uuid_v4(waarde):
        raise PydanticCustomError(
            "uuid_v4",
            "moet een UUIDv4 (willekeurig; versie 4) in kleine letters zijn, met streepjes, zoals "
            "{voorbeeld}: een conversatie is het traject van één cliënt (DESIGN §2), maak er per "
            "cliënt een nieuwe aan met uuid4()",
            {"voorbeeld": UUID_VOORBEELD},
        )
    return waarde


def _als_oin(waarde: str) -> str:
    if not is_oin_vorm(waarde):
        raise PydanticCustomError("oin", "moet een OIN van precies 20 cijfers zijn")
    return waarde


def _zonder_stuurtekens(waarde: str) -> str:
    # PostgreSQL refuses a NUL in text (a 500 before); no name or code needs the others.
    if heeft_stuurtekens(waarde):
        raise PydanticCustomError(
            "stuurteken", "mag geen stuurtekens bevatten (zoals NUL of een regelovergang)"
        )
    return waarde


def _als_afzender(waarde: str) -> str:
    if waarde != "KNOOPPUNT" and not is_oin_vorm(waarde):
        raise PydanticCustomError("afzender", "moet een OIN van precies 20 cijfers zijn, of KNOOPPUNT")
    return waarde


# A moment on the wire (a period's bound): an RFC 3339 date-time with its offset, or a date, which
# is midnight Europe/Amsterdam at its start. Matched whole (fullmatch); nothing else is read as one.
_DATUM = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIJDSTIP = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_ZONDER_ZONE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", re.ASCII)
MOMENT_LENGTE = 35  # 2026-11-01T09:00:00.123456789+01:00
MOMENT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time", "maxLength": MOMENT_LENGTE},
        {"type": "string", "format": "date", "maxLength": MOMENT_LENGTE},
    ]
}
_VORM = "moet een datum (2026-11-01) of een tijdstip met tijdzone zijn (2026-11-01T09:00:00+01:00)"


def lees_moment(tekst: str) -> datetime:
    """A moment as the wire gives it, in UTC. A date is the start of that day in Europe/Amsterdam.
    Beyond what a datetime holds in UTC (year 1 with a positive offset, year 9999 with a negative
    one) it is the first or last representable moment: no message lies outside them anyway."""
    if len(tekst) > MOMENT_LENGTE:
        raise PydanticCustomError("moment", f"mag hoogstens {MOMENT_LENGTE} tekens lang zijn")
    gevonden = _TIJDSTIP.fullmatch(tekst)
    if gevonden:
        datum, tijd, fractie, zone = gevonden.groups()
        # Microseconds: a finer fraction is cut off.
        iso, zonder_zone = f"{datum}T{tijd}{(fractie or '')[:7]}{zone.upper()}", False
    elif _DATUM.fullmatch(tekst):
        iso, zonder_zone = tekst, True
    elif _ZONDER_ZONE.fullmatch(tekst):
        raise PydanticCustomError(
            "moment", "mist een tijdzone: voeg Z of bijv. +01:00 toe, of geef alleen een datum (2026-11-01)"
        )
    elif _ZONDER_ZONE.match(tekst) and " " in tekst:
        # A "+" in a query string arrives as a space unless it is escaped.
        raise PydanticCustomError(
            "moment",
            "bevat een spatie: scheid datum en tijd met T en schrijf de + van de tijdzone in de "
            "query als %2B",
        )
    else:
        raise PydanticCustomError("moment", _VORM)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise PydanticCustomError("moment", "is geen bestaande datum of tijd") from exc
    if zonder_zone:
        moment = moment.replace(tzinfo=AMSTERDAM)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        grens = datetime.min if moment.year == 1 else datetime.max
        return grens.replace(tzinfo=UTC)


def _als_moment(waarde: Any) -> datetime:
    if not isinstance(waarde, str):
        raise PydanticCustomError("moment", _VORM)
    return lees_moment(waarde)


MAX_LIMIET = 1000  # DESIGN §4: a page holds at most this many (`limit`)
_GEHEEL_GETAL = re.compile(r"[1-9][0-9]{0,3}")


def _als_limiet(waarde: Any) -> Any:
    """DESIGN §4: a query value must already be canonical — `limit` plainly written in digits, as
    the fast path reads it (" 5", "+5", "05" and "5.0" are not numbers of ours)."""
    if isinstance(waarde, str) and not _GEHEEL_GETAL.fullmatch(waarde):
        raise PydanticCustomError(
            "limiet", f"moet een geheel getal zijn, in cijfers zonder voorloopnul (1-{MAX_LIMIET})"
        )
    return waarde


Limiet = Annotated[
    int,
    BeforeValidator(_als_limiet),
    Field(ge=1, le=MAX_LIMIET),
    # Written out: with the BeforeValidator FastAPI would put "ge"/"le" in the OpenAPI document.
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIET}),
]
Uuid = Annotated[str, AfterValidator(_als_uuid), WithJsonSchema(UUID_SCHEMA)]
UuidV4 = Annotated[str, AfterValidator(_als_uuid_v4), WithJsonSchema(UUID_V4_SCHEMA)]
Oin = Annotated[str, AfterValidator(_als_oin), WithJsonSchema(OIN_SCHEMA)]
# "No control character anywhere", as JSON Schema can say it without anchoring: not containing one.
GEEN_STUURTEKENS: dict[str, Any] = {"not": {"pattern": "[\\u0000-\\u001f\\u007f]"}}
Tekst = Annotated[str, AfterValidator(_zonder_stuurtekens), Field(json_schema_extra=GEEN_STUURTEKENS)]
Moment = Annotated[datetime, BeforeValidator(_als_moment), WithJsonSchema(MOMENT_SCHEMA)]
Afzender = Annotated[
    str,
    AfterValidator(_als_afzender),
    WithJsonSchema({"anyOf": [OIN_SCHEMA, {"type": "string", "enum": ["KNOOPPUNT"]}]}),
]


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EnvelopCreate(Schema):
    """An envelope as a sender submits it. ``afzender`` is never taken from the body."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    referentienummer: Uuid = Field(
        description="UUID of this message, chosen by the sender; the idempotency key"
    )
    conversatie_referentienummer: UuidV4 = Field(description="UUIDv4 of the client's traject at one SHV")
    cross_referentienummer: Uuid | None = Field(
        default=None, description="The message this one answers (or, for a reminder, refers to)"
    )
    berichttype: Tekst = Field(min_length=1, max_length=64, examples=["saldoverzoek"])
    module: Tekst = Field(min_length=1, max_length=32, examples=["schuldregeling"])
    versie: Tekst = Field(min_length=1, max_length=16, examples=["1.0"])
    ontvanger: Oin = Field(description="OIN of the recipient", examples=["00000003123456780000"])
    inhoud: str = Field(
        min_length=1, description="JWE compact serialization for the recipient's versleuteling key"
    )


Status = Literal["aangeboden", "opgehaald", "bevestigd", "beantwoord", "verlopen", "geweigerd"]


class BerichtRead(Schema):
    """A message's envelope and the hub's metadata; ``inhoud`` only in the recipient's inbox while
    open, ``melding`` only on hub-authored notices."""

    referentienummer: str
    conversatie_referentienummer: str
    cross_referentienummer: str | None
    berichttype: str
    module: str
    versie: str
    afzender: str
    ontvanger: str
    ontvangen_op: datetime
    verloopt_op: datetime
    opgehaald_op: datetime | None
    bevestigd_op: datetime | None
    antwoord_uiterlijk: datetime | None
    beantwoord_op: datetime | None
    verlopen_op: datetime | None
    geweigerd_op: datetime | None
    status: Status
    te_laat: bool
    aantal_reminders: int | None = Field(
        default=None,
        description="For the sender's own saldoverzoek and betaalvoorstel: how many reminders it sent "
        "about it (art. 15); null elsewhere",
    )
    inhoud: str | None = None
    melding: dict[str, Any] | None = None


def _geen_vervolg(waarde: object) -> bool:
    return waarde is None


class BerichtenRead(Schema):
    berichten: list[BerichtRead]
    # DESIGN §4: "plus `volgende` (an opaque cursor) when more remain" — absent on the last page.
    volgende: str | None = Field(
        default=None,
        description="Opaque cursor, present only when more remain; pass as `volgende` for the next page",
        exclude_if=_geen_vervolg,
    )


class BevestigingenCreate(Schema):
    referentienummers: list[Uuid] = Field(min_length=1, max_length=1000)


class BevestigingRead(Schema):
    referentienummer: str
    status: Status | Literal["onbekend"]
    code: str | None = Field(default=None, description="Error code when this one was not confirmed")
    bevestigd_op: datetime | None = Field(default=None, description="When it was confirmed (once it is)")
    antwoord_uiterlijk: datetime | None = Field(
        default=None, description="For a type that is answered: the answer is due by then (DESIGN §6)"
    )


class BevestigingenRead(Schema):
    bevestigingen: list[BevestigingRead]


Weigerreden = Literal[
    "ONTSLEUTELING_MISLUKT",
    "HANDTEKENING_ONGELDIG",
    "METADATA_ONJUIST",
    "INHOUD_ONGELDIG",
    "AL_VERWERKT",
    "SLEUTEL_ONBRUIKBAAR",
]


class WeigeringCreate(Schema):
    reden: Weigerreden = Field(
        description="Why the recipient refuses the content (hub.mailbox.WEIGERREDENEN)"
    )


class CertificaatRead(Schema):
    vingerafdruk: str = Field(description="SHA-256 of the DER, lowercase hex")
    x5t_s256: str = Field(alias="x5t#S256", description="base64url SHA-256 of the DER: the JOSE kid")
    pem: str
    onderwerp: str
    uitgever: str
    sleuteltype: str
    geldig_vanaf: datetime
    geldig_tot: datetime
    gebruik: list[Literal["tls", "ondertekening", "versleuteling"]]
    ingetrokken_op: datetime | None
    actueel: bool
    toegevoegd_op: datetime = Field(
        description="When it entered the adresboek (key transparency, DESIGN §5: a certificate "
        "registered recently is young, whatever its geldigVanaf says)"
    )


class DeelnemerRead(Schema):
    oin: str
    kvk_nummer: str
    vestigingsnummer: str | None
    naam: str
    rol: str
    modules: list[str]
    versies: dict[str, list[str]] = Field(
        description="Per module the protocol versions the participant accepts (DESIGN §3a).",
        examples=[{"schuldregeling": ["1.0", "2.0"]}],
    )
    gebruikt_bsn: bool
    standaard_akkoord: bool
    schuldensoorten: list[str]
    certificaten: list[CertificaatRead]


class DeelnemersRead(Schema):
    deelnemers: list[DeelnemerRead]
    volgende: str | None = Field(
        default=None,
        description="Opaque cursor, present only when more remain; pass as `volgende` for the next page",
        exclude_if=_geen_vervolg,
    )


class BerichttypeRead(Schema):
    code: str
    naam: str
    module: str
    van: list[str]
    naar: list[str]
    beantwoordt: list[str]
    verwijst_naar: list[str]
    antwoord_verwacht: bool
    antwoordtermijn_werkdagen: int | None
    voorwaarden: list[str]
    artikel: str
    versie: str = Field(description="The protocol version this entry describes (DESIGN §3a).")
    versies: list[str] = Field(description="Every version this message type exists in, lowest first.")
    omschrijving: str
    door_knooppunt: bool
    schemas: dict[str, dict[str, Any]] = Field(
        description=(
            "JSON Schema (draft 2020-12) of the encrypted payload in this entry's versie, keyed by "
            "versie. Empty for the hub-authored types, which carry a plain melding instead of an "
            "encrypted payload."
        ),
        examples=[
            {"1.0": {"title": "Saldoverzoek (schuldregeling/saldoverzoek, versie 1.0)", "type": "object"}}
        ],
    )


class BerichttypenRead(Schema):
    berichttypen: list[BerichttypeRead]


class OngeldigeParameter(Schema):
    name: str = Field(description="The field or parameter at fault", examples=["ontvanger"])
    reason: str = Field(description="What is wrong with it")


class Problem(BaseModel):
    """RFC 9457 problem details with a stable machine ``code``."""

    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(
        default="about:blank",
        description="URI of the problem type",
        examples=["urn:knooppunt:probleem:verlopen"],
    )
    title: str = Field(description="Short, human-readable summary of the problem type")
    status: int = Field(description="The HTTP status code", examples=[410])
    detail: str = Field(description="What went wrong in this case and what to do about it")
    instance: str | None = Field(default=None, description="The request path")
    code: str = Field(description="Stable machine-readable code (DESIGN §4)", examples=["VERLOPEN"])
    invalid_params: list[OngeldigeParameter] | None = Field(
        default=None, alias="invalidParams", description="The fields or parameters at fault, if any"
    )


class VerzendingEnvelopCreate(EnvelopCreate):
    """An envelope in a verzending: the fields of `EnvelopCreate` and no others, so a misspelt
    ``crossReferentienummer`` among a thousand envelopes is a 400 naming it, not a message sent
    without it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class VerzendingenCreate(Schema):
    """Many envelopes at once (DESIGN §4), judged in index order as single submits would be. No
    other members: a misspelt ``allesOfNiets`` must not quietly become false."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    berichten: list[VerzendingEnvelopCreate] = Field(
        min_length=1,
        # Stated, not validated here: more than 1,000 is a 413 (TE_GROOT), not a 400.
        json_schema_extra={"maxItems": 1000},
        description="The envelopes, at most 1,000 (and at most the configured request size)",
    )
    alles_of_niets: Annotated[bool, Strict()] = Field(
        default=False,
        description="true: either every envelope is accepted, or nothing is stored and the answer is "
        "422 with the outcome per envelope",
    )


class VerzendingRead(Schema):
    """The outcome of one envelope of a verzending: what a single submit would have answered."""

    index: int = Field(description="Position of the envelope in the request, from 0")
    status: int = Field(
        description="201 accepted, 200 a retry (the original result), else the refusal's status; 424 "
        "(NIET_VERSTUURD) for an envelope in order that was not stored because allesOfNiets was refused",
        examples=[201],
    )
    bericht: BerichtRead | None = Field(
        default=None, description="With 200 and 201: the message's metadata (never inhoud)"
    )
    probleem: Problem | None = Field(default=None, description="With a refusal: why, as problem+json")


class VerzendingenRead(Schema):
    berichten: list[VerzendingRead] = Field(description="One outcome per envelope, in index order")


class VerzendingenProbleem(Problem):
    """An all-or-nothing verzending that was refused: nothing is stored; ``berichten`` holds the
    outcome of every envelope, each refusal with its own status and code."""

    berichten: list[VerzendingRead] = Field(description="One outcome per envelope, in index order")
