"""Payload rules that depend on the sender's role, run by the SDK before sealing (DESIGN §3b)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from knooppunt.client.berichten import valideer_payload
from knooppunt.client.fouten import VerzendFout
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij


def test_par_3b_saldoverzoek_bewindvoerder_vraagt_op_grond_van_de_beschikking() -> None:
    payload = voorbeeld("saldoverzoek", "saldoverzoek")
    assert payload["grondslag"] != "beschikking"
    with pytest.raises(VerzendFout) as fout:
        valideer_payload("saldoverzoek", "saldoverzoek", "2.0", payload, afzender_rol="BW")
    assert fout.value.code == "ONGELDIGE_INHOUD"
    assert "beschikking" in str(fout.value)
    # The same payload from a debt counsellor is fine, and without a role nothing is checked.
    assert valideer_payload("saldoverzoek", "saldoverzoek", "2.0", payload, afzender_rol="SHV")
    assert valideer_payload("saldoverzoek", "saldoverzoek", "2.0", payload)


def test_par_3b_saldoverzoek_schuldhulpverlener_vraagt_niet_op_grond_van_een_beschikking() -> None:
    payload = voorbeeld("saldoverzoek", "saldoverzoek_zorg")
    payload["grondslag"] = "beschikking"
    payload["grondslagDocument"] = voorbeeld("bewind", "melding_bewind")["beschikking"]["document"]
    with pytest.raises(VerzendFout, match="bewindvoerders"):
        valideer_payload("saldoverzoek", "saldoverzoek_zorg", "2.0", payload, afzender_rol="SHV")
    assert valideer_payload("saldoverzoek", "saldoverzoek_zorg", "2.0", payload, afzender_rol="BW")


def test_par_3b_ontvanger_toetst_de_grondslag_aan_de_rol_van_de_afzender(pki: dict[str, Partij]) -> None:
    """DESIGN §3 "validated by sender SDK/portal and by the recipient": a saldoverzoek on the Wgs that
    reached a creditor from a bewindvoerder (an SDK that skipped the rule) does not open as valid —
    the recipient checks the sender's role in the adresboek, as the sender's SDK should have."""
    from knooppunt.client import jose
    from knooppunt.client.hub import open_inhoud

    afzender, ontvanger = pki["gemeente"], pki["energie"]
    payload = voorbeeld("saldoverzoek", "saldoverzoek")
    env = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": "saldoverzoek",
        "berichttype": "saldoverzoek",
        "versie": "2.0",
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }
    inhoud = jose.verzegel(
        payload,
        metadata=env,
        iat=int(time.time()),
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger.certificaat,
    )

    def open_als(rol: str) -> Any:
        return open_inhoud(
            {**env, "inhoud": inhoud},
            inhoud,
            sleutel=ontvanger.sleutel,
            certificaten=lambda: [afzender.certificaat],
            afzender_rol=lambda: rol,
        )

    geopend = open_als("BW")
    assert geopend.fout == "INHOUD_ONGELDIG" and geopend.payload is None
    assert geopend.foutdetail.startswith("grondslag: de afzender (BW) mocht dit niet sturen")
    assert "beschikking" in geopend.foutdetail
    assert open_als("SHV").payload is not None


def test_par_3b_de_catalogus_weet_welke_typen_een_afzenderregel_hebben() -> None:
    """Only the saldoverzoeken of module saldoverzoek have a rule on the sender's role; every other
    type (and an unknown module) is opened without looking the sender's role up."""
    from knooppunt.protocol.catalogus import CATALOGUS

    for code in ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"):
        assert CATALOGUS.heeft_afzenderregel("saldoverzoek", code)
    assert not CATALOGUS.heeft_afzenderregel("saldoverzoek", "saldoverzoek_antwoord")
    assert not CATALOGUS.heeft_afzenderregel("schuldregeling", "kennisgeving")
    assert not CATALOGUS.heeft_afzenderregel("bestaat_niet", "saldoverzoek")
