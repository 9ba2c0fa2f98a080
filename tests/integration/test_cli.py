"""The operator CLI (DESIGN §8): deelnemer add/list, db upgrade/check, worker --once --now."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij, envelop


def test_deelnemer_add_en_list(cli: Any, pki: dict[str, Partij]) -> None:
    energie = pki["energie"]
    uit = cli(
        "deelnemer",
        "add",
        "--oin",
        energie.oin,
        "--naam",
        energie.naam,
        "--rol",
        "SE",
        "--kvk",
        energie.kvk,
        "--module",
        "schuldregeling",
        "--module",
        "saldoverzoek",
        "--certificaat",
        str(energie.cert_pad),
        "--gebruikt-bsn",
        "--standaard-akkoord",
        "--schuldensoort",
        "nuts",
        "--schuldensoort",
        "zorg",
    )
    assert uit.exit_code == 0, uit.output
    regels = cli("deelnemer", "list", "--json").output.splitlines()
    rij = json.loads(regels[0])
    assert rij["oin"] == energie.oin
    assert rij["modules"] == ["saldoverzoek", "schuldregeling"]
    assert rij["schuldensoorten"] == ["nuts", "zorg"]
    assert rij["gebruiktBsn"] is True and rij["standaardAkkoord"] is True
    assert rij["certificaten"][0]["gebruik"] == ["tls", "ondertekening", "versleuteling"]
    assert energie.oin in cli("deelnemer", "list").output


def test_deelnemer_add_foutmeldingen(cli: Any, pki: dict[str, Partij]) -> None:
    energie, gemeente = pki["energie"], pki["gemeente"]
    basis = [
        "deelnemer",
        "add",
        "--naam",
        "X",
        "--rol",
        "SE",
        "--kvk",
        energie.kvk,
        "--module",
        "schuldregeling",
    ]
    uit = cli(*basis, "--oin", "123", "--certificaat", str(energie.cert_pad))
    assert uit.exit_code == 1 and "20 cijfers" in uit.output
    uit = cli(*basis, "--oin", energie.oin, "--certificaat", str(gemeente.cert_pad))
    assert uit.exit_code == 1 and "niet voor" in uit.output  # certificate of another OIN
    uit = cli(*basis, "--oin", energie.oin, "--certificaat", str(energie.cert_pad), "--module", "onzin")
    assert uit.exit_code == 1 and "onzin" in uit.output
    # A version list with a gap (independent operations probe: taken as every version, or shortened).
    for module in ("schuldregeling:", "schuldregeling:1.0,", "schuldregeling:,2.0"):
        uit = cli(*basis[:-1], module, "--oin", energie.oin, "--certificaat", str(energie.cert_pad))
        assert uit.exit_code == 1 and "zonder lege plekken" in uit.output, (module, uit.output)
    assert cli(*basis, "--oin", energie.oin, "--certificaat", str(energie.cert_pad)).exit_code == 0
    uit = cli(*basis, "--oin", energie.oin, "--certificaat", str(energie.cert_pad))
    assert uit.exit_code == 1 and "DEELNEMER_BESTAAT" in uit.output
    # operations.md: "naming every field at fault at once" — the OIN taken among them.
    uit = cli(*basis[:2], "--naam", "", *basis[4:6], "--kvk", "1234", *basis[8:], "--oin", energie.oin,
              "--certificaat", str(energie.cert_pad))  # fmt: skip
    assert uit.exit_code == 1 and "ONGELDIGE_DEELNEMER" in uit.output, uit.output
    assert "er is al een deelnemer met OIN" in uit.output
    assert "kvkNummer" in uit.output and "naam" in uit.output


def test_een_interval_van_nul_of_minder_wordt_geweigerd(cli: Any) -> None:
    """An operator probe: `worker --interval 0` ran the jobs 521 times in 10 s, each on the
    database; a typo in a service file flooded database and log. At least 0.1 s now."""
    for opdracht in (
        ("worker", "--interval", "0"),
        ("worker", "--interval", "-5"),
        ("serve", "--job-interval", "0"),
    ):
        uit = cli(*opdracht)
        assert uit.exit_code == 2 and "0.1" in uit.output, (opdracht, uit.output)


def test_db_upgrade_en_check(cli: Any) -> None:
    assert cli("db", "upgrade").exit_code == 0
    uit = cli("db", "check")
    assert uit.exit_code == 0, uit.output
    assert "komen overeen" in uit.output


def test_alleen_db_upgrade_en_serve_migreren_een_database_in_gebruik(cli: Any, database_url: str) -> None:
    """README: `db check` "fails when models and migrations drift"; `db upgrade` creates the schema
    and `serve` migrates on start. An operator probe: every other command migrated a database left
    behind (during a rolling upgrade, under the nodes still serving it), and `db check` upgraded
    before comparing. Now a database in use that is behind is refused, with what to run; a new one
    (no schema) is still made, as the quick start expects."""
    from alembic import command

    from knooppunt.store import migrate
    from knooppunt.store.db import maak_engine

    engine = maak_engine(database_url)
    try:
        config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        nieuw = migrate.huidige_revisie(engine) is None
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            if nieuw:
                command.upgrade(config, "0021_termijn_verstreken")
            else:  # the fixture's database is at the newest revision: one step back
                command.downgrade(config, "0021_termijn_verstreken")
        for opdracht in (("deelnemer", "list"), ("audit", "lijst"), ("worker", "--once"), ("db", "check")):
            uit = cli(*opdracht)
            assert uit.exit_code == 1, (opdracht, uit.output)
            assert "schemarevisie 0021_termijn_verstreken" in uit.output, (opdracht, uit.output)
            assert "knooppunt db upgrade" in uit.output, (opdracht, uit.output)
            assert migrate.huidige_revisie(engine) == "0021_termijn_verstreken", opdracht  # untouched
        assert cli("db", "upgrade").exit_code == 0
        assert migrate.huidige_revisie(engine) == migrate.nieuwste_revisie()
        assert cli("deelnemer", "list").exit_code == 0
        assert cli("db", "check").exit_code == 0
    finally:
        engine.dispose()


def test_worker_once_now_laat_berichten_verlopen(
    cli: Any, cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
    vroeg = cli("worker", "--once", "--now", (datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert json.loads(vroeg.stdout)["verlopen"] == 0
    laat = cli("worker", "--once", "--now", (datetime.now(UTC) + timedelta(days=30)).isoformat())
    assert laat.exit_code == 0, laat.output
    assert json.loads(laat.stdout)["verlopen"] == 1
    # Not a dry run, and it says so before it acts (an operator probe took "dry run" at its word on
    # a live database): on stderr, naming the database it changes.
    assert "Dit is geen proefdraai" in laat.stderr and "30 dagen na de klok van de database" in laat.stderr
    assert "Oefen op een kopie" in laat.stderr
    nu = cli("worker", "--once", "--now", datetime.now(UTC).isoformat())
    assert nu.exit_code == 0 and "proefdraai" not in nu.stderr  # not ahead: nothing to warn about
    melding = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [m["melding"]["code"] for m in melding] == ["VERLOPEN"]


def test_worker_now_alleen_in_development(cli: Any, monkeypatch: pytest.MonkeyPatch, pki_dir: Path) -> None:
    monkeypatch.setenv("KNOOPPUNT_ENV", "production")
    uit = cli("worker", "--once", "--now", "2026-12-01T09:00:00+01:00")
    assert uit.exit_code == 2
    assert "development" in uit.output


def test_deelnemer_wijzig(cli: Any, cast: dict[str, Any], rt: Any) -> None:
    """Modules and flags change through hub.adresboek.wijzig: checked, audited (DESIGN §5)."""
    from sqlalchemy import select

    from knooppunt.store.models import Auditregel

    energie, gemeente = cast["energie"], cast["gemeente"]
    uit = cli("deelnemer", "wijzig", "--oin", energie.oin, "--module", "schuldregeling", "--module", "bewind",
              "--standaard-akkoord", "--geen-schuldensoorten")  # fmt: skip
    assert uit.exit_code == 0, uit.output
    assert "modules ['schuldregeling'] -> ['bewind', 'schuldregeling']" in uit.output
    rij = next(
        json.loads(r) for r in cli("deelnemer", "list", "--json").output.splitlines() if energie.oin in r
    )
    assert rij["modules"] == ["bewind", "schuldregeling"] and rij["standaardAkkoord"] is True
    assert rij["schuldensoorten"] == []
    assert "niets gewijzigd" in cli("deelnemer", "wijzig", "--oin", energie.oin, "--standaard-akkoord").output
    fout = cli("deelnemer", "wijzig", "--oin", gemeente.oin, "--gebruikt-bsn")
    assert fout.exit_code == 1 and "alleen voor schuldeisers" in fout.output
    with rt.sessions() as session:
        regels = session.scalars(select(Auditregel).where(Auditregel.actie == "deelnemer_gewijzigd")).all()
    assert [(r.deelnemer, r.uitkomst) for r in regels] == [
        (energie.oin, "modules,standaardAkkoord,schuldensoorten")
    ]


def test_deelnemer_add_zonder_vertrouwensankers_weigert(
    cli: Any, pki: dict[str, Partij], monkeypatch: pytest.MonkeyPatch
) -> None:
    """operations.md: registration refuses a certificate "not from a trust anchor". In development
    with no KNOOPPUNT_TRUST_ANCHORS and no development PKI yet (before the first `serve`), a
    certificate of any CA was registered (independent operations probe); now it says what to set."""
    monkeypatch.delenv("KNOOPPUNT_TRUST_ANCHORS")
    gemeente = pki["gemeente"]
    r = cli(
        "deelnemer", "add", "--oin", gemeente.oin, "--naam", gemeente.naam, "--rol", "SHV",
        "--kvk", gemeente.kvk, "--module", "schuldregeling", "--certificaat", str(gemeente.cert_pad),
    )  # fmt: skip
    assert r.exit_code == 2
    assert "geen vertrouwensankers" in r.output and "KNOOPPUNT_TRUST_ANCHORS" in r.output
    assert "pki init" in r.output
    assert gemeente.oin not in cli("deelnemer", "list").output


def test_deelnemer_add_weigert_een_naam_met_stuurtekens(cli: Any, pki: dict[str, Partij]) -> None:
    """A name with a line break was registered; it then ended up in the Subject of the certificate
    e-mails of DESIGN §5 (key transparency), which could not be sent (independent security probe).
    Now it is refused when entered, saying why, and nothing is registered."""
    energie = pki["energie"]
    naam = "Nieuw\r\nBcc: spy@evil.example"
    add = ["deelnemer", "add", "--oin", energie.oin, "--naam", naam, "--rol", "SE"]
    add += ["--kvk", energie.kvk, "--module", "schuldregeling", "--certificaat", str(energie.cert_pad)]
    uit = cli(*add)
    assert uit.exit_code == 1, uit.output
    assert "naam" in uit.output and "stuurtekens" in uit.output
    assert energie.oin not in cli("deelnemer", "list").output


def test_worker_now_zonder_once_wordt_geweigerd(cli: Any) -> None:
    """`worker --now X` without `--once` looped for ever with its clock stopped at X (an
    independent operations probe); DESIGN §6 gives --now for one run ("--once … --now")."""
    r = cli("worker", "--now", "2026-12-15T09:00:00+01:00")
    assert r.exit_code == 2
    assert "--now hoort bij --once" in r.output


def test_notificaties_webhook_fout_een_keer_met_de_ontwikkelinstelling(
    cli: Any, pki: dict[str, Partij], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN §5 (webhooks to https public addresses only): the refusal is printed once, and in
    development it names KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN (docs/operations.md), which allows a
    receiver on this machine; an address the setting would not allow gets no such hint."""
    energie = pki["energie"]
    add = ["deelnemer", "add", "--oin", energie.oin, "--naam", energie.naam, "--rol", "SE"]
    add += ["--kvk", energie.kvk, "--module", "schuldregeling", "--certificaat", str(energie.cert_pad)]
    assert cli(*add).exit_code == 0
    uit = cli("deelnemer", "notificaties", "--oin", energie.oin, "--webhook", "http://127.0.0.1:19343/hook")
    assert uit.exit_code == 1
    assert uit.output.count("moet met https:// beginnen") == 1, uit.output
    assert "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN=true" in uit.output
    uit = cli("deelnemer", "notificaties", "--oin", energie.oin, "--webhook", "https://10.1.2.3/hook")
    assert uit.exit_code == 1 and "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN" not in uit.output, uit.output
    monkeypatch.setenv("KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN", "true")
    uit = cli("deelnemer", "notificaties", "--oin", energie.oin, "--webhook", "http://127.0.0.1:19343/hook")
    assert uit.exit_code == 0, uit.output


def test_configuratiefout_in_het_nederlands(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN=0 knooppunt worker --once`: the variable, what is
    allowed and what was given, in Dutch (DESIGN §6: term lengths are configuration)."""
    monkeypatch.setenv("KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN", "0")
    uit = cli("worker", "--once")
    assert uit.exit_code == 2
    assert uit.output.strip() == (
        "configuratiefout: KNOOPPUNT_BEVESTIGINGSTERMIJN_WERKDAGEN: moet een geheel getal van 1 tot en met "
        "60 zijn (gegeven: '0')"
    )
