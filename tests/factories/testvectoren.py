"""Generate the JOSE test vectors for vendors in docs/testvectoren/ (DESIGN §5, decision 0005):
the two envelope vectors ``rsa/`` and ``ec/`` with their keys, and one vector per (module,
berichttype, versie) of the catalogue in ``berichten/<module>/<versie>/<berichttype>/``.

    PYTHONPATH=src python -m tests.factories.testvectoren [--map docs/testvectoren] [--nieuwe-sleutels]

Deterministic: a JWE is randomized (content key, IV, ephemeral key, PSS salt), so the generator
keeps what it wrote before. The CA and the key pairs are reused; a vector whose payload (the
type's example, ``voorbeeld``) and metadata (derived from the type alone, ``iat`` from the keys)
are unchanged and that still opens is left byte for byte as it is; only a changed or new type is
sealed again, and a type no longer in the catalogue is removed. So after the payload models change
one run rewrites exactly the vectors of the types whose example changed, and a second run changes
nothing. ``--nieuwe-sleutels`` makes a new CA, new keys and so new ciphertexts for everything: only
when the envelope changes, because vendors may have copied these files.

The private keys written here are PUBLIC test material: the certificates say so in their names and
chain to a development CA that production refuses.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from knooppunt.client import jose
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

STANDAARD_MAP = Path(__file__).resolve().parents[2] / "docs" / "testvectoren"
BERICHTEN = "berichten"
"""The subdirectory with one vector per (module, berichttype, versie)."""
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


@dataclass(frozen=True)
class Sleutelpaar:
    """The certificates and keys of one envelope vector (``rsa/`` or ``ec/``), and its ``iat``."""

    naam: str
    afzender_cert: x509.Certificate
    afzender_sleutel: jose.Sleutel
    ontvanger_cert: x509.Certificate
    ontvanger_sleutel: jose.Sleutel
    iat: int

    @property
    def oins(self) -> tuple[str, str]:
        uit = []
        for cert in (self.afzender_cert, self.ontvanger_cert):
            uit.append(str(cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value))
        return uit[0], uit[1]


def _lees_paar(doel: Path, naam: str) -> Sleutelpaar | None:
    """The committed keys of ``rsa/`` or ``ec/`` and the ``iat`` of its vector, if all there."""
    try:
        verwacht = json.loads((doel / "verwacht.json").read_text())
        return Sleutelpaar(
            naam=naam,
            afzender_cert=x509.load_pem_x509_certificate((doel / "afzender.pem").read_bytes()),
            afzender_sleutel=jose.prive_sleutel((doel / "afzender-sleutel.pem").read_bytes()),
            ontvanger_cert=x509.load_pem_x509_certificate((doel / "ontvanger.pem").read_bytes()),
            ontvanger_sleutel=jose.prive_sleutel((doel / "ontvanger-sleutel.pem").read_bytes()),
            iat=int(verwacht["jwsKop"]["iat"]),
        )
    except (OSError, ValueError, KeyError):
        return None


def _nieuwe_paren(map_: Path) -> None:
    """A new development CA and a new key pair per envelope vector (its other files go too)."""
    with tempfile.TemporaryDirectory(prefix="knooppunt-testvectoren-") as tmp:
        ca_map = Path(tmp) / "ca"
        ontwikkel_ca.init(ca_map)
        shutil.copyfile(ca_map / "ca.pem", map_ / "ca.pem")  # the CA's key is not published
        iat = int(time.time())  # inside the certificates' validity, so chains verify at signing time
        for v in VECTOREN:
            doel = map_ / v.naam
            if doel.exists():
                shutil.rmtree(doel)
            doel.mkdir()
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
            # The iat every vector of these keys is signed at.
            (doel / "verwacht.json").write_text(json.dumps({"jwsKop": {"iat": iat}}) + "\n")


def _schrijf(
    doel: Path, paar: Sleutelpaar, metadata: dict[str, Any], payload: dict[str, Any], extra: dict[str, Any]
) -> bool:
    """One vector in ``doel``: kept as it is when its payload and metadata are unchanged and it
    still opens with ``paar``; else sealed again. True when something was written."""
    payload_bytes = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    metadata_tekst = json.dumps(metadata, indent=2) + "\n"
    valideer(metadata["module"], metadata["berichttype"], metadata["versie"], payload_bytes)
    if _ongewijzigd(doel, paar, metadata, payload_bytes, metadata_tekst):
        return False
    doel.mkdir(parents=True, exist_ok=True)
    inhoud = jose.verzegel(
        payload_bytes,
        metadata=metadata,
        iat=paar.iat,
        afzender_sleutel=paar.afzender_sleutel,
        afzender_certificaat=paar.afzender_cert,
        ontvanger_certificaat=paar.ontvanger_cert,
    )
    geopend = jose.open_(
        inhoud,
        ontvanger_sleutel=paar.ontvanger_sleutel,
        afzender_certificaten=[paar.afzender_cert],
        envelop=metadata,
    )
    (doel / "payload.json").write_bytes(payload_bytes)
    (doel / "metadata.json").write_text(metadata_tekst)
    (doel / "inhoud.jwe").write_text(inhoud + "\n")
    verwacht = {"jweKop": beschermde_kop(inhoud), "jwsKop": geopend.kop} | extra
    (doel / "verwacht.json").write_text(json.dumps(verwacht, indent=2, ensure_ascii=False) + "\n")
    return True


def _ongewijzigd(
    doel: Path, paar: Sleutelpaar, metadata: dict[str, Any], payload_bytes: bytes, metadata_tekst: str
) -> bool:
    try:
        if (doel / "payload.json").read_bytes() != payload_bytes:
            return False
        if (doel / "metadata.json").read_text() != metadata_tekst:
            return False
        geopend = jose.open_(
            (doel / "inhoud.jwe").read_text().strip(),
            ontvanger_sleutel=paar.ontvanger_sleutel,
            afzender_certificaten=[paar.afzender_cert],
            envelop=metadata,
        )
        json.loads((doel / "verwacht.json").read_text())
    except (OSError, ValueError, jose.OngeldigeEnvelop):
        return False
    return geopend.payload == payload_bytes and geopend.kop.get("iat") == paar.iat


def _uuid(*delen: str) -> str:
    """A fixed UUIDv4-shaped number for a vector (the same on every run)."""
    digest = hashlib.sha256("/".join(delen).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _paren(map_: Path, nieuwe_sleutels: bool) -> dict[str, Sleutelpaar]:
    paren = {v.naam: _lees_paar(map_ / v.naam, v.naam) for v in VECTOREN}
    if nieuwe_sleutels or not (map_ / "ca.pem").exists() or any(p is None for p in paren.values()):
        _nieuwe_paren(map_)
        paren = {v.naam: _lees_paar(map_ / v.naam, v.naam) for v in VECTOREN}
    return {naam: paar for naam, paar in paren.items() if paar is not None}


def genereer(map_: Path, *, nieuwe_sleutels: bool = False) -> list[Path]:
    """Write ca.pem and the two envelope vectors ``rsa/`` and ``ec/`` into `map_`, keeping the
    keys and every unchanged vector (see the module docstring); returns their directories."""
    map_.mkdir(parents=True, exist_ok=True)
    paren = _paren(map_, nieuwe_sleutels)
    geschreven = []
    for v in VECTOREN:
        paar = paren[v.naam]
        afzender, ontvanger = paar.oins
        metadata = {**v.metadata, "afzender": afzender, "ontvanger": ontvanger}
        payload = voorbeeld(metadata["module"], metadata["berichttype"], metadata["versie"])
        _schrijf(map_ / v.naam, paar, metadata, payload, {})
        geschreven.append(map_ / v.naam)
    return geschreven


def typen() -> list[tuple[str, str, str]]:
    """Every (module, berichttype, versie) with an encrypted payload, sorted."""
    return sorted((t.module, t.code, t.versie) for t in CATALOGUS.alle() if not t.door_knooppunt)


def genereer_berichten(map_: Path) -> tuple[list[Path], list[Path]]:
    """One vector per (module, berichttype, versie) in ``berichten/<module>/<versie>/<code>/``,
    sealed alternately with the ``rsa/`` and ``ec/`` keys (run `genereer` first). Returns the
    directories written and those removed (types no longer in the catalogue)."""
    paren = _paren(map_, False)
    volgorde = [paren[v.naam] for v in VECTOREN]
    basis = map_ / BERICHTEN
    geschreven, bedoeld = [], set()
    for index, (module, code, versie) in enumerate(typen()):
        paar = volgorde[index % len(volgorde)]
        afzender, ontvanger = paar.oins
        berichttype = CATALOGUS.zoek(module, code, versie)
        assert berichttype is not None
        verwijst = berichttype.is_antwoord or bool(berichttype.verwijst_naar)
        metadata = {
            "referentienummer": _uuid(module, versie, code, "bericht"),
            "conversatieReferentienummer": _uuid(module, versie, code, "conversatie"),
            "crossReferentienummer": _uuid(module, versie, code, "vraag") if verwijst else None,
            "module": module,
            "berichttype": code,
            "versie": versie,
            "afzender": afzender,
            "ontvanger": ontvanger,
        }
        doel = basis / module / versie / code
        bedoeld.add(doel)
        if _schrijf(doel, paar, metadata, voorbeeld(module, code, versie), {"sleutels": paar.naam}):
            geschreven.append(doel)
    verwijderd = []
    for oud in sorted(basis.glob("*/*/*")) if basis.exists() else []:
        if oud.is_dir() and oud not in bedoeld:
            shutil.rmtree(oud)
            verwijderd.append(oud)
    for leeg in sorted(basis.glob("**/"), reverse=True) if basis.exists() else []:
        if leeg.is_dir() and not any(leeg.iterdir()):
            leeg.rmdir()
    return geschreven, verwijderd


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--map", type=Path, default=STANDAARD_MAP, help="output directory")
    p.add_argument(
        "--nieuwe-sleutels",
        action="store_true",
        help="a new CA and new keys, so every vector is sealed again (only when the envelope changes)",
    )
    a = p.parse_args(argv)
    genereer(a.map, nieuwe_sleutels=a.nieuwe_sleutels)
    geschreven, verwijderd = genereer_berichten(a.map)
    for doel in geschreven:
        print(f"geschreven: {doel}")
    for doel in verwijderd:
        print(f"verwijderd: {doel}")
    print(f"{len(typen())} berichttypen; {len(geschreven)} geschreven, {len(verwijderd)} verwijderd")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
