"""The werkplek's download in the browser (issue #14 item 2, DESIGN §5 "Portal"): 1,000 messages
for a portal creditor whose keys are in the browser, fetched, decrypted, verified, validated and
zipped by the page in headless Chromium. Target: decrypt + verify + validate + zip of all 1,000
≤ 5 s (the browser's work; fetching from the server is reported separately).

A fresh `knooppunt serve` (development mode, SQLite or PostgreSQL) with the demo data; Demo Energie
BV makes its keys in the page; the demo's own messages for it are confirmed away; the Gemeente
Demodorp (hosted keys) seals N messages (kennisgeving, saldoverzoek nuts, statusbericht in turn)
for the browser's certificate. Then "Download maken" is clicked ``--runs`` times (nothing is
confirmed, so every run downloads the same N); the page reports its phases in milliseconds
(``data-tijden`` on the progress line).

    CI=true python bench/browser_zip.py [--berichten 1000] [--runs 3] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CHROMIUM = os.environ.get("KNOOPPUNT_CHROMIUM", "/usr/bin/chromium")
ENERGIE = "00000003501234560000"
GEMEENTE = "00000001002306608000"

ZAAI = r"""
import json, sys, time, uuid
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis

van, aan, aantal = sys.argv[1], sys.argv[2], int(sys.argv[3])
rt = runtime.bouw(Settings(), upgrade=False)
kluis = Kluis.uit_instellingen(rt.settings)
ontvanger = Gastclient(rt, kluis, aan, wie="bench")
open_, _, _ = ontvanger.open_berichten()
ontvanger.bevestig([b.referentienummer for b in open_])  # the demo's, sealed for the hosted key
client = Gastclient(rt, kluis, van, wie="bench")
typen = ("kennisgeving", "saldoverzoek_nuts", "statusbericht")
begin = time.perf_counter()
for blok in range(0, aantal, 100):
    with client.transactie() as (session, nu):
        afzender = client.deelnemer(session)
        sleutel = client.sleutel(session, "bench", nu)
        for i in range(blok, min(aantal, blok + 100)):
            code = typen[i % len(typen)]
            payload = _met_klant(voorbeeld("schuldregeling", code), i % 900)
            bericht = TeVersturen(aan, code, payload, str(uuid.uuid4()))
            envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
            mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
print(json.dumps({"gezaaid": aantal, "seconden": time.perf_counter() - begin}))
rt.close()
"""


def _vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wacht(poort: int, proces: subprocess.Popen[bytes]) -> None:
    einde = time.monotonic() + 60
    while time.monotonic() < einde:
        if proces.poll() is not None:
            raise RuntimeError(f"knooppunt serve stopte met code {proces.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", poort), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("knooppunt serve luistert niet")


def _cpu() -> str:
    try:
        for regel in Path("/proc/cpuinfo").read_text().splitlines():
            if regel.startswith("model name"):
                return regel.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _chromium_versie() -> str:
    try:
        return subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "?"


def meet(page: Any, omgeving: dict[str, str], args: argparse.Namespace, tmp: Path) -> list[dict[str, float]]:
    from playwright.sync_api import expect

    page.goto("/portaal/inloggen")
    page.get_by_label("Organisatie").select_option(label="Demo Energie BV (Schuldeiser)")
    page.get_by_label("Uw naam").fill("Bench")
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.wait_for_url("**/portaal/**")
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    expect(page.locator("#wachtwoord-nieuw")).not_to_have_text("")
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=120_000)

    zaai = subprocess.run(
        [sys.executable, "-c", ZAAI, GEMEENTE, ENERGIE, str(args.berichten)],
        env=omgeving,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if zaai.returncode != 0:
        raise RuntimeError(zaai.stderr + zaai.stdout)
    gezaaid = json.loads(zaai.stdout.strip().splitlines()[-1])
    print(f"gezaaid: {gezaaid['gezaaid']} berichten in {gezaaid['seconden']:.1f} s (Python SDK, hosted keys)")

    uitslagen = []
    for run in range(1, args.runs + 1):
        begin = time.perf_counter()
        with page.expect_download(timeout=600_000) as wacht:
            page.get_by_role("button", name="Download maken").click()
        download = wacht.value
        klok = time.perf_counter() - begin
        pad = tmp / f"run{run}.zip"
        download.save_as(pad)
        tijden = json.loads(page.locator("#download-voortgang").get_attribute("data-tijden") or "{}")
        with zipfile.ZipFile(pad) as zip_:
            leesbaar = sum(1 for n in zip_.namelist() if n.startswith("leesbaar/"))
        assert tijden["geopend"] == args.berichten == leesbaar, (tijden, leesbaar)
        werk = (tijden["openen"] + tijden["zip"]) / 1000
        print(
            f"run {run}: ophalen {tijden['ophalen'] / 1000:.2f} s | ontsleutelen+controleren+valideren "
            f"{tijden['openen'] / 1000:.2f} s | zip {tijden['zip'] / 1000:.2f} s "
            f"({tijden['bytes'] / 1e6:.1f} MB) | LEESMIJ {tijden['leesmij'] / 1000:.2f} s | "
            f"browserwerk {werk:.2f} s | klik tot download {klok:.2f} s"
        )
        uitslagen.append({**tijden, "werk": werk, "klok": klok})
    return uitslagen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--berichten", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    if args.berichten > 1000:
        parser.error("een download is hoogstens 1000 berichten")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="browser-zip-") as map_:
        tmp = Path(map_)
        omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
        omgeving |= {"KNOOPPUNT_ENV": "development", "KNOOPPUNT_DATA_DIR": str(tmp / "data")}
        beheer = None
        naam = ""
        if args.database == "postgresql":
            basis = os.environ.get("KNOOPPUNT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
            url = basis.replace("postgresql://", "postgresql+psycopg://", 1)
            beheer = create_engine(url, isolation_level="AUTOCOMMIT")
            naam = f"knooppunt_bench_{uuid.uuid4().hex[:10]}"
            with beheer.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{naam}"'))
            omgeving["KNOOPPUNT_DATABASE_URL"] = (
                make_url(url).set(database=naam).render_as_string(hide_password=False)
            )
        proces = None
        try:
            demo = subprocess.run(
                [sys.executable, "-m", "knooppunt.cli.main", "portaal", "demo"],
                env=omgeving,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if demo.returncode != 0:
                raise RuntimeError(demo.stderr + demo.stdout)
            poort = _vrije_poort()
            proces = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "knooppunt.cli.main",
                    "serve",
                    "--port",
                    str(poort),
                    "--job-interval",
                    "3600",
                ],
                env=omgeving,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wacht(poort, proces)
            print(
                f"machine: {os.cpu_count()} cores, {_cpu()}; {_chromium_versie()} (headless); {args.database}"
            )
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
                )
                ctx = browser.new_context(
                    base_url=f"https://localhost:{poort}", ignore_https_errors=True, locale="nl-NL"
                )
                ctx.set_default_timeout(120_000)
                uitslagen = meet(ctx.new_page(), omgeving, args, tmp)
                browser.close()
        finally:
            if proces is not None:
                proces.terminate()
                proces.wait(30)
            if beheer is not None:
                with beheer.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
                beheer.dispose()
    werk = statistics.median(u["werk"] for u in uitslagen)
    ophalen = statistics.median(u["ophalen"] / 1000 for u in uitslagen)
    oordeel = "gehaald" if werk <= 5 else "NIET gehaald"
    print(
        f"mediaan van {len(uitslagen)}: browserwerk (ontsleutelen + controleren + valideren + zip) van "
        f"{args.berichten} berichten {werk:.2f} s (doel <= 5 s: {oordeel}); "
        f"ophalen van de server {ophalen:.2f} s"
    )


if __name__ == "__main__":
    main()
