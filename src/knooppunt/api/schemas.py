"""Wire schemas of API v1 (DESIGN §4): lowerCamelCase, lists wrapped under the resource name."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
OIN_PATTERN = r"^[0-9]{20}$"


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _uuid(waarde: str, naam: str) -> str:
    if not UUID_RE.match(waarde):
        raise ValueError(f"{naam} moet een UUID zijn (bijv. 7d9f0e3a-1c2b-4d5e-8f90-a1b2c3d4e5f6)")
    return waarde.lower()


class EnvelopCreate(Schema):
    """An envelope as a sender submits it. ``afzender`` is never taken from the body."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    referentienummer: str = Field(
        description="UUID of this message, chosen by the sender; the idempotency key"
    )
    conversatie_referentienummer: str = Field(description="UUIDv4 of the client's traject at one SHV")
    cross_referentienummer: str | None = Field(
        default=None, description="The message this one answers (or, for a reminder, refers to)"
    )
    berichttype: str = Field(min_length=1, max_length=64, examples=["saldoverzoek"])
    module: str = Field(min_length=1, max_length=32, examples=["schuldregeling"])
    versie: str = Field(min_length=1, max_length=16, examples=["1.0"])
    ontvanger: str = Field(
        pattern=OIN_PATTERN, description="OIN of the recipient", examples=["00000003123456780000"]
    )
    inhoud: str = Field(
        min_length=1, description="JWE compact serialization for the recipient's versleuteling key"
    )

    @field_validator("referentienummer")
    @classmethod
    def _ref(cls, waarde: str) -> str:
        return _uuid(waarde, "referentienummer")

    @field_validator("conversatie_referentienummer")
    @classmethod
    def _conv(cls, waarde: str) -> str:
        return _uuid(waarde, "conversatieReferentienummer")

    @field_validator("cross_referentienummer")
    @classmethod
    def _cross(cls, waarde: str | None) -> str | None:
        return None if waarde is None else _uuid(waarde, "crossReferentienummer")


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
        "about it (art. 15); absent elsewhere",
    )
    inhoud: str | None = None
    melding: dict[str, Any] | None = None


class BerichtenRead(Schema):
    berichten: list[BerichtRead]
    volgende: str | None = Field(
        default=None, description="Opaque cursor; pass as `volgende` for the next page"
    )


class BevestigingenCreate(Schema):
    referentienummers: list[str] = Field(min_length=1, max_length=1000)

    @field_validator("referentienummers")
    @classmethod
    def _refs(cls, waarden: list[str]) -> list[str]:
        return [_uuid(w, "referentienummers") for w in waarden]


class BevestigingRead(Schema):
    referentienummer: str
    status: Status | Literal["onbekend"]
    code: str | None = Field(default=None, description="Error code when this one was not confirmed")


class BevestigingenRead(Schema):
    bevestigingen: list[BevestigingRead]


class WeigeringCreate(Schema):
    reden: str = Field(
        description=(
            "ONTSLEUTELING_MISLUKT, HANDTEKENING_ONGELDIG, METADATA_ONJUIST, INHOUD_ONGELDIG or AL_VERWERKT"
        )
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


class DeelnemerRead(Schema):
    oin: str
    kvk_nummer: str
    vestigingsnummer: str | None
    naam: str
    rol: str
    modules: list[str]
    gebruikt_bsn: bool
    standaard_akkoord: bool
    schuldensoorten: list[str]
    certificaten: list[CertificaatRead]


class DeelnemersRead(Schema):
    deelnemers: list[DeelnemerRead]
    volgende: str | None = None


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
    versies: list[str]
    omschrijving: str
    door_knooppunt: bool
    schemas: dict[str, dict[str, Any]] = Field(
        description=(
            "JSON Schema (draft 2020-12) of the encrypted payload, per versie. Empty for the "
            "hub-authored types, which carry a plain melding instead of an encrypted payload."
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
