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
    with pytest.raises(SettingsError, match="ontwikkel-CA, die productie weigert"):
        laad_ankers(settings)


def test_ongeldige_proxy_adressen() -> None:
    with pytest.raises(ValueError, match="geen IP-adres of netwerk"):
        Settings(trusted_proxies=["nginx.local"])


def test_productie_weigert_lokale_webhooks(pki_dir: Path) -> None:
    """DESIGN §5: webhooks to https on public addresses; the development allowance is refused."""
    with pytest.raises(ValueError, match="KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN is alleen voor ontwikkeling"):
        Settings(
            env="production",  # type: ignore[arg-type]
            database_url="postgresql://x@y/z",
            trust_anchors=[pki_dir / "ca.pem"],
            webhook_lokaal_toegestaan=True,
        )
    assert Settings(webhook_lokaal_toegestaan=True).lokale_webhooks
    assert not Settings().lokale_webhooks


def test_smtp_instellingen_worden_gecontroleerd() -> None:
    with pytest.raises(ValueError, match="KNOOPPUNT_SMTP_AFZENDER is verplicht zodra"):
        Settings(smtp_host="smtp.example.nl")
    with pytest.raises(ValueError, match="KNOOPPUNT_SMTP_AFZENDER: 'geen adres'"):
        Settings(smtp_host="smtp.example.nl", smtp_afzender="geen adres")
    with pytest.raises(ValueError, match="horen bij elkaar"):
        Settings(smtp_host="smtp.example.nl", smtp_afzender="a@example.nl", smtp_gebruiker="knooppunt")
    with pytest.raises(ValueError, match="onversleuteld"):
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
    # at most what one request may reserve of a process's budget for bodies (api.tls)
    assert Settings(max_request_bytes=64 * 1024 * 1024).max_request_bytes == 64 * 1024 * 1024
    with pytest.raises(ValueError, match="max_request_bytes"):
        Settings(max_request_bytes=64 * 1024 * 1024 + 1)
    with pytest.raises(ValueError, match="inbox_aandeel"):
        Settings(inbox_aandeel=0)


def test_instellingsfouten_in_het_nederlands(monkeypatch: pytest.MonkeyPatch) -> None:
    """STYLE "refusals that say in Dutch what to do": a setting pydantic refuses is named as it is
    set, with what is allowed and what was given — never pydantic's English — for every setting;
    a database URL (it may hold a password) is never repeated."""
    from knooppunt.config import load_settings

    monkeypatch.setenv("KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN", "0")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value) == (
        "KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN: moet een geheel getal van 1 tot en met 60 zijn "
        "(gegeven: '0')"
    )
    monkeypatch.delenv("KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN")
    for naam, waarde, tekst in [
        ("KNOOPPUNT_INBOX_AANDEEL", "2", "groter dan 0 en hoogstens 1"),
        ("KNOOPPUNT_ENV", "test", "moet development of production zijn"),
        ("KNOOPPUNT_API_LUS", "misschien", "moet true of false zijn"),
        ("KNOOPPUNT_CRL_GRACE_SECONDS", "-1", "een geheel getal van minstens 0"),
        ("KNOOPPUNT_SMTP_PORT", "poort", "een geheel getal van 1 tot en met 65535 zijn (gegeven: 'poort')"),
        ("KNOOPPUNT_TRUSTED_PROXIES", "nginx.local", "geen IP-adres of netwerk"),
    ]:
        monkeypatch.setenv(naam, waarde)
        with pytest.raises(SettingsError) as info:
            load_settings()
        assert str(info.value).startswith(f"{naam}: ") and tekst in str(info.value), str(info.value)
        assert "Input should" not in str(info.value) and "should be" not in str(info.value)
        monkeypatch.delenv(naam)
    monkeypatch.setenv("KNOOPPUNT_DATABASE_URL", "mysql://knooppunt:geheim@db/knooppunt")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "geheim" not in str(info.value) and "geen ondersteunde database-URL" in str(info.value)


def test_elke_instelling_heeft_een_nederlandse_omschrijving() -> None:
    """Every setting's allowed values are said in Dutch (a new numeric setting gets its range)."""
    from knooppunt.config import toegestaan

    for naam in Settings.model_fields:
        tekst = toegestaan(naam)
        assert tekst.startswith("een ") or tekst in ("development of production", "true of false"), (
            naam,
            tekst,
        )
    assert toegestaan("antwoordtermijn_2_werkdagen") == "een geheel getal van 1 tot en met 60"
