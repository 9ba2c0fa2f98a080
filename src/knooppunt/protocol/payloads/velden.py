# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Building blocks of the payloads: field types and the blocks every message shares.

Rules common to all payloads (DESIGN §3 "Payloads"):

- amounts are integers in euro cents and never negative (``Bedrag``);
- percentages are numbers from 0 to 100 with at most two decimals (``Percentage``);
- dates are ISO 8601 calendar dates, ``JJJJ-MM-DD`` (``Datum``);
- BSN (elfproef), IBAN (mod-97) and postcode (``1234 AB``) are checked with python-stdnum, and must
  be written in their canonical form so that every participant receives them the same way;
- unknown fields are refused (``extra="forbid"``), so a typo never passes silently;
- integers, booleans and numbers are strict: ``"100"`` is not an amount and ``1`` is not ``true``;
  a whole number written with a fraction (``100.0``) is an integer, as JSON Schema counts it
  (``GEHEEL``), and is kept as ``100``;
- a signed document (a beschikking, a toestemmingsverklaring) travels inside the payload as a PDF of
  at most 1 MiB in base64 (``PdfDocument``, DESIGN §3b).

Every error message is Dutch and names the field (see ``knooppunt.protocol.payloads.fouten``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import time as _time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumFout
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import postcode as stdnum_postcode

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VROEGSTE_GEBOORTEDATUM = date(1900, 1, 1)
FOUTTYPE = "knooppunt"
"""The pydantic error type of the cross-field rules; its message is already Dutch."""


_VANDAAG: tuple[float, date] = (0.0, date.min)
"""(until when, today): a payload has several dates to check against today, and asking the clock
with a time zone for each costs more than the rest of their checks."""


def vandaag() -> date:
    """Today's date in the Netherlands (payload dates are Dutch calendar dates)."""
    global _VANDAAG  # noqa: PLW0603 - a one-value cache of the calendar day
    tot, dag = _VANDAAG
    if _time.time() < tot:
        return dag
    dag = datetime.now(AMSTERDAM).date()
    middernacht = datetime.combine(dag + timedelta(days=1), datetime.min.time(), AMSTERDAM)
    _VANDAAG = (min(middernacht.timestamp(), _time.time() + 60.0), dag)
    return dag


# --- errors at a named field -------------------------------------------------------------------------


def veldfout(loc: tuple[str | int, ...], melding: str, invoer: Any) -> InitErrorDetails:
    """One error at ``loc`` (relative to the model being validated) with a Dutch ``melding``."""
    return InitErrorDetails(
        type=PydanticCustomError(FOUTTYPE, "{melding}", {"melding": melding}), loc=loc, input=invoer
    )


def meld(model: type[BaseModel] | BaseModel, fouten: list[InitErrorDetails]) -> None:
    """Raise the collected cross-field errors, if any, each at its own field.

    Raised inside a validator, pydantic prefixes the locations with the model's own location, so the
    caller sees e.g. ``vorderingen[2].actueelBedrag`` rather than just ``vorderingen[2]``.
    """
    if fouten:
        naam = model.__name__ if isinstance(model, type) else type(model).__name__
        raise ValidationError.from_exception_data(naam, fouten)


# --- scalar field types ------------------------------------------------------------------------------


def _iso_datum(waarde: Any) -> Any:
    if isinstance(waarde, datetime):
        raise ValueError("moet een datum zonder tijd zijn, in de vorm JJJJ-MM-DD (ISO 8601)")
    if isinstance(waarde, date):
        return waarde
    cijfers = waarde[:4] + waarde[5:7] + waarde[8:] if isinstance(waarde, str) else ""
    if (
        isinstance(waarde, str)
        and len(waarde) == 10
        and waarde[4] == waarde[7] == "-"
        and cijfers.isascii()
        and cijfers.isdigit()
    ):
        # Only the extended calendar form: fromisoformat would also take 2024-W10-1 (a week date).
        try:
            return date.fromisoformat(waarde)
        except ValueError:
            raise ValueError(f"{waarde!r} is geen bestaande datum in de vorm JJJJ-MM-DD (ISO 8601)") from None
    raise ValueError("moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601), bijvoorbeeld 2024-03-01")


Datum = Annotated[
    date,
    BeforeValidator(_iso_datum),
    WithJsonSchema({"type": "string", "format": "date"}),
]


def _geheel_getal(waarde: Any) -> Any:
    if type(waarde) is float and waarde.is_integer():
        return int(waarde)
    return waarde


GEHEEL = BeforeValidator(_geheel_getal)
"""The last annotation of every integer field, ``Annotated[int, Strict(), Field(<bounds>), GEHEEL]``:
an integer as JSON Schema counts one (draft 2020-12: "a number with a zero fractional part"), so
``1`` and ``1.0`` are both the integer 1, kept as ``1``; ``1.5``, ``"1"`` and ``true`` are no
integer. So a payload the published schema accepts is one the SDK accepts. It comes after the
bounds: bounds added to an annotated type that already has it would reach the JSON Schema as
pydantic's names (``ge``), not as ``minimum``."""

Bedrag = Annotated[int, Strict(), Field(ge=0), GEHEEL]
"""An amount in euro cents: an integer, never negative."""

Aantal = Annotated[int, Strict(), Field(ge=0), GEHEEL]


def _twee_decimalen(waarde: float) -> float:
    exponent = Decimal(str(waarde)).as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"percentage {waarde} mag hoogstens twee decimalen hebben")
    return waarde


Percentage = Annotated[
    float,
    Strict(),
    Field(ge=0, le=100),
    AfterValidator(_twee_decimalen),
]


def _code(waarde: str) -> str:
    if waarde != waarde.strip() or not waarde.isprintable():
        raise ValueError(
            f"{waarde!r} mag geen spaties aan begin of eind en geen tabs of regeleinden bevatten"
        )
    return waarde


def _codeveld(max_lengte: int) -> Any:
    return Field(min_length=1, max_length=max_lengte, json_schema_extra={"pattern": r"^\S(.*\S)?(?![\s\S])"})


# Identifiers such as a klantnummer: printable characters, no spaces at the ends.
Code35 = Annotated[str, Strict(), _codeveld(35), AfterValidator(_code)]
Code40 = Annotated[str, Strict(), _codeveld(40), AfterValidator(_code)]
Code50 = Annotated[str, Strict(), _codeveld(50), AfterValidator(_code)]
Klantnummer = Code50
Factuurnummer = Code50


def _tekst(waarde: str) -> str:
    if not waarde.strip():
        raise ValueError("mag niet alleen uit spaties bestaan")
    return waarde


def _tekstveld(max_lengte: int) -> Any:
    return Field(min_length=1, max_length=max_lengte, json_schema_extra={"pattern": r"\S"})


# Free text (may hold line breaks): at least one character that is not whitespace.
Tekst20 = Annotated[str, Strict(), _tekstveld(20), AfterValidator(_tekst)]
Tekst70 = Annotated[str, Strict(), _tekstveld(70), AfterValidator(_tekst)]
Tekst80 = Annotated[str, Strict(), _tekstveld(80), AfterValidator(_tekst)]
Tekst200 = Annotated[str, Strict(), _tekstveld(200), AfterValidator(_tekst)]
Tekst2000 = Annotated[str, Strict(), _tekstveld(2000), AfterValidator(_tekst)]
Tekst10000 = Annotated[str, Strict(), _tekstveld(10000), AfterValidator(_tekst)]


def _bsn(waarde: str) -> str:
    if len(waarde) != 9 or not waarde.isascii() or not waarde.isdigit():
        raise ValueError(f"BSN {waarde!r} moet uit precies 9 cijfers bestaan, zonder punten of spaties")
    try:
        stdnum_bsn.validate(waarde)
    except StdnumFout:
        raise ValueError(f"BSN {waarde!r} is ongeldig: het voldoet niet aan de elfproef") from None
    return waarde


Bsn = Annotated[
    str,
    Strict(),
    AfterValidator(_bsn),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{9}(?![\\s\\S])",
            "description": "Burgerservicenummer: 9 cijfers die aan de elfproef voldoen",
        }
    ),
]


_NATIONALE_CONTROLE = {
    "ES": "het nationale controlegetal van het rekeningnummer",
    "NO": "het nationale controlegetal van het rekeningnummer",
}
"""The national check digits that are not a mod 97 (Spain's CCC: a weighted mod 11; Norway's account
number: mod 11, or Luhn after 0000): a user must not read that the IBAN's mod-97 failed. Belgium's
and Montenegro's national check digits are a mod 97 of the account number."""


_IBAN_VORM = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
"""The shape of an IBAN (ISO 13616), as the JSON Schema's pattern below says it."""


@functools.lru_cache(maxsize=4096)
def _iban_controle(waarde: str) -> tuple[str | None, str | None]:
    """(canonical form, None) or (None, reason). python-stdnum's check costs ~25 µs (it consults
    its country registry), a good share of opening a message; a creditor's own few IBANs recur in
    every answer, so the pure result is cached."""
    try:
        stdnum_iban.validate(waarde, check_country=False)
    except StdnumFout as fout:
        return None, _stdnum_reden(fout, "de controle (mod-97)")
    try:  # then the country's own check (stdnum.<land>.iban), if python-stdnum has one
        return stdnum_iban.validate(waarde), None
    except StdnumFout as fout:
        return None, _stdnum_reden(
            fout, _NATIONALE_CONTROLE.get(stdnum_iban.compact(waarde)[:2], "de controle (mod-97)")
        )


def _iban(waarde: str) -> str:
    # A value not shaped like an IBAN at all is told so, not that its check digits fail.
    if not _IBAN_VORM.fullmatch(stdnum_iban.compact(waarde)):
        raise ValueError(
            f"{waarde!r} is geen IBAN: een IBAN bestaat uit een landcode van 2 letters, 2 controlecijfers "
            "en het rekeningnummer van 11 tot 30 letters en cijfers, zonder spaties (bijv. "
            "NL91ABNA0417164300)"
        )
    canoniek, reden = _iban_controle(waarde)
    if canoniek is None:
        raise ValueError(f"IBAN {waarde!r} is ongeldig ({reden})")
    if canoniek != waarde:
        raise ValueError(f"IBAN {waarde!r} moet zonder spaties en in hoofdletters: {canoniek!r}")
    return waarde


Iban = Annotated[
    str,
    Strict(),
    AfterValidator(_iban),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}(?![\\s\\S])",
            "description": "IBAN (mod-97), zonder spaties, in hoofdletters",
        }
    ),
]


def _postcode(waarde: str) -> str:
    try:
        canoniek: str = stdnum_postcode.validate(waarde)
    except StdnumFout:
        raise ValueError(
            f"postcode {waarde!r} is geen geldige Nederlandse postcode (vorm '1234 AB')"
        ) from None
    if canoniek != waarde:
        raise ValueError(f"postcode {waarde!r} moet geschreven worden als {canoniek!r} (vorm '1234 AB')")
    return waarde


Postcode = Annotated[
    str,
    Strict(),
    AfterValidator(_postcode),
    WithJsonSchema(
        {
            "type": "string",
            # SA, SD and SS are never issued (python-stdnum refuses them too).
            "pattern": "^[1-9][0-9]{3} (?!S[ADS])[A-Z]{2}(?![\\s\\S])",
            "description": "Nederlandse postcode, vorm '1234 AB' (niet SA, SD of SS)",
        }
    ),
]


def _stdnum_reden(fout: StdnumFout, controle: str) -> str:
    naam = type(fout).__name__
    if naam == "InvalidChecksum":
        return f"{controle} klopt niet"
    if naam == "InvalidLength":
        return "de lengte klopt niet"
    if naam == "InvalidComponent":
        return "de landcode of het rekeningnummer klopt niet"
    return "de vorm klopt niet"


def _telefoon(waarde: str) -> str:
    cijfers = [c for c in waarde if c.isdigit()]
    toegestaan = set("0123456789 -()")
    kern = waarde[1:] if waarde.startswith("+") else waarde
    if not set(kern) <= toegestaan or not 10 <= len(cijfers) <= 15:
        raise ValueError(
            f"telefoonnummer {waarde!r} moet 10 tot 15 cijfers hebben, eventueel met een + vooraan "
            "en spaties, streepjes of haakjes (bijv. 030 123 4567 of +31 30 123 4567)"
        )
    return waarde


TELEFOON_PATROON = r"^\+?[ ()-]*(?:[0-9][ ()-]*){10,15}(?![\s\S])"
"""``_telefoon`` as a JSON Schema pattern: an optional ``+`` at the front, then 10 to 15 digits with
spaces, dashes and parentheses anywhere among them."""

Telefoon = Annotated[
    str,
    Strict(),
    Field(min_length=10, max_length=25, json_schema_extra={"pattern": TELEFOON_PATROON}),
    AfterValidator(_telefoon),
]


def _email(waarde: str) -> str:
    lokaal, apenstaart, domein = waarde.rpartition("@")
    if (
        not apenstaart
        or not lokaal
        or "@" in lokaal
        or len(lokaal) > 64
        or "." not in domein.strip(".")
        or any(c.isspace() for c in waarde)
    ):
        raise ValueError(f"e-mailadres {waarde!r} heeft niet de vorm naam@domein.nl")
    return waarde


Email = Annotated[
    str,
    Strict(),
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]

TypeSchuldregeling = Literal["SB", "SK", "SA", "BR", "HF"]
"""Every value of the standard: SB schuldbemiddeling, SK saneringskrediet, SA schuldregeling zonder
afloscapaciteit (afsprakenstelsel 2.0), BR betalingsregeling, HF herfinanciering. A payload model
narrows it to the values of its module and version."""

TypeSchuldregeling10 = Literal["SB", "SK"]
"""The types of module schuldregeling in version 1.0 (DESIGN §3): SB schuldbemiddeling, SK
saneringskrediet. SA arrives with version 2.0; BR and HF belong to module betalingsregeling."""

TypeMinnelijkeRegeling = Literal["SB", "SK", "SA"]
"""The types of module schuldregeling in version 2.0 (DESIGN §3a): SB, SK and SA (zonder
afloscapaciteit). BR and HF belong to the module betalingsregeling (DESIGN §3b), so a message in
this module refuses them (our design choice)."""

TypeBetalingsregeling = Literal["BR", "HF"]
"""The types of module betalingsregeling (DESIGN §3b): BR betalingsregeling (100 % in termijnen),
HF herfinanciering (100 % ineens, via a loan of a kredietbank)."""


def niet_leeg(veld: str, soort: str) -> dict[str, Any]:
    """JSON Schema: ``veld`` is present and not null (for "one of these is required" rules)."""
    return {"required": [veld], "properties": {veld: {"type": soort}}}


def afwezig(*velden: str) -> dict[str, Any]:
    """JSON Schema: each of ``velden`` is absent or null (for "only with ..." rules)."""
    return {"properties": {veld: {"type": "null"} for veld in velden}}


def als(
    veld: str,
    waarde: str | Iterable[str],
    dan: dict[str, Any] | None,
    anders: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """JSON Schema: when ``veld`` is ``waarde`` (or one of the values ``waarde``), ``dan`` applies
    (and otherwise ``anders``)."""
    is_ = {"const": waarde} if isinstance(waarde, str) else {"enum": list(waarde)}
    regel: dict[str, Any] = {"if": {"required": [veld], "properties": {veld: is_}}}
    if dan is not None:
        regel["then"] = dan
    if anders is not None:
        regel["else"] = anders
    return regel


# --- base model and shared blocks ---------------------------------------------------------------------


class Payload(BaseModel):
    """Base of every payload and block: unknown fields are refused, docstrings become descriptions."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Reden(Payload):
    """A reason (10.2, 12.2; optional on klant_onbekend). The code list is not in the public
    handbook; codes are free (e.g. ``GEEN_MEDEWERKING``, ``ONVOLDOENDE_AFLOSCAPACITEIT``), the text
    explains."""

    code: Code40
    """Machine-readable reason code."""
    tekst: Tekst2000
    """The reason, explained for a person."""


def _geboortedatum(waarde: date) -> date:
    if waarde > vandaag():
        raise ValueError(f"geboortedatum {waarde.isoformat()} ligt in de toekomst")
    if waarde < VROEGSTE_GEBOORTEDATUM:
        raise ValueError(f"geboortedatum {waarde.isoformat()} ligt voor 1900-01-01")
    return waarde


class _PersoonBasis(Payload):
    geslacht: Literal["M", "V", "O"] | None = None
    """M (man), V (vrouw) or O (onbekend), as in the BRP."""
    voorletters: Tekst20
    voornamen: Tekst200 | None = None
    voorvoegsel: Tekst20 | None = None
    """Voorvoegsel of the achternaam, e.g. "van der"."""
    achternaam: Tekst200
    geboortedatum: Annotated[Datum, AfterValidator(_geboortedatum)]


class Persoon(_PersoonBasis):
    """The client (``klant``) or their ``partner``, without BSN: the BSN may only be sent in
    ``kennisgeving_bsn`` and ``saldoverzoek_publiek`` (art. 3.1–3.2, 5.4)."""

    bsn: SkipJsonSchema[Any] = Field(default=None, exclude=True, repr=False)

    @field_validator("bsn")
    @classmethod
    def _geen_bsn(cls, waarde: Any) -> Any:
        raise ValueError(
            "bsn mag niet in dit bericht: een BSN wordt alleen meegestuurd in kennisgeving_bsn en "
            "saldoverzoek_publiek (art. 3.2, 5.4), naar schuldeisers die op BSN identificeren"
        )


class PersoonMetBsn(_PersoonBasis):
    """The client with BSN (``kennisgeving_bsn``, ``saldoverzoek_publiek``)."""

    bsn: Bsn


class PartnerMetBsn(_PersoonBasis):
    """The partner in a BSN message. Our design choice: the partner's BSN is optional, because a
    partner may have none or the SHV may not know it."""

    bsn: Bsn | None = None


class Adres(Payload):
    """A Dutch address (BAG fields). Our design choice: version 1.0 has no foreign addresses."""

    straatnaam: Tekst80
    huisnummer: Annotated[int, Strict(), Field(ge=1, le=99999), GEHEEL]
    huisletter: Annotated[str, Strict(), Field(min_length=1, max_length=1)] | None = None
    """One letter, as in the BAG."""
    huisnummertoevoeging: Annotated[str, Strict(), Field(min_length=1, max_length=4)] | None = None
    """At most 4 letters or digits, as in the BAG."""
    postcode: Postcode
    woonplaats: Tekst80

    @field_validator("huisletter")
    @classmethod
    def _huisletter(cls, waarde: str | None) -> str | None:
        if waarde is not None and not (waarde.isascii() and waarde.isalpha()):
            raise ValueError(f"huisletter {waarde!r} moet één letter zijn (A-Z)")
        return waarde

    @field_validator("huisnummertoevoeging")
    @classmethod
    def _toevoeging(cls, waarde: str | None) -> str | None:
        if waarde is not None and not (waarde.isascii() and waarde.isalnum()):
            raise ValueError(f"huisnummertoevoeging {waarde!r} mag alleen letters en cijfers bevatten")
        return waarde


class Contactpersoon(Payload):
    """``contactpersoonSHV`` or ``contactpersoonSE``. Our design choice: at least one of
    ``telefoon`` and ``email`` is required, so the person can be reached."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [niet_leeg("telefoon", "string"), niet_leeg("email", "string")]}
    )

    naam: Tekst200
    telefoon: Telefoon | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _bereikbaar(self) -> Self:
        if self.telefoon is None and self.email is None:
            meld(
                self,
                [
                    veldfout(
                        ("telefoon",),
                        "telefoonnummer of e-mailadres is verplicht bij een contactpersoon",
                        None,
                    )
                ],
            )
        return self


class Betaalgegevens(Payload):
    """Where the creditor wants to be paid."""

    iban: Iban
    tenNaamVan: Tekst70 | None = None
    """Account holder (our addition, for the payee check banks do since 2025)."""
    betalingskenmerk: Code35 | None = None
    """The reference the creditor wants on payments."""


# --- a signed document inside the payload (DESIGN §3b) ---------------------------------------------------

PDF_MAX_BYTES = 1024 * 1024
"""A document inside a payload is at most 1 MiB (DESIGN §3b); the hub's ``inhoud`` limit (4 MiB by
default, DESIGN §4) leaves room for it after base64 and encryption."""
PDF_MAX_BASE64 = 4 * ((PDF_MAX_BYTES + 2) // 3)
"""The length of 1 MiB in base64 with padding."""
PDF_KOP = b"%PDF-"


def _pdf_inhoud(waarde: str) -> str:
    # The length first: a huge string is refused before anything is decoded.
    if len(waarde) > PDF_MAX_BASE64:
        raise ValueError(
            f"het document is te groot: hoogstens 1 MiB ({PDF_MAX_BYTES} bytes, in base64 "
            f"{PDF_MAX_BASE64} tekens); verklein de PDF of stuur hem via een ander kanaal"
        )
    try:
        pdf = base64.b64decode(waarde, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "inhoud is geen geldige base64 (RFC 4648: A-Z, a-z, 0-9, + en /, met = als opvulling, "
            "zonder spaties of regeleinden)"
        ) from None
    if len(pdf) > PDF_MAX_BYTES:
        raise ValueError(
            f"het document is te groot: {len(pdf)} bytes, hoogstens 1 MiB ({PDF_MAX_BYTES} bytes)"
        )
    if not pdf.startswith(PDF_KOP):
        raise ValueError("inhoud is geen PDF: een PDF-bestand begint met %PDF-")
    return waarde


PdfInhoud = Annotated[
    str,
    Strict(),
    AfterValidator(_pdf_inhoud),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 8,
            "maxLength": PDF_MAX_BASE64,
            "pattern": "^[A-Za-z0-9+/]*={0,2}(?![\\s\\S])",
            "contentEncoding": "base64",
            "contentMediaType": "application/pdf",
            # At the longest length only "==" padding keeps the decoded file within 1 MiB.
            "if": {"minLength": PDF_MAX_BASE64},
            "then": {"pattern": "==(?![\\s\\S])"},
            "description": "Het PDF-bestand in base64 (RFC 4648, zonder regeleinden), hoogstens 1 MiB; "
            "het begint met %PDF-",
        }
    ),
]


class PdfDocument(Payload):
    """A signed document as a PDF inside the payload (DESIGN §3b: "optional PDF of at most 1 MiB").
    Our design choice for the block: file name, media type and the file in base64; the SDK and the
    recipient check that it decodes, starts with ``%PDF-`` and is at most 1 MiB."""

    bestandsnaam: Annotated[str, Strict(), _codeveld(200), AfterValidator(_code)]
    """The file name as the sender had it, e.g. ``beschikking.pdf`` (without a folder)."""
    mediatype: Literal["application/pdf"]
    """Always ``application/pdf``."""
    inhoud: PdfInhoud

    @field_validator("bestandsnaam")
    @classmethod
    def _zonder_map(cls, waarde: str) -> str:
        if "/" in waarde or "\\" in waarde:
            raise ValueError(f"bestandsnaam {waarde!r} mag geen map bevatten (geen / of \\)")
        return waarde


def pdf_document(bestandsnaam: str, pdf: bytes) -> dict[str, Any]:
    """The wire form of a ``PdfDocument`` for a PDF file's bytes (for the SDK, the portal, examples)."""
    return {
        "bestandsnaam": bestandsnaam,
        "mediatype": "application/pdf",
        "inhoud": base64.b64encode(pdf).decode("ascii"),
    }


def voorbeeld_pdf(tekst: str) -> bytes:
    """A small, well-formed one-page PDF showing ``tekst`` (ASCII): for examples and tests."""
    stroom = f"BT /F1 12 Tf 72 770 Td ({tekst}) Tj ET".encode("ascii")
    objecten = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(stroom), stroom),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    posities: list[int] = []
    for nummer, obj in enumerate(objecten, start=1):
        posities.append(len(pdf))
        pdf += b"%d 0 obj\n%b\nendobj\n" % (nummer, obj)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objecten) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % positie for positie in posities)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objecten) + 1, xref)
    return bytes(pdf)


# --- geen medewerking (afsprakenstelsel 2.0) ----------------------------------------------------------

RedenGeenMedewerkingCode = Literal[
    "klant_onbekend",
    "recente_finale_kwijting",
    "recente_poging_tot_stabilisatie",
    "geen_samenwerking_met_shv",
]


class RedenGeenMedewerking(Payload):
    """Why the creditor does not cooperate (``geen_medewerking``, afsprakenstelsel 2.0, which
    replaces 1.0's klant_onbekend, 8.1): one of the live standard's four codes, explained."""

    code: RedenGeenMedewerkingCode
    """klant_onbekend: the client is not known from the data given; recente_finale_kwijting: the
    client recently had a final discharge; recente_poging_tot_stabilisatie: a recent attempt at
    stabilisation; geen_samenwerking_met_shv: the creditor does not work with this sender."""
    tekst: Tekst2000
    """The reason, explained for a person."""


def dubbele(waarden: list[str], veld: str) -> list[InitErrorDetails]:
    """An error at every value of the list ``veld`` that occurred earlier in it."""
    gezien: set[str] = set()
    fouten: list[InitErrorDetails] = []
    for i, waarde in enumerate(waarden):
        if waarde in gezien:
            fouten.append(veldfout((veld, i), f"{waarde!r} staat meer dan eens in {veld}", waarde))
        gezien.add(waarde)
    return fouten


def controleer_opbouw(actueel: int, onderdelen: dict[str, int | None]) -> list[InitErrorDetails]:
    """``actueelBedrag`` = hoofdsom + rente + kosten + incassokosten when all four are given; when
    only some are given, their sum may not exceed ``actueelBedrag`` (our design choice)."""
    gegeven = {naam: bedrag for naam, bedrag in onderdelen.items() if bedrag is not None}
    som = sum(gegeven.values())
    if len(gegeven) == len(onderdelen) and som != actueel:
        return [
            veldfout(
                ("actueelBedrag",),
                f"actueelBedrag ({actueel}) moet gelijk zijn aan hoofdsom + rente + kosten + "
                f"incassokosten ({som}); bedragen in eurocenten",
                actueel,
            )
        ]
    if gegeven and som > actueel:
        return [
            veldfout(
                ("actueelBedrag",),
                f"actueelBedrag ({actueel}) is kleiner dan de som van {' + '.join(gegeven)} ({som}); "
                "bedragen in eurocenten",
                actueel,
            )
        ]
    return []


def niet_hoger_dan(model: BaseModel, veld: str, grens: str) -> None:
    """Refuse a model whose amount ``veld`` exceeds its amount ``grens`` (an offer above the debt),
    naming both in the error at ``veld``."""
    waarde, maximum = getattr(model, veld), getattr(model, grens)
    if waarde > maximum:
        meld(model, [veldfout((veld,), f"{veld} ({waarde}) is hoger dan {grens} ({maximum})", waarde)])


def bsn_paden(payload: Any, pad: str = "") -> list[str]:
    """The paths of every non-empty ``bsn`` in a payload (``klant.bsn``, ``partner.bsn``, …): DESIGN §3
    "BSN only to creditors with gebruiktBsn", which the SDK (client.hub) and the werkplek
    (portaal/js/src/controles.js bsnPaden) enforce."""
    if isinstance(payload, dict):
        gevonden = []
        for sleutel, waarde in payload.items():
            hier = f"{pad}.{sleutel}" if pad else str(sleutel)
            if sleutel == "bsn" and waarde not in (None, ""):
                gevonden.append(hier)
            else:
                gevonden += bsn_paden(waarde, hier)
        return gevonden
    if isinstance(payload, list):
        return [p for i, w in enumerate(payload) for p in bsn_paden(w, f"{pad}[{i}]")]
    return []
