"""Notifications about new messages (DESIGN §2, §5, §6): e-mail to a real SMTP server and signed
webhooks to a real HTTP receiver; counts per message type and the oldest deadline (art. 17.3),
never content."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from knooppunt.cli.main import main
from knooppunt.config import Settings
from knooppunt.hub import notificaties as hub
from knooppunt.hub.fouten import HubFout
from knooppunt.jobs import notificaties as job
from knooppunt.notify.base import moment_nl
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, Notificatie
from tests.conftest import maak_settings
from tests.factories import Partij, envelop
from tests.ontvangers import SmtpOntvanger, WebhookOntvanger, handtekening_klopt

PORTAAL = "https://portaal.knooppunt.example.nl"
AFZENDER = "noreply@knooppunt.example.nl"


@pytest.fixture
def smtp() -> Iterator[SmtpOntvanger]:
    server = SmtpOntvanger()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path, smtp: SmtpOntvanger) -> Settings:
    return maak_settings(
        database_url,
        tmp_path / "data",
        pki_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_afzender=AFZENDER,
        portaal_url=PORTAAL,
        webhook_lokaal_toegestaan=True,
    )


def _stuur(client_voor: Any, van: Partij, aan: Partij, berichttype: str = "saldoverzoek") -> dict[str, Any]:
    env = envelop(van, aan, berichttype)
    r = client_voor(van).post("/berichten", json=env)
    assert r.status_code == 201, r.text
    return env


def _klok(rt: Runtime) -> datetime:
    with rt.sessions() as session:
        return db_nu(session)


def _stel_in(rt: Runtime, oin: str, **wijziging: Any) -> hub.Ingesteld:
    with transactie(rt.sessions) as session:
        return hub.stel_in(
            session,
            oin,
            hub.Wijziging(**wijziging),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=rt.settings.lokale_webhooks,
        )


def _draai(rt: Runtime, nu: datetime, settings: Settings | None = None) -> dict[str, Any]:
    return job.draai(rt.sessions, nu=nu, settings=settings or rt.settings)


def _notificaties(rt: Runtime) -> list[Notificatie]:
    with rt.sessions() as session:
        return list(session.scalars(select(Notificatie).order_by(Notificatie.id)))


def _oudste_verloopt_op(rt: Runtime, oin: str) -> datetime:
    with rt.sessions() as session:
        waarde = session.scalar(select(func.min(Bericht.verloopt_op)).where(Bericht.ontvanger == oin))
    assert waarde is not None
    return waarde


def test_direct_email_telt_per_type_en_noemt_termijn_zonder_inhoud(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    """Art. 16.1 (the SE learns there are new messages) and 17.3 (until when it can confirm)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, energie.oin, emailadressen=["Backoffice@Energie.example.nl"], modus="direct")
    verstuurd = [_stuur(client_voor, gemeente, energie) for _ in range(2)]
    verstuurd.append(_stuur(client_voor, gemeente, energie, "kennisgeving"))

    # A message counts once it has settled (RUSTTIJD): straight after submitting, nothing goes out.
    assert _draai(rt, _klok(rt))["aangemaakt"] == 0
    assert smtp.ontvangen == []

    nu = _klok(rt) + timedelta(minutes=2)
    assert _draai(rt, nu) == {"aangemaakt": 1, "verzonden": 1, "opnieuw": 0, "mislukt": 0}
    assert len(smtp.emails) == 1
    mail = smtp.emails[0]
    assert smtp.ontvangen[0][0] == ["Backoffice@energie.example.nl"]
    assert mail["From"] == AFZENDER
    assert mail["Subject"] == "Schuldenknooppunt: 3 nieuwe berichten"
    tekst = mail.get_content()
    assert "2  Saldoverzoek (saldoverzoek)" in tekst
    assert "1  Klant gemeld voor SHV (kennisgeving)" in tekst
    assert f"vóór {moment_nl(_oudste_verloopt_op(rt, energie.oin))}" in tekst
    assert PORTAAL in tekst
    ruw = smtp.ontvangen[0][1].decode(errors="replace")
    for env in verstuurd:  # no ciphertext, no reference numbers: counts only
        assert env["inhoud"].split(".")[0] not in ruw
        assert env["referentienummer"] not in ruw
    [rij] = _notificaties(rt)
    assert (rij.kanaal, rij.status, rij.antwoordcode, rij.pogingen) == ("email", "verzonden", 250, 1)
    assert rij.aantallen == {"kennisgeving": 1, "saldoverzoek": 2}

    # Already announced: the next run sends nothing; a new message gives a new e-mail of one.
    assert _draai(rt, nu + timedelta(minutes=1))["aangemaakt"] == 0
    _stuur(client_voor, gemeente, energie)
    assert _draai(rt, _klok(rt) + timedelta(minutes=2))["verzonden"] == 1
    assert smtp.emails[1]["Subject"] == "Schuldenknooppunt: 1 nieuw bericht"


def test_bevestigde_berichten_tellen_niet_mee(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, energie.oin, emailadressen=["a@energie.example.nl"], modus="direct")
    env = _stuur(client_voor, gemeente, energie)
    assert client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 200
    assert _draai(rt, _klok(rt) + timedelta(minutes=2))["aangemaakt"] == 0
    assert smtp.ontvangen == []


def test_dagelijkse_samenvatting_via_worker(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    smtp: SmtpOntvanger,
    database_url: str,
    tmp_path: Path,
    pki_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dagelijks`: one e-mail a day at the digest hour (Europe/Amsterdam), driven by
    `knooppunt worker --once --now`."""
    for naam, waarde in {
        "ENV": "development",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "SMTP_AFZENDER": AFZENDER,
        "PORTAAL_URL": PORTAAL,
    }.items():
        monkeypatch.setenv(f"KNOOPPUNT_{naam}", waarde)
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(main, list(args), catch_exceptions=False)

    gemeente, energie = cast["gemeente"], cast["energie"]
    uit = cli(
        "deelnemer", "notificaties", "--oin", energie.oin, "--email", "post@energie.example.nl",
        "--modus", "dagelijks", "--digest-uur", "8",
    )  # fmt: skip
    assert uit.exit_code == 0, uit.output
    assert "dagelijks" in uit.output
    _stuur(client_voor, gemeente, energie)
    _stuur(client_voor, gemeente, energie, "kennisgeving")

    morgen = (_klok(rt).astimezone(AMSTERDAM) + timedelta(days=1)).date()

    def worker(dag: Any, tijd: str) -> dict[str, Any]:
        r = cli("worker", "--once", "--now", f"{dag.isoformat()}T{tijd}")
        assert r.exit_code == 0, r.output
        return dict(json.loads(r.stdout)["notificaties"])

    assert worker(morgen, "07:30:00")["aangemaakt"] == 0  # before the digest hour
    assert worker(morgen, "08:05:00") == {"aangemaakt": 1, "verzonden": 1, "opnieuw": 0, "mislukt": 0}
    assert len(smtp.emails) == 1 and "2 nieuwe berichten" in smtp.emails[0]["Subject"]
    _stuur(client_voor, gemeente, energie)
    assert worker(morgen, "12:00:00")["aangemaakt"] == 0  # today's digest went out
    assert worker(morgen + timedelta(days=1), "08:00:00")["verzonden"] == 1
    assert smtp.emails[1]["Subject"] == "Schuldenknooppunt: 1 nieuw bericht"


def test_webhook_is_ondertekend_en_draagt_alleen_aantallen(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    ontvanger = WebhookOntvanger()
    try:
        ingesteld = _stel_in(rt, energie.oin, webhook_url=ontvanger.url(), modus="direct")
        assert ingesteld.nieuw_geheim
        env = _stuur(client_voor, gemeente, energie)
        assert _draai(rt, _klok(rt) + timedelta(minutes=2))["verzonden"] == 1
    finally:
        ontvanger.stop()
    [verzoek] = ontvanger.verzoeken
    assert verzoek["methode"] == "POST" and verzoek["pad"] == "/hook"
    assert handtekening_klopt(ingesteld.nieuw_geheim, verzoek["headers"], verzoek["body"])
    assert not handtekening_klopt(ingesteld.nieuw_geheim, verzoek["headers"], verzoek["body"] + b" ")
    assert not handtekening_klopt("een ander geheim", verzoek["headers"], verzoek["body"])
    # docs/api.md "Times": Europe/Amsterdam with its offset, as the envelope's verlooptOp; the
    # header is the moment the signature's t names.
    tijdstip = datetime.fromisoformat(verzoek["headers"]["Knooppunt-Tijdstip"])
    t = int(verzoek["headers"]["Knooppunt-Handtekening"].split(",")[0].removeprefix("t="))
    assert tijdstip == datetime.fromtimestamp(t, UTC)
    assert tijdstip.utcoffset() == tijdstip.astimezone(AMSTERDAM).utcoffset()
    assert verzoek["headers"]["Knooppunt-Tijdstip"] == datetime.fromtimestamp(t, AMSTERDAM).isoformat()
    body = json.loads(verzoek["body"])
    [rij] = _notificaties(rt)
    oudste = _oudste_verloopt_op(rt, energie.oin)
    assert body == {
        "id": rij.id,
        "deelnemer": energie.oin,
        "aantallen": {"saldoverzoek": 1},
        "totaal": 1,
        "oudsteVerlooptOp": oudste.astimezone(AMSTERDAM).isoformat(),
        "links": {"portaal": PORTAAL},
    }
    # The same text as the envelope's verlooptOp in GET /berichten: 23:59:59 local time (art. 17.3).
    [open_bericht] = client_voor(energie).get("/berichten").json()["berichten"]
    assert body["oudsteVerlooptOp"] == open_bericht["verlooptOp"]
    assert body["oudsteVerlooptOp"].endswith(("T23:59:59+01:00", "T23:59:59+02:00"))
    assert env["inhoud"].split(".")[0].encode() not in verzoek["body"]
    assert (rij.kanaal, rij.status, rij.antwoordcode) == ("webhook", "verzonden", 200)


def _gids_code(taal: str) -> str:
    """The ``taal`` block of docs/vendor-guide.md "Notifications (e-mail and webhook)"."""
    tekst = (Path(__file__).resolve().parents[2] / "docs" / "vendor-guide.md").read_text(encoding="utf-8")
    sectie = tekst.split("## Notifications (e-mail and webhook)\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(rf"```{taal}\n(.*?)```", sectie, flags=re.S)
    return code


def test_de_controle_uit_de_leveranciersgids_klopt_met_een_echte_webhook(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, tmp_path: Path
) -> None:
    """docs/vendor-guide.md's signature check, Python and Node as written, on a webhook the hub
    really sent: the hub's signature passes; another body, secret or an old or missing ``t`` fail;
    and the body carries the fields the guide's table lists."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    ontvanger = WebhookOntvanger()
    try:
        ingesteld = _stel_in(rt, energie.oin, webhook_url=ontvanger.url(), modus="direct")
        _stuur(client_voor, gemeente, energie)
        assert _draai(rt, _klok(rt) + timedelta(minutes=2))["verzonden"] == 1
    finally:
        ontvanger.stop()
    [verzoek] = ontvanger.verzoeken
    geheim, kop, body = ingesteld.nieuw_geheim, verzoek["headers"]["Knooppunt-Handtekening"], verzoek["body"]
    assert geheim
    assert set(json.loads(body)) == {"id", "deelnemer", "aantallen", "totaal", "oudsteVerlooptOp", "links"}
    oud = "t=1700000000," + kop.split(",", 1)[1]
    gevallen = [
        (geheim, kop, body, True),
        (geheim, kop, body + b" ", False),
        ("een ander geheim", kop, body, False),
        (geheim, oud, body, False),
        (geheim, kop.split(",", 1)[1], body, False),  # no t
        (geheim, "onzin", body, False),
    ]

    ruimte: dict[str, Any] = {}
    exec(compile(_gids_code("python"), "vendor-guide.md", "exec"), ruimte)
    for sleutel, handtekening, inhoud, verwacht in gevallen:
        assert ruimte["handtekening_klopt"](sleutel, handtekening, inhoud) is verwacht, handtekening

    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail("CI=true: node is not installed; the guide's Node check needs it")
        pytest.skip("node is not installed: the guide's Node check is not run")
    (tmp_path / "handtekening.mjs").write_text(_gids_code("js"), encoding="utf-8")
    (tmp_path / "controle.mjs").write_text(
        'import { handtekeningKlopt } from "./handtekening.mjs";\n'
        "const gevallen = JSON.parse(process.argv[2]);\n"
        "process.stdout.write(JSON.stringify(gevallen.map(([g, k, b]) =>"
        ' handtekeningKlopt(g, k, Buffer.from(b, "base64")))));\n',
        encoding="utf-8",
    )
    invoer = [[g, k, base64.b64encode(b).decode()] for g, k, b, _ in gevallen]
    uit = subprocess.run(
        [node, str(tmp_path / "controle.mjs"), json.dumps(invoer)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert uit.returncode == 0, uit.stderr
    assert json.loads(uit.stdout) == [verwacht for *_, verwacht in gevallen]


def test_webhook_500_dan_200_wordt_herhaald_met_wachttijd(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    ontvanger = WebhookOntvanger([500])
    try:
        _stel_in(rt, energie.oin, webhook_url=ontvanger.url(), modus="direct")
        _stuur(client_voor, gemeente, energie)
        t0 = _klok(rt) + timedelta(minutes=2)
        assert _draai(rt, t0)["opnieuw"] == 1
        [rij] = _notificaties(rt)
        assert (rij.status, rij.pogingen, rij.antwoordcode, rij.laatste_fout) == (
            "wachtend",
            1,
            500,
            "HTTP 500",
        )
        assert rij.volgende_poging == t0 + timedelta(minutes=1)
        assert _draai(rt, t0 + timedelta(seconds=30))["verzonden"] == 0  # not due yet
        assert len(ontvanger.verzoeken) == 1
        assert _draai(rt, t0 + timedelta(minutes=1))["verzonden"] == 1
    finally:
        ontvanger.stop()
    assert len(ontvanger.verzoeken) == 2
    [rij] = _notificaties(rt)
    assert (rij.status, rij.pogingen, rij.antwoordcode, rij.laatste_fout) == ("verzonden", 2, 200, None)
    assert rij.verzonden_op == t0 + timedelta(minutes=1)


def test_doorverwijzing_wordt_niet_gevolgd_en_na_het_maximum_mislukt(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """DESIGN §5: no redirects; after the last allowed attempt the row is `mislukt`."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    twee_pogingen = rt.settings.model_copy(update={"notificatie_max_pogingen": 2})
    ontvanger = WebhookOntvanger([302, 307])
    try:
        _stel_in(rt, energie.oin, webhook_url=ontvanger.url(), modus="direct")
        _stuur(client_voor, gemeente, energie)
        t0 = _klok(rt) + timedelta(minutes=2)
        assert _draai(rt, t0, twee_pogingen)["opnieuw"] == 1
        [rij] = _notificaties(rt)
        assert (rij.status, rij.antwoordcode) == ("wachtend", 302)
        assert rij.laatste_fout is not None and "doorverwijzingen worden niet gevolgd" in rij.laatste_fout
        assert _draai(rt, t0 + timedelta(minutes=1), twee_pogingen)["mislukt"] == 1
        assert _draai(rt, t0 + timedelta(days=1), twee_pogingen)["verzonden"] == 0
    finally:
        ontvanger.stop()
    assert [v["pad"] for v in ontvanger.verzoeken] == ["/hook", "/hook"]  # never /elders
    [rij] = _notificaties(rt)
    assert (rij.status, rij.pogingen, rij.antwoordcode) == ("mislukt", 2, 307)


def test_webhook_over_tls_met_certificaat_van_de_ontwikkel_ca(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """The hub connects to the address it checked, yet verifies the certificate for the URL's host."""
    pki = rt.settings.dev_pki_dir
    ontwikkel_ca.init(pki)
    server = ontwikkel_ca.issue_server(pki, hosts=("localhost",))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server.certificaat, server.sleutel)
    gemeente, energie = cast["gemeente"], cast["energie"]
    ontvanger = WebhookOntvanger(tls=context)
    try:
        _stel_in(rt, energie.oin, webhook_url=ontvanger.url("localhost"), modus="direct")
        _stuur(client_voor, gemeente, energie)
        assert _draai(rt, _klok(rt) + timedelta(minutes=2))["verzonden"] == 1
        assert len(ontvanger.verzoeken) == 1
        # The same receiver under a name its certificate does not carry is refused by TLS.
        _stel_in(rt, energie.oin, webhook_url=ontvanger.url("127.0.0.1"))
        _stuur(client_voor, gemeente, energie)
        assert _draai(rt, _klok(rt) + timedelta(minutes=2))["opnieuw"] == 1
    finally:
        ontvanger.stop()
    assert len(ontvanger.verzoeken) == 1
    laatste = _notificaties(rt)[-1]
    assert laatste.laatste_fout is not None and "verbinding mislukt" in laatste.laatste_fout


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # not https
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        # IPv6 forms that carry a private IPv4 address (independent security probe): NAT64 of the
        # cloud metadata address, of 10.0.0.1 and of 127.0.0.1; 6to4 of 127.0.0.1; IPv4-compatible
        # of 169.254.169.254; a Teredo tunnel.
        "https://[64:ff9b::a9fe:a9fe]/latest",
        "https://[64:ff9b::a00:1]/hook",
        "https://[64:ff9b:1::7f00:1]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://[::a9fe:a9fe]/hook",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata, link-local
        "https://100.64.0.1/hook",  # shared address space (CGNAT)
        "https://192.0.2.1/hook",  # documentation, reserved
        "https://0.0.0.0/hook",
        "https://[fd00::1]/hook",
        "https://224.0.0.1/hook",
        "https://gebruiker:wachtwoord@93.184.215.14/hook",
        "ftp://93.184.215.14/hook",
    ],
)
def test_webhook_naar_niet_openbaar_adres_wordt_geweigerd(
    cast: dict[str, Partij], rt: Runtime, url: str
) -> None:
    """DESIGN §5: webhooks only to https on public addresses (without the development allowance)."""
    productie_achtig = rt.settings.model_copy(update={"webhook_lokaal_toegestaan": False})
    with transactie(rt.sessions) as session, pytest.raises(HubFout) as fout:
        hub.stel_in(
            session,
            cast["energie"].oin,
            hub.Wijziging(webhook_url=url, modus="direct"),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=productie_achtig.lokale_webhooks,
        )
    assert fout.value.code == "ONGELDIGE_NOTIFICATIE"
    assert fout.value.velden[0].name == "webhook"


def test_ontwikkeltoestemming_staat_alleen_http_en_loopback_toe(cast: dict[str, Partij], rt: Runtime) -> None:
    assert rt.settings.lokale_webhooks
    assert _stel_in(
        rt, cast["energie"].oin, webhook_url="http://127.0.0.1:9/hook", modus="direct"
    ).nieuw_geheim
    for url in ("http://10.1.2.3/hook", "https://169.254.169.254/"):
        with pytest.raises(HubFout):
            _stel_in(rt, cast["energie"].oin, webhook_url=url)
    # A public address is fine everywhere.
    assert _stel_in(rt, cast["energie"].oin, webhook_url="https://93.184.215.14/hook").nieuw_geheim


def test_dns_rebinding_wordt_bij_verbinden_geweigerd(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name resolved to a public address when it was set, to loopback when the hub connects:
    the connection is refused before any byte is sent."""
    echte = socket.getaddrinfo
    antwoord = {"ip": "93.184.215.14"}

    def dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.energie.example.nl":  # the edge of the world: a DNS server we do not run
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (antwoord["ip"], port))]
        return echte(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    zonder_toestemming = rt.settings.model_copy(update={"webhook_lokaal_toegestaan": False})
    gemeente, energie = cast["gemeente"], cast["energie"]
    with transactie(rt.sessions) as session:
        hub.stel_in(
            session,
            energie.oin,
            hub.Wijziging(webhook_url="https://hooks.energie.example.nl/hook", modus="direct"),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=False,
        )
    antwoord["ip"] = "127.0.0.1"
    _stuur(client_voor, gemeente, energie)
    assert _draai(rt, _klok(rt) + timedelta(minutes=2), zonder_toestemming)["opnieuw"] == 1
    [rij] = _notificaties(rt)
    assert rij.laatste_fout is not None and "wijst naar 127.0.0.1" in rij.laatste_fout
    assert rij.antwoordcode is None


def test_smtp_weigering_wordt_vastgelegd_en_herhaald(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, energie.oin, emailadressen=["onbekend@energie.example.nl"], modus="direct")
    _stuur(client_voor, gemeente, energie)
    t0 = _klok(rt) + timedelta(minutes=2)
    assert _draai(rt, t0)["opnieuw"] == 1
    [rij] = _notificaties(rt)
    assert (rij.status, rij.antwoordcode) == ("wachtend", 550)
    assert rij.laatste_fout is not None and "mailbox onbekend" in rij.laatste_fout
    _stel_in(rt, energie.oin, emailadressen=["post@energie.example.nl"])
    assert _draai(rt, t0 + timedelta(minutes=1))["verzonden"] == 1
    assert smtp.ontvangen[0][0] == ["post@energie.example.nl"]


def test_notificaties_uit_verstuurt_niets(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, energie.oin, emailadressen=["a@energie.example.nl"], modus="uit")
    _stuur(client_voor, gemeente, energie)
    assert _draai(rt, _klok(rt) + timedelta(minutes=2)) == {
        "aangemaakt": 0,
        "verzonden": 0,
        "opnieuw": 0,
        "mislukt": 0,
    }
    assert smtp.ontvangen == []


def test_cli_notificaties_toont_geheim_een_keer(cli: Any, cast: dict[str, Partij]) -> None:
    oin = cast["energie"].oin
    uit = cli(
        "deelnemer", "notificaties", "--oin", oin, "--email", "a@energie.example.nl", "--email",
        "b@energie.example.nl", "--modus", "direct", "--webhook", "https://93.184.215.14/hook", "--json",
    )  # fmt: skip
    assert uit.exit_code == 0, uit.output
    gezet = json.loads(uit.stdout)
    assert gezet["modus"] == "direct"
    assert gezet["emailadressen"] == ["a@energie.example.nl", "b@energie.example.nl"]
    assert gezet["webhook"] == "https://93.184.215.14/hook"
    geheim = gezet["webhookGeheim"]
    assert len(geheim) >= 40

    getoond = cli("deelnemer", "notificaties", "--oin", oin, "--toon")
    assert getoond.exit_code == 0, getoond.output
    assert geheim not in getoond.output
    assert "https://93.184.215.14/hook" in getoond.output and "(nog geen)" in getoond.output
    assert (
        json.loads(cli("deelnemer", "notificaties", "--oin", oin, "--json").stdout)["webhookGeheim"]
        == "ingesteld"
    )

    tekst = cli("deelnemer", "notificaties", "--oin", oin, "--webhook", "https://93.184.215.14/ander")
    assert "webhook-geheim (wordt maar één keer getoond" in tekst.output
    assert geheim not in tekst.output  # a new webhook gets a new secret

    leeg = cli("deelnemer", "notificaties", "--oin", oin, "--geen-webhook", "--geen-email", "--modus", "uit")
    assert leeg.exit_code == 0, leeg.output
    assert "(geen)" in leeg.output


@pytest.mark.parametrize(
    ("args", "code", "melding"),
    [
        (["--email", "geen-adres"], 1, "geen geldig e-mailadres"),
        (["--modus", "direct"], 1, "heeft een e-mailadres of een webhook nodig"),
        (["--digest-uur", "24"], 1, "kies 0 tot en met 23"),
        (["--webhook", "https://10.0.0.5/hook"], 1, "geen openbaar internetadres"),
        (["--webhook", "http://93.184.215.14/hook"], 1, "moet met https:// beginnen"),
        (["--webhook", "https://93.184.215.14/", "--geen-webhook"], 2, "sluiten elkaar uit"),
    ],
)
def test_cli_notificaties_foutmeldingen(
    cli: Any, cast: dict[str, Partij], args: list[str], code: int, melding: str
) -> None:
    uit = cli("deelnemer", "notificaties", "--oin", cast["energie"].oin, *args)
    assert uit.exit_code == code
    assert melding in uit.output


def test_cli_notificaties_onbekende_deelnemer(cli: Any) -> None:
    uit = cli("deelnemer", "notificaties", "--oin", "00000003999999990000", "--modus", "uit")
    assert uit.exit_code == 1
    assert "bestaat niet" in uit.output


def test_uitslag_bij_laatste_poging_zonder_antwoord(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """A worker that claimed the last allowed attempt and stopped leaves the row `mislukt` after
    the lease, with a clear reason, instead of waiting forever."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, energie.oin, webhook_url="http://127.0.0.1:9/hook", modus="direct")
    _stuur(client_voor, gemeente, energie)
    t0 = _klok(rt) + timedelta(minutes=2)
    een_poging = rt.settings.model_copy(update={"notificatie_max_pogingen": 1})
    with transactie(rt.sessions) as session:
        assert job.plan_voor(session, energie.oin, nu=t0) == 1
    from knooppunt.store import notificaties as store

    with transactie(rt.sessions) as session:  # claimed, then the worker "crashes"
        assert len(store.claim(session, nu=t0, tot=t0 + job.CLAIM_DUUR, max_pogingen=1, limiet=10)) == 1
    assert _draai(rt, t0 + timedelta(minutes=1), een_poging)["mislukt"] == 0  # lease still running
    assert _draai(rt, t0 + job.CLAIM_DUUR, een_poging)["mislukt"] == 1
    [rij] = _notificaties(rt)
    assert rij.status == "mislukt" and rij.laatste_fout is not None and "proces gestopt" in rij.laatste_fout


def test_wachttijden_lopen_op() -> None:
    assert [job.wachttijd(p) for p in range(1, 9)] == [
        timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720, 720, 720)
    ]
    assert datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC).astimezone(AMSTERDAM).hour == 23
    assert moment_nl(datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC)) == "maandag 30 november 2026, 23:59 uur"


def test_certificaatwijziging_wordt_gemaild_ook_als_notificaties_uit_staan(
    cli: Any, cast: dict[str, Partij], rt: Runtime, smtp: SmtpOntvanger, pki_dir: Path, tmp_path: Path
) -> None:
    """DESIGN §5: every certificate change is e-mailed to the participant — a security notice."""
    from knooppunt.pki import ontwikkel_ca
    from knooppunt.pki.certificaat import lees_pem

    energie = cast["energie"]
    _stel_in(rt, energie.oin, emailadressen=["security@energie.example.nl"], modus="uit")
    nieuw = ontwikkel_ca.issue(
        pki_dir, oin=energie.oin, naam="Energie BV", basisnaam="energie-2", uit_map=tmp_path
    )
    vingerafdruk = lees_pem(nieuw.certificaat.read_bytes()).vingerafdruk
    toegevoegd = cli(
        "deelnemer", "certificaat", "add", "--oin", energie.oin, "--certificaat", str(nieuw.certificaat)
    )
    assert toegevoegd.exit_code == 0, toegevoegd.output

    assert _draai(rt, _klok(rt))["verzonden"] == 1
    [mail] = smtp.emails
    assert mail["Subject"] == "Schuldenknooppunt: wijziging in de certificaten van Energie BV"
    tekst = mail.get_content()
    assert "toegevoegd aan de registratie van Energie BV" in tekst
    assert vingerafdruk in tekst
    # Who and when in words (an operator on the command line; Europe/Amsterdam), not the audit
    # actor and ISO timestamps.
    assert re.search(r"door: +beheer van het knooppunt, op \w+dag \d{1,2} \w+ 20\d\d, \d\d:\d\d uur", tekst)
    assert re.search(r"geldig tot: +\w+dag \d{1,2} \w+ 20\d\d, \d\d:\d\d uur", tekst), tekst
    assert "beheer:" not in tekst and "+00:00" not in tekst
    assert smtp.ontvangen[0][0] == ["security@energie.example.nl"]

    ingetrokken = cli(
        "deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk
    )
    assert ingetrokken.exit_code == 0, ingetrokken.output
    assert _draai(rt, _klok(rt))["verzonden"] == 1
    assert "ingetrokken in de registratie" in smtp.emails[1].get_content()
    # Withdrawing it again changes nothing and mails nothing.
    cli("deelnemer", "certificaat", "intrekken", "--oin", energie.oin, "--vingerafdruk", vingerafdruk)
    assert _draai(rt, _klok(rt))["verzonden"] == 0


def test_certificaatwijziging_zonder_emailadres_verstuurt_niets(
    cli: Any, cast: dict[str, Partij], rt: Runtime, smtp: SmtpOntvanger, pki_dir: Path, tmp_path: Path
) -> None:
    from knooppunt.pki import ontwikkel_ca

    woning = cast["woning"]
    nieuw = ontwikkel_ca.issue(
        pki_dir, oin=woning.oin, naam="Woningcorporatie", basisnaam="woning-2", uit_map=tmp_path
    )
    assert (
        cli(
            "deelnemer", "certificaat", "add", "--oin", woning.oin, "--certificaat", str(nieuw.certificaat)
        ).exit_code
        == 0
    )
    assert _draai(rt, _klok(rt)) == {"aangemaakt": 0, "verzonden": 0, "opnieuw": 0, "mislukt": 0}
    assert smtp.ontvangen == []


def test_een_onvindbare_webhookhost_krijgt_een_nederlandse_uitleg(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bad input gets a clear error: the resolver's English ("[Errno -2] Name or service not
    known") stays out of what the person typing the address reads."""
    from knooppunt.notify import adressen

    def onvindbaar(*_a: Any, **_k: Any) -> Any:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", onvindbaar)
    with pytest.raises(adressen.AdresGeweigerd) as fout:
        adressen.controleer_host("hooks.voorbeeld.nl", 443, lokaal_toegestaan=False)
    assert str(fout.value) == (
        "de host 'hooks.voorbeeld.nl' is niet te vinden in DNS; controleer de schrijfwijze van het adres"
    )


def test_email_over_alleen_meldingen_van_het_knooppunt_belooft_de_afzender_niets(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime, smtp: SmtpOntvanger
) -> None:
    """DESIGN §6: "Hub-authored messages expire like others, silently" — an e-mail about only
    ontvangstbevestigingen does not say the sender is told (art. 17.5); one with a participant's
    message still does."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    _stel_in(rt, gemeente.oin, emailadressen=["shv@gemeente.example.nl"], modus="direct")
    env = _stuur(client_voor, gemeente, energie)
    r = client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    assert r.status_code == 200, r.text
    nu = _klok(rt) + timedelta(minutes=2)
    assert _draai(rt, nu)["verzonden"] == 1
    tekst = smtp.emails[-1].get_content()
    assert "1  Ontvangstbevestiging (ontvangstbevestiging)" in tekst
    assert "de afzender krijgt bericht" not in tekst and "17.5" not in tekst
    assert "meldingen van het Schuldenknooppunt zelf" in tekst
    assert "verloopt zonder verder bericht" in tekst

    antwoord = envelop(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=env["conversatieReferentienummer"],
        antwoord_op=env["referentienummer"],
    )
    assert client_voor(energie).post("/berichten", json=antwoord).status_code == 201
    nu = _klok(rt) + timedelta(minutes=2)
    assert _draai(rt, nu)["verzonden"] == 1
    tekst = smtp.emails[-1].get_content()
    assert "de afzender krijgt bericht" in tekst and "zonder verder bericht" not in tekst


def test_een_naam_met_regelovergang_breekt_de_certificaatmail_niet(
    cli: Any, cast: dict[str, Partij], rt: Runtime, smtp: SmtpOntvanger, pki_dir: Path, tmp_path: Path
) -> None:
    """DESIGN §5: every certificate change is e-mailed. A name registered before the adresboek
    refused control characters may hold a line break; the Subject stays one line (no header can be
    injected) and the e-mail goes out."""
    from sqlalchemy import update

    from knooppunt.store.models import Deelnemer

    energie = cast["energie"]
    with transactie(rt.sessions) as session:
        session.execute(
            update(Deelnemer).where(Deelnemer.oin == energie.oin).values(naam="Energie\r\nBcc: spy@x.example")
        )
    _stel_in(rt, energie.oin, emailadressen=["security@energie.example.nl"], modus="uit")
    nieuw = ontwikkel_ca.issue(
        pki_dir, oin=energie.oin, naam="Energie BV", basisnaam="energie-3", uit_map=tmp_path
    )
    assert (
        cli(
            "deelnemer", "certificaat", "add", "--oin", energie.oin, "--certificaat", str(nieuw.certificaat)
        ).exit_code
        == 0
    )
    assert _draai(rt, _klok(rt))["verzonden"] == 1
    [mail] = smtp.emails
    assert mail["Subject"] == "Schuldenknooppunt: wijziging in de certificaten van Energie Bcc: spy@x.example"
    assert mail["Bcc"] is None
    assert smtp.ontvangen[0][0] == ["security@energie.example.nl"]


def test_een_notificatie_die_niet_op_te_stellen_is_houdt_de_andere_niet_op(
    cast: dict[str, Partij],
    client_voor: Any,
    rt: Runtime,
    smtp: SmtpOntvanger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A channel that raises (a defect, or data it cannot put into a message) failed the whole job
    run: the notifications after it waited, and the failing one stayed 'wachtend' with no reason.
    Now it fails alone, with its reason recorded, and is retried like any failure (DESIGN §6)."""
    from knooppunt.notify.email import EmailKanaal

    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    _stel_in(rt, energie.oin, emailadressen=["post@energie.example.nl"], modus="direct")
    _stel_in(rt, zorg.oin, emailadressen=["post@zorg.example.nl"], modus="direct")
    _stuur(client_voor, gemeente, energie)
    _stuur(client_voor, gemeente, zorg, "saldoverzoek_zorg")
    echt = EmailKanaal.opstellen

    def opstellen(self: EmailKanaal, melding: Any, adressen: tuple[str, ...]) -> Any:
        if melding.deelnemer == energie.oin:
            raise ValueError("kapotte gegevens")
        return echt(self, melding, adressen)

    monkeypatch.setattr(EmailKanaal, "opstellen", opstellen)
    uitkomst = _draai(rt, _klok(rt) + timedelta(minutes=2))
    assert (uitkomst["verzonden"], uitkomst["opnieuw"]) == (1, 1)
    rijen = {r.deelnemer: r for r in _notificaties(rt)}
    assert rijen[zorg.oin].status == "verzonden"
    assert rijen[energie.oin].status == "wachtend"
    assert (
        rijen[energie.oin].laatste_fout is not None
        and "ValueError: kapotte gegevens" in rijen[energie.oin].laatste_fout
    )
    assert smtp.ontvangen[0][0] == ["post@zorg.example.nl"]
