"""The per-type test vectors in docs/testvectoren/berichten (one per module, berichttype and
versie of the catalogue) open with the SDK, carry a valid payload, and are what the generator
makes: `python -m tests.factories.testvectoren` is deterministic, so a run on the committed files
changes nothing unless an example payload changed."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from cryptography import x509

from knooppunt.client import jose
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import testvectoren

MAP = testvectoren.STANDAARD_MAP
OPNIEUW = "genereer ze opnieuw: PYTHONPATH=src python -m tests.factories.testvectoren"


def _vectoren() -> list[tuple[str, str, str]]:
    return testvectoren.typen()


def test_er_is_een_vector_voor_elk_type_en_elke_versie() -> None:
    aanwezig = sorted(
        (p.parent.parent.parent.name, p.parent.name, p.parent.parent.name)
        for p in (MAP / testvectoren.BERICHTEN).glob("*/*/*/inhoud.jwe")
    )
    assert aanwezig == _vectoren(), OPNIEUW


@pytest.mark.parametrize(("module", "code", "versie"), _vectoren(), ids="/".join)
def test_vector_opent_met_de_sdk(module: str, code: str, versie: str) -> None:
    map_ = MAP / testvectoren.BERICHTEN / module / versie / code
    metadata = json.loads((map_ / "metadata.json").read_text())
    verwacht = json.loads((map_ / "verwacht.json").read_text())
    sleutels = MAP / verwacht["sleutels"]
    geopend = jose.open_(
        (map_ / "inhoud.jwe").read_text().strip(),
        ontvanger_sleutel=jose.prive_sleutel((sleutels / "ontvanger-sleutel.pem").read_bytes()),
        afzender_certificaten=[x509.load_pem_x509_certificate((sleutels / "afzender.pem").read_bytes())],
        envelop=metadata,
    )
    assert (metadata["module"], metadata["berichttype"], metadata["versie"]) == (module, code, versie)
    assert geopend.payload == (map_ / "payload.json").read_bytes()
    assert geopend.kop == verwacht["jwsKop"]
    assert testvectoren.beschermde_kop((map_ / "inhoud.jwe").read_text()) == verwacht["jweKop"]
    valideer(module, code, versie, geopend.payload)
    assert json.loads(geopend.payload) == voorbeeld(module, code, versie), OPNIEUW


def test_generator_is_deterministisch(tmp_path: Path) -> None:
    """A run on the committed vectors changes no byte (and a second run on a fresh set neither)."""
    kopie = tmp_path / "testvectoren"
    shutil.copytree(MAP, kopie)
    testvectoren.genereer(kopie)
    geschreven, verwijderd = testvectoren.genereer_berichten(kopie)
    assert (geschreven, verwijderd) == ([], []), OPNIEUW
    vergelijking = filecmp.dircmp(MAP, kopie)
    assert not vergelijking.diff_files and not vergelijking.left_only and not vergelijking.right_only

    vers = tmp_path / "vers"
    testvectoren.genereer(vers)
    eerste, _ = testvectoren.genereer_berichten(vers)
    assert len(eerste) == len(_vectoren())
    voor = {p: p.read_bytes() for p in vers.rglob("*") if p.is_file()}
    testvectoren.genereer(vers)
    assert testvectoren.genereer_berichten(vers) == ([], [])
    assert {p: p.read_bytes() for p in vers.rglob("*") if p.is_file()} == voor


def test_een_gewijzigd_voorbeeld_geeft_alleen_die_vector_opnieuw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kopie = tmp_path / "testvectoren"
    shutil.copytree(MAP, kopie)
    origineel = testvectoren.voorbeeld

    def ander(module: str, code: str, versie: str | None = None) -> dict[str, object]:
        uit = origineel(module, code, versie)
        if (module, code, versie) == ("schuldregeling", "statusbericht", "1.0"):
            uit["toelichting"] = "Gewijzigd."
        return uit

    monkeypatch.setattr(testvectoren, "voorbeeld", ander)
    geschreven, _ = testvectoren.genereer_berichten(kopie)
    assert geschreven == [kopie / testvectoren.BERICHTEN / "schuldregeling" / "1.0" / "statusbericht"]
