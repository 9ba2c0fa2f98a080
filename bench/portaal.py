"""The web portal's creditor pages (issue #5): building the download zip of 1,000 messages, and
validating + submitting an upload of ~20,000 saldoverzoek antwoorden (~4 MB) as one
all-or-nothing batch. Targets: zip ≤ 3 s, upload ≤ 10 s.

Everything runs in this process against a fresh database: portal-hosted participants (EC P-256
keys from a development CA, keys in the kluis), N real saldoverzoeken sealed by four SHVs and
inserted through the hub's batch path, then the real portal routes through a TestClient (login,
CSRF, multipart, the works). The upload's phase breakdown comes from its metadata-only log line.

    python bench/run.py --scenario portaal [--database sqlite|postgresql|both] [--quick]
    python bench/portaal.py [--database sqlite] [--zip 1000] [--upload 20000] [--per-bericht]

``--per-bericht`` also measures the upload with the hub's one-message-at-a-time submit
(`mailbox.verstuur` per message, in one transaction) in place of `mailbox.verstuur_reeks`:
the figure that made the batch path necessary.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from starlette.testclient import TestClient

HIER = Path(__file__).resolve().parent
sys.path.insert(0, str(HIER))

import omgeving  # noqa: E402
from knooppunt import runtime as runtime_mod  # noqa: E402
from knooppunt.app import create_app  # noqa: E402
from knooppunt.config import Settings  # noqa: E402
from knooppunt.hub import adresboek, audit, mailbox  # noqa: E402
from knooppunt.pki import ontwikkel_ca  # noqa: E402
from knooppunt.pki.certificaat import lees_pem  # noqa: E402
from knooppunt.portaal.gastclient import Gastclient, TeVersturen, bewaar_sleutel  # noqa: E402
from knooppunt.portaal.kluis import Kluis  # noqa: E402
from knooppunt.protocol.payloads.voorbeelden import voorbeeld  # noqa: E402
from knooppunt.store.db import db_nu, transactie  # noqa: E402
from knooppunt.store.models import Bericht, Deelnemer  # noqa: E402

SR = "schuldregeling"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SE_OIN = "00000003790000000000"
SHV_OINS = [f"00000001{9000 + i:04d}00000000" for i in range(8)]
DOEL_BYTES = 4_000_000


def _settings(url: str, data: Path, ca: Path) -> Settings:
    return Settings(
        env="development",  # type: ignore[arg-type]
        data_dir=data,
        database_url=url,
        trust_anchors=[ca],
    )


def _deelnemers(rt: runtime_mod.Runtime, kluis: Kluis, pki: Path) -> None:
    """One creditor and eight municipalities, hosted by the portal, EC P-256 keys (eight: the hub
    caps unconfirmed messages per sender and recipient at 10,000)."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for i, (oin, rol) in enumerate([(SE_OIN, "SE"), *((o, "SHV") for o in SHV_OINS)]):
            naam = "Bench Energie BV" if rol == "SE" else f"Bench Gemeente {i}"
            uit = ontwikkel_ca.issue(pki, oin=oin, naam=naam, key_type="ec", uit_map=pki / "portaal")
            pem = uit.certificaat.read_bytes()
            adresboek.registreer(
                session,
                adresboek.NieuweDeelnemer(
                    oin=oin,
                    naam=naam,
                    rol=rol,
                    kvk_nummer=f"{79000000 + i:08d}",
                    modules=[SR],
                    certificaten=[lees_pem(pem)],
                    schuldensoorten=["overig"] if rol == "SE" else [],
                    sleutelbeheer="portaal",
                ),
                nu=nu,
                ankers=rt.ankers,
                door=audit.beheerder("bench"),
            )
            bewaar_sleutel(
                session, kluis, oin=oin, certificaat_pem=pem, sleutel_pem=uit.sleutel.read_bytes(), nu=nu
            )


def _zaai(rt: runtime_mod.Runtime, kluis: Kluis, n: int) -> list[dict[str, str]]:
    """N saldoverzoeken to the creditor, each in a conversation of its own, spread over the
    SHVs; sealed for real and submitted through the hub's batch path. Returns their metadata."""
    vragen: list[dict[str, str]] = []
    per_shv = [SHV_OINS[i % len(SHV_OINS)] for i in range(n)]
    for shv in SHV_OINS:
        client = Gastclient(rt, kluis, shv, wie="bench")
        berichten = []
        for i, oin in enumerate(per_shv):
            if oin != shv:
                continue
            payload = voorbeeld(SR, "saldoverzoek")
            payload["klantnummerSHV"] = f"K-{i:06d}"
            payload["klant"]["achternaam"] = f"Klant {i}"
            berichten.append(TeVersturen(SE_OIN, "saldoverzoek", payload, str(uuid.uuid4())))
        with client.transactie() as (session, nu):
            sleutel = client.sleutel(session, "bench", nu)
            ontvanger = client.adresseer(session, berichten[0])
            cert = client.ontvangercertificaat(session, ontvanger, nu)
        envelops = [client.zegel(b, client.valideer(b), sleutel=sleutel, cert=cert) for b in berichten]
        for begin in range(0, len(envelops), 5000):
            with client.transactie() as (session, nu):
                mailbox.verstuur_reeks(
                    session,
                    client.deelnemer(session),
                    envelops[begin : begin + 5000],
                    nu=nu,
                    instellingen=rt.instellingen,
                )
        for b, e in zip(berichten, envelops, strict=True):
            vragen.append(
                {
                    "referentienummer": e.referentienummer,
                    "conversatieReferentienummer": e.conversatie_referentienummer,
                    "klantnummerSHV": str(b.payload["klantnummerSHV"]),
                }
            )
    return vragen


def _antwoorden_csv(vragen: Sequence[dict[str, str]]) -> bytes:
    """A filled-in saldoverzoek answer file: the key columns and the answer columns it uses (the
    question columns of a download, and unused answer columns, may be left out), one debt per
    answer, padded to about 4 MB (~200 bytes per answer, as issue #5 has it)."""

    def rij(i: int, vraag: dict[str, str], opvulling: int) -> dict[str, str]:
        return {
            **vraag,
            "antwoord.saldoverzoek": "saldo",
            "antwoord.klantnummerSE": f"EN-{i:07d}",
            "antwoord.contactpersoonSE.naam": "Team BB",
            "antwoord.contactpersoonSE.telefoon": "030 123 4567",
            "antwoord.peildatum": "2024-03-01",
            "antwoord.vordering.factuurnummerSE": f"F-{i:08d}",
            "antwoord.vordering.schuldtype": "openstaand",
            "antwoord.vordering.hoofdsom": "100000",
            "antwoord.vordering.rente": "5000",
            "antwoord.vordering.actueelBedrag": "105000",
            "antwoord.vordering.omschrijving": "Energie " + "x" * opvulling,
        }

    kop = list(rij(0, vragen[0], 0))

    def maak(opvulling: int) -> bytes:
        buffer = io.StringIO(newline="")
        schrijver = csv.DictWriter(buffer, kop, delimiter=";", lineterminator="\r\n")
        schrijver.writeheader()
        schrijver.writerows(rij(i, vraag, opvulling) for i, vraag in enumerate(vragen))
        return buffer.getvalue().encode("utf-8-sig")

    zonder = len(maak(0))
    return maak(min(1500, max(0, (DOEL_BYTES - zonder) // max(1, len(vragen)))))


def _inloggen(client: TestClient, oin: str) -> str:
    pagina = client.get("/portaal/inloggen")
    token = CSRF.search(pagina.text)
    assert token is not None
    antwoord = client.post(
        "/portaal/inloggen/ontwikkeling", data={"csrf": token.group(1), "wie": oin, "naam": "Bench"}
    )
    assert antwoord.status_code == 303, antwoord.text
    pagina = client.get("/portaal/upload")
    token = CSRF.search(pagina.text)
    assert token is not None
    return token.group(1)


@contextmanager
def _per_bericht() -> Iterator[None]:
    """The hub's one-at-a-time submit in place of its batch path (for comparison only)."""

    def een_voor_een(
        session: Any,
        afzender: Deelnemer,
        envelops: Sequence[mailbox.Envelop],
        *,
        nu: datetime,
        instellingen: Any,
    ) -> list[tuple[Bericht, bool]]:
        return [mailbox.verstuur(session, afzender, e, nu=nu, instellingen=instellingen) for e in envelops]

    origineel = mailbox.verstuur_reeks
    mailbox.verstuur_reeks = een_voor_een  # type: ignore[assignment]
    try:
        yield
    finally:
        mailbox.verstuur_reeks = origineel


def _upload(client: TestClient, csrf: str, data: bytes) -> dict[str, Any]:
    with structlog.testing.capture_logs() as logs:
        t0, c0 = time.perf_counter(), time.process_time()
        antwoord = client.post(
            "/portaal/upload",
            data={"csrf": csrf},
            files=[("bestanden", ("saldoverzoeken.csv", data, "text/csv"))],
        )
        wand, cpu = time.perf_counter() - t0, time.process_time() - c0
    if antwoord.status_code != 200:
        fouten = re.findall(
            r"<tr><td>([^<]*)</td><td>([^<]*)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td></tr>", antwoord.text
        )
        raise AssertionError(f"upload refused ({antwoord.status_code}): {fouten[:5]}")
    regel = next((r for r in logs if r.get("event") == "upload"), {})
    return {
        "wand_s": round(wand, 2),
        "cpu_s": round(cpu, 2),
        "berichten": regel.get("berichten"),
        **{k: regel[k] for k in ("lezen_s", "controleren_s", "versturen_s") if k in regel},
    }


def _bevestig(rt: runtime_mod.Runtime, kluis: Kluis, vragen: Sequence[dict[str, str]]) -> None:
    """The creditor confirms the questions it downloaded (art. 17.2), as the portal asks."""
    client = Gastclient(rt, kluis, SE_OIN, wie="bench")
    refs = [v["referentienummer"] for v in vragen]
    for begin in range(0, len(refs), 5000):
        client.bevestig(refs[begin : begin + 5000])


def _toon_upload(titel: str, r: dict[str, Any], n: int, grootte: int) -> None:
    print(
        f"  {titel}: {n:,} saldoverzoek antwoorden ({grootte / 1e6:.2f} MB) in {r['wand_s']} s wall, "
        f"{r['cpu_s']} s CPU in this process (read {r.get('lezen_s')} s, dry run {r.get('controleren_s')} s, "
        f"seal + submit {r.get('versturen_s')} s)",
        flush=True,
    )


def meet(
    soort: str,
    werk: Path,
    pg_url: str,
    *,
    n_zip: int = 1000,
    n_upload: int = 20_000,
    per_bericht: bool = False,
) -> dict[str, Any]:
    """Seeds 2 (3 with ``per_bericht``) sets of ``n_upload`` questions; set A: the zip of its first
    ``n_zip``, then confirmed (17.2) and answered by upload; set B: answered by upload without
    confirming first (each answer confirms its question: more work); set C: as A, through the
    one-at-a-time hub path."""
    uit: dict[str, Any] = {"n_zip": n_zip, "n_upload": n_upload}
    pki = werk / f"pki-portaal-{soort}"
    ontwikkel_ca.init(pki)
    with omgeving.verse_database(soort, werk, pg_url, "portaal") as db:
        settings = _settings(db.url, werk / f"data-portaal-{soort}", pki / "ca.pem")
        rt = runtime_mod.bouw(settings, upgrade=True)
        kluis = Kluis.uit_instellingen(settings)
        try:
            _deelnemers(rt, kluis, pki)
            t0 = time.perf_counter()
            vragen = _zaai(rt, kluis, n_upload * (3 if per_bericht else 2))
            uit["zaaien_s"] = round(time.perf_counter() - t0, 1)
            a, b, c = vragen[:n_upload], vragen[n_upload : 2 * n_upload], vragen[2 * n_upload :]
            print(f"  seeded {len(vragen):,} saldoverzoeken in {uit['zaaien_s']} s", flush=True)
            app = create_app(rt)
            runtime_mod.stel_gc_in_voor_server()  # as `knooppunt serve` does once its app is built
            with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
                csrf = _inloggen(client, SE_OIN)
                refs = [v["referentienummer"] for v in a[:n_zip]]
                for ronde in ("eerste", "opnieuw"):
                    omgeving.wacht_op_rust()
                    t0, c0 = time.perf_counter(), time.process_time()
                    antwoord = client.post(
                        "/portaal/ontvangen/download",
                        data={"csrf": csrf, "actie": "geselecteerd", "ref": refs},
                    )
                    wand, cpu = time.perf_counter() - t0, time.process_time() - c0
                    assert antwoord.status_code == 200, antwoord.text[:2000]
                    assert antwoord.headers["content-type"] == "application/zip"
                    uit[f"zip_{ronde}"] = {
                        "wand_s": round(wand, 2),
                        "cpu_s": round(cpu, 2),
                        "bytes": len(antwoord.content),
                        "naam": antwoord.headers["content-disposition"].split('"')[1],
                    }
                    print(
                        f"  zip of {n_zip:,} messages ({ronde} download): {wand:.2f} s wall, "
                        f"{cpu:.2f} s CPU, {len(antwoord.content) / 1e6:.1f} MB",
                        flush=True,
                    )
                _bevestig(rt, kluis, a)
                data = _antwoorden_csv(a)
                uit["upload_bytes"] = len(data)
                omgeving.wacht_op_rust()
                uit["upload"] = _upload(client, csrf, data)
                _toon_upload("upload, questions confirmed first (17.2)", uit["upload"], n_upload, len(data))
                data = _antwoorden_csv(b)
                omgeving.wacht_op_rust()
                uit["upload_onbevestigd"] = _upload(client, csrf, data)
                _toon_upload(
                    "upload, questions not confirmed yet", uit["upload_onbevestigd"], n_upload, len(data)
                )
                if per_bericht:
                    _bevestig(rt, kluis, c)
                    data = _antwoorden_csv(c)
                    omgeving.wacht_op_rust()
                    with _per_bericht():
                        uit["upload_per_bericht"] = _upload(client, csrf, data)
                    _toon_upload(
                        "upload as A, one mailbox.verstuur per message",
                        uit["upload_per_bericht"],
                        n_upload,
                        len(data),
                    )
            with rt.sessions() as session:
                uit["antwoorden_in_db"] = session.query(Bericht).filter(Bericht.afzender == SE_OIN).count()
        finally:
            rt.close()
    return uit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--pg-url", default=omgeving.PG_STANDAARD)
    p.add_argument("--zip", type=int, default=1000)
    p.add_argument("--upload", type=int, default=20_000)
    p.add_argument("--per-bericht", action="store_true")
    a = p.parse_args(argv)
    import os
    import tempfile

    pg = (
        os.environ.get("KNOOPPUNT_BENCH_DATABASE_URL")
        or os.environ.get("KNOOPPUNT_TEST_DATABASE_URL")
        or a.pg_url
    )
    print(f"machine: {omgeving.machine()}", flush=True)
    for soort in ["sqlite", "postgresql"] if a.database == "both" else [a.database]:
        print(f"\n== {soort} ==", flush=True)
        with tempfile.TemporaryDirectory(prefix="knooppunt-bench-portaal-") as tmp:
            meet(soort, Path(tmp), pg, n_zip=a.zip, n_upload=a.upload, per_bericht=a.per_bericht)
    return 0


if __name__ == "__main__":
    sys.exit(main())
