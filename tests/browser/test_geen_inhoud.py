"""The server sees no content (DESIGN §5 "Portal": "No plaintext, passphrase, derived key or unwrapped
key reaches the server or its logs"; client names "encrypted in the browser under an organisation
key"), checked end to end in Debian's Chromium with the portal's real CSP.

A participant (Demo Energie BV) makes keys in the browser; a debt counsellor with keys of its own
sends it messages with the Python SDK (``HubClient`` over mutual TLS) whose payload carries a unique
marker; the werkplek opens them, gives the client a name with a unique marker, is reloaded and
unlocked again, and lists its clients; it makes the zip with the clients' names (decrypted in the
page), answers the saldoverzoeken by CSV, and composes a message of its own (a statusverzoek with
a marker in its free text) in the other traject, which it then names. All the while a ``Opname``
(recorder) keeps what could leak:

- every request body and URL the browser sends (``page.on("request")``);
- every request body, path and query string the server receives (an ASGI wrapper installed only in
  this test's server process, around the app ``knooppunt serve`` builds);
- the server's log output (its stdout and stderr: structlog and uvicorn);
- every file under the server's data directory (the SQLite database and its WAL included);
- on PostgreSQL, every row of every table as text (bytea as hex).

Then it searches all of that for the payload marker, the client-name markers, the passphrase (as
shown, without dashes, lower case), the wrapping key (derived here with Argon2id from the passphrase
and the stored salt and parameters, ``cryptography``'s Argon2id), and every key the blob wraps
(unwrapped here: the PKCS#8 private keys, their JWK ``d``, the raw label key and numbering secret) —
raw, base64, base64url (at every byte alignment) and hex. It also checks the stored KDF parameters
against DESIGN §5 (Argon2id, m ≥ 64 MiB, t ≥ 3, a 16-byte salt per blob).

Adding a flow (download, CSV upload, compose …): write a function ``stap_…(ctx: Context) -> None``
that drives the page through ``ctx.page`` (and the SDK through ``ctx.sdk``), put any new secret it
makes into ``ctx.geheimen`` (``ctx.geheimen.tekst(naam, waarde)`` / ``.bytes(naam, waarde)``), and
add it to ``STAPPEN`` at the point in the flow where it belongs. The recorder and the final search
cover it without further work.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.browser import conftest
from tests.browser.conftest import PG_URL, Portaalserver, log_in

ENERGIE = "00000003501234560000"
ENERGIE_NAAM = "Demo Energie BV (Schuldeiser)"
SDK_OIN = "00000003598765430000"
SDK_KVK = "59876543"

# The server as `knooppunt serve` runs it, with one addition for this test only: an ASGI wrapper
# around the app that appends every request's path and query string, and its body as the app reads
# it, to a file outside the data directory (base64 in JSON lines).
OPNAMESERVER = r"""
import base64, json, os, sys

import knooppunt.app as knooppunt_app

PAD = os.environ["GEEN_INHOUD_OPNAME"]
_echt = knooppunt_app.create_app


def _noteer(scope, lichaam):
    regel = {
        "pad": scope.get("path", ""),
        "query": base64.b64encode(scope.get("query_string", b"")).decode(),
        "lichaam": base64.b64encode(lichaam).decode(),
    }
    with open(PAD, "a", encoding="ascii") as f:
        f.write(json.dumps(regel) + "\n")


def create_app(rt):
    app = _echt(rt)

    async def opnemen(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        _noteer(scope, b"")  # the path and query string, also of requests whose body nobody reads
        delen = []

        async def ontvang():
            bericht = await receive()
            if bericht["type"] == "http.request":
                delen.append(bericht.get("body", b""))
                if not bericht.get("more_body"):
                    _noteer(scope, b"".join(delen))
            return bericht

        return await app(scope, ontvang, send)

    return opnemen


knooppunt_app.create_app = create_app
from knooppunt.cli.main import main

sys.argv = ["knooppunt", *sys.argv[1:]]
main()
"""

# In the server's environment: a debt counsellor with keys of its own (sleutelbeheer eigen), its
# certificate from the development CA, the key written outside the data directory.
REGISTREER = r"""
import sys
from pathlib import Path

from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import adresboek, audit
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal.demo import vertrouw_ontwikkel_ca
from knooppunt.store.db import db_nu, transactie

oin, kvk, uit = sys.argv[1], sys.argv[2], Path(sys.argv[3])
rt = runtime.bouw(Settings(), upgrade=False)
pki = vertrouw_ontwikkel_ca(rt)
c = ontwikkel_ca.issue(pki, oin=oin, naam="SDK Schuldhulp (test)", key_type="ec", uit_map=uit)
with transactie(rt.sessions) as session:
    adresboek.registreer(
        session,
        adresboek.NieuweDeelnemer(
            oin=oin,
            naam="SDK Schuldhulp (test)",
            rol="SHV",
            kvk_nummer=kvk,
            vestigingsnummer="0000" + kvk,
            modules=["schuldregeling"],
            certificaten=[lees_pem(c.certificaat.read_bytes())],
        ),
        nu=db_nu(session),
        ankers=rt.ankers,
        door=audit.beheerder("test"),
    )
print(c.certificaat)
print(c.sleutel)
print(ontwikkel_ca.ca_paden(pki)[0])
rt.close()
"""

# The SDK sends: a saldoverzoek (nuts) to the energy company, sealed for its newest encryption
# certificate (the one made in the browser), the payload marker as klantnummerSHV.
VERSTUUR = r"""
import json, sys, uuid

from knooppunt.client.berichten import TeVersturen
from knooppunt.client.hub import HubClient
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

hub, cert, key, ca, ontvanger, merk = sys.argv[1:7]
payload = voorbeeld("schuldregeling", "saldoverzoek_nuts")
payload["klantnummerSHV"] = merk
conversatie = str(uuid.uuid4())
client = HubClient(hub, cert=cert, key=key, ca=ca)
verzonden = client.verstuur_bericht(TeVersturen(ontvanger, "saldoverzoek_nuts", payload, conversatie))
print(json.dumps({"referentienummer": verzonden.referentienummer, "conversatie": conversatie}))
"""


# The SDK's debt counsellor fetches and opens what the werkplek composed for it: the content arrived
# (sealed for it, signed by the participant), and only there is it readable.
ONTVANG = r"""
import json, sys

from knooppunt.client.hub import HubClient

hub, cert, key, ca, ref = sys.argv[1:6]
client = HubClient(hub, cert=cert, key=key, ca=ca)
for b in client.ontvang(berichttype="statusverzoek"):
    if b.referentienummer == ref:
        print(json.dumps({"payload": b.payload, "fout": b.fout, "conversatie": b.conversatie}))
"""


# --- what must not leak, in the forms it could take -------------------------------------------------


def _b64_vormen(data: bytes) -> list[bytes]:
    """``data`` in base64 and base64url at each of the three byte alignments it can have inside a
    longer encoded value (only the characters that depend on ``data`` alone)."""
    vormen: list[bytes] = []
    for k in range(3):
        begin = -(-8 * k // 6)
        eind = (8 * (k + len(data))) // 6
        for codeer in (base64.b64encode, base64.urlsafe_b64encode):
            stuk = codeer(b"\0" * k + data)[begin:eind]
            if len(stuk) >= 8:
                vormen.append(stuk)
    return vormen


def vormen(data: bytes) -> list[bytes]:
    """Raw, hex (lower and upper case), base64 and base64url."""
    return [data, data.hex().encode(), data.hex().upper().encode(), *_b64_vormen(data)]


@dataclass
class Geheimen:
    """Name → the byte forms to search for."""

    vormen: dict[str, list[bytes]] = field(default_factory=dict)

    def tekst(self, naam: str, waarde: str) -> None:
        self.bytes(naam, waarde.encode("utf-8"))

    def bytes(self, naam: str, waarde: bytes) -> None:
        assert len(waarde) >= 8, f"{naam}: too short to search for without false hits"
        self.vormen[naam] = vormen(waarde)


# --- the recorder -----------------------------------------------------------------------------------


@dataclass
class Opname:
    """Everything the server received, logged or stored, gathered at the end."""

    server: Portaalserver
    opnamebestand: Path
    browser: list[tuple[str, bytes]] = field(default_factory=list)

    def noteer_verzoek(self, verzoek: Any) -> None:
        self.browser.append((f"browser URL {verzoek.url}", verzoek.url.encode()))
        data = verzoek.post_data_buffer
        if data:
            self.browser.append((f"browser body {verzoek.method} {verzoek.url}", bytes(data)))

    def server_verzoeken(self) -> list[tuple[str, bytes]]:
        uit = []
        for regel in self.opnamebestand.read_text(encoding="ascii").splitlines():
            r = json.loads(regel)
            uit.append((f"server query {r['pad']}", base64.b64decode(r["query"])))
            uit.append((f"server body {r['pad']}", base64.b64decode(r["lichaam"])))
        return uit

    def bestanden(self) -> list[tuple[str, bytes]]:
        return [
            (f"file {p.relative_to(self.server.data_dir)}", p.read_bytes())
            for p in sorted(self.server.data_dir.rglob("*"))
            if p.is_file()
        ]

    def database(self) -> list[tuple[str, bytes]]:
        url = self.server.omgeving.get("KNOOPPUNT_DATABASE_URL")
        if not url:
            return []  # SQLite: its files are under the data directory
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        uit = []
        try:
            with engine.connect() as conn:
                for tabel in inspect(conn).get_table_names():
                    rijen = conn.execute(text(f'SELECT t::text FROM "{tabel}" t')).scalars().all()
                    uit.append((f"table {tabel}", "\n".join(rijen).encode("utf-8")))
        finally:
            engine.dispose()
        assert any(naam == "table portaal_clientlabels" for naam, _ in uit)
        return uit

    def alles(self) -> list[tuple[str, bytes]]:
        return [
            *self.browser,
            *self.server_verzoeken(),
            ("server log", "".join(self.server.log).encode("utf-8")),
            *self.bestanden(),
            *self.database(),
        ]


@dataclass
class Context:
    page: Any
    server: Portaalserver
    opname: Opname
    sdk: dict[str, str]
    geheimen: Geheimen = field(default_factory=Geheimen)
    wachtwoord: str = ""
    inhoudmerk: str = field(default_factory=lambda: f"INH{secrets.token_hex(10)}")
    naammerk: str = field(default_factory=lambda: f"Naam{secrets.token_hex(10)}")
    klantnummermerk: str = field(default_factory=lambda: f"KN{secrets.token_hex(8)}")
    antwoordmerk: str = field(default_factory=lambda: f"Antwoord{secrets.token_hex(10)}")
    opstelmerk: str = field(default_factory=lambda: f"Toelichting{secrets.token_hex(10)}")
    opstelklantmerk: str = field(default_factory=lambda: f"KS{secrets.token_hex(8)}")
    opstelnaammerk: str = field(default_factory=lambda: f"Opstelnaam{secrets.token_hex(10)}")
    saldoverzoeken: bytes = b""
    verstuurd: list[dict[str, str]] = field(default_factory=list)


# --- the server with its recorder ---------------------------------------------------------------


def _start(tmp: Path, database_url: str | None) -> Iterator[tuple[Portaalserver, Path]]:
    opname = tmp / "opname" / "verzoeken.jsonl"
    opname.parent.mkdir()
    opname.touch()
    for server in conftest._start(
        tmp,
        database_url,
        programma=[sys.executable, "-c", OPNAMESERVER],
        alleen_server={"GEEN_INHOUD_OPNAME": str(opname)},
    ):
        yield server, opname


@pytest.fixture(params=["sqlite", "postgresql"])
def opnameserver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Portaalserver, Path]]:
    if request.param == "sqlite":
        yield from _start(tmp_path, None)
        return
    if not PG_URL:
        pytest.skip("KNOOPPUNT_TEST_DATABASE_URL is not set")
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    beheer = create_engine(url, isolation_level="AUTOCOMMIT")
    naam = f"knooppunt_geen_inhoud_{uuid.uuid4().hex[:10]}"
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    try:
        yield from _start(tmp_path, make_url(url).set(database=naam).render_as_string(hide_password=False))
    finally:
        with beheer.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
        beheer.dispose()


@pytest.fixture
def ctx(browser: Any, opnameserver: tuple[Portaalserver, Path], tmp_path: Path) -> Iterator[Context]:
    from playwright.sync_api import expect

    server, opnamebestand = opnameserver
    expect.set_options(timeout=30_000)
    sdk_map = tmp_path / "sdk"
    sdk_map.mkdir()
    cert, key, ca = server.python(REGISTREER, SDK_OIN, SDK_KVK, str(sdk_map)).split()
    context = browser.new_context(
        base_url=server.url, ignore_https_errors=True, locale="nl-NL", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    opname = Opname(server, opnamebestand)
    page.on("request", opname.noteer_verzoek)
    page.fouten = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.fouten.append(str(e)))  # type: ignore[attr-defined]
    yield Context(page=page, server=server, opname=opname, sdk={"cert": cert, "key": key, "ca": ca})
    context.close()


# --- the steps --------------------------------------------------------------------------------------


def stap_inloggen_en_sleutels_maken(ctx: Context) -> None:
    from playwright.sync_api import expect

    page = ctx.page
    log_in(page, ENERGIE_NAAM, naam="Nina Nietlezen")
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    wachtwoord = page.locator("#wachtwoord-nieuw")
    expect(wachtwoord).not_to_have_text("")
    ctx.wachtwoord = wachtwoord.text_content() or ""
    assert len(ctx.wachtwoord) == 19
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=90_000)
    for naam, vorm in (
        ("wachtwoord", ctx.wachtwoord),
        ("wachtwoord zonder streepjes", ctx.wachtwoord.replace("-", "")),
        ("wachtwoord in kleine letters", ctx.wachtwoord.lower()),
        ("wachtwoord in kleine letters zonder streepjes", ctx.wachtwoord.replace("-", "").lower()),
    ):
        ctx.geheimen.tekst(naam, vorm)


def stap_sdk_verstuurt(ctx: Context) -> None:
    for _ in range(2):
        uit = ctx.server.python(
            VERSTUUR,
            ctx.server.url,
            ctx.sdk["cert"],
            ctx.sdk["key"],
            ctx.sdk["ca"],
            ENERGIE,
            ctx.inhoudmerk,
        )
        ctx.verstuurd.append(json.loads(uit.strip().splitlines()[-1]))
    ctx.geheimen.tekst("inhoud (payload)", ctx.inhoudmerk)


def stap_berichten_openen(ctx: Context) -> None:
    from playwright.sync_api import expect

    page = ctx.page
    page.get_by_role("button", name="Berichten ophalen").click()
    for v in ctx.verstuurd:
        page.locator(f'button[data-referentienummer="{v["referentienummer"]}"]').click()
        expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
        expect(page.locator("#bericht-inhoud")).to_contain_text(ctx.inhoudmerk)


def stap_clientnaam_geven(ctx: Context) -> None:
    from playwright.sync_api import expect

    page = ctx.page
    conversatie = ctx.verstuurd[0]["conversatie"]
    page.get_by_role("button", name="Cliënten opnieuw laden").click()
    knop = page.locator(f'#clienten-lijst button[data-conversatie="{conversatie}"]')
    expect(knop).to_be_visible()
    knop.click()
    page.locator("#clienten-klantnummer").fill(ctx.klantnummermerk)
    page.locator("#clienten-naam").fill(ctx.naammerk)
    page.get_by_role("button", name="Naam versleuteld bewaren").click()
    expect(page.locator("#sleutels-status")).to_contain_text("versleuteld bewaard")
    expect(page.locator("#clienten-lijst")).to_contain_text(ctx.naammerk)
    ctx.geheimen.tekst("naam van de cliënt", ctx.naammerk)
    ctx.geheimen.tekst("klantnummer van de cliënt", ctx.klantnummermerk)


def stap_herladen_en_ontgrendelen(ctx: Context) -> None:
    from playwright.sync_api import expect

    page = ctx.page
    page.reload()
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    page.get_by_label("Wachtwoord", exact=True).fill(ctx.wachtwoord)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=90_000)


def stap_clienten_tonen(ctx: Context) -> None:
    from playwright.sync_api import expect

    page = ctx.page
    rij = page.locator("#clienten-lijst tr").filter(has_text=ctx.naammerk)
    expect(rij).to_have_count(1)
    expect(rij).to_contain_text(ctx.klantnummermerk)
    expect(rij).to_contain_text("SDK Schuldhulp (test)")
    # The other conversation got no name from a person: opening its message named it from the
    # client the content names (the payload's klant, and its klantnummerSHV: the payload marker),
    # encrypted in the page like any label.
    tweede = ctx.verstuurd[1]["conversatie"]
    uit_bericht = f"Johanna de Vries · {ctx.inhoudmerk}"
    rij = page.locator("#clienten-lijst tr").filter(has_text=f"traject {tweede[:8]}")
    expect(rij.locator("th")).to_have_text(f"{uit_bericht} traject {tweede[:8]}")
    # The open messages show the client's name beside them (DESIGN §7), decrypted in the page.
    page.get_by_role("button", name="Berichten ophalen").click()
    rij = page.locator("#berichten-lijst tr").filter(has_text=ctx.naammerk)
    expect(rij).to_have_count(1)
    expect(page.locator(f'#berichten-lijst .bericht-client[data-conversatie="{tweede}"]')).to_have_text(
        uit_bericht
    )


def stap_download_met_namen(ctx: Context) -> None:
    """The download table names each message's client as the werkplek decrypted it (the named traject;
    "onbekende cliënt" and the reference for the other), the readable copy's heading names it, and
    clienten.csv has it: all made in the page, none of it sent (nothing confirmed here: the next step
    downloads again, art. 17.4)."""
    from playwright.sync_api import expect

    page = ctx.page
    voor = len(ctx.opname.browser)
    with page.expect_download(timeout=120_000) as wacht:
        page.get_by_role("button", name="Download maken").click()
    expect(page.locator("#download-voortgang")).to_contain_text("Klaar", timeout=60_000)
    eerste, tweede = ctx.verstuurd[:2]
    naam = f"{ctx.naammerk} · {ctx.klantnummermerk}"

    def client(v: dict[str, str]) -> Any:
        return page.locator(
            f'#download-lijst tr[data-referentienummer="{v["referentienummer"]}"] .download-client'
        )

    expect(client(eerste)).to_have_text(naam)
    expect(client(tweede)).to_have_text(f"Johanna de Vries · {ctx.inhoudmerk}")
    with zipfile.ZipFile(Path(wacht.value.path())) as zip_:
        clienten = zip_.read("clienten.csv").decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(clienten, newline=""), delimiter=";")) == [
            ["conversatieReferentienummer", "cliënt"],
            [eerste["conversatie"], naam],
            [tweede["conversatie"], f"Johanna de Vries · {ctx.inhoudmerk}"],
        ]
        kopie = zip_.read(f"leesbaar/saldoverzoek_nuts-{eerste['referentienummer']}.txt").decode("utf-8-sig")
        assert kopie.split("\r\n")[0].endswith(f" – {naam}")
        assert ctx.naammerk not in zip_.read("saldoverzoeken.csv").decode("utf-8-sig")
        assert "clienten.csv" in zip_.read("LEESMIJ.txt").decode("utf-8-sig")
    # What the page sent meanwhile (fetching, the LEESMIJ): no name. The final search checks it all.
    verzonden = b"".join(data for _, data in ctx.opname.browser[voor:])
    assert b"/download/leesmij" in b"".join(n.encode() for n, _ in ctx.opname.browser[voor:])
    assert ctx.naammerk.encode() not in verzonden and ctx.klantnummermerk.encode() not in verzonden


def stap_zip_downloaden_en_bevestigen(ctx: Context) -> None:
    """The zip of 17.1 is made in the page (decrypted, checked, CSVs, readable copies) and the download
    confirmed (17.2): the payload is in the zip the browser saved, never in what reached the server."""
    from playwright.sync_api import expect

    page = ctx.page
    with page.expect_download(timeout=120_000) as wacht:
        page.get_by_role("button", name="Download maken").click()
    expect(page.locator("#download-voortgang")).to_contain_text("Klaar", timeout=60_000)
    pad = Path(wacht.value.path())
    with zipfile.ZipFile(pad) as zip_:
        inhoud = b"".join(zip_.read(naam) for naam in zip_.namelist())
        ctx.saldoverzoeken = zip_.read("saldoverzoeken.csv")
    assert ctx.inhoudmerk.encode() in inhoud, "the zip made in the browser holds the payload"
    page.get_by_role("button", name="Download bevestigen").click()
    expect(page.locator("#download-voortgang")).to_contain_text("bevestigd")


def stap_antwoorden_uploaden(ctx: Context) -> None:
    """Art. 18.1a: the zip's saldoverzoeken.csv answered ('Klant onbekend', art. 8.1, with a reason
    that carries a marker) and uploaded: parsed, validated, numbered, signed and encrypted in the page,
    accepted by the hub — the reason reaches the server only as ciphertext."""
    from playwright.sync_api import expect

    page = ctx.page
    tekst = ctx.saldoverzoeken.decode("utf-8-sig")
    kop, *rijen = list(csv.reader(io.StringIO(tekst, newline=""), delimiter=";"))
    gevuld = []
    for rij in rijen:
        cellen = dict(zip(kop, rij, strict=True))
        cellen["antwoord.saldoverzoek"] = "Klant onbekend"
        cellen["antwoord.reden.code"] = "GEEN_MATCH"
        cellen["antwoord.reden.tekst"] = ctx.antwoordmerk
        gevuld.append([cellen[k] for k in kop])
    uit = io.StringIO(newline="")
    csv.writer(uit, delimiter=";", lineterminator="\r\n").writerows([kop, *gevuld])
    ctx.geheimen.tekst("antwoord (reden)", ctx.antwoordmerk)
    page.locator("#upload-bestanden").set_input_files(
        [
            {
                "name": "saldoverzoeken.csv",
                "mimeType": "text/csv",
                "buffer": ("\ufeff" + uit.getvalue()).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Bestanden controleren en versturen").click()
    # The SDK's certificate is new: the page asks before it seals for it (DESIGN §5).
    expect(page.locator("#upload-jong")).to_be_visible(timeout=60_000)
    page.get_by_label("Ik heb deze certificaten gecontroleerd; versleutel voor deze sleutels").check()
    page.get_by_role("button", name="Bestanden controleren en versturen").click()
    uitslag = page.locator("#upload-uitslag")
    expect(uitslag).to_be_visible(timeout=120_000)
    expect(uitslag).to_contain_text(f"Verstuurd: {len(gevuld)} bericht")


def stap_opstellen_en_versturen(ctx: Context) -> None:
    """Compose in the werkplek ("Opstellen", DESIGN §7): a statusverzoek to the SDK's debt counsellor
    in the second traject (a statusverzoek needs earlier contact, art. 14.1), with a marker in its
    free text (toelichting) and its klantnummer; checked, signed and sealed in the page. The SDK
    opens it (the content did arrive); then that traject gets a client name of its own in the
    Cliënten part."""
    from playwright.sync_api import expect

    page = ctx.page
    ctx.geheimen.tekst("toelichting van het opgestelde bericht", ctx.opstelmerk)
    ctx.geheimen.tekst("klantnummer in het opgestelde bericht", ctx.opstelklantmerk)
    expect(page.locator("#opstellen")).to_be_visible()
    keuze = page.locator("#opstel-type option", has_text="Statusverzoek").first.get_attribute("value")
    assert keuze
    page.locator("#opstel-type").select_option(keuze)
    page.locator("#opstel-ontvanger").fill(SDK_OIN)
    page.locator("#opstel-conversatie").fill(ctx.verstuurd[1]["conversatie"])
    page.locator("#opstel-klantnummerSHV").fill(ctx.opstelklantmerk)
    page.locator("#opstel-toelichting").fill(f"Graag de stand van zaken.\n{ctx.opstelmerk}")
    knop = page.get_by_role("button", name="Bericht controleren en versturen")
    knop.click()
    uitslag = page.locator("#opstel-uitslag")
    jong = page.locator("#opstel-jong")
    # The SDK's certificate is new: the page asks before it seals for it (DESIGN §5).
    expect(jong.or_(uitslag.filter(has_text="Verstuurd"))).to_be_visible(timeout=60_000)
    if jong.is_visible():
        page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
        knop.click()
    expect(uitslag).to_contain_text("Verstuurd: Statusverzoek", timeout=60_000)
    tekst = uitslag.text_content() or ""
    ref = tekst.split("referentienummer ", 1)[1].split(",", 1)[0]
    conversatie = tekst.split("conversatie ", 1)[1].rstrip(".")
    assert not page.locator("#sleutels-fout").is_visible()

    geopend = ctx.server.python(ONTVANG, ctx.server.url, ctx.sdk["cert"], ctx.sdk["key"], ctx.sdk["ca"], ref)
    bericht = json.loads(geopend.strip().splitlines()[-1])
    assert conversatie == ctx.verstuurd[1]["conversatie"]
    assert bericht["fout"] is None and bericht["conversatie"] == conversatie
    assert ctx.opstelmerk in bericht["payload"]["toelichting"]
    assert bericht["payload"]["klantnummerSHV"] == ctx.opstelklantmerk

    # The traject gets a client name, encrypted in the page like the first.
    ctx.geheimen.tekst("naam van de cliënt van het opgestelde bericht", ctx.opstelnaammerk)
    page.get_by_role("button", name="Cliënten opnieuw laden").click()
    page.locator(f'#clienten-lijst button[data-conversatie="{conversatie}"]').click()
    page.locator("#clienten-naam").fill(ctx.opstelnaammerk)
    page.get_by_role("button", name="Naam versleuteld bewaren").click()
    expect(page.locator("#sleutels-status")).to_contain_text("versleuteld bewaard")
    rij = page.locator("#clienten-lijst tr").filter(has_text=ctx.opstelnaammerk)
    expect(rij).to_have_count(1)
    expect(rij).to_contain_text("Statusverzoek (verstuurd)")


def stap_verplaatst_label_opent_niet(ctx: Context) -> None:
    """A label's ciphertext copied to another traject (as a malicious server could) does not decrypt
    there: the associated data binds it to its traject."""
    from playwright.sync_api import expect

    page = ctx.page
    csrf = page.locator("#sleutels").get_attribute("data-csrf") or ""
    kop = {"X-CSRF-Token": csrf}
    api = "/portaal/sleutels/api/clienten"
    eerste, tweede = (v["conversatie"] for v in ctx.verstuurd[:2])
    opgeslagen = page.request.get(api, headers=kop).json()["labels"][eerste]
    assert set(opgeslagen) == {"sleutel", "iv", "versleuteld"}
    assert page.request.put(f"{api}/{tweede}/label", data=opgeslagen, headers=kop).ok
    page.get_by_role("button", name="Cliënten opnieuw laden").click()
    expect(page.locator("#clienten-lijst")).to_contain_text(
        f"Traject {tweede[:8]} (naam niet te ontsleutelen"
    )
    rijen = page.locator("#clienten-lijst tr").filter(has_text=ctx.naammerk)
    expect(rijen).to_have_count(1)
    assert page.request.delete(f"{api}/{tweede}/label", headers=kop).ok


def stap_serverpaginas_zonder_namen(ctx: Context) -> None:
    """The server's own pages name no client for a participant whose names are in the browser."""
    page = ctx.page
    for pad in ("/portaal/verzonden", "/portaal/ontvangen", "/portaal/"):
        page.goto(pad)
        inhoud = page.content()
        for merk in (ctx.naammerk, ctx.klantnummermerk, ctx.opstelnaammerk, ctx.opstelmerk):
            assert merk not in inhoud, pad


STAPPEN: list[Callable[[Context], None]] = [
    stap_inloggen_en_sleutels_maken,
    stap_sdk_verstuurt,
    stap_berichten_openen,
    stap_clientnaam_geven,
    stap_herladen_en_ontgrendelen,
    stap_clienten_tonen,
    stap_download_met_namen,
    stap_zip_downloaden_en_bevestigen,
    stap_antwoorden_uploaden,
    stap_verplaatst_label_opent_niet,
    stap_opstellen_en_versturen,
    stap_serverpaginas_zonder_namen,
]


# --- the keys, from the stored blob and the passphrase (never from the page) --------------------------


def _blobs(server: Portaalserver) -> list[dict[str, Any]]:
    url = (
        server.omgeving.get("KNOOPPUNT_DATABASE_URL") or f"sqlite:///{server.data_dir / 'knooppunt.sqlite3'}"
    )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rijen = conn.execute(
                text("SELECT blob FROM portaal_sleutelblobs WHERE oin = :oin"), {"oin": ENERGIE}
            ).scalars()
            return [json.loads(r) for r in rijen]
    finally:
        engine.dispose()


def _ontb64url(tekst: str) -> bytes:
    return base64.urlsafe_b64decode(tekst + "=" * (-len(tekst) % 4))


def sleutels_uit_blob(ctx: Context) -> None:
    """Check the blob's KDF against DESIGN §5, derive the wrapping key from the passphrase and the
    salt, unwrap every key, and add them all (and the wrapping key) to what must not leak."""
    blobs = _blobs(ctx.server)
    assert blobs, "no key blob was stored"
    zouten = set()
    for blob in blobs:
        kdf = blob["kdf"]
        assert kdf["algoritme"] == "argon2id"
        assert kdf["geheugenKiB"] >= 64 * 1024 and kdf["iteraties"] >= 3
        zout = _ontb64url(kdf["zout"])
        assert len(zout) == 16
        zouten.add(zout)
        wikkel = Argon2id(
            salt=zout,
            length=32,
            iterations=kdf["iteraties"],
            lanes=kdf["parallel"],
            memory_cost=kdf["geheugenKiB"],
        ).derive(ctx.wachtwoord.encode())
        ctx.geheimen.bytes("afgeleide wikkelsleutel", wikkel)
        gebruiken = set()
        for gebruik, jkt, sleutel in _uitgepakt(blob, wikkel):
            gebruiken.add(gebruik)
            naam = f"{gebruik} {jkt[:8]}"
            ctx.geheimen.bytes(naam, sleutel)
            if gebruik in ("ondertekening", "versleuteling", "persoonlijk"):
                prive = serialization.load_der_private_key(sleutel, password=None)
                assert isinstance(prive, ec.EllipticCurvePrivateKey)
                d = prive.private_numbers().private_value.to_bytes(32, "big")
                ctx.geheimen.bytes(f"{naam} (d)", d)  # a JWK's "d" is its base64url
        assert {"ondertekening", "versleuteling", "labelsleutel", "nummergeheim"} <= gebruiken
    assert len(zouten) == len(blobs), "every blob has a salt of its own"


def _uitgepakt(blob: dict[str, Any], wikkel: bytes) -> Iterator[tuple[str, str, bytes]]:
    """(gebruik, jkt, key bytes) of every key in a blob: version 1 wraps each under the passphrase's
    key; version 2 wraps the user's personal key so, and each organisation key to that personal key
    as a JWE (ECDH-ES+A256KW, A256GCM; decision 0027), opened here with `cryptography` alone."""

    def onder_wachtwoord(gebruik: str, jkt: str, iv: str, versleuteld: str) -> bytes:
        aad = f"knooppunt-portaalsleutel:{gebruik}:{jkt}".encode()
        return AESGCM(wikkel).decrypt(_ontb64url(iv), _ontb64url(versleuteld), aad)

    if blob.get("versie", 1) == 1:
        for item in blob["sleutels"]:
            yield (
                item["gebruik"],
                item["jkt"],
                onder_wachtwoord(item["gebruik"], item["jkt"], item["iv"], item["versleuteld"]),
            )
        return
    p = blob["persoonlijk"]
    persoonlijk = onder_wachtwoord("persoonlijk", p["jkt"], p["iv"], p["versleuteld"])
    yield "persoonlijk", p["jkt"], persoonlijk
    prive = serialization.load_der_private_key(persoonlijk, password=None)
    assert isinstance(prive, ec.EllipticCurvePrivateKey)
    for item in blob["sleutels"]:
        kop_b64, sleutel_b64, iv_b64, tekst_b64, tag_b64 = item["jwe"].split(".")
        kop = json.loads(_ontb64url(kop_b64))
        assert kop["alg"] == "ECDH-ES+A256KW" and kop["enc"] == "A256GCM"
        assert (kop["gebruik"], kop["jkt"], kop["kid"]) == (item["gebruik"], item["jkt"], p["jkt"])
        epk = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_ontb64url(kop["epk"]["x"]), "big"),
            int.from_bytes(_ontb64url(kop["epk"]["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        alg = b"ECDH-ES+A256KW"
        otherinfo = len(alg).to_bytes(4, "big") + alg + bytes(8) + (256).to_bytes(4, "big")
        kek = ConcatKDFHash(hashes.SHA256(), 32, otherinfo).derive(prive.exchange(ec.ECDH(), epk))
        cek = keywrap.aes_key_unwrap(kek, _ontb64url(sleutel_b64))
        sleutel = AESGCM(cek).decrypt(
            _ontb64url(iv_b64), _ontb64url(tekst_b64) + _ontb64url(tag_b64), kop_b64.encode("ascii")
        )
        yield item["gebruik"], item["jkt"], sleutel


def _heeft_jwk_d(x: Any) -> bool:
    if isinstance(x, dict):
        return ("d" in x and "kty" in x) or any(_heeft_jwk_d(v) for v in x.values())
    if isinstance(x, list):
        return any(_heeft_jwk_d(v) for v in x)
    return False


def test_het_knooppunt_ziet_geen_inhoud(ctx: Context) -> None:
    try:
        for stap in STAPPEN:
            stap(ctx)
    except Exception:
        print("server log:\n" + "".join(ctx.server.log[-60:]))
        raise
    sleutels_uit_blob(ctx)
    assert not ctx.page.fouten, ctx.page.fouten  # type: ignore[attr-defined]

    bronnen = ctx.opname.alles()
    namen = [naam for naam, _ in bronnen]
    # The recorder saw what it must see: the label was stored (server side), the log is there.
    assert any(n.startswith("server body /portaal/sleutels/api/clienten/") for n in namen), namen
    assert any(n.startswith("server body /api/v1/berichten") for n in namen), namen
    assert any(n == "server body /portaal/sleutels/api/verzenden" for n in namen), "the compose step sent"
    assert any(n == "server body /portaal/sleutels/api/download/leesmij" for n in namen), namen
    assert any(
        n == "server query /portaal/sleutels/api/certificaten" and SDK_OIN.encode() in d for n, d in bronnen
    ), "the recorder missed a GET's query string"
    assert any(n.startswith("file knooppunt.sqlite3") for n in namen) or any(
        n.startswith("table ") for n in namen
    )
    assert ctx.server.log, "the server logged nothing"
    assert len(ctx.geheimen.vormen) >= 10

    gevonden = [
        f"{geheim} in {bron}"
        for bron, data in bronnen
        for geheim, lijst in ctx.geheimen.vormen.items()
        if any(vorm in data for vorm in lijst)
    ]
    assert not gevonden, "reached the server: " + "; ".join(gevonden)
    for bron, data in bronnen:
        if bron.startswith(("browser body", "server body")):
            try:
                gegevens = json.loads(data)
            except ValueError:
                continue
            assert not _heeft_jwk_d(gegevens), f"a private JWK ('d') in {bron}"


def test_de_zoeker_vindt_wat_er_is() -> None:
    """The search would find a secret in each encoding, at any alignment inside a longer value."""
    geheim = secrets.token_bytes(32)
    lijst = vormen(geheim)
    for omhulsel in (b"", b"x", b"xy", b"xyz"):
        for codeer in (base64.b64encode, base64.urlsafe_b64encode):
            gecodeerd = codeer(omhulsel + geheim + b"!")
            assert any(v in gecodeerd for v in lijst)
    assert any(v in b"...".join([b"a", geheim.hex().encode(), b"b"]) for v in lijst)
    assert not any(v in base64.b64encode(secrets.token_bytes(64)) for v in lijst)


def test_oude_namen_overzetten_in_de_browser(browser: Any, opnameserver: tuple[Portaalserver, Path]) -> None:
    """The municipality's demo labels were kept readable under the hub's kluis; once a user has
    browser keys, the werkplek offers them once, encrypts each under the label key, and the server
    deletes its readable copies. The names then show on the werkplek only."""
    from playwright.sync_api import expect

    server, _ = opnameserver
    gemeente = "00000001002306608000"
    url = (
        server.omgeving.get("KNOOPPUNT_DATABASE_URL") or f"sqlite:///{server.data_dir / 'knooppunt.sqlite3'}"
    )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

    def aantal(tabel: str) -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(f"SELECT count(*) FROM {tabel} WHERE oin = :oin"), {"oin": gemeente}
                ).scalar_one()
            )

    context = browser.new_context(base_url=server.url, ignore_https_errors=True, locale="nl-NL")
    context.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    try:
        page = context.new_page()
        log_in(page, "Gemeente Demodorp (Schuldhulpverlener)", naam="Otto Overzetter")
        oud = aantal("portaal_dossiers")
        assert oud >= 3
        # Before any browser keys, the server still shows its readable names.
        page.goto("/portaal/clienten")
        naam = page.locator("tbody th a").first.text_content() or ""
        assert naam and not naam.startswith("Traject")

        page.goto("/portaal/sleutels")
        page.get_by_role("button", name="Sleutels aanmaken").click()
        expect(page.locator("#wachtwoord-nieuw")).not_to_have_text("")
        page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
        page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
        expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=90_000)
        expect(page.locator("#clienten-oud")).to_be_visible()
        expect(page.locator("#clienten-oud-aantal")).to_have_text(str(oud))
        page.get_by_role("button", name="Oude namen overzetten").click()
        expect(page.locator("#sleutels-status")).to_contain_text("versleuteld overgezet")
        expect(page.locator("#clienten-oud")).to_be_hidden()
        expect(page.locator("#clienten-lijst")).to_contain_text(naam.split(" · ")[0])
        assert aantal("portaal_dossiers") == 0
        assert aantal("portaal_clientlabels") == oud

        # The server's own list names no client any more; it points to the werkplek.
        page.goto("/portaal/clienten")
        assert naam not in page.content()
        expect(page.locator("main")).to_contain_text("werkplek")
    finally:
        context.close()
        engine.dispose()
