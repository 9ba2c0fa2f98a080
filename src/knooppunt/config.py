"""Settings: one pydantic-settings object, read from ``KNOOPPUNT_*`` environment variables.

Every variable is documented in ``docs/configuration.md``. Settings are read when the
application or a command starts, never at import time.
"""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

import annotated_types
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".knooppunt")


class Omgeving(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and what to do."""


_UITGESTELD: ContextVar[list[str] | None] = ContextVar("knooppunt_productiefouten", default=None)


@contextmanager
def productiefouten_uitstellen() -> Iterator[list[str]]:
    """Within it, what the settings themselves miss for production (`Settings._production_is_explicit`)
    goes into the list it yields instead of being refused: for `knooppunt serve`, which adds what
    it needs itself and refuses once with all of it, one line per variable. Whoever uses it must
    refuse while the list is not empty."""
    lijst: list[str] = []
    token = _UITGESTELD.set(lijst)
    try:
        yield lijst
    finally:
        _UITGESTELD.reset(token)


BEWAARTERMIJN_MINIMUM_DAGEN = 90
"""The least KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN may be: a confirmed question's metadata must
outlast its answer term, or the purge takes it before the answer comes (which is then refused
ONGELDIG_ANTWOORD). Longer terms than the defaults raise it (`minimale_bewaartermijn`)."""
LANGSTE_MODULETERMIJN_WERKDAGEN = 10

MAX_REQUEST_BYTES_GRENS = 64 * 1024 * 1024
"""The most KNOOPPUNT_MAX_REQUEST_BYTES may be: what one request may reserve of a process's budget
for bodies (api.tls); a larger announced body is refused 413 on its Content-Length."""
"""The longest answer term a module sets itself (pauzeknop, waarborgfonds, verzoek_kredietinformatie:
protocol/modules)."""


def minimale_bewaartermijn(bevestigingstermijn: int, antwoordtermijn: int, extra_sluitingsdagen: int) -> int:
    """Calendar days that surely cover the bevestigingstermijn plus the antwoordtermijn (working
    days: 7/5 of them, plus two weeks for the Algemene termijnenwet holidays and the extra closing
    days) with a month's margin; never less than `BEWAARTERMIJN_MINIMUM_DAGEN`."""
    kalenderdagen = -(-(bevestigingstermijn + antwoordtermijn) * 7 // 5) + 14 + extra_sluitingsdagen
    return max(BEWAARTERMIJN_MINIMUM_DAGEN, kalenderdagen + 30)


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KNOOPPUNT_", extra="ignore")

    env: Omgeving = Omgeving.DEVELOPMENT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""

    # PEM files with the CAs that may issue participant certificates (PKIoverheid Private
    # Services in production). Empty in development: the development CA of data_dir is used.
    trust_anchors: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Addresses of TLS-terminating proxies whose forwarded client certificate header is trusted.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    client_cert_header: str = "x-ssl-client-cert"
    # Revocation (DESIGN §5): CRLs of the trust anchors, as file paths or http(s) URLs (PEM or
    # DER), refreshed every crl_refresh_seconds. A certificate whose issuer's CRL is past
    # nextUpdate + crl_grace_seconds is refused (fail closed).
    crls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    crl_refresh_seconds: int = Field(default=3600, ge=1)
    crl_grace_seconds: int = Field(default=0, ge=0)

    # Terms in working days (DESIGN §6).
    bevestigingstermijn_werkdagen: int = Field(default=5, ge=1, le=60)
    antwoordtermijn_werkdagen: int = Field(default=5, ge=1, le=60)
    # DESIGN §3a: the answer term of questions sent in protocol 2.0 (afsprakenstelsel 2.0).
    antwoordtermijn_2_werkdagen: int = Field(default=10, ge=1, le=60)
    # Extra closing days (ISO dates) on top of the Algemene termijnenwet holidays.
    extra_sluitingsdagen: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Retention of the audit log: 2557 days = 7 years (incl. two leap days), the Dutch fiscal and
    # archival term for records of this kind; entries older than this are purged by the jobs.
    audit_bewaartermijn_dagen: int = Field(default=2557, ge=1)
    # Retention of message metadata (DESIGN §2 "Retention"): the envelope without inhoud, statuses
    # and times, kept for the rules that look back, /verzonden and /logboek; 7 years by default.
    # Messages still open are never purged.
    # At least `minimale_bewaartermijn` (90 days with the default terms): a confirmed question must
    # still be there when its answer comes.
    bericht_bewaartermijn_dagen: int = 2557
    # The Ed25519 key that signs the audit log's checkpoints (DESIGN §5), in a file outside the
    # database and its backups (`knooppunt audit sleutel --nieuw FILE --naam NAAM` makes one).
    # Development generates one in data_dir/audit-sleutel; production refuses to run serve or
    # worker without it.
    audit_sleutel_file: Path | None = None
    # Entries still without volgnummer after this many seconds are an alert (log line, metric) and
    # a fault for `knooppunt audit verify`.
    audit_max_ongesequenceerd_seconden: int = Field(default=300, ge=1)

    max_open_per_relatie: int = Field(default=10_000, ge=1)
    # Bounded memory, whatever a participant sends (DESIGN §4). inhoud: a payload may carry a
    # 1 MiB PDF; a request: one envelope of the largest inhoud plus its metadata.
    max_inhoud_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    max_request_bytes: int = Field(default=5 * 1024 * 1024, ge=4096, le=MAX_REQUEST_BYTES_GRENS)
    # A fetch page holds at most this much inhoud (but always one message), streamed.
    max_pagina_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Unconfirmed ciphertext per recipient (`knooppunt deelnemer wijzig --inbox-quotum` sets one
    # participant's own); once full, a sender holding more than inbox_aandeel of it gets INBOX_VOL.
    inbox_quotum_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    inbox_aandeel: float = Field(default=1 / 8, gt=0, le=1)
    # Worker threads per process for request handling (and database connections per process).
    api_threads: int = Field(default=8, ge=1, le=200)
    api_lus: bool = True
    """PostgreSQL: the common submit served on the event loop, no thread (api/lus.py); off, every
    submit goes through the handler threads as before."""

    # Notifications (DESIGN §6): e-mail over SMTP and signed webhooks, never message content.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_afzender: str = ""
    smtp_starttls: bool = True
    smtp_gebruiker: str = ""
    smtp_wachtwoord: SecretStr = SecretStr("")
    # Link to the web portal in notifications (e-mail and webhook); empty: no link.
    portaal_url: str = ""
    notificatie_timeout_seconden: float = Field(default=10.0, gt=0, le=120)
    notificatie_max_pogingen: int = Field(default=7, ge=1, le=20)
    # Development only: webhooks over plain http and to loopback addresses (a receiver on this
    # machine). Production refuses it: webhooks go to https on public addresses (DESIGN §5).
    webhook_lokaal_toegestaan: bool = False

    # Web portal (DESIGN §7): served by `knooppunt serve` under /portaal.
    portaal_actief: bool = True
    portaal_organisatie: str = "Beheerder van het Schuldenknooppunt"  # named in the header and footer
    # How people reach that organisation, on the contact page (empty: the page says to use what the
    # organisation got at its aanmelding).
    portaal_contact_email: str = ""
    portaal_contact_telefoon: str = Field(default="", max_length=40)
    # Master keys that encrypt hosted participants' private keys (AES-256-GCM), kept outside the
    # database and its backups: "id:base64(32 bytes)" entries, comma-separated; the first encrypts,
    # all decrypt (rotation). Development generates one in data_dir/portaal-hoofdsleutel.
    portaal_hoofdsleutels: SecretStr = SecretStr("")
    # The portal CA (DESIGN §5 "Portal"): issues the certificates of key pairs made in portal users'
    # browsers, from their CSRs. A CA certificate and its key (PEM files); the certificate must be
    # one of the trust anchors. Development uses the development CA of data_dir; production without
    # it lets portal participants only import their own PKIoverheid certificates.
    portaal_ca_certificaat: Path | None = None
    portaal_ca_sleutel: Path | None = None
    portaal_inactief_minuten: int = Field(default=15, ge=1, le=240)
    portaal_sessie_max_uren: int = Field(default=10, ge=1, le=24)
    # The werkplek warns before sealing for a recipient encryption certificate younger than this many
    # days (DESIGN §5 key transparency: a new key may not be the recipient's own).
    portaal_jong_certificaat_dagen: int = Field(default=7, ge=0, le=365)
    # OIDC subjects (`sub`) of beheerders of the hub; they log in through the same broker.
    portaal_beheerders: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # eHerkenning through an OpenID Connect broker (DESIGN §5).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_scopes: str = "openid"
    oidc_redirect_url: str = ""
    oidc_claim_kvk: str = "urn:etoegang:1.9:EntityConcernedID:KvKnr"
    oidc_claim_vestiging: str = "urn:etoegang:1.9:ServiceRestriction:Vestigingsnr"
    oidc_claim_niveau: str = "urn:etoegang:core:LevelOfAssurance"
    oidc_claim_dienst: str = "urn:etoegang:core:ServiceUUID"
    oidc_claim_naam: str = "name"
    # The eHerkenning service the login must authorise (value of oidc_claim_dienst); empty: not checked.
    oidc_dienst: str = ""
    oidc_min_niveau: int = Field(default=3, ge=1, le=4)
    # Signs the short-lived cookie that carries state, nonce and PKCE verifier from the start of an
    # OIDC login to its callback (at least 32 characters; one value for every worker). Production
    # requires it when the portal is on; development generates one per process.
    oidc_cookie_sleutel: SecretStr = SecretStr("")

    # Day keys (DESIGN §5 "Deletion means gone, even from backups"; docs/operations.md
    # "Dagsleutels"): stored inhoud is sealed under a key per day, wrapped under these master keys
    # ("id:base64(32 bytes)", comma-separated; the first wraps, all unwrap), kept outside every
    # database and its backups. Or a file holding the same text. Development generates one in
    # data_dir/dagsleutel-hoofdsleutel; production refuses to start without one.
    dagsleutel_hoofdsleutels: SecretStr = SecretStr("")
    dagsleutel_hoofdsleutels_bestand: Path | None = None
    # The key store: a database of its own, never the message database (default: a SQLite file
    # data_dir/dagsleutels.sqlite3; required in production, postgresql://… for several nodes).
    sleutelopslag_url: str = ""

    @field_validator(
        "trust_anchors", "trusted_proxies", "extra_sluitingsdagen", "portaal_beheerders", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator(
        "audit_sleutel_file",
        "portaal_ca_certificaat",
        "portaal_ca_sleutel",
        "dagsleutel_hoofdsleutels_bestand",
        mode="before",
    )
    @classmethod
    def _leeg_is_niet_gezet(cls, value: object) -> object:
        """An empty file setting (``KNOOPPUNT_AUDIT_SLEUTEL_FILE=``) is not set, as an empty text or
        list is; not the current folder, which is what an empty path would be."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _lege_datamap_is_de_standaard(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return DEFAULT_DATA_DIR
        return value

    @field_validator("extra_sluitingsdagen")
    @classmethod
    def _iso_datums(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                date.fromisoformat(item)
            except ValueError:
                raise ValueError(
                    f"KNOOPPUNT_EXTRA_SLUITINGSDAGEN: {item!r} is geen datum als JJJJ-MM-DD (bijv. "
                    "2026-12-24); noem de extra sluitingsdagen zo, gescheiden door komma's"
                ) from None
        return value

    @field_validator("bericht_bewaartermijn_dagen")
    @classmethod
    def _bewaartermijn_overleeft_de_termijnen(cls, value: int, info: ValidationInfo) -> int:
        """Art. 2.1: an answer refers to its question, so the purge must not take a confirmed
        question before its answer term has run out (the terms are fields above this one; one that
        was itself refused counts with its default)."""

        def termijn(naam: str) -> int:
            return int(info.data.get(naam, cls.model_fields[naam].default))

        bevestiging = termijn("bevestigingstermijn_werkdagen")
        antwoord = max(
            termijn("antwoordtermijn_werkdagen"),
            termijn("antwoordtermijn_2_werkdagen"),
            LANGSTE_MODULETERMIJN_WERKDAGEN,
        )
        minimum = minimale_bewaartermijn(
            bevestiging, antwoord, len(info.data.get("extra_sluitingsdagen") or [])
        )
        if value < minimum:
            raise ValueError(
                f"KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN: moet minstens {minimum} dagen zijn (gegeven: "
                f"{value}): na die termijn ruimen de jobs ook bevestigde vragen op, en een vraag moet er "
                f"nog zijn als het antwoord komt, na de bevestigingstermijn ({bevestiging} werkdagen) plus "
                f"de langste antwoordtermijn ({antwoord} werkdagen) en een marge; anders wordt dat "
                "antwoord geweigerd (ONGELDIG_ANTWOORD). Standaard: 2557 (7 jaar)."
            )
        return value

    @field_validator("database_url", "sleutelopslag_url")
    @classmethod
    def _ondersteunde_database(cls, value: str) -> str:
        """Only the databases the hub runs on: SQLite and PostgreSQL (DESIGN §8). Anything else is a
        clear configuration error, not a driver traceback."""
        if value and not value.startswith(DATABASE_SCHEMAS):
            schema = value.partition("://")[0] if "://" in value else value[:20]
            raise ValueError(
                f"{schema!r} is geen ondersteunde database-URL: gebruik "
                "postgresql://gebruiker@host:5432/naam (PostgreSQL) of sqlite:///pad/naar/bestand.sqlite3 "
                "(SQLite)"
            )
        return value

    @field_validator("crls", mode="before")
    @classmethod
    def _crl_sources(cls, value: object) -> object:
        value = _split(value)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str) and "://" in item and not item.startswith(("http://", "https://")):
                    raise ValueError(
                        f"KNOOPPUNT_CRLS: {item!r} is geen pad naar een bestand en geen http(s)-URL van "
                        "een CRL"
                    )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"KNOOPPUNT_TRUSTED_PROXIES: {item!r} is geen IP-adres of netwerk (bijv. 10.0.0.5 of "
                    "10.0.0.0/24)"
                ) from exc
        return value

    @field_validator("smtp_afzender")
    @classmethod
    def _afzender_is_adres(cls, value: str) -> str:
        if not value:
            return value
        from email_validator import EmailNotValidError, validate_email

        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"KNOOPPUNT_SMTP_AFZENDER: {value!r} is geen e-mailadres ({exc})") from exc

    @field_validator("portaal_contact_email")
    @classmethod
    def _contact_is_adres(cls, value: str) -> str:
        if not value:
            return value
        from email_validator import EmailNotValidError, validate_email

        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(
                f"KNOOPPUNT_PORTAAL_CONTACT_EMAIL: {value!r} is geen e-mailadres ({exc})"
            ) from exc

    @field_validator("portaal_contact_telefoon")
    @classmethod
    def _contact_is_telefoon(cls, value: str) -> str:
        if value and not re.fullmatch(r"\+?[0-9 ()-]{6,40}", value):
            raise ValueError(
                f"KNOOPPUNT_PORTAAL_CONTACT_TELEFOON: {value!r} is geen telefoonnummer (cijfers, spaties, "
                "+, - en haakjes)"
            )
        return value

    @field_validator("portaal_url")
    @classmethod
    def _portaal_is_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"KNOOPPUNT_PORTAAL_URL: {value!r} is geen http(s)-URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _smtp_is_complete(self) -> Settings:
        if self.smtp_host and not self.smtp_afzender:
            raise SettingsError(
                "KNOOPPUNT_SMTP_AFZENDER is verplicht zodra KNOOPPUNT_SMTP_HOST gezet is: het "
                "afzenderadres van de notificatie-e-mails (bijv. noreply@knooppunt.example.nl)."
            )
        if bool(self.smtp_gebruiker) != bool(self.smtp_wachtwoord.get_secret_value()):
            raise SettingsError(
                "KNOOPPUNT_SMTP_GEBRUIKER en KNOOPPUNT_SMTP_WACHTWOORD horen bij elkaar: zet ze allebei "
                "of geen van beide."
            )
        if self.smtp_gebruiker and not self.smtp_starttls:
            raise SettingsError(
                "KNOOPPUNT_SMTP_GEBRUIKER is gezet maar KNOOPPUNT_SMTP_STARTTLS is false: het wachtwoord "
                "zou onversleuteld over het netwerk gaan. Zet KNOOPPUNT_SMTP_STARTTLS=true."
            )
        return self

    @model_validator(mode="after")
    def _request_past_inhoud(self) -> Settings:
        if self.max_request_bytes < self.max_inhoud_bytes + 64 * 1024:
            raise SettingsError(
                f"KNOOPPUNT_MAX_REQUEST_BYTES ({self.max_request_bytes}) moet minstens "
                f"KNOOPPUNT_MAX_INHOUD_BYTES ({self.max_inhoud_bytes}) plus 65536 zijn (voor de metadata "
                "van de envelop), anders kan een bericht met de grootste toegestane inhoud nooit worden "
                "ingediend."
            )
        return self

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        """Production refuses what the settings miss or allow only in development, all at once, one
        line each (docs/configuration.md); within `productiefouten_uitstellen` they are collected
        instead, for `knooppunt serve` to add its own."""
        if self.env is not Omgeving.PRODUCTION:
            return self
        fouten: list[str] = []
        if not self.database_url:
            fouten.append(
                "KNOOPPUNT_DATABASE_URL is verplicht in productie (postgresql://...); de ingebouwde "
                "SQLite-database is alleen voor ontwikkeling."
            )
        if not self.trust_anchors:
            fouten.append(
                "KNOOPPUNT_TRUST_ANCHORS moet in productie de PEM-bestanden noemen van de CA's die "
                "certificaten van deelnemers uitgeven (PKIoverheid Private Services)."
            )
        if self.webhook_lokaal_toegestaan:
            fouten.append(
                "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN is alleen voor ontwikkeling: productie stuurt "
                "webhooks alleen over https naar publieke adressen. Verwijder de variabele."
            )
        if fouten:
            uitgesteld = _UITGESTELD.get()
            if uitgesteld is None:
                raise SettingsError("\n".join(fouten))
            uitgesteld.extend(fouten)
        return self

    @property
    def is_development(self) -> bool:
        return self.env is Omgeving.DEVELOPMENT

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return _psycopg(self.database_url)
        return f"sqlite:///{(self.data_dir / 'knooppunt.sqlite3').resolve()}"

    @property
    def effectieve_sleutelopslag_url(self) -> str:
        if self.sleutelopslag_url:
            return _psycopg(self.sleutelopslag_url)
        return f"sqlite:///{(self.data_dir / 'dagsleutels.sqlite3').resolve()}"

    @property
    def lokale_webhooks(self) -> bool:
        """Webhooks over http and to loopback: development with the explicit allowance only."""
        return self.is_development and self.webhook_lokaal_toegestaan

    @property
    def dev_pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]


DATABASE_SCHEMAS = ("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")
"""The URL schemes of `database_url` and `sleutelopslag_url`: SQLite and PostgreSQL (psycopg 3)."""


def _psycopg(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (overrides win); errors say in Dutch which variable
    is wrong, what it may be and what it was (`instellingsfouten`)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as fout:
        raise SettingsError("\n".join(instellingsfouten(fout))) from None


_SOORTEN: dict[object, str] = {
    int: "een geheel getal",
    float: "een getal (met een punt als decimaalteken)",
    bool: "true of false",
    Path: "een pad",
    Omgeving: "development of production",
}
_GEHEIM = frozenset({"database_url", "sleutelopslag_url"})
"""Settings whose value is never repeated in an error: a database URL may hold a password (a
SecretStr is never repeated either)."""


def _getal(waarde: object) -> str:
    return str(waarde).replace(".", ",") if isinstance(waarde, float) else str(waarde)


def _soort(annotatie: object) -> str:
    if typing.get_origin(annotatie) in (types.UnionType, typing.Union):  # ``Path | None``
        annotatie = next(a for a in typing.get_args(annotatie) if a is not type(None))
    if typing.get_origin(annotatie) is list:
        return "een lijst, gescheiden door komma's"
    return _SOORTEN.get(annotatie, "een tekst")


def toegestaan(naam: str) -> str:
    """What a setting may be, in Dutch: ``een geheel getal van 1 tot en met 60``."""
    veld = Settings.model_fields[naam]
    soort = _soort(veld.annotation)
    grenzen = {type(m): m for m in veld.metadata}
    ge, gt = grenzen.get(annotated_types.Ge), grenzen.get(annotated_types.Gt)
    le, lengte = grenzen.get(annotated_types.Le), grenzen.get(annotated_types.MaxLen)
    if ge is not None and le is not None:
        return f"{soort} van {_getal(ge.ge)} tot en met {_getal(le.le)}"
    delen = []
    if ge is not None:
        delen.append(f"van minstens {_getal(ge.ge)}")
    elif gt is not None:
        delen.append(f"groter dan {_getal(gt.gt)}")
    if le is not None:
        delen.append(f"hoogstens {_getal(le.le)}")
    if lengte is not None:
        delen.append(f"van hoogstens {lengte.max_length} tekens")
    return " ".join([soort, " en ".join(delen)]) if delen else soort


def instellingsfouten(fout: ValidationError) -> list[str]:
    """One Dutch line per error of a `Settings` validation: the variable, what it may be and, unless
    it may be secret, what was given — instead of pydantic's English ("Input should be greater
    than or equal to 1"). The settings' own checks already speak Dutch and name their variables."""
    regels: list[str] = []
    for f in fout.errors(include_url=False):
        melding = str(f["msg"]).removeprefix("Value error, ")
        naam = str(f["loc"][0]) if f["loc"] else ""
        if naam not in Settings.model_fields:
            regels.append(f"KNOOPPUNT_{naam.upper()}: {melding}" if naam else melding)
            continue
        variabele = f"KNOOPPUNT_{naam.upper()}"
        if f["type"] == "value_error":
            regels.append(f"{variabele}: {melding.removeprefix(variabele + ': ')}")
            continue
        regel = f"{variabele}: moet {toegestaan(naam)} zijn"
        veld = Settings.model_fields[naam]
        if naam not in _GEHEIM and veld.annotation is not SecretStr and "input" in f:
            gegeven = f["input"]
            tekst = gegeven if isinstance(gegeven, str) else repr(gegeven)
            regel += (
                f" (gegeven: {tekst[:60]!r})" if isinstance(gegeven, str) else f" (gegeven: {tekst[:60]})"
            )
        regels.append(regel)
    return regels
