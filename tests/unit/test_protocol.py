"""The pure protocol layer: catalogue data, identifiers, the JWE header rules."""

from __future__ import annotations

import base64
import json

import pytest

from knooppunt.protocol.catalogus import CATALOGUS, SALDOVERZOEKEN, Rol
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, oin_voor_kvk, valideer_kvk, valideer_oin
from knooppunt.protocol.jwe import OngeldigeJwe, alg_past_bij_sleutel, kid_naar_vingerafdruk, lees_kop


def test_catalogus_bevat_elk_berichttype_van_schuldregeling() -> None:
    codes = {t.code for t in CATALOGUS.alle() if t.module == "schuldregeling" and t.versie == "1.0"}
    assert codes == {
        "kennisgeving",
        "kennisgeving_bsn",
        "kennisgeving_antwoord",
        "saldoverzoek",
        "saldoverzoek_nuts",
        "saldoverzoek_publiek",
        "saldoverzoek_zorg",
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
        "klant_onbekend",
        "betaalvoorstel",
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
        "schuldregeling_geaccordeerd",
        "schuldregeling_beeindigd",
        "statusbericht",
        "statusverzoek",
        "reminder",
        "foutbericht",
        "ontvangstbevestiging",
    }


def test_art_2_1_antwoordtermijn_voor_saldoverzoek_betaalvoorstel_statusverzoek() -> None:
    met_termijn = {t.code for t in CATALOGUS.alle() if t.antwoord_verwacht and t.versie == "1.0"}
    assert met_termijn == SALDOVERZOEKEN | {"betaalvoorstel", "statusverzoek"}


def test_par_3a_schuldregeling_2_0_vervangt_klant_onbekend_en_voegt_heroverweging_toe() -> None:
    een = {t.code for t in CATALOGUS.alle() if t.module == "schuldregeling" and t.versie == "1.0"}
    twee = {t.code for t in CATALOGUS.alle() if t.module == "schuldregeling" and t.versie == "2.0"}
    assert twee == een - {"klant_onbekend"} | {"geen_medewerking", "heroverweging"}
    met_termijn = {t.code for t in CATALOGUS.alle() if t.antwoord_verwacht and t.module == "schuldregeling"}
    assert met_termijn == SALDOVERZOEKEN | {"betaalvoorstel", "statusverzoek", "heroverweging"}


def test_par_3b_elke_module_staat_in_het_register() -> None:
    assert sorted(CATALOGUS.modulecodes()) == [
        "betalingsregeling",
        "bewind",
        "pauzeknop",
        "saldoverzoek",
        "schuldregeling",
        "waarborgfonds",
    ]
    for module in CATALOGUS.modulecodes():
        for code in ("foutbericht", "ontvangstbevestiging"):
            for versie in CATALOGUS.moduleversies(module):
                assert CATALOGUS.zoek(module, code, versie) is not None


def test_art_13_4_statusbericht_wordt_door_niets_beantwoord() -> None:
    assert not [
        t.code for t in CATALOGUS.alle() if not t.door_knooppunt and t.beantwoordt_type("statusbericht")
    ]


def test_hubberichten_alleen_van_het_knooppunt() -> None:
    for code in ("foutbericht", "ontvangstbevestiging"):
        t = CATALOGUS.zoek("schuldregeling", code)
        assert t is not None and t.van == frozenset({Rol.KNOOPPUNT})


def test_onbekende_module_of_type() -> None:
    assert CATALOGUS.zoek("bestaat-niet", "kennisgeving") is None
    assert CATALOGUS.zoek("schuldregeling", "bestaat_niet") is None


def test_oin() -> None:
    assert valideer_oin("00000003123456780000") == "00000003123456780000"
    assert oin_voor_kvk("12345678") == "00000003123456780000"
    for fout in ("123", "0000000312345678000X", "99999999123456780000", "00000003123456781234"):
        with pytest.raises(OngeldigeIdentificatie):
            valideer_oin(fout)
    with pytest.raises(OngeldigeIdentificatie, match="8 cijfers"):
        valideer_kvk("1234567")


def _jwe(kop: dict[str, object] | str, delen: tuple[str, ...] | None = None) -> str:
    ruw = kop if isinstance(kop, str) else json.dumps(kop)
    b64 = base64.urlsafe_b64encode(ruw.encode()).rstrip(b"=").decode()
    iv = base64.urlsafe_b64encode(b"\0" * 12).rstrip(b"=").decode()
    tag = base64.urlsafe_b64encode(b"\0" * 16).rstrip(b"=").decode()
    return ".".join((b64, *(delen or ("c2xldXRlbA", iv, "dGVrc3Q", tag))))


KID = base64.urlsafe_b64encode(b"\1" * 32).rstrip(b"=").decode()
GOED = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": KID}


def test_geldige_kop() -> None:
    kop = lees_kop(_jwe(GOED), max_bytes=10_000)
    assert (kop.alg, kop.enc, kid_naar_vingerafdruk(kop.kid)) == ("RSA-OAEP-256", "A256GCM", "01" * 32)


@pytest.mark.parametrize(
    ("inhoud", "melding"),
    [
        (_jwe(GOED | {"alg": "dir"}), "niet toegestaan"),
        (_jwe(GOED | {"enc": "A128GCM"}), "enc"),
        (_jwe(GOED | {"kid": "kort"}), "kid"),
        (_jwe(GOED | {"x5c": ["MII"]}), "x5c"),
        (_jwe({"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": KID}), "epk"),
        (_jwe('{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"' + KID + '","enc":"A256GCM"}'), "twee keer"),
        (_jwe("[1,2]"), "JSON-object"),
        ("a.b.c", "compact"),
        (_jwe(GOED, ("c2xldXRlbA", "AAAA", "dGVrc3Q", "AAAA")), "12 bytes"),
        (_jwe(GOED, ("c2xl!XRlbA", "AAAA", "dGVrc3Q", "AAAA")), "base64url"),
        (_jwe({"enc": "A256GCM", "kid": KID}), "mist alg"),
        (_jwe({"alg": "RSA-OAEP-256", "kid": KID}), "mist enc"),
        # A header the recipients' SDK refuses as too large (independent security probe: 201 before).
        (_jwe(GOED | {"pad": "A" * 2000}), "protected header is .* tekens; hoogstens 1024 mag"),
    ],
)
def test_ongeldige_koppen(inhoud: str, melding: str) -> None:
    with pytest.raises(OngeldigeJwe, match=melding):
        lees_kop(inhoud, max_bytes=10_000)


def test_de_hub_laat_geen_grotere_kop_door_dan_de_sdk_opent() -> None:
    from knooppunt.client import compact
    from knooppunt.protocol import jwe

    assert jwe.MAX_KOP_TEKENS == compact.MAX_JWE_KOP


def test_maximale_grootte() -> None:
    with pytest.raises(OngeldigeJwe, match="maximum"):
        lees_kop(_jwe(GOED), max_bytes=50)


def test_algoritme_past_bij_sleutel() -> None:
    assert alg_past_bij_sleutel("RSA-OAEP-256", "RSA", 2048)
    assert not alg_past_bij_sleutel("RSA-OAEP-256", "RSA", 1024)
    assert alg_past_bij_sleutel("ECDH-ES+A256KW", "EC", 256)
    assert not alg_past_bij_sleutel("ECDH-ES+A256KW", "RSA", 4096)
