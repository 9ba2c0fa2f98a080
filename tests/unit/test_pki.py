"""PKI without a database or network (DESIGN §5): chain verification, forwarded certificates,
where a certificate may come from, and revocation by CRL."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from knooppunt import metrics
from knooppunt.api.auth import client_certificaat
from knooppunt.pki import intrekking, ontwikkel_ca
from knooppunt.pki.certificaat import OngeldigCertificaat, lees_doorgestuurd
from knooppunt.pki.intrekking import GeenActueleCrl, Ingetrokken, Intrekkingscontrole
from knooppunt.pki.ontwikkel_ca import Intrekking
from knooppunt.pki.verificatie import Vertrouwensankers

OIN = "00000003555555550000"


@dataclass(frozen=True)
class Ca:
    map: Path
    certificaat: x509.Certificate

    def uitgeven(self, naam: str, *, key_type: str = "ec") -> x509.Certificate:
        uit = ontwikkel_ca.issue(self.map, oin=OIN, naam=naam, key_type=key_type, basisnaam=naam)
        return x509.load_pem_x509_certificate(uit.certificaat.read_bytes())

    def crl(self, pad: Path, *ingetrokken: x509.Certificate, dagen: float = 7, nummer: int = 1) -> Path:
        """A CRL of this CA from yesterday, with nextUpdate `dagen` days after that."""
        deze = datetime.now(UTC) - timedelta(days=1)
        crl = ontwikkel_ca.maak_crl(
            self.map,
            [Intrekking(c.serial_number, deze) for c in ingetrokken],
            nummer=nummer,
            deze_update=deze,
            volgende_update=deze + timedelta(days=dagen),
        )
        return ontwikkel_ca.schrijf_crl(pad, crl)


def _ca(map_: Path) -> Ca:
    ontwikkel_ca.init(map_)
    return Ca(map_, x509.load_pem_x509_certificate((map_ / "ca.pem").read_bytes()))


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Ca:
    return _ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def ander_ca(tmp_path_factory: pytest.TempPathFactory) -> Ca:
    return _ca(tmp_path_factory.mktemp("ander-ca"))


@pytest.fixture(scope="module")
def ankers(ca: Ca, ander_ca: Ca) -> Vertrouwensankers:
    return Vertrouwensankers([ca.certificaat, ander_ca.certificaat])


@pytest.fixture(scope="module")
def deelnemer(ca: Ca) -> x509.Certificate:
    return ca.uitgeven("deelnemer")


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


NU = datetime.now(UTC)


@pytest.fixture(scope="module", autouse=True)
def _nu_bij_start_van_de_module() -> None:
    """NU is when this module's tests start, not when the suite was collected: the certificates
    are issued then, backdated only 5 minutes, and a long suite collects much earlier."""
    global NU  # noqa: PLW0603
    NU = datetime.now(UTC)


# --- chain verification and forwarded certificates -------------------------------------------


def test_controleer_geeft_de_keten_tot_het_vertrouwensanker(ca: Ca, deelnemer: x509.Certificate) -> None:
    keten = Vertrouwensankers([ca.certificaat]).controleer(deelnemer, moment=NU)
    assert keten == [deelnemer, ca.certificaat]
    # The OIN is in the subject serialNumber, where the hub reads it.
    assert deelnemer.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value == OIN


def test_een_ontbrekende_verplichte_extensie_wordt_bij_naam_genoemd(ca: Ca) -> None:
    """A vendor's own CA that leaves out the AuthorityKeyIdentifier: the refusal says so, not
    "niet uitgegeven door een vertrouwde CA" (independent security probe)."""
    ca_cert, ca_sleutel = ontwikkel_ca._laad_ca(ca.map)
    sleutel = ec.generate_private_key(ec.SECP256R1())
    zonder_aki = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.SERIAL_NUMBER, OIN)]))
        .issuer_name(ca_cert.subject)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NU - timedelta(minutes=5))
        .not_valid_after(NU + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_sleutel, hashes.SHA256())
    )
    with pytest.raises(OngeldigCertificaat, match=r"mist de verplichte extensie AuthorityKeyIdentifier"):
        Vertrouwensankers([ca.certificaat]).controleer(zonder_aki, moment=NU)


def test_controleer_weigert_een_andere_ca_en_een_verlopen_certificaat(
    ca: Ca, ander_ca: Ca, deelnemer: x509.Certificate
) -> None:
    with pytest.raises(OngeldigCertificaat, match="niet uitgegeven door een vertrouwde CA"):
        Vertrouwensankers([ander_ca.certificaat]).controleer(deelnemer, moment=NU)
    with pytest.raises(OngeldigCertificaat, match="verlopen op"):
        Vertrouwensankers([ca.certificaat]).controleer(deelnemer, moment=NU + timedelta(days=900))


def test_doorgestuurd_certificaat_nginx_en_rfc9440(deelnemer: x509.Certificate) -> None:
    pem = _pem(deelnemer)
    assert lees_doorgestuurd(quote(pem, safe="")).certificaat == deelnemer  # nginx $ssl_client_escaped_cert
    der = ssl.PEM_cert_to_DER_cert(pem)
    assert lees_doorgestuurd(f":{base64.b64encode(der).decode()}:").certificaat == deelnemer  # RFC 9440
    for onzin in ("", "abc", ":niet-base64!:", ":" + base64.b64encode(b"geen der").decode() + ":"):
        with pytest.raises(OngeldigCertificaat):
            lees_doorgestuurd(onzin)


# --- where a certificate may come from (api.auth, DESIGN §5) ---------------------------------


def _scope(client: Any, server: Any, headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    return {"type": "http", "client": client, "server": server, "headers": headers, **extra}


def test_header_alleen_van_unix_socket_of_vertrouwde_proxy(deelnemer: x509.Certificate) -> None:
    import ipaddress

    header = [(b"x-ssl-client-cert", quote(_pem(deelnemer), safe="").encode())]
    proxy = [ipaddress.ip_network("10.9.9.9/32")]

    def cert(scope: dict[str, Any]) -> x509.Certificate | None:
        gevonden = client_certificaat(scope, header="X-SSL-Client-Cert", proxies=proxy)
        return gevonden[0] if gevonden else None

    # uvicorn on a Unix socket: no client address, server = (path, None).
    assert cert(_scope(None, ("/run/knooppunt.sock", None), header)) == deelnemer
    assert cert(_scope(("", 0), ("/run/knooppunt.sock", None), header)) == deelnemer
    # TCP from the configured proxy, and from anyone else.
    assert cert(_scope(("10.9.9.9", 40000), ("10.0.0.1", 8080), header)) == deelnemer
    assert cert(_scope(("127.0.0.1", 40000), ("127.0.0.1", 8080), header)) is None
    spoof = [*header, (b"x-forwarded-for", b"10.9.9.9"), (b"forwarded", b"for=10.9.9.9")]
    assert cert(_scope(("127.0.0.1", 40000), ("127.0.0.1", 8080), spoof)) is None
    # An unknown peer on a TCP listener is not a Unix socket.
    assert cert(_scope(None, ("127.0.0.1", 8080), header)) is None
    # A TLS connection to the hub itself: only the handshake counts, never the header.
    tls: dict[str, Any] = {"extensions": {"tls": {"client_cert_chain": []}}}
    assert cert(_scope(None, ("/run/knooppunt.sock", None), header, **tls)) is None
    # A proxy that appends instead of replaces the header.
    with pytest.raises(OngeldigCertificaat, match="meer dan eens"):
        cert(_scope(None, ("/run/knooppunt.sock", None), header * 2))


# --- revocation ------------------------------------------------------------------------------


class Klok:
    """The monotonic clock of the refresh schedule, moved by hand."""

    def __init__(self) -> None:
        self.nu = 1000.0

    def __call__(self) -> float:
        return self.nu


@pytest.fixture
def klok() -> Iterator[Klok]:
    yield Klok()


def _controle(
    ankers: Vertrouwensankers,
    *bronnen: Path | str,
    klok: Klok | None = None,
    marge: float = 0,
    verversen: float = 60,
) -> Intrekkingscontrole:
    return Intrekkingscontrole(
        [str(b) for b in bronnen],
        ankers,
        verversen=verversen,
        marge=timedelta(seconds=marge),
        klok=klok or Klok(),
    )


def test_ingetrokken_certificaat_wordt_geweigerd(
    ca: Ca, ankers: Vertrouwensankers, deelnemer: x509.Certificate, tmp_path: Path
) -> None:
    ingetrokken = ca.uitgeven("ingetrokken")
    controle = _controle(ankers, ca.crl(tmp_path / "crl.pem", ingetrokken))
    controle.controleer([deelnemer, ca.certificaat], moment=NU)
    with pytest.raises(Ingetrokken, match=f"serienummer {ingetrokken.serial_number:x}"):
        controle.controleer([ingetrokken, ca.certificaat], moment=NU)


def test_der_crl_en_pem_bundel_van_twee_cas(
    ca: Ca, ander_ca: Ca, ankers: Vertrouwensankers, tmp_path: Path
) -> None:
    a, b = ca.uitgeven("a-bundel"), ander_ca.uitgeven("b-bundel")
    der = tmp_path / "ca.crl"
    der.write_bytes(
        x509.load_pem_x509_crl(ca.crl(tmp_path / "tmp.pem", a).read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    bundel = tmp_path / "bundel.pem"
    bundel.write_bytes(
        ca.crl(tmp_path / "x.pem").read_bytes() + ander_ca.crl(tmp_path / "y.pem", b).read_bytes()
    )
    with pytest.raises(Ingetrokken):
        _controle(ankers, der).controleer([a, ca.certificaat], moment=NU)
    controle = _controle(ankers, bundel)
    controle.controleer([a, ca.certificaat], moment=NU)  # this bundle's CRL of `ca` revokes nothing
    with pytest.raises(Ingetrokken):
        controle.controleer([b, ander_ca.certificaat], moment=NU)


def test_verouderde_crl_faalt_gesloten_behalve_binnen_de_marge(
    ca: Ca, ankers: Vertrouwensankers, deelnemer: x509.Certificate, tmp_path: Path
) -> None:
    crl = ca.crl(tmp_path / "crl.pem", dagen=0.5)  # nextUpdate: 12 hours ago
    with pytest.raises(GeenActueleCrl, match="is verouderd"):
        _controle(ankers, crl).controleer([deelnemer, ca.certificaat], moment=NU)
    _controle(ankers, crl, marge=13 * 3600).controleer([deelnemer, ca.certificaat], moment=NU)
    with pytest.raises(GeenActueleCrl):
        _controle(ankers, crl, marge=11 * 3600).controleer([deelnemer, ca.certificaat], moment=NU)


def test_uitgever_zonder_crl_faalt_gesloten(
    ca: Ca, ander_ca: Ca, ankers: Vertrouwensankers, tmp_path: Path
) -> None:
    controle = _controle(ankers, ca.crl(tmp_path / "crl.pem"))
    andere = ander_ca.uitgeven("zonder-crl")
    with pytest.raises(GeenActueleCrl, match="geen CRL beschikbaar"):
        controle.controleer([andere, ander_ca.certificaat], moment=NU)
    assert controle.zonder_crl() == [ander_ca.certificaat]


def test_crl_van_een_onbekende_ca_wordt_niet_geladen(
    ca: Ca, deelnemer: x509.Certificate, tmp_path: Path
) -> None:
    vreemd = _ca(tmp_path / "vreemd")
    # Same subject as `ca` (both development CAs), other key: the signature decides.
    assert vreemd.certificaat.subject == ca.certificaat.subject
    controle = _controle(Vertrouwensankers([ca.certificaat]), vreemd.crl(tmp_path / "crl.pem"))
    problemen = controle.ververs()
    assert len(problemen) == 1 and "niet ondertekend door een van de vertrouwensankers" in problemen[0]
    with pytest.raises(GeenActueleCrl):
        controle.controleer([deelnemer, ca.certificaat], moment=NU)


@pytest.mark.parametrize(
    "inhoud", [b"", b"geen crl", b"-----BEGIN X509 CRL-----\nxx\n-----END X509 CRL-----\n"]
)
def test_onleesbare_crl(inhoud: bytes, ca: Ca, tmp_path: Path) -> None:
    pad = tmp_path / "crl.pem"
    pad.write_bytes(inhoud)
    problemen = _controle(Vertrouwensankers([ca.certificaat]), pad).ververs()
    assert problemen == [f"CRL {pad} is geen geldige CRL (verwacht DER of PEM '-----BEGIN X509 CRL-----')"]


def test_delta_crl_wordt_geweigerd(ca: Ca, tmp_path: Path) -> None:
    sleutel = serialization.load_pem_private_key((ca.map / "ca-key.pem").read_bytes(), password=None)
    assert isinstance(sleutel, ec.EllipticCurvePrivateKey)
    delta = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificaat.subject)
        .last_update(NU - timedelta(hours=1))
        .next_update(NU + timedelta(days=1))
        .add_extension(x509.DeltaCRLIndicator(1), critical=True)
        .sign(sleutel, hashes.SHA256())
    )
    pad = tmp_path / "delta.pem"
    pad.write_bytes(delta.public_bytes(serialization.Encoding.PEM))
    problemen = _controle(Vertrouwensankers([ca.certificaat]), pad).ververs()
    assert len(problemen) == 1 and "delta-CRL" in problemen[0]


def test_verversen_op_schema_en_vorige_crl_blijft_bij_een_storing(
    ca: Ca, ankers: Vertrouwensankers, klok: Klok, tmp_path: Path
) -> None:
    cert = ca.uitgeven("later-ingetrokken")
    pad = ca.crl(tmp_path / "crl.pem", nummer=1)
    controle = _controle(ankers, pad, klok=klok, verversen=60)
    controle.controleer([cert, ca.certificaat], moment=NU)  # first use loads
    ca.crl(pad, cert, nummer=2)
    klok.nu += 59
    controle.controleer([cert, ca.certificaat], moment=NU)  # not yet refreshed
    klok.nu += 1
    with pytest.raises(Ingetrokken):
        controle.controleer([cert, ca.certificaat], moment=NU)
    # The source disappears: the last good CRL stays in use, and the next attempt comes sooner.
    pad.unlink()
    klok.nu += 60
    with pytest.raises(Ingetrokken):
        controle.controleer([cert, ca.certificaat], moment=NU)
    ca.crl(pad, nummer=3)
    klok.nu += intrekking.OPNIEUW_PROBEREN
    controle.controleer([cert, ca.certificaat], moment=NU)


def test_de_nieuwste_crl_van_een_uitgever_telt(ca: Ca, ankers: Vertrouwensankers, tmp_path: Path) -> None:
    cert = ca.uitgeven("nieuwste")
    oud = ca.crl(tmp_path / "oud.pem", nummer=5)
    nieuw = ca.crl(tmp_path / "nieuw.pem", cert, nummer=6)
    for volgorde in ((oud, nieuw), (nieuw, oud)):
        with pytest.raises(Ingetrokken):
            _controle(ankers, *volgorde).controleer([cert, ca.certificaat], moment=NU)


def teruggedraaid(herkomst: str) -> float:
    """The rollback counter as /metrics shows it."""
    waarde = metrics.HTTP.get_sample_value(
        "knooppunt_crl_teruggedraaid_geweigerd_total", {"herkomst": herkomst}
    )
    return waarde or 0.0


def test_een_oudere_crl_van_de_bron_draait_een_intrekking_niet_terug(
    ca: Ca, ankers: Vertrouwensankers, klok: Klok, tmp_path: Path
) -> None:
    cert = ca.uitgeven("blijft-ingetrokken")
    pad = ca.crl(tmp_path / "crl.pem", cert, nummer=7)
    controle = _controle(ankers, pad, klok=klok, verversen=60)
    with pytest.raises(Ingetrokken):
        controle.controleer([cert, ca.certificaat], moment=NU)
    voor = teruggedraaid("bron")
    deze = datetime.now(UTC) - timedelta(days=2)
    oudere = {
        "lager nummer": ontwikkel_ca.maak_crl(ca.map, [], nummer=6),
        "zelfde nummer, oudere thisUpdate": ontwikkel_ca.maak_crl(
            ca.map, [], nummer=7, deze_update=deze, volgende_update=deze + timedelta(days=7)
        ),
    }
    for crl in oudere.values():
        ontwikkel_ca.schrijf_crl(pad, crl)
        klok.nu += 60
        with structlog.testing.capture_logs() as logs, pytest.raises(Ingetrokken):
            controle.controleer([cert, ca.certificaat], moment=NU)
        alarm = [r for r in logs if r["event"] == "crl ouder dan de gehouden crl geweigerd"]
        assert len(alarm) == 1, logs
        assert alarm[0]["log_level"] == "error"
        assert alarm[0]["herkomst"] == "bron" and alarm[0]["bron"] == str(pad)
        assert alarm[0]["gehouden_crl_nummer"] == 7
    assert teruggedraaid("bron") == voor + len(oudere)
    # A newer CRL still replaces it, even one that no longer lists the certificate.
    ca.crl(pad, nummer=8)
    klok.nu += 60
    controle.controleer([cert, ca.certificaat], moment=NU)


def test_crl_nummer_buiten_rfc_5280_wordt_niet_geladen(ca: Ca, tmp_path: Path) -> None:
    pad = ontwikkel_ca.schrijf_crl(tmp_path / "crl.pem", ontwikkel_ca.maak_crl(ca.map, [], nummer=2**160))
    problemen = _controle(Vertrouwensankers([ca.certificaat]), pad).ververs()
    assert len(problemen) == 1 and "buiten 0 .. 2^160-1" in problemen[0]


def test_een_controle_per_configuratie(ankers: Vertrouwensankers) -> None:
    assert intrekking.voor([], ankers, verversen=60, marge=0) is None
    een = intrekking.voor(["/a.pem"], ankers, verversen=60, marge=0)
    assert een is intrekking.voor(["/a.pem"], ankers, verversen=60, marge=0)
    assert een is not intrekking.voor(["/a.pem"], ankers, verversen=60, marge=10)
