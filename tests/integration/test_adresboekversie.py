"""The adresboek's version (store.crl_staat.ADRESBOEK): every change to the adresboek moves it, in
the transaction of the change, so that a node's cache of verified certificates (api.auth) is
dropped on the next request (DESIGN §5); the shared CRL state's version stays apart from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek
from knooppunt.hub.intrekking import GedeeldeCrls
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store.db import db_nu, transactie
from tests.factories import Partij, envelop


def _versies(rt: Runtime) -> tuple[int, int]:
    """(CRL state, adresboek) as a request's first statement reads them."""
    with rt.sessions() as session:
        _nu, crl, boek = crl_staat.nu_en_versie(session)
    return crl, boek


def _nieuw_certificaat(pki_dir: Path, tmp_path: Path, partij: Partij) -> str:
    uit = ontwikkel_ca.issue(pki_dir, oin=partij.oin, naam="tweede", key_type="ec", uit_map=tmp_path)
    return uit.certificaat.read_text()


WIJZIGINGEN: dict[str, Callable[[Session, Runtime, dict[str, Partij], Path, Path], object]] = {
    "registreer": lambda s, rt, cast, pki_dir, tmp: adresboek.registreer(
        s,
        adresboek.NieuweDeelnemer(
            oin="00000003888888880000",
            naam="Nieuw",
            rol="SE",
            kvk_nummer="88888888",
            modules=["schuldregeling"],
        ),
        nu=db_nu(s),
        ankers=rt.ankers,
        door="beheer:test",
    ),
    "voeg_certificaat_toe": lambda s, rt, cast, pki_dir, tmp: adresboek.voeg_certificaat_toe(
        s,
        cast["gemeente"].oin,
        lees_pem(_nieuw_certificaat(pki_dir, tmp, cast["gemeente"])),
        gebruik=["tls"],
        nu=db_nu(s),
        ankers=rt.ankers,
        door="beheer:test",
    ),
    "trek_certificaat_in": lambda s, rt, cast, pki_dir, tmp: adresboek.trek_certificaat_in(
        s, cast["gemeente"].oin, lees_pem(cast["gemeente"].pem).vingerafdruk, nu=db_nu(s), door="beheer:test"
    ),
    "wijzig": lambda s, rt, cast, pki_dir, tmp: adresboek.wijzig(
        s,
        cast["gemeente"].oin,
        adresboek.DeelnemerWijziging(modules=["schuldregeling", "bewind"]),
        door="beheer:test",
        nu=db_nu(s),
    ),
}


@pytest.mark.parametrize("wijziging", list(WIJZIGINGEN))
def test_elke_wijziging_van_het_adresboek_verhoogt_zijn_versie_en_niet_die_van_de_crls(
    rt: Runtime, cast: dict[str, Partij], pki_dir: Path, tmp_path: Path, wijziging: str
) -> None:
    crl_voor, voor = _versies(rt)
    with transactie(rt.sessions) as session:
        WIJZIGINGEN[wijziging](session, rt, cast, pki_dir, tmp_path)
    assert _versies(rt) == (crl_voor, voor + 1)


def test_een_teruggedraaide_wijziging_laat_de_versie_staan(rt: Runtime, cast: dict[str, Partij]) -> None:
    voor = _versies(rt)
    with rt.sessions() as session:
        adresboek.trek_certificaat_in(
            session,
            cast["energie"].oin,
            lees_pem(cast["energie"].pem).vingerafdruk,
            nu=db_nu(session),
            door="x",
        )
        session.rollback()
    assert _versies(rt) == voor


def test_de_versie_van_het_adresboek_is_geen_crl_voor_de_nodes(rt: Runtime, cast: dict[str, Partij]) -> None:
    """The adresboek's row in crl_staat is not offered to a node as a trust anchor's CRL."""
    assert _versies(rt)[1] >= len(cast)  # every registration counted
    alle, gewijzigd = GedeeldeCrls(rt.engine, rt.sessions).lees({})
    assert alle == {} and gewijzigd == []


def test_een_inzending_ziet_een_wijziging_van_het_adresboek_meteen(
    rt: Runtime, cast: dict[str, Partij], client_voor: Callable[..., Any]
) -> None:
    """#13: a submit's rules read the sender's and recipient's entries from this process's cache
    (adresboek.Deelnemercache); the next request after a change reads the new version and so the
    new entry (art. 3.1/3.2: kennisgeving versus kennisgeving_bsn follows the recipient's flag)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    client = client_voor(gemeente)
    eerst = client.post("/berichten", json=envelop(gemeente, energie, "kennisgeving"))
    assert eerst.status_code == 201, eerst.text  # energie does not identify clients by BSN
    with transactie(rt.sessions) as session:
        adresboek.wijzig(
            session,
            energie.oin,
            adresboek.DeelnemerWijziging(gebruikt_bsn=True),
            door="beheer:test",
            nu=db_nu(session),
        )
    daarna = client.post("/berichten", json=envelop(gemeente, energie, "kennisgeving"))
    assert (daarna.status_code, daarna.json()["code"]) == (422, "ONTVANGER_GEBRUIKT_BSN"), daarna.text
    assert client.post("/berichten", json=envelop(gemeente, energie, "kennisgeving_bsn")).status_code == 201
