"""Revocation that cannot be rolled back (DESIGN §5): the CRL state shared by the hub's nodes in
the database, the newest CRL (CRL number, then thisUpdate) winning, an older one refused and
alerted. Two `Intrekkingscontrole`s on one database stand for two nodes here; the same with two
real `knooppunt serve` processes is in tests/functional/test_mtls.py."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import event, select, update

from knooppunt.hub import adresboek
from knooppunt.hub.intrekking import GedeeldeCrls
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.pki.intrekking import GeenActueleCrl, Ingetrokken, Intrekkingscontrole
from knooppunt.pki.ontwikkel_ca import Intrekking
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store.db import db_nu, leesverbinding, transactie
from knooppunt.store.models import Auditregel, CrlStaat
from tests.factories import Partij, envelop
from tests.unit.test_pki import Klok, teruggedraaid


def _crl(
    ca: Path, pad: Path, ingetrokken: Sequence[x509.Certificate], *, nummer: int, dagen_oud: float = 1
) -> Path:
    deze = datetime.now(UTC) - timedelta(days=dagen_oud)
    crl = ontwikkel_ca.maak_crl(
        ca,
        [Intrekking(c.serial_number, deze) for c in ingetrokken],
        nummer=nummer,
        deze_update=deze,
        volgende_update=deze + timedelta(days=7),
    )
    return ontwikkel_ca.schrijf_crl(pad, crl)


def _node(rt: Runtime, bron: Path, klok: Klok) -> Intrekkingscontrole:
    """One node's revocation check, sharing its CRL state through the test's database."""
    assert rt.ankers is not None
    return Intrekkingscontrole(
        [str(bron)], rt.ankers, verversen=60, klok=klok, gedeeld=GedeeldeCrls(rt.engine, rt.sessions)
    )


def _versie(rt: Runtime) -> int:
    """What a request's first statement reads (api.deps)."""
    with rt.sessions() as session:
        return crl_staat.nu_en_versie(session)[1]


def _certificaat(partij: Partij) -> x509.Certificate:
    return x509.load_pem_x509_certificate(partij.cert_pad.read_bytes())


def _gedeeld(rt: Runtime) -> list[tuple[int, int]]:
    with leesverbinding(rt.engine) as conn:
        return [(int(n), int(v)) for n, v in conn.execute(select(CrlStaat.crl_nummer, CrlStaat.versie))]


def test_een_oudere_crl_vervangt_de_gedeelde_niet_en_wordt_gemeld(
    rt: Runtime, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    ca = x509.load_pem_x509_certificate((pki_dir / "ca.pem").read_bytes())
    cert = _certificaat(pki["gemeente"])
    bron = _crl(pki_dir, tmp_path / "a.pem", [cert], nummer=7)
    klok = Klok()
    a = _node(rt, bron, klok)
    with pytest.raises(Ingetrokken):
        a.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    assert _gedeeld(rt) == [(7, 1)]

    voor = teruggedraaid("bron")
    oudere = {
        "lager nummer": lambda: _crl(pki_dir, bron, [], nummer=6),
        "zelfde nummer, oudere thisUpdate": lambda: _crl(pki_dir, bron, [], nummer=7, dagen_oud=2),
    }
    for schrijf in oudere.values():
        schrijf()
        klok.nu += 60
        with structlog.testing.capture_logs() as logs, pytest.raises(Ingetrokken):
            a.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
        alarm = [r for r in logs if r["event"] == "crl ouder dan de gehouden crl geweigerd"]
        assert [(r["log_level"], r["herkomst"], r["gehouden_crl_nummer"]) for r in alarm] == [
            ("error", "bron", 7)
        ], logs
    assert teruggedraaid("bron") == voor + len(oudere)
    # The shared state still holds CRL 7, unchanged (its version too).
    assert _gedeeld(rt) == [(7, 1)]
    # Each refusal is in the audit log: the trust anchor and the numbers, nothing of a participant.
    with leesverbinding(rt.engine) as conn:
        regels = conn.execute(
            select(Auditregel.actor, Auditregel.certificaat, Auditregel.uitkomst, Auditregel.deelnemer)
            .where(Auditregel.actie == "crl_geweigerd")
            .order_by(Auditregel.id)
        ).all()
    sleutel = ca.fingerprint(hashes.SHA256()).hex()
    assert [tuple(r) for r in regels] == [
        ("KNOOPPUNT", sleutel, "nummer 6 < 7", None),
        ("KNOOPPUNT", sleutel, "nummer 7, thisUpdate ouder", None),
    ]

    # A node started later whose source serves the old CRL: it holds nothing yet, but the shared
    # state refuses its CRL and gives it the newer one.
    b = _node(rt, _crl(pki_dir, tmp_path / "b.pem", [], nummer=6), Klok())
    with pytest.raises(Ingetrokken):
        b.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    assert _gedeeld(rt) == [(7, 1)]


def test_een_intrekking_die_een_node_laadt_geldt_bij_het_volgende_verzoek_op_elke_node(
    rt: Runtime, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    ca = x509.load_pem_x509_certificate((pki_dir / "ca.pem").read_bytes())
    cert = _certificaat(pki["energie"])
    a_bron = _crl(pki_dir, tmp_path / "a.pem", [], nummer=1)
    b_bron = _crl(pki_dir, tmp_path / "b.pem", [], nummer=1)
    a_klok, b_klok = Klok(), Klok()
    a, b = _node(rt, a_bron, a_klok), _node(rt, b_bron, b_klok)
    for node in (a, b):
        node.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    # Node A's source publishes the revocation and A refreshes; B's source never does.
    _crl(pki_dir, a_bron, [cert], nummer=2)
    a_klok.nu += 60
    with pytest.raises(Ingetrokken):
        a.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    # B's next request reads the changed version and refuses, before B refreshes anything.
    with pytest.raises(Ingetrokken):
        b.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    # When B refreshes, its source's older CRL is refused: the certificate stays refused.
    b_klok.nu += 60
    voor = teruggedraaid("bron")
    with pytest.raises(Ingetrokken):
        b.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    assert teruggedraaid("bron") == voor + 1
    assert _gedeeld(rt) == [(2, 2)]
    # While the version is unchanged a request costs no statement beyond its first one.
    versie = _versie(rt)
    statements: list[str] = []

    def tel(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(rt.engine, "before_cursor_execute", tel)
    try:
        for node in (a, b):
            with pytest.raises(Ingetrokken):
                node.controleer([cert, ca], moment=datetime.now(UTC), versie=versie)
    finally:
        event.remove(rt.engine, "before_cursor_execute", tel)
    assert statements == []


def test_alleen_de_nieuwste_crl_blijft_bij_gelijktijdige_nodes(rt: Runtime) -> None:
    """The accept-if-newer update is one conditional statement: nodes storing CRLs at the same
    time, in any order, leave the highest number, and every replacement counts in the version."""
    aangeboden = list(range(1, 41))
    random.Random(11).shuffle(aangeboden)
    deze = datetime.now(UTC) - timedelta(hours=1)
    opgeslagen: list[int] = []
    fouten: list[BaseException] = []

    def node(nummers: list[int]) -> None:
        try:
            for nummer in nummers:
                with transactie(rt.sessions) as session:
                    gehouden = crl_staat.bewaar(
                        session,
                        uitgever="a" * 64,
                        uitgever_naam="CN=test",
                        nummer=nummer,
                        deze_update=deze,
                        volgende_update=deze + timedelta(days=7),
                        der=nummer.to_bytes(2, "big"),
                        nu=db_nu(session),
                    )
                if gehouden is None:
                    opgeslagen.append(nummer)
                else:
                    assert gehouden.nummer >= nummer
        except BaseException as exc:
            fouten.append(exc)

    draden = [threading.Thread(target=node, args=(aangeboden[i::4],)) for i in range(4)]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join()
    assert not fouten, fouten
    assert _gedeeld(rt) == [(40, len(opgeslagen))]
    assert sorted(opgeslagen)[-1] == 40
    with leesverbinding(rt.engine) as conn:
        assert crl_staat.lees(conn, ["a" * 64])[0].der == (40).to_bytes(2, "big")


def test_een_crl_uit_de_database_telt_alleen_met_de_handtekening_van_een_vertrouwensanker(
    rt: Runtime, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path
) -> None:
    """The database only carries signed CRLs between nodes: a row someone rewrote with a CRL not
    signed by the trust anchor (here by another CA of the same name, with a higher number and no
    revocations) is not used, and the revocation stands."""
    ca = x509.load_pem_x509_certificate((pki_dir / "ca.pem").read_bytes())
    cert = _certificaat(pki["belasting"])
    klok = Klok()
    a = _node(rt, _crl(pki_dir, tmp_path / "a.pem", [cert], nummer=3), klok)
    with pytest.raises(Ingetrokken):
        a.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    vreemd = tmp_path / "vreemd"
    ontwikkel_ca.init(vreemd)
    vals = _crl(vreemd, tmp_path / "vals.pem", [], nummer=99)
    with transactie(rt.sessions) as session:
        session.execute(
            update(CrlStaat).values(
                der=x509.load_pem_x509_crl(vals.read_bytes()).public_bytes(serialization.Encoding.DER),
                crl_nummer=crl_staat.nummer_tekst(99),
                versie=CrlStaat.versie + 1,
            )
        )
    with structlog.testing.capture_logs() as logs, pytest.raises(Ingetrokken):
        a.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    assert any(
        r["event"] == "gedeelde crl niet gebruikt" and "niet ondertekend" in r["probleem"] for r in logs
    ), logs
    # A node that starts now, with no CRL of its own source yet usable, does not use it either.
    b = _node(rt, tmp_path / "ontbreekt.pem", Klok())
    with pytest.raises(GeenActueleCrl):
        b.controleer([cert, ca], moment=datetime.now(UTC), versie=_versie(rt))
    # Nor does the forged row hold up a real, newer CRL: the shared state refuses CRL 4 (lower
    # than 99), but a node that cannot use the shared one takes its source's, and says so.
    ander = _certificaat(pki["zorg"])
    _crl(pki_dir, tmp_path / "a.pem", [cert, ander], nummer=4)
    klok.nu += 60
    with structlog.testing.capture_logs() as logs, pytest.raises(Ingetrokken):
        a.controleer([ander, ca], moment=datetime.now(UTC), versie=_versie(rt))
    onbruikbaar = [r for r in logs if r["event"] == "gedeelde crl onbruikbaar"]
    assert [(r["gedeeld_crl_nummer"], r["gebruikt_crl_nummer"]) for r in onbruikbaar] == [(99, 4)], logs


def test_een_certificaat_dat_de_crl_intrekt_is_ook_in_het_adresboek_niet_meer_actueel(
    rt: Runtime, cast: dict[str, Partij], pki_dir: Path, tmp_path: Path, client_voor: Any
) -> None:
    """DESIGN §5: "`kid` is a current `versleuteling` certificate of the recipient". A certificate
    its CA revoked was refused for TLS but stayed `actueel` in the adresboek: the hub took JWEs for
    it, the SDK encrypted for it and accepted signatures made with it after the revocation (found
    by an independent security probe). Now the CRL in force retires it in the adresboek from its
    revocation date — audited as by the CRL — and a message for it is refused."""
    energie, gemeente = cast["energie"], cast["gemeente"]
    tweede = ontwikkel_ca.issue(
        pki_dir, oin=energie.oin, naam=energie.naam, uit_map=tmp_path, basisnaam="energie-2"
    )
    with transactie(rt.sessions) as session:
        adresboek.voeg_certificaat_toe(
            session,
            energie.oin,
            lees_pem(tweede.certificaat.read_bytes()),
            gebruik=["tls", "ondertekening", "versleuteling"],
            nu=db_nu(session),
            ankers=rt.ankers,
            door="test",
        )
    oud = lees_pem(energie.cert_pad.read_bytes()).vingerafdruk
    shv = client_voor(gemeente)
    assert shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving")).status_code == 201

    bron = _crl(pki_dir, tmp_path / "crl.pem", [_certificaat(energie)], nummer=3, dagen_oud=2)
    node = _node(rt, bron, Klok())
    assert node.ververs() == []
    node.ververs()  # a refresh that finds it retired already changes nothing

    certificaten = {c["vingerafdruk"]: c for c in shv.get(f"/adresboek/{energie.oin}").json()["certificaten"]}
    assert certificaten[oud]["actueel"] is False
    ingetrokken = datetime.fromisoformat(certificaten[oud]["ingetrokkenOp"])
    assert abs(ingetrokken - (datetime.now(UTC) - timedelta(days=2))) < timedelta(minutes=5)
    assert [c["actueel"] for v, c in certificaten.items() if v != oud] == [True]
    r = shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving"))
    assert (r.status_code, r.json()["code"]) == (400, "ONGELDIGE_INHOUD"), r.text
    with rt.sessions() as session:
        regels = session.scalars(select(Auditregel).where(Auditregel.certificaat == oud)).all()
    assert [(r.actie, r.actor) for r in regels if r.actie == "certificaat_ingetrokken"] == [
        ("certificaat_ingetrokken", "crl:3")
    ]
