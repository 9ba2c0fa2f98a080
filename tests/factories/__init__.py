"""Test factories: a development PKI with a cast of participants, and envelopes sealed for real."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from knooppunt.client import jose
from knooppunt.pki import ontwikkel_ca


@dataclass(frozen=True)
class Partij:
    oin: str
    naam: str
    rol: str
    kvk: str
    cert_pad: Path
    key_pad: Path
    opties: dict[str, Any] = field(default_factory=dict)

    @property
    def certificaat(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pad.read_bytes())

    @property
    def sleutel(self) -> jose.Sleutel:
        return jose.prive_sleutel(self.key_pad.read_bytes())

    @property
    def pem(self) -> str:
        return self.cert_pad.read_text()


# The cast: two debt counsellors and creditors of every kind the rules distinguish.
CAST: dict[str, dict[str, Any]] = {
    "gemeente": {
        "oin": "00000001823288444000",
        "naam": "Gemeente Utrecht",
        "rol": "SHV",
        "kvk": "30280353",
        "key": "ec",
    },
    "kredietbank": {
        "oin": "00000003301234560000",
        "naam": "Kredietbank Nederland",
        "rol": "SHV",
        "kvk": "30123456",
        "key": "rsa",
    },
    "energie": {
        "oin": "00000003123456780000",
        "naam": "Energie BV",
        "rol": "SE",
        "kvk": "12345678",
        "key": "rsa",
        "schuldensoorten": ["nuts"],
    },
    "belasting": {
        "oin": "00000001003214345000",
        "naam": "Belastingdienst",
        "rol": "SE",
        "kvk": "27364382",
        "key": "ec",
        "gebruikt_bsn": True,
        "schuldensoorten": ["publiek"],
    },
    "zorg": {
        "oin": "00000003456789010000",
        "naam": "Zorgverzekeraar NV",
        "rol": "SE",
        "kvk": "45678901",
        "key": "ec",
        "standaard_akkoord": True,
        "schuldensoorten": ["zorg"],
    },
    "woning": {
        "oin": "00000003567890120000",
        "naam": "Woningcorporatie",
        "rol": "SE",
        "kvk": "56789012",
        "key": "rsa",
        "schuldensoorten": ["overig"],
    },
    "buitenstaander": {
        "oin": "00000003678901230000",
        "naam": "Alleen Waarborgfonds",
        "rol": "SE",
        "kvk": "67890123",
        "key": "ec",
        "modules": ["waarborgfonds"],
    },
}


def maak_pki(map_: Path) -> dict[str, Partij]:
    ontwikkel_ca.init(map_)
    partijen = {}
    for naam, gegevens in CAST.items():
        uit = ontwikkel_ca.issue(map_, oin=gegevens["oin"], naam=gegevens["naam"], key_type=gegevens["key"])
        partijen[naam] = Partij(
            oin=gegevens["oin"],
            naam=gegevens["naam"],
            rol=gegevens["rol"],
            kvk=gegevens["kvk"],
            cert_pad=uit.certificaat,
            key_pad=uit.sleutel,
            opties={k: v for k, v in gegevens.items() if k not in ("oin", "naam", "rol", "kvk", "key")},
        )
    return partijen


def envelop(
    afzender: Partij,
    ontvanger: Partij,
    berichttype: str,
    *,
    conversatie: str | None = None,
    antwoord_op: str | None = None,
    payload: dict[str, Any] | None = None,
    referentienummer: str | None = None,
    module: str = "schuldregeling",
    versie: str = "1.0",
) -> dict[str, Any]:
    """A complete API envelope whose inhoud is a real sign-then-encrypt JWE for the recipient."""
    metadata = {
        "referentienummer": referentienummer or str(uuid.uuid4()),
        "conversatieReferentienummer": conversatie or str(uuid.uuid4()),
        "crossReferentienummer": antwoord_op,
        "module": module,
        "berichttype": berichttype,
        "versie": versie,
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }
    inhoud = jose.verzegel(
        payload if payload is not None else {"markering": f"GEHEIM-{uuid.uuid4().hex}"},
        metadata=metadata,
        iat=int(time.time()),
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger.certificaat,
    )
    return {k: v for k, v in metadata.items() if k != "afzender"} | {"inhoud": inhoud}
