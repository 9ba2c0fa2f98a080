"""What `knooppunt serve` keeps to itself (issue #11, item 6): the built-in TLS server speaks TLS 1.3
and TLS 1.2 with AEAD suites only (Digikoppeling: no CBC), and the workers of `--workers N` hold no
secret in their environment. Real `knooppunt serve` processes, real TLS handshakes, real /proc."""

from __future__ import annotations

import base64
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij
from tests.functional.server import Hub, start_hub

# CBC suites a client may still offer (SHA-1 and SHA-2 MACs, for RSA and EC server keys).
CBC = (
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
    "AES256-SHA256"
)
AEAD = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
CHACHA = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
TLS12 = ssl.TLSVersion.TLSv1_2


def _handdruk(
    hub: Hub, *, suites: str | None = None, versie: ssl.TLSVersion | None = None
) -> tuple[str, str]:
    """A TLS handshake with the hub (no client certificate: the server only asks for one); returns
    the negotiated protocol version and suite, or raises ssl.SSLError when the server refuses."""
    ctx = ssl.create_default_context(cafile=str(hub.ca))
    if suites is not None:
        ctx.set_ciphers(suites)
    if versie is not None:
        ctx.minimum_version = versie
        ctx.maximum_version = versie
    with (
        socket.create_connection(("127.0.0.1", hub.poort), timeout=10) as ruw,
        ctx.wrap_socket(ruw, server_hostname="localhost") as tls,
    ):
        gekozen = tls.cipher()
        assert gekozen is not None
        return gekozen[1], gekozen[0]


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_ingebouwde_tls_biedt_alleen_tls13_en_aead_suites_van_tls12(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    with start_hub(
        database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir, extra_args=["--no-jobs"]
    ) as hub:
        assert _handdruk(hub)[0] == "TLSv1.3"
        versie, suite = _handdruk(hub, suites=AEAD, versie=TLS12)
        assert versie == "TLSv1.2" and "GCM" in suite
        chacha = _handdruk(hub, suites=CHACHA, versie=TLS12)
        assert chacha[1].endswith("CHACHA20-POLY1305")
        # A client that offers only CBC suites gets no connection.
        with pytest.raises(ssl.SSLError):
            _handdruk(hub, suites=CBC, versie=TLS12)
        # Nor one that speaks TLS 1.1 at most (it has no AEAD suite at all).
        ouder = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ouder.check_hostname = False
        ouder.verify_mode = ssl.CERT_NONE
        ouder.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ouder.maximum_version = ssl.TLSVersion.TLSv1_1
        ouder.set_ciphers("ALL:@SECLEVEL=0")
        with (
            socket.create_connection(("127.0.0.1", hub.poort), timeout=10) as ruw,
            pytest.raises(ssl.SSLError),
        ):
            ouder.wrap_socket(ruw, server_hostname="localhost")


def _workers(hub: Hub) -> list[int]:
    uit = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(hub.proces.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    return [int(regel.split(None, 1)[0]) for regel in uit if "multiprocessing.spawn" in regel]


def test_workers_hebben_geen_geheimen_in_hun_omgeving(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    geheimen = {
        "KNOOPPUNT_SMTP_WACHTWOORD": "smtp-wachtwoord-3f9a1c",
        "KNOOPPUNT_OIDC_CLIENT_SECRET": "oidc-geheim-7b2e44",
        "KNOOPPUNT_OIDC_COOKIE_SLEUTEL": "cookiesleutel-" + "c" * 32,
        "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS": "test-1:" + base64.b64encode(bytes(range(32, 64))).decode(),
    }
    omgeving = {
        "KNOOPPUNT_SMTP_HOST": "127.0.0.1",
        "KNOOPPUNT_SMTP_AFZENDER": "noreply@knooppunt.example.nl",
        "KNOOPPUNT_SMTP_GEBRUIKER": "knooppunt",
        **geheimen,
    }
    if database_url.startswith("postgresql"):
        # A password in the database URL is a secret too (trust authentication ignores it).
        database_url = database_url.replace(
            "postgresql://postgres@", "postgresql://postgres:db-wachtwoord-91d0@"
        )
        geheimen["KNOOPPUNT_DATABASE_URL"] = "db-wachtwoord-91d0"
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--workers", "2", "--no-jobs"],
        env=omgeving,
    ) as hub:
        # The workers serve: they got their settings (and the master key) another way.
        for partij in [cast["gemeente"], cast["energie"]] * 2:
            with hub.client(partij, timeout=30) as client:
                assert client.get("/berichten").status_code == 200
        pids = _workers(hub)
        assert len(pids) == 2
        for pid in pids:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            for naam, waarde in geheimen.items():
                assert waarde.encode() not in environ, f"{naam} staat in de omgeving van worker {pid}"
            assert b"KNOOPPUNT_" not in environ
