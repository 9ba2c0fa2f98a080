"""Generate the JOSE test vectors for vendors in docs/testvectoren/ (DESIGN §5, decision 0005).

    PYTHONPATH=src python -m tests.factories.testvectoren [--map docs/testvectoren]

Every run makes a new development CA, new key pairs and new ciphertexts (a JWE is randomized), so
only regenerate when the envelope changes; tests/unit/test_testvectoren.py opens the committed
vectors with the SDK on every test run so they never rot. The private keys written here are PUBLIC
test material: the certificates say so in their names and chain to a development CA that
production refuses.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from knooppunt.client import jose
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

STANDAARD_MAP = Path(__file__).resolve().parents[2] / "docs" / "testvectoren"
GELDIG_DAGEN = 3650  # ten years, as long as the development CA itself


@dataclass(frozen=True)
class Vector:
    naam: str
    sleuteltype: str
    afzender: tuple[str, str]  # (OIN, name)
    ontvanger: tuple[str, str]
    metadata: dict[str, Any]


VECTOREN = (
    Vector(
        naam="rsa",
        sleuteltype="rsa",
        afzender=("00000003301234560000", "Testvector Kredietbank RSA (sleutel openbaar, alleen tests)"),
        ontvanger=("00000003123456780000", "Testvector Energie RSA (sleutel openbaar, alleen tests)"),
        metadata={
            "referentienummer": "4f6c7a5e-2b1d-4c3a-9e8f-0a1b2c3d4e5f",
            "conversatieReferentienummer": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "crossReferentienummer": None,
            "module": "schuldregeling",
            "berichttype": "saldoverzoek",
            "versie": "1.0",
        },
    ),
    Vector(
        naam="ec",
        sleuteltype="ec",
        afzender=("00000001003214345000", "Testvector Belastingdienst EC (sleutel openbaar, alleen tests)"),
        ontvanger=("00000001823288444000", "Testvector Gemeente EC (sleutel openbaar, alleen tests)"),
        metadata={
            "referentienummer": "c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f",
            "conversatieReferentienummer": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "crossReferentienummer": "4f6c7a5e-2b1d-4c3a-9e8f-0a1b2c3d4e5f",
            "module": "schuldregeling",
            "berichttype": "saldoverzoek_antwoord",
            "versie": "1.0",
        },
    ),
)


def beschermde_kop(compact: str) -> dict[str, Any]:
    """The decoded protected header (first part) of a compact JWS or JWE."""
    deel = compact.split(".", maxsplit=1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(deel + "=" * (-len(deel) % 4))))


def genereer(map_: Path) -> list[Path]:
    """Write ca.pem and one directory per vector into `map_` (existing vector files are replaced)."""
    map_.mkdir(parents=True, exist_ok=True)
    geschreven = []
    iat = int(time.time())  # inside the certificates' validity, so chains verify at signing time
    with tempfile.TemporaryDirectory(prefix="knooppunt-testvectoren-") as tmp:
        ca_map = Path(tmp) / "ca"
        ontwikkel_ca.init(ca_map)
        shutil.copyfile(ca_map / "ca.pem", map_ / "ca.pem")  # the CA's key is not published
        for v in VECTOREN:
            doel = map_ / v.naam
            doel.mkdir(exist_ok=True)
            paren = {}
            for rol, (oin, naam) in (("afzender", v.afzender), ("ontvanger", v.ontvanger)):
                uit = ontwikkel_ca.issue(
                    ca_map,
                    oin=oin,
                    naam=naam,
                    key_type=v.sleuteltype,
                    geldig_dagen=GELDIG_DAGEN,
                    basisnaam=rol,
                    uit_map=Path(tmp) / v.naam,
                )
                shutil.copyfile(uit.certificaat, doel / f"{rol}.pem")
                shutil.copyfile(uit.sleutel, doel / f"{rol}-sleutel.pem")
                paren[rol] = uit
            metadata = {**v.metadata, "afzender": v.afzender[0], "ontvanger": v.ontvanger[0]}
            payload = voorbeeld(metadata["module"], metadata["berichttype"], metadata["versie"])
            payload_bytes = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
            valideer(metadata["module"], metadata["berichttype"], metadata["versie"], payload_bytes)
            afzender_cert = x509.load_pem_x509_certificate(paren["afzender"].certificaat.read_bytes())
            inhoud = jose.verzegel(
                payload_bytes,
                metadata=metadata,
                iat=iat,
                afzender_sleutel=jose.prive_sleutel(paren["afzender"].sleutel.read_bytes()),
                afzender_certificaat=afzender_cert,
                ontvanger_certificaat=x509.load_pem_x509_certificate(
                    paren["ontvanger"].certificaat.read_bytes()
                ),
            )
            geopend = jose.open_(
                inhoud,
                ontvanger_sleutel=jose.prive_sleutel(paren["ontvanger"].sleutel.read_bytes()),
                afzender_certificaten=[afzender_cert],
                envelop=metadata,
            )
            (doel / "payload.json").write_bytes(payload_bytes)
            (doel / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
            (doel / "inhoud.jwe").write_text(inhoud + "\n")
            verwacht = {"jweKop": beschermde_kop(inhoud), "jwsKop": geopend.kop}
            (doel / "verwacht.json").write_text(json.dumps(verwacht, indent=2, ensure_ascii=False) + "\n")
            geschreven.append(doel)
    return geschreven


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--map", type=Path, default=STANDAARD_MAP, help="output directory")
    a = p.parse_args(argv)
    for doel in genereer(a.map):
        print(f"geschreven: {doel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
