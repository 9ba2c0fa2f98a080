"""An independent audit of DESIGN §1–§2 (roles, modules, participants, conversations) and §3a's
versions in the adresboek, through a real `knooppunt serve` over mutual TLS and the operator CLI as
real processes (`python -m knooppunt …`) on the served hub's database. Written from DESIGN.md
alone: each test's docstring quotes the sentences it checks. What the earlier audits
(`test_contract_api.py`, `test_contract_cli.py`, `tests/integration/test_contract_regels.py`)
already check is not repeated; where they check a sentence less strictly than DESIGN words it,
the stricter check is here.

The cast is registered in the roles and modules of the six modules (`tests/integration/modulepad.
meedoen`): the debt counsellors ``gemeente`` and ``kredietbank`` (SHV), the fund ``sbn`` (WF), a
``bewindvoerder`` (BW) and the creditors ``energie``, ``belasting`` and ``zorg`` (SE). A beheerder
changes registrations with the CLI while the hub runs, so a served node (on PostgreSQL also its
event-loop submit, which answers from its adresboek cache) must follow the change at once."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import update

from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer
from tests.factories import Partij, envelop
from tests.functional.server import Hub, start_hub
from tests.functional.test_contract_levenscyclus import _einde_termijn
from tests.integration.modulepad import ALLE_SE_MODULES, meedoen

Client = Callable[[Partij | None], httpx.Client]
Beheer = Callable[..., subprocess.CompletedProcess[str]]

ROLLEN = {"SHV", "SE", "WF", "BW"}
MODULES = {"schuldregeling", "waarborgfonds", "saldoverzoek", "betalingsregeling", "bewind", "pauzeknop"}
PUBLIEKE_VELDEN = {
    "oin",
    "kvkNummer",
    "vestigingsnummer",
    "naam",
    "rol",
    "modules",
    "versies",
    "gebruiktBsn",
    "standaardAkkoord",
    "schuldensoorten",
    "certificaten",
}
"""§2's participant fields and §3a's `versies` — nothing else is public."""

# What `meedoen` registers: module codes per party (every version of each).
MODULES_VAN = {
    "gemeente": {"schuldregeling", "betalingsregeling", "pauzeknop", "saldoverzoek"},
    "kredietbank": {"waarborgfonds", "schuldregeling"},
    "sbn": {"waarborgfonds"},
    "bewindvoerder": {"bewind", "saldoverzoek"},
    "energie": set(ALLE_SE_MODULES),
    "belasting": set(ALLE_SE_MODULES),
    "zorg": set(ALLE_SE_MODULES),
}
ALLE_VERSIES = {m: ["2.0"] for m in MODULES} | {"schuldregeling": ["1.0", "2.0"]}


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def wie(rt: Runtime, pki: dict[str, Partij]) -> dict[str, Partij]:
    return meedoen(rt, pki)


@pytest.fixture
def hub(database_url: str, tmp_path: Path, pki_dir: Path, wie: dict[str, Partij]) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as h:
        yield h


@pytest.fixture
def client(hub: Hub) -> Iterator[Client]:
    clients: list[httpx.Client] = []

    def maak(partij: Partij | None) -> httpx.Client:
        c = hub.client(partij, timeout=60)
        clients.append(c)
        return c

    yield maak
    for c in clients:
        c.close()


@pytest.fixture
def beheer(database_url: str, tmp_path: Path, pki_dir: Path) -> Beheer:
    """beheer("deelnemer", "add", …): the operator CLI as a real process on this test's database
    (the served hub's, with its data directory)."""
    omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")} | {
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "hub"),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "knooppunt", *(str(a) for a in args)],
            cwd=tmp_path,
            env=omgeving,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


# --- helpers --------------------------------------------------------------------------------------


def _probleem(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.headers
    body: dict[str, Any] = r.json()
    if code is not None:
        assert body.get("code") == code, body
    return body


def _kaal(probleem: dict[str, Any], *nummers: str) -> str:
    """A problem as the caller sees it, without the per-request fields and with the asked numbers
    blanked: what is left must not tell one refusal from another."""
    tekst = json.dumps(
        {k: v for k, v in probleem.items() if k not in ("instance", "requestId")}, sort_keys=True
    )
    for nummer in nummers:
        tekst = tekst.replace(nummer, "<nummer>")
    return tekst


def _stuur(c: httpx.Client, e: dict[str, Any]) -> dict[str, Any]:
    r = c.post("/berichten", json=e)
    assert r.status_code == 201, r.text
    bericht: dict[str, Any] = r.json()
    return bericht


def _reeks(c: httpx.Client, envelops: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    return c.post("/verzendingen", json={"berichten": envelops, **extra})


def _inbox(c: httpx.Client) -> list[dict[str, Any]]:
    r = c.get("/berichten", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["berichten"])


def _oins(c: httpx.Client, **q: Any) -> set[str]:
    r = c.get("/adresboek", params=q)
    assert r.status_code == 200, r.text
    return {d["oin"] for d in r.json()["deelnemers"]}


def _uitgeven(pki_dir: Path, tmp_path: Path, oin: str, naam: str, key_type: str = "ec") -> Path:
    """A development certificate for `oin` (written to the test's own directory; its key beside it
    as ``…-key.pem``)."""
    uit = ontwikkel_ca.issue(
        pki_dir,
        oin=oin,
        naam=naam,
        key_type=key_type,
        basisnaam=f"{oin}-{uuid.uuid4().hex[:6]}",
        uit_map=tmp_path,
    )
    assert uit.sleutel == uit.certificaat.with_name(uit.certificaat.stem + "-key.pem")
    return uit.certificaat


def _sleutels_in(waarde: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(waarde, dict):
        return set(waarde) | {k for v in waarde.values() for k in _sleutels_in(v)}
    if isinstance(waarde, list):
        return {k for v in waarde for k in _sleutels_in(v)}
    return set()


def _ok(uit: subprocess.CompletedProcess[str]) -> str:
    assert uit.returncode == 0, uit.stdout + uit.stderr
    assert "Traceback" not in uit.stderr, uit.stderr
    return uit.stdout


def _moment(tekst: str) -> datetime:
    return datetime.fromisoformat(tekst.replace("Z", "+00:00"))


# --- §2: the adresboek entry ----------------------------------------------------------------------


def test_par_2_en_4_adresboek_vermelding_velden_waarden_en_zoeken_op_rol_module_naam(
    client: Client, wie: dict[str, Partij]
) -> None:
    """§2: "A participant (adresboek entry): `oin` (…), `kvkNummer`, optional `vestigingsnummer`,
    `naam`, `rol`, `modules` (each with the protocol `versies` it accepts, §3a), `gebruiktBsn` (…),
    `standaardAkkoord` (…), `schuldensoorten` (a set of `nuts` | `publiek` | `zorg` | `overig`), its
    certificates …, and contact and notification settings (private to the participant and
    beheerders)"; §3a: "The adresboek entry has, beside `modules` (unchanged: a list of module
    codes), `versies`: per module the versions the participant accepts (default all of that
    module …)"; §4: `/api/v1/adresboek` and `/api/v1/adresboek/{oin}` serve "public adresboek
    entries". Every field carries what was registered, nothing else is in the entry, and the list
    and the single entry say the same.

    §4: "`GET /api/v1/adresboek?rol=&module=&zoek=`"; §2: "Roles: `SHV` …, `SE` …, `WF` …, `BW`
    …"; "Modules (…): `schuldregeling` …, `waarborgfonds` …, `saldoverzoek` …, `betalingsregeling`
    …, `bewind` …, `pauzeknop` … The codes are stable wire values; the names in brackets are what
    people see." Every role and every module filters exactly, filters combine, `zoek` finds a
    participant by part of its name whatever the case; a name people see is no code, and the
    catalogue knows exactly the six modules."""
    se = client(wie["energie"])
    r = se.get("/adresboek", params={"limit": 1000})
    assert r.status_code == 200, r.text
    lijst = {d["oin"]: d for d in r.json()["deelnemers"]}
    assert set(lijst) == {p.oin for p in wie.values()}
    for naam, partij in wie.items():
        d = lijst[partij.oin]
        assert PUBLIEKE_VELDEN - {"vestigingsnummer"} <= set(d) <= PUBLIEKE_VELDEN, (naam, sorted(d))
        assert d.get("vestigingsnummer") is None, d  # optional, and none was registered
        assert (d["oin"], d["kvkNummer"], d["naam"], d["rol"]) == (
            partij.oin,
            partij.kvk,
            partij.naam,
            partij.rol,
        )
        assert d["modules"] == sorted(MODULES_VAN[naam]), (naam, d["modules"])
        assert d["versies"] == {m: ALLE_VERSIES[m] for m in MODULES_VAN[naam]}, (naam, d["versies"])
        assert d["gebruiktBsn"] is (naam == "belasting"), naam
        assert d["standaardAkkoord"] is (naam == "zorg"), naam
        verwacht = partij.opties.get("schuldensoorten", []) if partij.rol == "SE" else []
        assert sorted(d["schuldensoorten"]) == sorted(verwacht), (naam, d["schuldensoorten"])
        assert set(d["schuldensoorten"]) <= {"nuts", "publiek", "zorg", "overig"}
        enkel = se.get(f"/adresboek/{partij.oin}")
        assert enkel.status_code == 200, enkel.text
        assert enkel.json() == d, naam

    oin = {n: p.oin for n, p in wie.items()}
    c = client(wie["gemeente"])
    per_rol = {rol: {oin[n] for n, p in wie.items() if p.rol == rol} for rol in ROLLEN}
    assert all(per_rol.values())
    for rol, verwacht in per_rol.items():
        assert _oins(c, rol=rol) == verwacht, rol
    for module in MODULES:
        assert _oins(c, module=module) == {oin[n] for n, ms in MODULES_VAN.items() if module in ms}, module
    assert _oins(c, rol="SHV", module="waarborgfonds") == {oin["kredietbank"]}
    assert _oins(c, rol="BW", module="saldoverzoek") == {oin["bewindvoerder"]}
    assert _oins(c, rol="SE", module="waarborgfonds") == set()
    assert _oins(c, zoek="energie") == {oin["energie"]}
    assert _oins(c, zoek="WAARBORG") == {oin["sbn"]}
    assert _oins(c, zoek="bewindvoering", rol="BW") == {oin["bewindvoerder"]}
    assert _oins(c, zoek="bewindvoering", rol="SE") == set()
    assert _oins(c, zoek="Bestaat Niet BV") == set()

    for q in (
        {"module": "Schuldinventarisatie"},
        {"module": "Landelijke pauzeknop"},
        {"module": "Schuldregeling"},
        {"rol": "se"},
        {"rol": "schuldeiser"},
    ):
        _probleem(c.get("/adresboek", params=q), 400)
    r = c.get("/berichttypen")
    assert r.status_code == 200, r.text
    assert {t["module"] for t in r.json()["berichttypen"]} == MODULES
    # the roles are wire values too: the catalogue knows no other, and KNOOPPUNT only sends notices
    for t in r.json()["berichttypen"]:
        assert set(t["van"]) | set(t["naar"]) <= ROLLEN | {"KNOOPPUNT"}, t["code"]
        assert "KNOOPPUNT" not in t["naar"], t["code"]
        assert ("KNOOPPUNT" in t["van"]) is (t["code"] in ("foutbericht", "ontvangstbevestiging")), t["code"]
    e = envelop(wie["gemeente"], wie["energie"], "kennisgeving", module="schuldregeling")
    r = c.post("/berichten", json=e | {"module": "Schuldregeling"})
    assert 400 <= r.status_code < 500, r.text
    assert _inbox(client(wie["energie"])) == []


def test_par_2_certificaten_pem_vingerafdruk_geldigheid_gebruik_en_ingetrokken(
    client: Client, wie: dict[str, Partij], beheer: Beheer, rt: Runtime, pki_dir: Path, tmp_path: Path
) -> None:
    """§2: "its certificates (PEM, each with its SHA-256 fingerprint, validity and `gebruik`: any of
    `tls`, `ondertekening`, `versleuteling`; current ones and, for the bevestigingstermijn plus 30
    days, retired ones)"; §5: "retired certificates stay in the adresboek for the bevestigingstermijn
    plus 30 days"; §6: the bevestigingstermijn is 5 working days, "counted from the day after the
    event" and ending "at the end … of its last working day".

    A certificate registered only for encryption (`knooppunt deelnemer certificaat add --gebruik
    versleuteling`) is listed beside the first with exactly that `gebruik`; each fingerprint is the
    SHA-256 of the listed PEM's DER, each validity the certificate's own. Retired just now
    (`knooppunt deelnemer certificaat intrekken`) it stays listed, marked as retired. Five working
    days span at least 5 and at most 11 calendar days (holidays included), so a certificate retired
    as long ago as that allows — on most days more than 35 days, which a term of 5 *calendar* days
    would have dropped — is still listed and one retired 45 days ago is gone; those two are
    retired by the hub's own `trek_certificaat_in` at that past moment (no clock can be moved under a
    served hub)."""
    energie = wie["energie"]
    versleuteling = _uitgeven(pki_dir, tmp_path, energie.oin, "Energie BV versleuteling")
    _ok(beheer("deelnemer", "certificaat", "add", "--oin", energie.oin, "--certificaat", versleuteling,
               "--gebruik", "versleuteling"))  # fmt: skip

    def der(pad: Path) -> bytes:
        return x509.load_pem_x509_certificate(pad.read_bytes()).public_bytes(Encoding.DER)

    def vingerafdruk(pad: Path) -> str:
        return hashlib.sha256(der(pad)).hexdigest()

    def certificaten() -> dict[bytes, dict[str, Any]]:
        r = client(wie["gemeente"]).get(f"/adresboek/{energie.oin}")
        assert r.status_code == 200, r.text
        [in_lijst] = [d for d in client(wie["gemeente"]).get("/adresboek").json()["deelnemers"]
                      if d["oin"] == energie.oin]  # fmt: skip
        assert in_lijst == r.json()
        uit = {}
        for c in r.json()["certificaten"]:
            assert {"pem", "vingerafdruk", "geldigVanaf", "geldigTot", "gebruik"} <= set(c), c
            cert = x509.load_pem_x509_certificate(c["pem"].encode())
            inhoud = cert.public_bytes(Encoding.DER)
            assert c["vingerafdruk"].replace(":", "").lower() == hashlib.sha256(inhoud).hexdigest()
            assert _moment(c["geldigVanaf"]) == cert.not_valid_before_utc
            assert _moment(c["geldigTot"]) == cert.not_valid_after_utc
            uit[inhoud] = c
        return uit

    gezien = certificaten()
    assert {k: sorted(c["gebruik"]) for k, c in gezien.items()} == {
        der(energie.cert_pad): ["ondertekening", "tls", "versleuteling"],
        der(versleuteling): ["versleuteling"],
    }
    assert all(c["ingetrokkenOp"] is None for c in gezien.values())

    oud, te_oud = (_uitgeven(pki_dir, tmp_path, energie.oin, f"Energie BV {n}") for n in ("oud", "te oud"))
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        # "oud": retired as long ago as the term allows — within 30 days after the end of its 5th
        # working day, an hour's margin — by a calendar derived here independently. Which moment that
        # is depends on today's weekday and holidays (a fixed 36½ days failed on a Sunday night: five
        # working days from a Sunday end on the Friday); on most days it is more than 35 days, which a
        # term of 5 calendar days would already have dropped.
        oud_geleden = next(
            g
            for g in (timedelta(days=40) - timedelta(hours=h) for h in range(24 * 9))
            if _einde_termijn(nu - g, 5) + timedelta(days=30) > nu + timedelta(hours=1)
        )
        for pad, geleden in ((oud, oud_geleden), (te_oud, timedelta(days=45))):
            adresboek.voeg_certificaat_toe(
                session, energie.oin, lees_pem(pad.read_bytes()), gebruik=["ondertekening"], nu=nu,
                ankers=rt.ankers, door="beheer:test",
            )  # fmt: skip
            adresboek.trek_certificaat_in(
                session, energie.oin, vingerafdruk(pad), nu=nu - geleden, door="beheer:test"
            )
    _ok(beheer("deelnemer", "certificaat", "intrekken", "--oin", energie.oin,
               "--vingerafdruk", vingerafdruk(versleuteling)))  # fmt: skip

    gezien = certificaten()
    assert set(gezien) == {der(energie.cert_pad), der(versleuteling), der(oud)}
    assert gezien[der(energie.cert_pad)]["ingetrokkenOp"] is None
    assert gezien[der(versleuteling)]["ingetrokkenOp"] and gezien[der(oud)]["ingetrokkenOp"]
    assert sorted(gezien[der(versleuteling)]["gebruik"]) == ["versleuteling"]


def test_par_2_contact_en_notificaties_zijn_niet_publiek(
    client: Client, wie: dict[str, Partij], beheer: Beheer, rt: Runtime
) -> None:
    """§2: "contact and notification settings (private to the participant and beheerders)"; §4: the
    adresboek serves "public adresboek entries". The beheerder sees a participant's e-mail address
    and webhook (`knooppunt deelnemer notificaties`); no participant — another or itself — finds
    them, its contact person, or the webhook's secret anywhere in the adresboek, nor finds the
    participant by searching for them."""
    energie = wie["energie"]
    merk = uuid.uuid4().hex[:10]
    email = f"meldingen-{merk}@energie-bv-test.nl"
    webhook = f"https://8.8.8.8/haak-{merk}"
    contact = {
        "naam": f"Contact {merk}",
        "email": f"contact-{merk}@energie-bv-test.nl",
        "telefoon": "0612345678",
    }
    uit = _ok(beheer("deelnemer", "notificaties", "--oin", energie.oin, "--email", email,
                     "--webhook", webhook, "--modus", "dagelijks", "--json"))  # fmt: skip
    ingesteld = json.loads(uit)
    assert email in json.dumps(ingesteld) and webhook in json.dumps(ingesteld)  # the beheerder sees them
    geheim = str(ingesteld.get("webhookGeheim") or "")
    assert geheim, ingesteld
    with transactie(rt.sessions) as session:  # as the portal's approval of an aanmelding stores it
        session.execute(update(Deelnemer).where(Deelnemer.oin == energie.oin).values(contact=contact))
    assert email in _ok(beheer("deelnemer", "notificaties", "--oin", energie.oin))

    prive = [email, webhook, f"haak-{merk}", geheim, contact["naam"], contact["email"], contact["telefoon"]]
    for wie_vraagt in (wie["gemeente"], energie):
        c = client(wie_vraagt)
        antwoorden = [
            c.get("/adresboek", params={"limit": 1000}),
            c.get(f"/adresboek/{energie.oin}"),
            c.get("/adresboek", params={"module": "schuldregeling", "rol": "SE"}),
        ]
        for r in antwoorden:
            assert r.status_code == 200, r.text
            for waarde in prive:
                assert waarde not in r.text, (waarde, r.request.url)
            sleutels = {k.lower() for k in _sleutels_in(r.json())}
            for veld in ("contact", "notificaties", "email", "emailadressen", "webhook", "telefoon", "modus"):
                assert not [k for k in sleutels if veld in k], (veld, sorted(sleutels))
        for zoek in (email, merk, contact["naam"], contact["telefoon"], "8.8.8.8"):
            assert _oins(c, zoek=zoek) == set(), zoek


# --- §2 / §8: the OIN rule and `knooppunt deelnemer add` ------------------------------------------


def test_par_2_oin_van_een_bedrijf_is_00000003_kvk_0000(
    cli: Any, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    """§2: "`oin` (20-digit Organisatie-identificatienummer, the primary key; for companies
    `00000003` + KvK number + `0000`), `kvkNummer`"; §8: `knooppunt deelnemer add --oin --naam --rol
    --kvk …`. A company's OIN that is not `00000003` + the given `--kvk` + `0000` is refused with a
    message naming what is wrong, a non-zero exit and no traceback, and nothing is registered; a
    company whose OIN holds its KvK number is registered, and so is a municipality, whose OIN
    (prefix `00000001`) does not contain its KvK number."""
    fout = [
        ("00000003123456780000", "87654321", "87654321"),  # the KvK number is not the one in the OIN
        ("00000003876543210000", "12345678", "12345678"),  # another company's OIN
        ("00000003123456781234", "12345678", "0000"),  # a company's OIN ends in 0000
    ]
    for oin, kvk, melding in fout:
        try:
            cert = _uitgeven(pki_dir, tmp_path, oin, "Bedrijf BV")
        except ValueError:  # the development CA issues no certificate for a malformed OIN
            cert = pki["energie"].cert_pad
        uit = cli("deelnemer", "add", "--oin", oin, "--naam", "Bedrijf BV", "--rol", "SE", "--kvk", kvk,
                  "--module", "schuldregeling", "--certificaat", str(cert))  # fmt: skip
        assert uit.exit_code != 0, uit.output
        assert "Traceback" not in uit.output
        assert "kvk" in uit.output.lower() and melding in uit.output, uit.output
    assert cli("deelnemer", "list", "--json").output.strip() == ""

    bedrijf, gemeente = "00000003246813570000", "00000001823288444000"
    for oin, kvk, rol in ((bedrijf, "24681357", "SE"), (gemeente, "30280353", "SHV")):
        cert = _uitgeven(pki_dir, tmp_path, oin, "Organisatie")
        uit = cli("deelnemer", "add", "--oin", oin, "--naam", "Organisatie", "--rol", rol, "--kvk", kvk,
                  "--module", "schuldregeling", "--certificaat", str(cert))  # fmt: skip
        assert uit.exit_code == 0, uit.output
    rijen = [json.loads(r) for r in cli("deelnemer", "list", "--json").output.splitlines()]
    assert sorted((r["oin"], r["kvkNummer"]) for r in rijen) == [
        (gemeente, "30280353"),
        (bedrijf, "24681357"),
    ]


def test_par_8_deelnemer_add_met_elke_vlag_geeft_die_vermelding(
    client: Client, wie: dict[str, Partij], beheer: Beheer, pki_dir: Path, tmp_path: Path
) -> None:
    """§8: "`knooppunt deelnemer add --oin --naam --rol --kvk --module M [--module M2 ...]
    --certificaat FILE [--gebruikt-bsn] [--standaard-akkoord] [--schuldensoort SOORT ...]`
    (`--module` and `--schuldensoort` may repeat)"; §3a: "(default all of that module; CLI `--module
    schuldregeling:1.0,2.0`)"; §2: the roles `SHV`, `SE`, `WF`, `BW`, "and the hub itself
    (`KNOOPPUNT`, author of hub notices)" — no participant. A participant of every role, registered
    by the CLI on the running hub's database, is at once in the adresboek exactly as registered —
    flags not given are false, no schuldensoort is none, `schuldensoorten` "a set" (a repeated one
    once), the "optional `vestigingsnummer`" there
    when given (`--vestigingsnummer`) — and can use the hub; `--rol KNOOPPUNT` is refused."""
    nieuw = {
        "SE": ("00000003135792460000", "13579246", "Incasso Publiek BV"),
        "SHV": ("00000003975318640000", "97531864", "Schuldhulp Regio"),
        "WF": ("00000003112233440000", "11223344", "Tweede Fonds"),
        "BW": ("00000003556677880000", "55667788", "Bewind & Co"),
    }
    certs = {rol: _uitgeven(pki_dir, tmp_path, oin, naam, "rsa" if rol == "SE" else "ec")
             for rol, (oin, _, naam) in nieuw.items()}  # fmt: skip
    extra = {
        "SE": ["--module", "schuldregeling:1.0", "--module", "pauzeknop", "--module", "bewind",
               "--schuldensoort", "publiek", "--schuldensoort", "zorg", "--schuldensoort", "zorg",
               "--gebruikt-bsn", "--standaard-akkoord"],
        "SHV": ["--module", "schuldregeling:1.0,2.0", "--module", "saldoverzoek",
                "--vestigingsnummer", "000012345678"],
        "WF": ["--module", "waarborgfonds"],
        "BW": ["--module", "bewind", "--module", "saldoverzoek"],
    }  # fmt: skip
    for rol, (oin, kvk, naam) in nieuw.items():
        _ok(beheer("deelnemer", "add", "--oin", oin, "--naam", naam, "--rol", rol, "--kvk", kvk,
                   *extra[rol], "--certificaat", certs[rol]))  # fmt: skip
    geweigerd = beheer("deelnemer", "add", "--oin", "00000003998877660000", "--naam", "Hub", "--rol",
                       "KNOOPPUNT", "--kvk", "99887766", "--module", "schuldregeling",
                       "--certificaat", certs["SE"])  # fmt: skip
    assert geweigerd.returncode != 0 and "--rol" in geweigerd.stderr, geweigerd.stderr
    assert "Traceback" not in geweigerd.stderr

    verwacht = {
        "SE": (["bewind", "pauzeknop", "schuldregeling"],
               {"bewind": ["2.0"], "pauzeknop": ["2.0"], "schuldregeling": ["1.0"]},
               True, True, ["publiek", "zorg"]),
        "SHV": (["saldoverzoek", "schuldregeling"],
                {"saldoverzoek": ["2.0"], "schuldregeling": ["1.0", "2.0"]}, False, False, []),
        "WF": (["waarborgfonds"], {"waarborgfonds": ["2.0"]}, False, False, []),
        "BW": (["bewind", "saldoverzoek"], {"bewind": ["2.0"], "saldoverzoek": ["2.0"]}, False, False, []),
    }  # fmt: skip
    c = client(wie["gemeente"])
    for rol, (oin, kvk, naam) in nieuw.items():
        r = c.get(f"/adresboek/{oin}")
        assert r.status_code == 200, r.text
        d = r.json()
        modules, versies, bsn, akkoord, soorten = verwacht[rol]
        assert (d["oin"], d["kvkNummer"], d["naam"], d["rol"]) == (oin, kvk, naam, rol)
        assert d.get("vestigingsnummer") == ("000012345678" if rol == "SHV" else None), d  # §2: optional
        assert (d["modules"], d["versies"]) == (modules, versies), d
        assert (d["gebruiktBsn"], d["standaardAkkoord"], sorted(d["schuldensoorten"])) == (
            bsn,
            akkoord,
            soorten,
        )
        [cert] = d["certificaten"]
        assert sorted(cert["gebruik"]) == ["ondertekening", "tls", "versleuteling"]
        assert x509.load_pem_x509_certificate(cert["pem"].encode()) == x509.load_pem_x509_certificate(
            certs[rol].read_bytes()
        )
        assert oin in _oins(c, rol=rol)
    assert all(d["rol"] in ROLLEN for d in c.get("/adresboek", params={"limit": 1000}).json()["deelnemers"])

    # What it registered is what the hub routes by: the new creditor (BSN, 1.0 only) is reached with
    # a 1.0 kennisgeving_bsn, over mutual TLS with its new RSA certificate.
    se = Partij(nieuw["SE"][0], nieuw["SE"][2], "SE", nieuw["SE"][1], certs["SE"],
                certs["SE"].with_name(certs["SE"].stem + "-key.pem"))  # fmt: skip
    e = envelop(wie["gemeente"], se, "kennisgeving_bsn", versie="1.0")
    _stuur(c, e)
    assert [b["referentienummer"] for b in _inbox(client(se))] == [e["referentienummer"]]


# --- §2: KNOOPPUNT only authors hub notices -------------------------------------------------------

PAREN = [
    # (module, versie, sender, recipient): both joined the module (see MODULES_VAN)
    ("schuldregeling", "1.0", "gemeente", "energie"),
    ("schuldregeling", "2.0", "energie", "gemeente"),
    ("betalingsregeling", "2.0", "gemeente", "zorg"),
    ("pauzeknop", "2.0", "belasting", "gemeente"),
    ("saldoverzoek", "2.0", "bewindvoerder", "energie"),
    ("bewind", "2.0", "energie", "bewindvoerder"),
    ("waarborgfonds", "2.0", "kredietbank", "sbn"),
    ("waarborgfonds", "2.0", "sbn", "kredietbank"),
]


def test_par_1_en_2_knooppunt_is_geen_deelnemer_en_een_antwoord_wijst_altijd_zijn_vraag_aan(
    client: Client, wie: dict[str, Partij]
) -> None:
    """§2: "the hub itself (`KNOOPPUNT`, author of hub notices)"; §3: `foutbericht` "authored by the
    hub only", `ontvangstbevestiging` "KNOOPPUNT → sender"; §3b: "`foutbericht` and
    `ontvangstbevestiging` belong to every module"; §4: "The hub adds `afzender` (from
    authentication — never from the body)". In every module and version, from every role, a
    participant offering a hub notice is refused (`ROL_NIET_TOEGESTAAN`), on the single and the
    batch path; a body claiming `afzender` KNOOPPUNT is sent under the caller's own OIN; KNOOPPUNT
    is no recipient and no adresboek entry.

    §1.2: "Messages come in request/answer pairs; an answer always points at the message it
    answers"; §3: "'answers' = the allowed `crossReferentienummer` target". Every answer type of
    every module and version (§3, §3a, §3b) without a `crossReferentienummer` is refused
    (`ONGELDIG_ANTWOORD`), on both paths; a type that answers and refers to nothing is refused when
    it names a message, even one its sender may see.

    §1.1: "every participant receives the same fields in the same form": a creditor, the fund, a
    kredietbank and a municipality, in four modules, each find the same fields in their inbox —
    a hub notice too (its `melding` in the place of `inhoud`, §4)."""
    for module, versie, van, aan in PAREN:
        zender = client(wie[van])
        for berichttype in ("foutbericht", "ontvangstbevestiging"):
            e = envelop(wie[van], wie[aan], berichttype, module=module, versie=versie)
            _probleem(zender.post("/berichten", json=e), 422, "ROL_NIET_TOEGESTAAN")
            r = _reeks(zender, [e])
            assert r.status_code == 200, r.text
            [uitkomst] = r.json()["berichten"]
            assert (uitkomst["status"], uitkomst["probleem"]["code"]) == (422, "ROL_NIET_TOEGESTAAN"), (
                uitkomst
            )
    for partij in wie.values():
        assert _inbox(client(partij)) == [], partij.naam

    gemeente, energie = wie["gemeente"], wie["energie"]
    shv = client(gemeente)
    e = envelop(gemeente, energie, "kennisgeving")
    bericht = _stuur(shv, e | {"afzender": "KNOOPPUNT"})
    assert bericht["afzender"] == gemeente.oin
    [ontvangen] = _inbox(client(energie))
    assert ontvangen["afzender"] == gemeente.oin and ontvangen["referentienummer"] == e["referentienummer"]

    body = _probleem(
        shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving") | {"ontvanger": "KNOOPPUNT"}),
        400,
    )
    assert "ontvanger" in json.dumps(body.get("invalidParams", body))
    _probleem(shv.get("/adresboek/KNOOPPUNT"), 400)
    r = shv.get("/adresboek", params={"rol": "KNOOPPUNT"})
    assert r.status_code == 400 or r.json()["deelnemers"] == [], r.text
    assert {d["rol"] for d in shv.get("/adresboek", params={"limit": 1000}).json()["deelnemers"]} == ROLLEN

    # --- §1.2: an answer always points at the message it answers
    antwoord_1_0 = [
        "kennisgeving_antwoord",
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
    ]
    antwoorden = [
        ("schuldregeling", "1.0", "zorg", "gemeente", [*antwoord_1_0, "klant_onbekend"]),
        ("schuldregeling", "2.0", "zorg", "gemeente", [*antwoord_1_0, "geen_medewerking"]),
        ("betalingsregeling", "2.0", "zorg", "gemeente", [*antwoord_1_0, "geen_medewerking"]),
        ("saldoverzoek", "2.0", "zorg", "gemeente", ["saldoverzoek_antwoord", "geen_medewerking"]),
        ("saldoverzoek", "2.0", "zorg", "bewindvoerder", ["saldoverzoek_antwoord", "geen_medewerking"]),
        ("pauzeknop", "2.0", "zorg", "gemeente", ["kennisgeving_antwoord", "geen_medewerking"]),
        ("bewind", "2.0", "zorg", "bewindvoerder", ["melding_bewind_antwoord", "geen_medewerking"]),
        ("waarborgfonds", "2.0", "kredietbank", "sbn", ["kredietinformatie"]),
    ]
    per_afzender: dict[str, list[dict[str, Any]]] = {}
    for module, versie, van, aan, typen in antwoorden:
        for berichttype in typen:
            e = envelop(wie[van], wie[aan], berichttype, module=module, versie=versie)
            _probleem(client(wie[van]).post("/berichten", json=e), 422, "ONGELDIG_ANTWOORD")
            per_afzender.setdefault(van, []).append(e)
    for van, envelops in per_afzender.items():
        r = _reeks(client(wie[van]), envelops)
        assert r.status_code == 200, r.text
        assert {(u["status"], u["probleem"]["code"]) for u in r.json()["berichten"]} == {
            (422, "ONGELDIG_ANTWOORD")
        }

    zorg = wie["zorg"]
    conversatie = str(uuid.uuid4())
    vraag = _stuur(shv, envelop(gemeente, zorg, "kennisgeving", versie="1.0", conversatie=conversatie))
    naar_vraag = {"conversatie": conversatie, "antwoord_op": vraag["referentienummer"], "versie": "1.0"}
    for van, aan, berichttype in [
        (gemeente, zorg, "kennisgeving"),
        (gemeente, zorg, "saldoverzoek_zorg"),
        (gemeente, zorg, "betaalvoorstel"),
        (gemeente, zorg, "schuldregeling_geaccordeerd"),
        (gemeente, zorg, "schuldregeling_beeindigd"),
        (zorg, gemeente, "statusverzoek"),
    ]:
        body = _probleem(
            client(van).post("/berichten", json=envelop(van, aan, berichttype, **naar_vraag)), 422
        )
        assert body["code"] in ("ONGELDIG_ANTWOORD", "ONGELDIGE_VERWIJZING"), body
        # §4: invalidParams "where fields are at fault" — for both codes the reference (a wire probe:
        # ONGELDIGE_VERWIJZING had none)
        assert [p["name"] for p in body["invalidParams"]] == ["crossReferentienummer"], body
    assert [b["referentienummer"] for b in _inbox(client(zorg))] == [vraag["referentienummer"]]

    # --- §1.1: every participant receives the same fields in the same form
    kredietbank, sbn, bw = wie["kredietbank"], wie["sbn"], wie["bewindvoerder"]
    _stuur(
        client(kredietbank),
        envelop(kredietbank, sbn, "aanvraag_borgstelling", module="waarborgfonds", versie="2.0"),
    )
    _stuur(
        client(sbn),
        envelop(sbn, kredietbank, "verzoek_kredietinformatie", module="waarborgfonds", versie="2.0"),
    )
    _stuur(client(bw), envelop(bw, wie["belasting"], "melding_bewind", module="bewind", versie="2.0"))
    assert client(energie).post(f"/berichten/{bericht['referentienummer']}/bevestiging").status_code == 200
    inboxen = {
        naam: _inbox(client(wie[naam])) for naam in ("zorg", "sbn", "kredietbank", "belasting", "gemeente")
    }
    assert all(inboxen.values()), {n: len(b) for n, b in inboxen.items()}
    velden = {naam: {frozenset(b) for b in berichten} for naam, berichten in inboxen.items()}
    assert len(set().union(*velden.values())) == 1, velden  # one form: SHV, SE, WF; a hub notice too
    [kwitantie] = inboxen["gemeente"]
    assert kwitantie["afzender"] == "KNOOPPUNT" and kwitantie["melding"] and not kwitantie.get("inhoud")


# --- §2: a message only between participants that joined its module -------------------------------


def test_par_2_alleen_als_afzender_en_ontvanger_de_module_hebben_ook_na_een_wijziging(
    client: Client, wie: dict[str, Partij], beheer: Beheer
) -> None:
    """§2: "Modules (a participant joins a subset; a message can only be sent to a participant that
    has joined the message's module)"; "Both sender and recipient must have joined a message's
    module"; §4's code `MODULE_NIET_ACTIEF`. On the single and the batch path; and when a beheerder
    takes a module away from a participant (`knooppunt deelnemer wijzig`) while the hub runs, the
    very next message in it is refused — whichever side left — and accepted again once it is back."""
    gemeente, kredietbank, energie, zorg = wie["gemeente"], wie["kredietbank"], wie["energie"], wie["zorg"]
    shv, kb = client(gemeente), client(kredietbank)

    def pauze(van: Partij, aan: Partij) -> dict[str, Any]:
        return envelop(van, aan, "kennisgeving", module="pauzeknop", versie="2.0")

    def geweigerd(c: httpx.Client, e: dict[str, Any]) -> None:
        body = _probleem(c.post("/berichten", json=e), 422, "MODULE_NIET_ACTIEF")
        assert "pauzeknop" in body["detail"], body
        r = _reeks(c, [e | {"referentienummer": str(uuid.uuid4())}])
        assert r.status_code == 200, r.text
        assert [(u["status"], u["probleem"]["code"]) for u in r.json()["berichten"]] == [
            (422, "MODULE_NIET_ACTIEF")
        ]

    eerst = [_stuur(shv, pauze(gemeente, energie)), _stuur(shv, pauze(gemeente, zorg))]
    geweigerd(kb, pauze(kredietbank, energie))  # the sender has not joined pauzeknop

    # the recipient leaves pauzeknop
    _ok(beheer("deelnemer", "wijzig", "--oin", zorg.oin, "--module", "schuldregeling", "--module", "bewind"))
    assert zorg.oin not in _oins(shv, module="pauzeknop")
    geweigerd(shv, pauze(gemeente, zorg))
    r = _reeks(shv, [pauze(gemeente, energie), pauze(gemeente, zorg)])
    assert [u["status"] for u in r.json()["berichten"]] == [201, 422], r.text
    assert [b["referentienummer"] for b in _inbox(client(zorg))] == [eerst[1]["referentienummer"]]

    # the sender leaves pauzeknop
    _ok(beheer("deelnemer", "wijzig", "--oin", gemeente.oin, "--module", "schuldregeling"))
    geweigerd(shv, pauze(gemeente, energie))
    _ok(
        beheer(
            "deelnemer",
            "wijzig",
            "--oin",
            gemeente.oin,
            "--module",
            "schuldregeling",
            "--module",
            "pauzeknop",
        )
    )
    _stuur(shv, pauze(gemeente, energie))
    assert len(_inbox(client(energie))) == 3


# --- §3a: versions side by side -------------------------------------------------------------------


def test_par_3a_wie_alleen_1_0_accepteert_ontvangt_nooit_2_0(
    client: Client, wie: dict[str, Partij], beheer: Beheer
) -> None:
    """§3a: "1.0 and 2.0 side by side"; "The adresboek entry has, beside `modules` (unchanged: a list
    of module codes), `versies`: per module the versions the participant accepts (default all of that
    module; CLI `--module schuldregeling:1.0,2.0`). A message that names no other, in a version that
    the sender or the recipient does not accept: 422 `VERSIE_NIET_ONDERSTEUND`, naming the versions
    both accept." A creditor switched to 1.0 by a beheerder while the hub runs is at once listed with
    1.0 beside participants accepting both, and receives no new 2.0 message — single, batch or all or
    nothing — while 1.0 and its other modules' 2.0 still reach it; it cannot send 2.0 either."""
    gemeente, energie, belasting = wie["gemeente"], wie["energie"], wie["belasting"]
    shv, se = client(gemeente), client(energie)
    conversatie = str(uuid.uuid4())
    voor = _stuur(shv, envelop(gemeente, energie, "kennisgeving", versie="2.0", conversatie=conversatie))

    andere = [m for m in ALLE_SE_MODULES if m != "schuldregeling"]
    _ok(beheer("deelnemer", "wijzig", "--oin", energie.oin, "--module", "schuldregeling:1.0",
               *[a for m in andere for a in ("--module", m)]))  # fmt: skip

    lijst = {
        d["oin"]: d for d in shv.get("/adresboek", params={"module": "schuldregeling"}).json()["deelnemers"]
    }
    assert lijst[energie.oin]["versies"] == {"schuldregeling": ["1.0"]} | {m: ["2.0"] for m in andere}
    assert lijst[energie.oin]["modules"] == sorted(ALLE_SE_MODULES)
    assert lijst[belasting.oin]["versies"]["schuldregeling"] == ["1.0", "2.0"]
    assert lijst[gemeente.oin]["versies"]["schuldregeling"] == ["1.0", "2.0"]

    def naar_energie(berichttype: str, versie: str) -> dict[str, Any]:
        return envelop(gemeente, energie, berichttype, versie=versie, conversatie=conversatie)

    for berichttype in ("kennisgeving", "saldoverzoek_nuts", "betaalvoorstel", "statusbericht"):
        body = _probleem(
            shv.post("/berichten", json=naar_energie(berichttype, "2.0")), 422, "VERSIE_NIET_ONDERSTEUND"
        )
        assert "1.0" in body["detail"], body
        assert "versie" in [p["name"] for p in body.get("invalidParams", [])], body
    r = _reeks(shv, [naar_energie("saldoverzoek_nuts", "2.0"), naar_energie("kennisgeving", "1.0")])
    assert r.status_code == 200, r.text
    assert [(u["status"], (u.get("probleem") or {}).get("code")) for u in r.json()["berichten"]] == [
        (422, "VERSIE_NIET_ONDERSTEUND"),
        (201, None),
    ]
    r = _reeks(
        shv, [naar_energie("kennisgeving", "1.0"), naar_energie("betaalvoorstel", "2.0")], allesOfNiets=True
    )
    assert r.status_code == 422, r.text
    assert r.json()["berichten"][1]["probleem"]["code"] == "VERSIE_NIET_ONDERSTEUND"
    na = _stuur(shv, naar_energie("saldoverzoek_nuts", "1.0"))
    pauze = _stuur(shv, envelop(gemeente, energie, "kennisgeving", module="pauzeknop", versie="2.0"))

    ontvangen = _inbox(se)
    assert [
        b["referentienummer"] for b in ontvangen if b["versie"] == "2.0" and b["module"] == "schuldregeling"
    ] == [voor["referentienummer"]]
    assert {na["referentienummer"], pauze["referentienummer"]} <= {b["referentienummer"] for b in ontvangen}
    assert len(ontvangen) == 4

    # nor does it send 2.0 (this SE and SHV exchanged a message in this conversation)
    _probleem(
        se.post(
            "/berichten",
            json=envelop(energie, gemeente, "statusverzoek", versie="2.0", conversatie=conversatie),
        ),
        422,
        "VERSIE_NIET_ONDERSTEUND",
    )
    _stuur(se, envelop(energie, gemeente, "statusverzoek", versie="1.0", conversatie=conversatie))


# --- §2: conversations ----------------------------------------------------------------------------


def test_par_2_een_conversatie_is_een_uuid_v4(client: Client, wie: dict[str, Partij]) -> None:
    """§2: "A **conversation** (`conversatieReferentienummer`, a UUIDv4) is one client's traject: its
    first message creates it"; §4: "Every identifier in the wire contract … must already be
    canonical …; anything malformed in a path, query, header or body is a 4xx problem+json". A
    conversation number that is no UUIDv4 — the nil UUID, a time-based v1, a v8, a v4 with another
    variant — creates no conversation: 400 naming `conversatieReferentienummer`, on the single and
    the batch path, and nothing is delivered; the same message under a UUIDv4 is accepted."""
    gemeente, energie = wie["gemeente"], wie["energie"]
    shv = client(gemeente)
    geen_v4 = [
        "00000000-0000-0000-0000-000000000000",  # nil
        str(uuid.uuid1()),  # time-based
        "0f0e0d0c-0b0a-8908-8706-050403020100",  # version 8
        "0f0e0d0c-0b0a-4908-c706-050403020100",  # version 4 nibble, but not the RFC 9562 variant
    ]
    for conversatie in geen_v4:
        e = envelop(gemeente, energie, "kennisgeving", conversatie=conversatie)
        body = _probleem(shv.post("/berichten", json=e), 400)
        assert "conversatieReferentienummer" in json.dumps(body.get("invalidParams", [])), body
        r = _reeks(shv, [e])
        assert r.status_code == 400 or [u["status"] for u in r.json()["berichten"]] == [400], r.text
    assert _inbox(client(energie)) == []
    _stuur(shv, envelop(gemeente, energie, "kennisgeving", conversatie=str(uuid.uuid4())))


def _tijdlijn(c: httpx.Client, conversatie: str) -> list[dict[str, Any]]:
    r = c.get(f"/conversaties/{conversatie}")
    assert r.status_code == 200, r.text
    return list(r.json()["berichten"])


def _sleutels(tijdlijn: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Each message as (berichttype, its own number — or, for a hub notice, the number it is about)."""
    return {
        (
            b["berichttype"],
            b["crossReferentienummer"] if b["afzender"] == "KNOOPPUNT" else b["referentienummer"],
        )
        for b in tijdlijn
    }


def test_par_2_conversatie_ieder_ziet_alleen_wat_hij_verstuurde_of_ontving_een_ander_niets(
    client: Client, wie: dict[str, Partij]
) -> None:
    """§2: "A conversation (`conversatieReferentienummer`, a UUIDv4) is one client's traject: its
    first message creates it and that message's sender owns it"; "A conversation may carry several
    modules of one client's traject (a kennisgeving with a pause, then a schuldregeling). Each party
    sees only the messages it sent or received in it"; §4: "`GET
    /api/v1/conversaties/{conversatieReferentienummer}` | parties | metadata timeline of the
    messages the caller sent or received in it". The owner, a creditor in two of its modules and a
    creditor in one each see exactly their own messages and the hub notices addressed to them, in
    both modules, in time order, without content — and nothing of another conversation.

    "… never across other parties' messages": a participant with no message in the conversation
    gets exactly the answer of a conversation that does not exist — not an empty timeline that
    would confirm it exists —, and `/verzonden` filtered on it and `/logboek` show nothing of it; a
    creditor in it asking for, confirming or refusing a message of it addressed to another creditor
    gets exactly the answer of a message that does not exist."""
    gemeente, energie, zorg = wie["gemeente"], wie["energie"], wie["zorg"]
    shv, se, se2 = client(gemeente), client(energie), client(zorg)
    conv, elders = str(uuid.uuid4()), str(uuid.uuid4())

    def stuur(van: Partij, aan: Partij, berichttype: str, module: str, versie: str, **kw: Any) -> str:
        e = envelop(
            van, aan, berichttype, module=module, versie=versie, conversatie=kw.pop("conversatie", conv), **kw
        )
        return str(_stuur(client(van), e)["referentienummer"])

    k_energie = stuur(gemeente, energie, "kennisgeving", "pauzeknop", "2.0")
    k_zorg = stuur(gemeente, zorg, "kennisgeving", "pauzeknop", "2.0")
    vraag = stuur(gemeente, energie, "saldoverzoek_nuts", "schuldregeling", "1.0")
    ander = stuur(gemeente, energie, "kennisgeving", "schuldregeling", "1.0", conversatie=elders)
    assert se.post(f"/berichten/{k_energie}/bevestiging").status_code == 200  # receipt to gemeente
    antwoord = stuur(energie, gemeente, "saldoverzoek_antwoord", "schuldregeling", "1.0", antwoord_op=vraag)
    assert shv.post(f"/berichten/{antwoord}/bevestiging").status_code == 200  # receipt to energie

    bevestiging = "ontvangstbevestiging"
    verwacht = {
        "gemeente": {("kennisgeving", k_energie), ("kennisgeving", k_zorg), ("saldoverzoek_nuts", vraag),
                     ("saldoverzoek_antwoord", antwoord), (bevestiging, k_energie), (bevestiging, vraag)},
        "energie": {("kennisgeving", k_energie), ("saldoverzoek_nuts", vraag),
                    ("saldoverzoek_antwoord", antwoord), (bevestiging, antwoord)},
        "zorg": {("kennisgeving", k_zorg)},
    }  # fmt: skip
    modules = {
        "gemeente": {"pauzeknop", "schuldregeling"},
        "energie": {"pauzeknop", "schuldregeling"},
        "zorg": {"pauzeknop"},
    }
    for naam, c in (("gemeente", shv), ("energie", se), ("zorg", se2)):
        tijdlijn = _tijdlijn(c, conv)
        assert _sleutels(tijdlijn) == verwacht[naam], naam
        assert len(tijdlijn) == len(verwacht[naam]), naam
        assert {b["module"] for b in tijdlijn} == modules[naam], naam
        for b in tijdlijn:
            assert wie[naam].oin in (b["afzender"], b["ontvanger"]), (naam, b)
            assert b["conversatieReferentienummer"] == conv
            assert not b.get("inhoud"), b
            assert ander not in json.dumps(b)
        tijden = [_moment(b["ontvangenOp"]) for b in tijdlijn]
        assert tijden == sorted(tijden), naam
    # the module of a notice is its message's: the pause's receipt is in pauzeknop
    [kwitantie] = [
        b
        for b in _tijdlijn(shv, conv)
        if (b["berichttype"], b["crossReferentienummer"]) == (bevestiging, k_energie)
    ]
    assert (kwitantie["module"], kwitantie["afzender"]) == ("pauzeknop", "KNOOPPUNT")

    # --- a participant with no message in it learns nothing of it
    onbekend = str(uuid.uuid4())
    for buitenstaander in (wie["belasting"], wie["bewindvoerder"], wie["kredietbank"]):
        c = client(buitenstaander)
        niet_bestaand = _probleem(c.get(f"/conversaties/{onbekend}"), 404)
        wel_bestaand = _probleem(c.get(f"/conversaties/{conv}"), 404)
        assert _kaal(wel_bestaand, conv) == _kaal(niet_bestaand, onbekend), buitenstaander.naam
        r = c.get("/verzonden", params={"conversatieReferentienummer": conv})
        assert r.status_code == 200 and r.json()["berichten"] == [], r.text
        logboek = c.get("/logboek")
        assert logboek.status_code == 200 and conv not in logboek.text, logboek.text

    # --- nor does a creditor in it learn of another creditor's message in it
    for c, van_een_ander in ((se, k_zorg), (se2, vraag)):
        niet_bestaand = _probleem(c.get(f"/berichten/{onbekend}"), 404)
        gevraagd = _probleem(c.get(f"/berichten/{van_een_ander}"), 404)
        assert _kaal(gevraagd, van_een_ander) == _kaal(niet_bestaand, onbekend)
        assert van_een_ander not in c.get("/logboek").text
        for pad in ("bevestiging", "weigering"):
            body = {"reden": "ONTSLEUTELING_MISLUKT"} if pad == "weigering" else None
            a = c.post(f"/berichten/{van_een_ander}/{pad}", json=body)
            b = c.post(f"/berichten/{onbekend}/{pad}", json=body)
            assert a.status_code == b.status_code == 404, (a.text, b.text)
            assert _kaal(a.json(), van_een_ander) == _kaal(b.json(), onbekend)
    assert _sleutels(_tijdlijn(se2, conv)) == verwacht["zorg"]  # nothing was confirmed or refused
