"""The hub under a demanding reviewer's requests (DESIGN §4: "anything malformed in a path,
query, header or body is a 4xx problem+json, never a 500", with ``API-Version`` on every answer of
the API). Each test names what it found: a body with a member named twice, a trailing slash
redirected to the Host header's host, the HTTP parser's own text/plain 400."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from knooppunt.api import tls
from knooppunt.runtime import Runtime
from tests.conftest import MetCertificaat
from tests.factories import Partij, envelop
from tests.functional.server import Hub, ssl_context, start_hub, vrije_poort, wacht_op_poort


def _client(app: Any, partij: Partij | None, basis: str = "https://testserver/api/v1") -> TestClient:
    # raise_server_exceptions=False: a 500 must show up as a 500 here, not as a raised error.
    return TestClient(
        MetCertificaat(app, partij.pem if partij else None),
        base_url=basis,
        raise_server_exceptions=False,
        follow_redirects=False,
    )


def _probleem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.headers, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["API-Version"] == "1.0.0"
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


# --- a member named twice -------------------------------------------------------------------------


def test_veld_dat_twee_keer_in_de_body_staat_is_een_400_die_het_noemt(
    cast: dict[str, Partij], app: Any, rt: Runtime
) -> None:
    """`{"referentienummer": A, ..., "referentienummer": B}` was stored under B (Python keeps the
    last member; other parsers — a proxy's, a log's — keep the first): one body, two meanings."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    ander = str(uuid.uuid4())
    tekst = json.dumps(env)[:-1] + f', "referentienummer": "{ander}"}}'
    shv = _client(app, gemeente)
    r = shv.post("/berichten", content=tekst.encode(), headers={"content-type": "application/json"})
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert [p["name"] for p in body["invalidParams"]] == ["referentienummer"]
    assert "meer dan eens" in body["invalidParams"][0]["reason"]
    # In the bevestigingen of a recipient too, and at any depth (named by its path).
    se = _client(app, energie)
    for dubbel, naam in (
        (f'{{"referentienummers": ["{ander}"], "referentienummers": []}}', "referentienummers"),
        (f'{{"referentienummers": ["{ander}"], "x": [{{"a": 1, "a": 2}}]}}', "x.0.a"),
    ):
        r = se.post("/bevestigingen", content=dubbel.encode(), headers={"content-type": "application/json"})
        body = _probleem(r, 400, "ONGELDIG_VERZOEK")
        assert [p["name"] for p in body["invalidParams"]] == [naam]
    # Nothing was stored under either number; the envelope as sent once is accepted.
    for ref in (env["referentienummer"], ander):
        _probleem(_client(app, energie).get(f"/berichten/{ref}"), 404, "NIET_GEVONDEN")
    assert shv.post("/berichten", json=env).status_code == 201


def test_getal_buiten_een_double_in_de_jwe_kop_is_een_400(cast: dict[str, Partij], app: Any) -> None:
    """`{"alg": ..., "x": 1e999}` passed: no NaN or Infinity by name, but read as infinity — the
    body's parser refused the same number, the JWE header's did not."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    kop_b64, *rest = env["inhoud"].split(".")
    kop = base64.urlsafe_b64decode(kop_b64 + "=" * (-len(kop_b64) % 4))
    for getal in (b"1e999", b"-1e999", b"1" + b"0" * 400 + b".5"):
        nieuwe_kop = kop[:-1] + b', "x": ' + getal + b"}"
        inhoud = ".".join([base64.urlsafe_b64encode(nieuwe_kop).rstrip(b"=").decode(), *rest])
        r = _client(app, gemeente).post("/berichten", json=env | {"inhoud": inhoud})
        body = _probleem(r, 400, "ONGELDIGE_INHOUD")
        assert "te groot" in body["detail"], body
    assert _client(app, gemeente).post("/berichten", json=env).status_code == 201


# --- a parameter given twice --------------------------------------------------------------------


@pytest.mark.parametrize(
    "pad",
    [
        "/berichten?afzender={a}&afzender={b}",
        "/berichten?limit=1&limit=1000",
        "/verzonden?status=aangeboden&module=schuldregeling&status=bevestigd",
        "/logboek?vanaf=2026-01-01&vanaf=2000-01-01",
        "/adresboek?zoek=Energie&zoek=%25",
        "/berichttypen/saldoverzoek?module=schuldregeling&module=bewind",
    ],
)
def test_parameter_die_twee_keer_in_de_query_staat_is_een_400_die_hem_noemt(
    cast: dict[str, Partij], app: Any, rt: Runtime, pad: str
) -> None:
    """`?afzender=A&afzender=B` was answered for B (FastAPI keeps the last value; a proxy's log or
    filter often the first): one query, two meanings. Now refused, after authentication."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    url = pad.format(a=gemeente.oin, b=cast["kredietbank"].oin)
    naam = url.split("?")[1].split("=")[0]
    body = _probleem(_client(app, energie).get(url), 400, "ONGELDIG_VERZOEK")
    assert [p["name"] for p in body["invalidParams"]] == [naam], body
    assert "meer dan eens" in body["invalidParams"][0]["reason"]
    # A stranger learns nothing about its query: authentication comes first.
    _probleem(_client(app, None).get(url), 401, "NIET_GEAUTHENTICEERD")
    # Once is fine.
    assert _client(app, energie).get(url.split("&")[0]).status_code == 200


# --- a trailing slash -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pad",
    [
        "/berichten/",
        "/berichten/%2F",
        f"/berichten/{uuid.UUID(int=7)}/",
        "/adresboek/",
        "/logboek/",
        "/berichttypen/saldoverzoek/",
        "/openapi.json/",
    ],
)
def test_pad_met_slash_aan_het_eind_is_een_404_en_geen_omleiding_naar_de_host_header(
    cast: dict[str, Partij], app: Any, pad: str
) -> None:
    """Starlette redirected `/berichten/` with a 307 to `https://<Host header>/api/v1/berichten`:
    no problem+json, and a Location naming whatever host the request claimed."""
    client = _client(app, cast["energie"])
    for methode in ("GET", "POST"):
        r = client.request(methode, pad, headers={"host": "aanvaller.example"})
        assert "location" not in r.headers, (methode, pad, r.headers)
        _probleem(r, 404, "NIET_GEVONDEN")


def test_api_zonder_slash_is_een_404_en_het_portaal_wijst_naar_zichzelf_nooit_naar_de_host_header(
    cast: dict[str, Partij], app: Any
) -> None:
    client = _client(app, cast["energie"], basis="https://testserver")
    r = client.get("/api/v1", headers={"host": "aanvaller.example"})
    assert "location" not in r.headers, r.headers
    _probleem(r, 404, "NIET_GEVONDEN")
    r = client.get("/portaal", headers={"host": "aanvaller.example"})
    assert r.status_code == 307
    assert r.headers["location"] == "/portaal/"
    # Inside the portal too: a page in Dutch, not a redirect to the claimed host.
    for pad in ("/portaal/inloggen/", "/portaal/static/"):
        r = client.get(pad, headers={"host": "aanvaller.example", "accept": "text/html"})
        assert r.status_code == 404 and "location" not in r.headers, (pad, r.headers)
        assert r.headers["content-type"].startswith("text/html")


# --- what the HTTP parser refuses before the app sees it ------------------------------------------


def _ruw(poort: int, verzoek: bytes, ctx: ssl.SSLContext | None) -> bytes:
    """Send bytes as they are (no client library would send these) and read until the server
    closes the connection."""
    with socket.create_connection(("127.0.0.1", poort), timeout=10) as ruw:
        verbinding: socket.socket = ctx.wrap_socket(ruw, server_hostname="localhost") if ctx else ruw
        verbinding.sendall(verzoek)
        delen = []
        einde = time.monotonic() + 10
        while time.monotonic() < einde:
            try:
                deel = verbinding.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError):
                break
            if not deel:
                break
            delen.append(deel)
        return b"".join(delen)


def _is_onleesbaar_probleem(antwoord: bytes) -> None:
    kop, _, body = antwoord.partition(b"\r\n\r\n")
    regels = kop.decode("latin-1").split("\r\n")
    assert regels[0] == "HTTP/1.1 400 Bad Request", antwoord[:300]
    koppen = {n.strip().lower(): w.strip() for n, _, w in (r.partition(":") for r in regels[1:])}
    assert koppen["content-type"] == "application/problem+json", koppen
    assert koppen["api-version"] == "1.0.0"
    assert int(koppen["content-length"]) == len(body)
    probleem = json.loads(body)
    assert probleem["status"] == 400 and probleem["code"] == "ONGELDIG_HTTP"


ONLEESBARE_VERZOEKEN = {
    "onbekende methode": b"FOO /api/v1/berichten HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "DEL in een header": b"GET /api/v1/berichten HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: a\x7fb\r\n\r\n",
    "NUL in het pad": b"GET /api/v1/berichten\x00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "kapotte aanvraagregel": b"GET\r\n\r\n",
}


def test_verzoek_dat_de_http_parser_weigert_is_problem_json_over_echte_tls(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]
) -> None:
    """uvicorn answered these itself: `text/plain` "Invalid HTTP request received.", no
    API-Version. The hub's protocol class answers them as a problem+json."""
    energie = cast["energie"]
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        for naam, verzoek in ONLEESBARE_VERZOEKEN.items():
            antwoord = _ruw(hub.poort, verzoek, ssl_context(hub.ca, energie))
            try:
                _is_onleesbaar_probleem(antwoord)
            except AssertionError as exc:
                raise AssertionError(f"{naam}: {exc}") from exc
        _hub_antwoordt_nog(hub, energie)


def _hub_antwoordt_nog(hub: Hub, partij: Partij) -> None:
    with hub.client(partij, timeout=30) as client:
        assert client.get("/berichten").status_code == 200
    assert hub.proces.poll() is None


async def _app_zonder_inhoud(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@contextmanager
def _h11_server(protocol: type[asyncio.Protocol] = tls.TlsH11Protocol, app: Any = None) -> Iterator[int]:
    """uvicorn with one of the hub's protocols (by default the pure-Python one, the fallback
    without httptools), in-process on plain loopback: what is tested here is written by the
    protocol, before any app or TLS matters."""
    poort = vrije_poort()
    config = uvicorn.Config(
        app or _app_zonder_inhoud, host="127.0.0.1", port=poort, http=protocol, log_level="error"
    )
    server = uvicorn.Server(config)
    draad = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    draad.start()
    try:
        einde = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < einde and draad.is_alive(), "uvicorn (h11) start niet"
            time.sleep(0.05)
        yield poort
    finally:
        server.should_exit = True
        draad.join(20)


def test_verzoek_dat_h11_weigert_is_ook_problem_json() -> None:
    with _h11_server() as poort:
        antwoord = _ruw(poort, ONLEESBARE_VERZOEKEN["NUL in het pad"], None)
        _is_onleesbaar_probleem(antwoord)
        antwoord = _ruw(poort, ONLEESBARE_VERZOEKEN["kapotte aanvraagregel"], None)
        _is_onleesbaar_probleem(antwoord)
        goed = _ruw(poort, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", None)
        assert goed.startswith(b"HTTP/1.1 204"), goed[:200]


# --- a head without end ---------------------------------------------------------------------------


def _stuur_tot_antwoord(
    poort: int, begin: bytes, stuk: bytes, ctx: ssl.SSLContext | None
) -> tuple[int, bytes]:
    """Send `begin`, then `stuk` again and again (at most 64 MiB, at most 60 s) until the server
    answers or closes; returns the bytes sent and the answer."""
    with socket.create_connection(("127.0.0.1", poort), timeout=10) as ruw:
        verbinding: socket.socket = ctx.wrap_socket(ruw, server_hostname="localhost") if ctx else ruw
        verbinding.sendall(begin)
        verstuurd = len(begin)
        verbinding.setblocking(False)
        einde = time.monotonic() + 60
        antwoord = b""
        while verstuurd < 64 * 1024 * 1024 and time.monotonic() < einde:
            try:
                antwoord += verbinding.recv(65536)
                break
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            except (ssl.SSLEOFError, ConnectionResetError):
                break
            try:
                verstuurd += verbinding.send(stuk)
            except (BlockingIOError, ssl.SSLWantWriteError):
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
                break
        verbinding.setblocking(True)
        verbinding.settimeout(10)
        while time.monotonic() < einde:
            try:
                deel = verbinding.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError, TimeoutError):
                break
            if not deel:
                break
            antwoord += deel
        return verstuurd, antwoord


def _is_kop_te_groot(antwoord: bytes) -> None:
    kop, _, body = antwoord.partition(b"\r\n\r\n")
    regels = kop.decode("latin-1").split("\r\n")
    assert regels[0] == "HTTP/1.1 431 Request Header Fields Too Large", antwoord[:300]
    assert "content-type: application/problem+json" in regels and "api-version: 1.0.0" in regels
    assert json.loads(body)["code"] == "KOP_TE_GROOT"


ZONDER_EINDE = {
    "URL": (b"GET /api/v1/berichten?x=", b"a" * 16384),
    "headerwaarde": (b"GET /api/v1/berichten HTTP/1.1\r\nHost: localhost\r\nX-A: ", b"a" * 16384),
    "headers": (b"GET /api/v1/berichten HTTP/1.1\r\nHost: localhost\r\n", b"X-A: a\r\n" * 2048),
}


def test_aanvraagregel_en_headers_zonder_einde_houden_het_geheugen_begrensd(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]
) -> None:
    """httptools gathers a URL or a header value of any length and uvicorn keeps every header:
    150 MiB of one URL, header value or small headers on one connection grew the hub to 345 MiB,
    345 MiB and 1.1 GiB. Now the head stops at 64 KiB with a 431 problem+json, and a body beside
    it in the same TLS records (an envelope of 3.6 MiB) still passes."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    groot = envelop(gemeente, energie, "saldoverzoek", payload={"bijlage": "x" * (2 * 1024 * 1024)})
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        for naam, (begin, stuk) in ZONDER_EINDE.items():
            verstuurd, antwoord = _stuur_tot_antwoord(hub.poort, begin, stuk, ssl_context(hub.ca, energie))
            try:
                _is_kop_te_groot(antwoord)
            except AssertionError as exc:
                raise AssertionError(f"{naam} ({verstuurd} bytes verstuurd): {exc}") from exc
            assert verstuurd < 16 * 1024 * 1024, (naam, verstuurd)
        with hub.client(gemeente, timeout=60) as shv:
            r = shv.post("/berichten", json=groot, headers={"X-Veel": "y" * 30_000})
            assert r.status_code == 201, r.text[:300]
        _hub_antwoordt_nog(hub, energie)


def test_h11_begrenst_de_kop_ook() -> None:
    with _h11_server() as poort:
        begin, stuk = ZONDER_EINDE["headerwaarde"]
        verstuurd, antwoord = _stuur_tot_antwoord(poort, begin, stuk, None)
        _is_onleesbaar_probleem(antwoord)
        assert verstuurd < 16 * 1024 * 1024


class _SnelleKlok(tls.TlsHttpToolsProtocol):  # type: ignore[misc,valid-type]
    kop_timeout = 1.0


def _wacht_op_antwoord(poort: int, eerst: bytes) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", poort), timeout=15) as verbinding:
        begin = time.monotonic()
        verbinding.sendall(eerst)
        antwoord = b""
        while time.monotonic() - begin < 15:
            try:
                deel = verbinding.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not deel:
                break
            antwoord += deel
        return time.monotonic() - begin, antwoord


def test_verbinding_die_haar_kop_niet_afmaakt_wordt_gesloten() -> None:
    """A connection that sent nothing after the handshake, or half a request line, stayed open for
    ever (uvicorn only times out between requests): slowloris. Now 408 problem+json and closed
    once the head took longer than the protocol's `kop_timeout` (30 s in the hub; 1 s here)."""
    with _h11_server(_SnelleKlok) as poort:
        for eerst in (b"", b"GET / HTTP/1.1\r\nHo"):
            duur, antwoord = _wacht_op_antwoord(poort, eerst)
            assert antwoord.startswith(b"HTTP/1.1 408 Request Timeout"), (eerst, antwoord[:200])
            assert b"api-version: 1.0.0" in antwoord and b'"TE_TRAAG"' in antwoord
            assert 0.9 < duur < 10, duur
        # A whole request is answered as always, also when its head trickles in within the time.
        with socket.create_connection(("127.0.0.1", poort), timeout=15) as verbinding:
            for deel in (b"GET / HTTP/1.1\r\n", b"Host: localhost\r\n", b"Connection: close\r\n\r\n"):
                verbinding.sendall(deel)
                time.sleep(0.2)
            assert verbinding.recv(100).startswith(b"HTTP/1.1 204")


def test_achter_een_proxy_gelden_dezelfde_grenzen(database_url: str, tmp_path: Path, pki_dir: Path) -> None:
    """`serve --proxy` listened with uvicorn's own protocol: no bound on the head, text/plain
    400s — on a TCP address anyone on the network may reach, not only the proxy."""
    poort = vrije_poort()
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "hub"),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        "KNOOPPUNT_TRUSTED_PROXIES": "127.0.0.2/32",
    }
    argumenten = ["serve", "--no-jobs", "--proxy", "--host", "127.0.0.1", "--port", str(poort)]
    proces = subprocess.Popen(
        [sys.executable, "-m", "knooppunt.cli.main", *argumenten],
        env=omgeving,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wacht_op_poort(poort, proces)
        _is_onleesbaar_probleem(_ruw(poort, ONLEESBARE_VERZOEKEN["onbekende methode"], None))
        begin, stuk = ZONDER_EINDE["headers"]
        verstuurd, antwoord = _stuur_tot_antwoord(poort, begin, stuk, None)
        _is_kop_te_groot(antwoord)
        assert verstuurd < 16 * 1024 * 1024
        assert proces.poll() is None
    finally:
        proces.terminate()
        try:
            proces.wait(15)
        except subprocess.TimeoutExpired:
            proces.kill()
            proces.wait(5)


class _SnelLichaam(tls.BegrensdHttpToolsProtocol):  # type: ignore[misc,valid-type]
    lichaam_timeout = 1.0
    lichamen_budget = 1000


class _GrensLichaam(_SnelLichaam):
    lichaam_timeout = 10.0
    grootste_lichaam = 500


async def _app_met_grens(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Refuses a body announced beyond 500 bytes on its Content-Length, as MaxBodyGrootte does,
    without reading it; else reads and answers as ``_app_die_de_body_leest``."""
    lengte = int(dict(scope["headers"]).get(b"content-length", b"0"))
    if lengte > 500:
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await _app_die_de_body_leest(scope, receive, send)


async def _app_die_de_body_leest(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body as the hub's fast path does (``snel._lees``), answers 200 with its
    length; a body that never completes is not answered."""
    from knooppunt.api import snel

    body = await snel._lees(receive)
    if body is None:
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"%d" % len(str(len(body))))],
        }
    )
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _post(lengte: int) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % lengte


def test_een_body_die_niet_of_traag_binnenkomt_wordt_afgebroken() -> None:
    """DESIGN §4 (no request, however hostile, holds unbounded memory): a body that stopped half-way
    or dribbled in stayed open for ever, its part held in the app (an independent limits probe held
    150 × 4 MiB). Now 408 problem+json once it takes longer than `lichaam_timeout` (120 s in the
    hub; 1 s here), and the app never handles the incomplete request."""
    with _h11_server(_SnelLichaam, _app_die_de_body_leest) as poort:
        duur, antwoord = _wacht_op_antwoord(poort, _post(100) + b"x" * 10)
        assert antwoord.startswith(b"HTTP/1.1 408 Request Timeout"), antwoord[:200]
        assert b'"TE_TRAAG"' in antwoord and b"body" in antwoord
        assert 0.9 < duur < 10, duur
        # A whole body within the time is answered as always.
        duur, antwoord = _wacht_op_antwoord(poort, _post(5) + b"abcde")
        assert antwoord.startswith(b"HTTP/1.1 200") and antwoord.endswith(b"5"), antwoord


def test_grote_bodies_tegelijk_blijven_binnen_het_budget() -> None:
    """Bodies taken on at once are bounded (`lichamen_budget`: 256 MiB in the hub, 1,000 bytes here):
    beyond it a request is answered 503 with Retry-After before its body is read; when the first
    connection goes, its share is free again."""
    with _h11_server(_SnelLichaam, _app_die_de_body_leest) as poort:
        eerste = socket.create_connection(("127.0.0.1", poort), timeout=15)
        try:
            eerste.sendall(_post(800) + b"x" * 100)  # holds 800 of the 1,000
            time.sleep(0.3)
            _duur, antwoord = _wacht_op_antwoord(poort, _post(800))
            assert antwoord.startswith(b"HTTP/1.1 503"), antwoord[:200]
            assert b"retry-after: 2" in antwoord and b'"TIJDELIJK_NIET_BESCHIKBAAR"' in antwoord
            _duur, antwoord = _wacht_op_antwoord(poort, _post(150) + b"y" * 150)  # fits beside it
            assert antwoord.startswith(b"HTTP/1.1 200"), antwoord[:200]
        finally:
            eerste.close()
        time.sleep(0.3)
        _duur, antwoord = _wacht_op_antwoord(poort, _post(800) + b"z" * 800)
        assert antwoord.startswith(b"HTTP/1.1 200") and antwoord.endswith(b"800"), antwoord[:200]


def _statusregel(poort: int, verzoek: bytes) -> bytes:
    """The status line of the answer to ``verzoek`` (not waiting for the connection to close)."""
    with socket.create_connection(("127.0.0.1", poort), timeout=15) as verbinding:
        verbinding.sendall(verzoek)
        antwoord = b""
        while b"\r\n" not in antwoord:
            deel = verbinding.recv(65536)
            if not deel:
                break
            antwoord += deel
        return antwoord.split(b"\r\n", 1)[0]


def test_een_body_boven_elke_grens_is_een_413_en_geen_503() -> None:
    """CI: a request announcing 1 GB reserved its whole announced length of the bodies' budget and
    was answered 503 "too busy, retry" — a vendor would retry for ever — instead of the app's 413.
    A request reserves at most `grootste_lichaam` (64 MiB in the hub, which no path reads beyond;
    500 bytes here): the app refuses it on its Content-Length; the budget still holds beside it."""
    with _h11_server(_GrensLichaam, _app_met_grens) as poort:
        assert _statusregel(poort, _post(10**9) + b"{").startswith(b"HTTP/1.1 413")
        eerste = socket.create_connection(("127.0.0.1", poort), timeout=15)
        tweede = socket.create_connection(("127.0.0.1", poort), timeout=15)
        try:
            eerste.sendall(_post(450) + b"x" * 100)  # holds 450 of the 1,000
            tweede.sendall(_post(400) + b"y" * 10)  # and 400
            time.sleep(0.3)
            # 500 more (not 10**9) is beyond the budget: the answer is 503, before the body
            assert _statusregel(poort, _post(10**9)).startswith(b"HTTP/1.1 503")
            tweede.close()
            time.sleep(0.3)
            # 450 + 500 fits: the app's own 413
            assert _statusregel(poort, _post(10**9)).startswith(b"HTTP/1.1 413")
        finally:
            eerste.close()
            tweede.close()


def test_een_afgebroken_body_wordt_niet_verwerkt() -> None:
    """A request whose connection went before its body was complete was stored (201 in the log; the
    client saw only a broken connection): the fast path reads it as nothing to handle."""
    from knooppunt.api import snel

    berichten = iter(
        [{"type": "http.request", "body": b'{"a":', "more_body": True}, {"type": "http.disconnect"}]
    )

    async def ontvang() -> dict[str, Any]:
        return next(berichten)

    assert asyncio.run(snel._lees(ontvang)) is None


def test_een_body_van_miljoenen_kleine_waarden_wordt_meteen_geweigerd(
    cast: dict[str, Partij], app: Any
) -> None:
    """`[0,0,…]` of 5 MB took 15 s and 600 MB to parse, and kept other participants waiting (an
    independent limits probe): refused before parsing, with what a real body holds."""
    body = b"[" + b"0," * 2_600_000 + b"0]"
    begin = time.monotonic()
    r = _client(app, cast["gemeente"]).post(
        "/berichten", content=body, headers={"Content-Type": "application/json"}
    )
    assert time.monotonic() - begin < 5
    probleem = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert "meer dan 50000 JSON-waarden" in probleem["detail"]


@pytest.mark.parametrize("pad", ["/berichten", "/logboek"])
def test_een_filter_op_een_onbekend_berichttype_is_een_400(
    cast: dict[str, Partij], app: Any, pad: str
) -> None:
    """A misspelt `berichttype=` answered an empty list, so a vendor saw an empty inbox and let
    messages expire (an independent limits probe); `module=` was checked already. Now 400 naming
    the parameter; a known code still filters."""
    client = _client(app, cast["energie"])
    r = client.get(pad, params={"berichttype": "saldoverzoek_nut"})
    probleem = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert any(p["name"] == "berichttype" for p in probleem["invalidParams"]), probleem
    assert client.get(pad, params={"berichttype": "saldoverzoek_nuts"}).status_code == 200
