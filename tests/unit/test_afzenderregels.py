"""Payload rules that depend on the sender's role, run by the SDK before sealing (DESIGN §3b)."""

from __future__ import annotations

import pytest

from knooppunt.client.berichten import valideer_payload
from knooppunt.client.fouten import VerzendFout
from knooppunt.protocol.payloads.voorbeelden import voorbeeld


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
