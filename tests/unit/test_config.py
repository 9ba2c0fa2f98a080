"""Settings (DESIGN §5, §8): production refuses every development shortcut."""

from __future__ import annotations

from pathlib import Path

import pytest

from knooppunt.config import Settings, SettingsError
from knooppunt.runtime import laad_ankers


def test_development_is_de_standaard_met_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.is_development
    assert settings.effective_database_url.startswith("sqlite:///")


def test_postgresql_url_gebruikt_psycopg() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1/test")
    assert settings.effective_database_url == "postgresql+psycopg://postgres@127.0.0.1/test"


def test_productie_eist_database_en_vertrouwensankers(pki_dir: Path) -> None:
    with pytest.raises(ValueError, match="KNOOPPUNT_DATABASE_URL"):
        Settings(env="production")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="KNOOPPUNT_TRUST_ANCHORS"):
        Settings(env="production", database_url="postgresql://x@y/z")  # type: ignore[arg-type]


def test_productie_weigert_ontwikkel_ca(pki_dir: Path) -> None:
    settings = Settings(
        env="production",  # type: ignore[arg-type]
        database_url="postgresql://x@y/z",
        trust_anchors=[pki_dir / "ca.pem"],
        crls=[str(pki_dir / "crl.pem")],
    )
    with pytest.raises(SettingsError, match="development CA"):
        laad_ankers(settings)


def test_ongeldige_proxy_adressen() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies=["nginx.local"])


def test_productie_weigert_lokale_webhooks(pki_dir: Path) -> None:
    """DESIGN §5: webhooks to https on public addresses; the development allowance is refused."""
    with pytest.raises(ValueError, match="KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN is for development only"):
        Settings(
            env="production",  # type: ignore[arg-type]
            database_url="postgresql://x@y/z",
            trust_anchors=[pki_dir / "ca.pem"],
            webhook_lokaal_toegestaan=True,
        )
    assert Settings(webhook_lokaal_toegestaan=True).lokale_webhooks
    assert not Settings().lokale_webhooks


def test_smtp_instellingen_worden_gecontroleerd() -> None:
    with pytest.raises(ValueError, match="KNOOPPUNT_SMTP_AFZENDER must be set"):
        Settings(smtp_host="smtp.example.nl")
    with pytest.raises(ValueError, match="KNOOPPUNT_SMTP_AFZENDER: 'geen adres'"):
        Settings(smtp_host="smtp.example.nl", smtp_afzender="geen adres")
    with pytest.raises(ValueError, match="go together"):
        Settings(smtp_host="smtp.example.nl", smtp_afzender="a@example.nl", smtp_gebruiker="knooppunt")
    with pytest.raises(ValueError, match="plain text"):
        Settings(
            smtp_host="smtp.example.nl",
            smtp_afzender="a@example.nl",
            smtp_gebruiker="knooppunt",
            smtp_wachtwoord="geheim",  # type: ignore[arg-type]
            smtp_starttls=False,
        )
    with pytest.raises(ValueError, match="KNOOPPUNT_PORTAAL_URL"):
        Settings(portaal_url="portaal.example.nl")
    assert Settings(portaal_url="https://portaal.example.nl/").portaal_url == "https://portaal.example.nl"


def test_verzoek_moet_de_grootste_inhoud_kunnen_dragen() -> None:
    """DESIGN §4: inhoud up to 4 MiB by default, so a request must take that plus its envelope."""
    standaard = Settings()
    assert standaard.max_inhoud_bytes == 4 * 1024 * 1024
    assert standaard.max_request_bytes >= standaard.max_inhoud_bytes + 64 * 1024
    assert (standaard.max_pagina_bytes, standaard.inbox_quotum_bytes, standaard.inbox_aandeel) == (
        16 * 1024 * 1024,
        1024 * 1024 * 1024,
        1 / 8,
    )
    with pytest.raises(ValueError, match="KNOOPPUNT_MAX_REQUEST_BYTES"):
        Settings(max_inhoud_bytes=4 * 1024 * 1024, max_request_bytes=2 * 1024 * 1024)
    with pytest.raises(ValueError, match="inbox_aandeel"):
        Settings(inbox_aandeel=0)
