"""Revocation of participant certificates by CRL (DESIGN §5).

The hub loads the CRLs named in ``KNOOPPUNT_CRLS`` (files or http(s) URLs, PEM or DER), accepts
a CRL only when its signature verifies against the trust anchor that issued it, refreshes them
every ``KNOOPPUNT_CRL_REFRESH_SECONDS`` (sooner while one is past its nextUpdate), and checks every
authentication against them. It fails closed: a certificate is refused when its issuer's CRL is
missing or past ``nextUpdate`` + ``KNOOPPUNT_CRL_GRACE_SECONDS``, because a hub that cannot know
whether a certificate was revoked must not assume it was not.

Only complete CRLs of the trust anchors themselves are supported — the anchors are the issuing CAs
(PKIoverheid Private Services), so that is what PKIoverheid publishes. Delta CRLs, indirect CRLs
and CRLs limited to some reasons are refused when loaded, since trusting one would silently leave
revocations unseen.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from knooppunt import metrics
from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.pki.verificatie import Vertrouwensankers

log = structlog.get_logger("knooppunt.pki")

# A CRL download that takes longer than this is treated as failed (the previous CRL stays in use).
HAAL_TIMEOUT = 10.0
MAX_CRL_BYTES = 64 * 1024 * 1024
# Retry interval while a source fails or a CRL is past its nextUpdate: a CA may publish late.
OPNIEUW_PROBEREN = 30.0
_PEM_BEGIN = b"-----BEGIN X509 CRL-----"
_PEM_EINDE = b"-----END X509 CRL-----"
# RFC 5280 §5.2.3: a CRL number is at most 20 octets.
MAX_CRL_NUMMER = 2**160 - 1
# The `bron` of a CRL loaded from the shared state.
GEDEELD = "gedeelde CRL-staat (database)"


class Ingetrokken(OngeldigCertificaat):
    """The certificate is on its issuer's CRL."""


class GeenActueleCrl(OngeldigCertificaat):
    """Revocation cannot be checked: the issuer's CRL is missing or out of date (fail closed)."""


class CrlFout(ValueError):
    """A configured CRL cannot be used; the message names the source and what to do."""


def _vingerafdruk(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _naam(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


@dataclass(frozen=True, slots=True)
class GeladenCrl:
    bron: str
    uitgever: x509.Certificate  # the trust anchor whose key signed this CRL
    deze_update: datetime
    volgende_update: datetime
    nummer: int
    ingetrokken: dict[int, datetime]  # serial number -> revocation date
    der: bytes
    sleutel: str  # the SHA-256 fingerprint of `uitgever`: which trust anchor's CRL this is

    @property
    def volgorde(self) -> tuple[int, datetime]:
        """Newer is larger: the CRL number, then thisUpdate (DESIGN §5)."""
        return (self.nummer, self.deze_update)


def is_url(bron: str) -> bool:
    return bron.startswith(("http://", "https://"))


def haal_bron(bron: str) -> bytes:
    """The bytes of a CRL source: an http(s) URL (no redirects, bounded size) or a file path."""
    if not is_url(bron):
        try:
            return Path(bron).read_bytes()
        except OSError as exc:
            raise CrlFout(f"CRL {bron} kan niet gelezen worden: {exc.strerror or exc}") from exc
    try:
        with httpx.stream("GET", bron, timeout=HAAL_TIMEOUT, follow_redirects=False) as antwoord:
            if antwoord.status_code != 200:
                raise CrlFout(f"CRL {bron} gaf HTTP {antwoord.status_code}; verwacht 200 met de CRL")
            delen: list[bytes] = []
            grootte = 0
            for deel in antwoord.iter_bytes():
                grootte += len(deel)
                if grootte > MAX_CRL_BYTES:
                    raise CrlFout(f"CRL {bron} is groter dan {MAX_CRL_BYTES} bytes")
                delen.append(deel)
            return b"".join(delen)
    except httpx.HTTPError as exc:
        raise CrlFout(f"CRL {bron} kan niet opgehaald worden: {exc}") from exc


def lees_crls(data: bytes, bron: str) -> list[x509.CertificateRevocationList]:
    """One DER CRL, or one or more PEM CRLs."""
    try:
        if _PEM_BEGIN not in data:
            return [x509.load_der_x509_crl(data)]
        crls = []
        rest = data
        while _PEM_BEGIN in rest:
            begin = rest.index(_PEM_BEGIN)
            einde = rest.index(_PEM_EINDE, begin) + len(_PEM_EINDE)
            crls.append(x509.load_pem_x509_crl(rest[begin:einde]))
            rest = rest[einde:]
        return crls
    except ValueError as exc:
        raise CrlFout(
            f"CRL {bron} is geen geldige CRL (verwacht DER of PEM '-----BEGIN X509 CRL-----')"
        ) from exc


def _uitgever(crl: x509.CertificateRevocationList, ankers: Vertrouwensankers) -> x509.Certificate | None:
    for anker in ankers.certificaten:
        if anker.subject != crl.issuer:
            continue
        try:
            gebruik = anker.extensions.get_extension_for_class(x509.KeyUsage).value
            if not gebruik.crl_sign:
                continue
        except x509.ExtensionNotFound:
            pass
        sleutel = anker.public_key()
        if not isinstance(sleutel, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            continue
        if crl.is_signature_valid(sleutel):
            return anker
    return None


def valideer(crl: x509.CertificateRevocationList, bron: str, ankers: Vertrouwensankers) -> GeladenCrl:
    """A CRL the hub may rely on: signed by a trust anchor, complete, with a nextUpdate."""
    naam = crl.issuer.rfc4514_string()
    uitgever = _uitgever(crl, ankers)
    if uitgever is None:
        raise CrlFout(
            f"CRL {bron} (uitgever {naam}) is niet ondertekend door een van de vertrouwensankers; "
            "configureer in KNOOPPUNT_CRLS alleen CRL's van de CA's in KNOOPPUNT_TRUST_ANCHORS"
        )
    if crl.next_update_utc is None:
        raise CrlFout(
            f"CRL {bron} (uitgever {naam}) heeft geen nextUpdate, dus niet vast te stellen of ze actueel is"
        )
    nummer = 0
    for extensie in crl.extensions:
        waarde = extensie.value
        if isinstance(waarde, x509.DeltaCRLIndicator):
            raise CrlFout(f"CRL {bron} is een delta-CRL; configureer de volledige CRL van {naam}")
        if isinstance(waarde, x509.IssuingDistributionPoint) and (
            waarde.indirect_crl
            or waarde.only_some_reasons
            or waarde.only_contains_ca_certs
            or waarde.only_contains_attribute_certs
        ):
            raise CrlFout(
                f"CRL {bron} dekt niet alle certificaten van {naam} (issuingDistributionPoint); "
                "configureer de volledige CRL"
            )
        if isinstance(waarde, x509.CRLNumber):
            nummer = waarde.crl_number
            if not 0 <= nummer <= MAX_CRL_NUMMER:
                raise CrlFout(
                    f"CRL {bron} (uitgever {naam}) heeft CRL-nummer {nummer}, buiten 0 .. 2^160-1 "
                    "(RFC 5280); meld het bij de CA"
                )
        elif extensie.critical and not isinstance(waarde, x509.IssuingDistributionPoint):
            raise CrlFout(f"CRL {bron} heeft een onbekende kritieke extensie {extensie.oid.dotted_string}")
    ingetrokken: dict[int, datetime] = {}
    for item in crl:
        if any(e.critical for e in item.extensions):
            # e.g. certificateIssuer (indirect CRLs): an entry we cannot interpret is refused.
            raise CrlFout(
                f"CRL {bron} heeft een intrekking met een kritieke extensie die niet ondersteund wordt"
            )
        ingetrokken[item.serial_number] = item.revocation_date_utc
    return GeladenCrl(
        bron=bron,
        uitgever=uitgever,
        deze_update=crl.last_update_utc,
        volgende_update=crl.next_update_utc,
        nummer=nummer,
        ingetrokken=ingetrokken,
        der=crl.public_bytes(serialization.Encoding.DER),
        sleutel=_vingerafdruk(uitgever),
    )


def _nieuwste(a: GeladenCrl | None, b: GeladenCrl) -> GeladenCrl:
    if a is None:
        return b
    return b if b.volgorde > a.volgorde else a


class GedeeldeStaat(Protocol):
    """The CRL state all nodes of a hub share (hub.intrekking.GedeeldeCrls: the database)."""

    @property
    def sleutel(self) -> str:
        """Which shared state (e.g. the database URL): part of the per-process cache key."""
        ...

    def bewaar(self, crl: GeladenCrl) -> tuple[int, datetime] | None:
        """Offer a CRL loaded from a source: None when it is now the shared one (or was already),
        else (CRL number, thisUpdate) of the newer CRL held, which wins."""
        ...

    def lees(self, bekend: Mapping[str, int]) -> tuple[dict[str, int], list[tuple[str, int, bytes]]]:
        """The version of every trust anchor's shared CRL, and (anchor, version, DER) of those
        whose version differs from `bekend`."""
        ...


def meld_teruggedraaid(crl: GeladenCrl, gehouden: tuple[int, datetime], *, herkomst: str) -> None:
    """The alert of a refused rollback: an error log line with the CRLs' metadata and a counter
    (no participant labels). `herkomst`: "bron" (a configured source served it) or "database"
    (the shared state held an older CRL than this node)."""
    metrics.CRL_TERUGGEDRAAID.labels(herkomst).inc()
    log.error(
        "crl ouder dan de gehouden crl geweigerd",
        herkomst=herkomst,
        bron=crl.bron,
        uitgever=crl.uitgever.subject.rfc4514_string(),
        crl_nummer=crl.nummer,
        this_update=crl.deze_update.isoformat(),
        gehouden_crl_nummer=gehouden[0],
        gehouden_this_update=gehouden[1].isoformat(),
    )


class Intrekkingscontrole:
    """The loaded CRLs of the trust anchors and the revocation check on every authentication.

    Thread-safe: requests run in a thread pool. One request at a time refreshes (the others keep
    using the CRLs already loaded); a source that fails keeps its previous CRL, which the
    nextUpdate + grace rule retires in time.
    """

    def __init__(
        self,
        bronnen: Sequence[str],
        ankers: Vertrouwensankers,
        *,
        verversen: float = 3600.0,
        marge: timedelta = timedelta(0),
        haal: Callable[[str], bytes] = haal_bron,
        klok: Callable[[], float] = time.monotonic,
        gedeeld: GedeeldeStaat | None = None,
    ) -> None:
        if not bronnen:
            raise ValueError("Intrekkingscontrole zonder CRL-bronnen")
        self.bronnen = list(bronnen)
        self.ankers = ankers
        self.verversen = verversen
        self.marge = marge
        self._haal = haal
        self._klok = klok
        self._per_bron: dict[str, list[GeladenCrl]] = {}
        self._per_uitgever: dict[str, GeladenCrl] = {}
        self._volgende_verversing = float("-inf")
        self._slot = threading.Lock()
        self._gedeeld = gedeeld
        self._bekend: dict[str, int] = {}  # per trust anchor, the shared row's version last read
        self._gedeelde_versie: int | None = None  # their sum: what a request's first statement reads
        # Counts the changes to the CRLs held (`_per_uitgever`), raised after each swap: whoever read
        # it holds CRLs at least that new, so a verification kept with it is stale once it moves.
        self.generatie = 0
        self._gedeeld_slot = threading.Lock()
        self._wijzig_slot = threading.Lock()

    # --- loading -------------------------------------------------------------------------------

    def ververs(self) -> list[str]:
        """(Re)load every source now, offer what it loaded to the shared state and take over the
        shared state; returns the problems of the sources (empty when all loaded)."""
        problemen: list[str] = []
        per_bron = dict(self._per_bron)
        for bron in self.bronnen:
            try:
                crls = lees_crls(self._haal(bron), bron)
                per_bron[bron] = [valideer(crl, bron, self.ankers) for crl in crls]
            except CrlFout as exc:
                problemen.append(str(exc))
                log.warning("crl niet geladen", probleem=str(exc), vorige_blijft=bron in per_bron)
        kandidaten: dict[str, GeladenCrl] = {}
        for geladen in per_bron.values():
            for crl in geladen:
                kandidaten[crl.sleutel] = _nieuwste(kandidaten.get(crl.sleutel), crl)
        self._per_bron = per_bron
        nieuwer_gedeeld: dict[str, tuple[int, datetime]] = {}
        if self._gedeeld is not None:
            nieuwer_gedeeld = self._deel(kandidaten.values())
            self.volg_gedeelde_staat()
        # After the shared state: a source's CRL older than the one held is refused here, alerted.
        self._neem_over(kandidaten.values(), herkomst="bron")
        for sleutel, gehouden in nieuwer_gedeeld.items():
            if self._per_uitgever[sleutel].volgorde < gehouden:
                # The shared state holds a newer CRL that this node cannot use (not signed by a
                # trust anchor of this node, or unreadable): the source's CRL serves meanwhile.
                log.error(
                    "gedeelde crl onbruikbaar",
                    uitgever=self._per_uitgever[sleutel].uitgever.subject.rfc4514_string(),
                    gedeeld_crl_nummer=gehouden[0],
                    gebruikt_crl_nummer=self._per_uitgever[sleutel].nummer,
                )
        nu = datetime.now(UTC)
        achter = any(c.volgende_update <= nu for c in self._per_uitgever.values())
        wacht = min(self.verversen, OPNIEUW_PROBEREN) if problemen or achter else self.verversen
        self._volgende_verversing = self._klok() + wacht
        return problemen

    def _deel(self, kandidaten: Iterable[GeladenCrl]) -> dict[str, tuple[int, datetime]]:
        """Offer the sources' CRLs to the shared state; returns, per trust anchor, the newer CRL
        (number, thisUpdate) the shared state holds where it refused one. A shared state that
        cannot be reached is logged; the sources' CRLs are then used as they are (still never
        one older than held in memory)."""
        assert self._gedeeld is not None
        nieuwer: dict[str, tuple[int, datetime]] = {}
        for crl in kandidaten:
            try:
                gehouden = self._gedeeld.bewaar(crl)
            except Exception as exc:
                log.warning("crl niet gedeeld", bron=crl.bron, fout=type(exc).__name__)
                continue
            if gehouden is not None and gehouden > crl.volgorde:
                nieuwer[crl.sleutel] = gehouden
        return nieuwer

    def _neem_over(self, crls: Iterable[GeladenCrl], *, herkomst: str) -> None:
        """Use these CRLs where they are newer than the one held; an older one is refused."""
        with self._wijzig_slot:
            per_uitgever = dict(self._per_uitgever)
            gewijzigd = False
            for crl in crls:
                gehouden = per_uitgever.get(crl.sleutel)
                if gehouden is None or crl.volgorde > gehouden.volgorde:
                    per_uitgever[crl.sleutel] = crl
                    gewijzigd = True
                elif crl.volgorde < gehouden.volgorde:
                    meld_teruggedraaid(crl, gehouden.volgorde, herkomst=herkomst)
            # Swap whole dicts: readers in other threads see the old set or the new, never a mix.
            self._per_uitgever = per_uitgever
            if gewijzigd:
                self.generatie += 1

    def volg_gedeelde_staat(self, versie: int | None = None) -> None:
        """Load the shared CRLs that changed since last read (all of them the first time).
        `versie`: what the request read; nothing to do when this node already has it."""
        if self._gedeeld is None:
            return
        with self._gedeeld_slot:
            if versie is not None and versie == self._gedeelde_versie:
                return
            try:
                alle, gewijzigd = self._gedeeld.lees(self._bekend)
            except Exception as exc:
                # The request goes on with the CRLs loaded; its own statements will tell.
                log.warning("gedeelde crl-staat niet gelezen", fout=type(exc).__name__)
                return
            gehouden = self._per_uitgever
            geladen: list[GeladenCrl] = []
            for sleutel, rij_versie, der in gewijzigd:
                alle[sleutel] = rij_versie
                bekend = gehouden.get(sleutel)
                if bekend is not None and bekend.der == der:
                    continue  # this node stored it itself (ververs), or already holds it
                try:
                    crl = valideer(lees_crls(der, GEDEELD)[0], GEDEELD, self.ankers)
                except CrlFout as exc:
                    # E.g. a trust anchor another node has and this one has not: not used here.
                    log.warning("gedeelde crl niet gebruikt", uitgever=sleutel, probleem=str(exc))
                    continue
                if crl.sleutel != sleutel:
                    log.error("gedeelde crl onder de verkeerde uitgever", uitgever=sleutel)
                    continue
                geladen.append(crl)
            self._neem_over(geladen, herkomst="database")
            self._bekend = alle
            self._gedeelde_versie = sum(alle.values())

    def _ververs_als_nodig(self) -> None:
        if self._klok() < self._volgende_verversing:
            return
        # Before the first load every request must wait for it; afterwards, a request that finds
        # another one refreshing goes on with the CRLs already loaded.
        if not self._slot.acquire(blocking=not self._per_bron):
            return
        try:
            if self._klok() >= self._volgende_verversing:
                self.ververs()
        finally:
            self._slot.release()

    def zonder_crl(self) -> list[x509.Certificate]:
        """Trust anchors for which no CRL is loaded: their certificates are all refused."""
        return [a for a in self.ankers.certificaten if _vingerafdruk(a) not in self._per_uitgever]

    # --- checking ------------------------------------------------------------------------------

    def volg(self, versie: int | None = None) -> int:
        """Refresh the sources when due, and load the shared CRLs when `versie` (the shared state's
        version as the request's first statement read it, store.crl_staat.nu_en_versie) differs
        from this node's. Returns the generation of the CRLs now held: a check made with them stands
        while it and `versie` stay the same (api.auth's cache)."""
        self._ververs_als_nodig()
        if versie is not None and versie != self._gedeelde_versie:
            self.volg_gedeelde_staat(versie)
        return self.generatie

    def gevolgd(self, versie: int | None) -> int | None:
        """The generation `volg(versie)` would return, when it would have nothing to do (no refresh
        due, the shared state at `versie` already loaded); else None. Never blocks: for the hot
        submit on the event loop (api/lus.py), which leaves any such work to the usual path."""
        if self._klok() >= self._volgende_verversing or not self._per_bron:
            return None
        if self._gedeeld is not None and versie != self._gedeelde_versie:
            return None
        return self.generatie

    def controleer(
        self, keten: Sequence[x509.Certificate], *, moment: datetime, versie: int | None = None
    ) -> datetime:
        """Raise Ingetrokken or GeenActueleCrl unless no certificate of the verified chain (leaf
        first, as Vertrouwensankers.controleer returns it) is revoked by its issuer's current CRL.
        `versie`: as for `volg`; when it differs from this node's, the changed CRLs are loaded
        before the check, so a revocation any node loaded counts on every node. Returns until when
        the CRLs used may be relied on: the earliest nextUpdate + grace among them."""
        self.volg(versie)
        per_uitgever = self._per_uitgever
        tot = datetime.max.replace(tzinfo=UTC)
        for certificaat, uitgever in itertools.pairwise(keten):
            crl = per_uitgever.get(_vingerafdruk(uitgever))
            if crl is None:
                raise GeenActueleCrl(
                    f"van de uitgever ({_naam(uitgever)}) is geen CRL beschikbaar, dus kan het knooppunt "
                    "niet vaststellen dat het certificaat niet is ingetrokken; probeer het later opnieuw of "
                    "meld het bij het beheer van het knooppunt"
                )
            uiterlijk = crl.volgende_update + self.marge
            tot = min(tot, uiterlijk)
            if moment > uiterlijk:
                raise GeenActueleCrl(
                    f"de CRL van de uitgever ({_naam(uitgever)}) is verouderd (nextUpdate "
                    f"{crl.volgende_update.isoformat()}), dus kan het knooppunt niet vaststellen dat "
                    "het certificaat niet is ingetrokken; probeer het later opnieuw of meld het bij het "
                    "beheer van het knooppunt"
                )
            ingetrokken_op = crl.ingetrokken.get(certificaat.serial_number)
            if ingetrokken_op is not None:
                raise Ingetrokken(
                    f"het certificaat (serienummer {certificaat.serial_number:x}) is op "
                    f"{ingetrokken_op.isoformat()} ingetrokken door de uitgever ({_naam(uitgever)}); "
                    "vraag een nieuw certificaat aan en laat het registreren"
                )
        return tot


# One check per configuration per process: every request of an app, and `knooppunt serve`'s
# start-up check, share the loaded CRLs.
_CONTROLES: dict[tuple[object, ...], Intrekkingscontrole] = {}
_CONTROLES_SLOT = threading.Lock()
_MAX_CONTROLES = 32


def voor(
    bronnen: Sequence[str],
    ankers: Vertrouwensankers,
    *,
    verversen: float,
    marge: float,
    gedeeld: GedeeldeStaat | None = None,
) -> Intrekkingscontrole | None:
    """The shared revocation check for this configuration; None when no CRLs are configured."""
    if not bronnen:
        return None
    sleutel = (
        tuple(bronnen),
        float(verversen),
        float(marge),
        tuple(_vingerafdruk(a) for a in ankers.certificaten),
        None if gedeeld is None else gedeeld.sleutel,
    )
    with _CONTROLES_SLOT:
        controle = _CONTROLES.get(sleutel)
        if controle is None:
            if len(_CONTROLES) >= _MAX_CONTROLES:
                _CONTROLES.pop(next(iter(_CONTROLES)))
            controle = Intrekkingscontrole(
                bronnen, ankers, verversen=verversen, marge=timedelta(seconds=marge), gedeeld=gedeeld
            )
            _CONTROLES[sleutel] = controle
        return controle
