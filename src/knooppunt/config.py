"""Settings: one pydantic-settings object, read from ``KNOOPPUNT_*`` environment variables.

Every variable is documented in ``docs/configuration.md``. Settings are read when the
application or a command starts, never at import time.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".knooppunt")


class Omgeving(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and what to do."""


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
    # Extra closing days (ISO dates) on top of the Algemene termijnenwet holidays.
    extra_sluitingsdagen: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Retention of the audit log: 2557 days = 7 years (incl. two leap days), the Dutch fiscal and
    # archival term for records of this kind; entries older than this are purged by the jobs.
    audit_bewaartermijn_dagen: int = Field(default=2557, ge=1)

    max_open_per_relatie: int = Field(default=10_000, ge=1)
    max_inhoud_bytes: int = Field(default=1_048_576, ge=1024)
    max_request_bytes: int = Field(default=2_097_152, ge=4096)

    @field_validator("trust_anchors", "trusted_proxies", "extra_sluitingsdagen", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("crls", mode="before")
    @classmethod
    def _crl_sources(cls, value: object) -> object:
        value = _split(value)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str) and "://" in item and not item.startswith(("http://", "https://")):
                    raise ValueError(
                        f"KNOOPPUNT_CRLS: {item!r} is neither a file path nor an http(s) URL of a CRL"
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
                    f"KNOOPPUNT_TRUSTED_PROXIES: {item!r} is not an IP address or network"
                ) from exc
        return value

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.env is Omgeving.PRODUCTION:
            if not self.database_url:
                raise SettingsError(
                    "KNOOPPUNT_DATABASE_URL must be set in production (postgresql://...); "
                    "the embedded SQLite default is for development only."
                )
            if not self.trust_anchors:
                raise SettingsError(
                    "KNOOPPUNT_TRUST_ANCHORS must name the PEM files of the CAs that issue participant "
                    "certificates (PKIoverheid Private Services) in production."
                )
        return self

    @property
    def is_development(self) -> bool:
        return self.env is Omgeving.DEVELOPMENT

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            elif url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            return url
        return f"sqlite:///{(self.data_dir / 'knooppunt.sqlite3').resolve()}"

    @property
    def dev_pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (overrides win); errors say which variable is wrong."""
    return Settings(**overrides)  # type: ignore[arg-type]
