"""Chain verification against configured trust anchors, with cryptography's X.509 verifier."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ExtendedKeyUsage, SubjectAlternativeName
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from knooppunt.pki.certificaat import OngeldigCertificaat, lees_pem_bundel


def _client_auth(_policy: object, _cert: x509.Certificate, eku: ExtendedKeyUsage | None) -> None:
    if eku is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise ValueError("certificaat is niet bedoeld voor client-authenticatie (extendedKeyUsage)")


# Web-PKI defaults, except that a participant certificate (PKIoverheid, OIN in the subject) need
# not carry a subjectAltName, and its extendedKeyUsage, if present, must allow client auth.
_EE_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .may_be_present(SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(ExtendedKeyUsage, Criticality.AGNOSTIC, _client_auth)
)


# The extensions RFC 5280 / the Web PKI verifier require, by OID, for a message that names them.
_EXTENSIES = {
    "2.5.29.35": "AuthorityKeyIdentifier",
    "2.5.29.14": "SubjectKeyIdentifier",
    "2.5.29.15": "KeyUsage",
    "2.5.29.19": "BasicConstraints",
    "2.5.29.37": "ExtendedKeyUsage",
}
# "invalid extension: 2.5.29.35: Certificate is missing …" or, in newer cryptography,
# "invalid extension: authorityKeyIdentifier (2.5.29.35): Certificate is missing …".
_ONTBREKENDE_EXTENSIE = re.compile(r"(\d+(?:\.\d+)+)\)?: Certificate is missing required extension")


def _datum(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _uitleg(fout: str) -> str:
    """A verifier's refusal in Dutch, saying what is wrong; its own words stay in brackets."""
    if (ontbreekt := _ONTBREKENDE_EXTENSIE.search(fout)) is not None:
        oid = ontbreekt.group(1)
        naam = _EXTENSIES.get(oid, oid)
        return (
            f"het certificaat mist de verplichte extensie {naam} ({oid}): laat het opnieuw uitgeven "
            f"met die extensie (RFC 5280) [{fout}]"
        )
    if "not valid at validation time" in fout:
        return (
            "een CA-certificaat in de keten is nu niet geldig (verlopen of nog niet geldig): de "
            f"beheerder van de CA moet het vernieuwen [{fout}]"
        )
    return f"certificaat is niet uitgegeven door een vertrouwde CA: {fout}"


CACHE_SECONDEN = 300
CACHE_MAXIMUM = 10_000


class Vertrouwensankers:
    """The CAs that may issue participant certificates."""

    def __init__(self, certificaten: Sequence[x509.Certificate]) -> None:
        if not certificaten:
            raise OngeldigCertificaat("geen vertrouwensankers geconfigureerd")
        self.certificaten = list(certificaten)
        self._store = Store(self.certificaten)
        # Verified chains by (leaf, intermediates): a client sends the same certificate on every
        # request, and path building plus signature checks cost about a millisecond each time.
        self._geverifieerd: dict[tuple[bytes, ...], tuple[datetime, datetime, list[x509.Certificate]]] = {}

    @classmethod
    def uit_bestanden(cls, paden: Sequence[Path]) -> Vertrouwensankers:
        certificaten: list[x509.Certificate] = []
        for pad in paden:
            try:
                certificaten.extend(lees_pem_bundel(Path(pad).read_bytes()))
            except OSError as exc:
                raise OngeldigCertificaat(f"vertrouwensanker {pad} kan niet gelezen worden: {exc}") from exc
        return cls(certificaten)

    def controleer(
        self,
        certificaat: x509.Certificate,
        tussen: Sequence[x509.Certificate] = (),
        *,
        moment: datetime,
    ) -> list[x509.Certificate]:
        """The verified chain (leaf first, trust anchor last); raises OngeldigCertificaat unless the
        certificate chains to an anchor and is valid at `moment`. The chain tells the revocation
        check (pki.intrekking) which CA's CRL applies to each certificate (DESIGN §5). A result is
        reused for at most CACHE_SECONDEN and never outside every certificate's validity; revocation
        and registration are checked by the caller on every request regardless."""
        sleutel = tuple(c.fingerprint(hashes.SHA256()) for c in (certificaat, *tussen))
        gevonden = self._geverifieerd.get(sleutel)
        if gevonden is not None:
            vanaf, tot, keten = gevonden
            if vanaf <= moment < tot:
                return keten
        keten = self._verifieer(certificaat, tussen, moment)
        tot = min([moment + timedelta(seconds=CACHE_SECONDEN), *(c.not_valid_after_utc for c in keten)])
        vanaf = max(c.not_valid_before_utc for c in keten)
        if len(self._geverifieerd) >= CACHE_MAXIMUM:
            self._geverifieerd.clear()
        self._geverifieerd[sleutel] = (max(vanaf, moment), tot, keten)
        return keten

    def _verifieer(
        self, certificaat: x509.Certificate, tussen: Sequence[x509.Certificate], moment: datetime
    ) -> list[x509.Certificate]:
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(moment)
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        if moment > certificaat.not_valid_after_utc:
            raise OngeldigCertificaat(
                f"het certificaat is verlopen op {_datum(certificaat.not_valid_after_utc)}: "
                "vraag een nieuw certificaat aan en laat het registreren"
            )
        if moment < certificaat.not_valid_before_utc:
            raise OngeldigCertificaat(
                f"het certificaat is pas geldig vanaf {_datum(certificaat.not_valid_before_utc)}: "
                "controleer de klok van uw systeem, of gebruik het vanaf dan"
            )
        try:
            return list(verifier.verify(certificaat, list(tussen)).chain)
        except VerificationError as exc:
            raise OngeldigCertificaat(_uitleg(str(exc))) from exc
