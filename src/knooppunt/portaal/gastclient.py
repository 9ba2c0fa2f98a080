"""The portal as a hosted client (DESIGN §5): it holds the private keys of participants marked
``sleutelbeheer`` portaal and seals, submits, fetches, opens and confirms for them through the same
hub services and rules as any API client (``hub.mailbox``), in this process.

Every use of a hosted key is one decryption from the kluis and one audit entry
(``sleutel_gebruikt``) naming who used it and for what. Content is only ever plaintext in this
process's memory, for the user's request; nothing of it is stored or logged.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knooppunt.client import jose
from knooppunt.client.berichten import controleer_afzender as controleer_afzenderrol
from knooppunt.client.fouten import VerzendFout
from knooppunt.client.hub import Ontvangen, open_inhoud
from knooppunt.hub import adresboek, audit, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.certificaat import CertificaatInfo, OngeldigCertificaat, lees
from knooppunt.portaal import zegelen
from knooppunt.portaal.kluis import Kluis, KluisFout, Versleuteld
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.jwe import OngeldigeJwe, kid_naar_vingerafdruk, lees_kop
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, payloadmodel, valideer
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import portaal as store
from knooppunt.store.berichten import Berichtkolommen, Berichtrij
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, Deelnemer, PortaalSleutel

T = TypeVar("T")
HUB = "KNOOPPUNT"
_POGINGEN = 3
"""How often `Gastclient.verstuur_nieuwe` submits again after losing a race for a number."""
DEEL = 1000
"""An upload is submitted in parts of at most this many messages (DESIGN §7: verzendingen of 1,000)."""


class GeenSleutel(Exception):
    """The participant's keys are not held by the portal (or cannot be decrypted)."""


@dataclass(frozen=True)
class Gastsleutel:
    oin: str
    kid: str
    certificaat: x509.Certificate
    sleutel: jose.Sleutel


@dataclass
class Verstuurd:
    """A message the portal submitted: the hub's metadata, and the warnings shown to the user."""

    bericht: Bericht
    nieuw: bool
    waarschuwingen: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TeVersturen:
    """One message to seal and submit (for compose and for CSV uploads)."""

    ontvanger: str
    berichttype: str
    payload: Mapping[str, Any]
    conversatie: str
    module: str = "schuldregeling"
    versie: str = "1.0"
    antwoord_op: str | None = None
    referentienummer: str | None = None
    # The payload as its model, when the caller validated it already (CSV upload): not twice.
    gevalideerd: BaseModel | None = None


@lru_cache(maxsize=1024)
def _certificaat_uit_pem(pem: str) -> x509.Certificate:
    """Adresboek certificates recur in every message of a sender; parse each PEM once."""
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _payload_json(model: BaseModel) -> bytes:
    """The payload as signed: pydantic-core writes the JSON itself, the same document as
    ``model_dump`` + ``json.dumps`` in a third of the time (it counts at 20,000 answers)."""
    return model.model_dump_json(exclude_none=True).encode("utf-8")


def _metadata(envelop: mailbox.Envelop, afzender: str) -> dict[str, Any]:
    """The envelope fields the signature repeats (DESIGN §5)."""
    return {
        "referentienummer": envelop.referentienummer,
        "conversatieReferentienummer": envelop.conversatie_referentienummer,
        "crossReferentienummer": envelop.cross_referentienummer,
        "module": envelop.module,
        "berichttype": envelop.berichttype,
        "versie": envelop.versie,
        "afzender": afzender,
        "ontvanger": envelop.ontvanger,
    }


@lru_cache(maxsize=256)
def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def bewaar_sleutel(
    session: Session, kluis: Kluis, *, oin: str, certificaat_pem: bytes, sleutel_pem: bytes, nu: datetime
) -> PortaalSleutel:
    """Put a hosted participant's private key in the kluis (encrypted), beside its certificate."""
    try:
        cert = x509.load_pem_x509_certificate(certificaat_pem)
    except ValueError as exc:
        raise OngeldigCertificaat(f"het certificaat is geen geldige PEM: {exc}") from exc
    info: CertificaatInfo = lees(cert)
    if info.oin != oin:
        raise OngeldigCertificaat(f"het certificaat hoort bij OIN {info.oin}, niet bij {oin}")
    try:
        prive = jose.prive_sleutel(sleutel_pem)
    except ValueError as exc:
        raise OngeldigCertificaat(f"de sleutel is geen geldige PEM-privésleutel: {exc}") from exc
    if not jose.past_bij(prive, cert):
        raise OngeldigCertificaat("de privésleutel hoort niet bij het certificaat")
    waarde = kluis.versleutel(oin, info.kid, sleutel_pem)
    rij = PortaalSleutel(
        kid=info.kid,
        oin=oin,
        certificaat_pem=certificaat_pem.decode("ascii"),
        hoofdsleutel_id=waarde.hoofdsleutel_id,
        nonce=waarde.nonce,
        versleuteld=waarde.versleuteld,
        aangemaakt_op=nu,
    )
    store.bewaar_sleutel(session, rij)
    return rij


def herversleutel(session: Session, kluis: Kluis, *, wie: str, nu: datetime) -> int:
    """Re-encrypt every hosted key under the current master key (after a rotation); each
    decryption is audited like any other."""
    aantal = 0
    for rij in store.alle_sleutels(session):
        if rij.hoofdsleutel_id == kluis.huidige_id:
            continue
        geheim = kluis.ontsleutel(
            rij.oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld)
        )
        audit.sleutel_gebruikt(session, wie=wie, oin=rij.oin, kid=rij.kid, waarvoor="herversleutelen", nu=nu)
        nieuw = kluis.versleutel(rij.oin, rij.kid, geheim)
        rij.hoofdsleutel_id, rij.nonce, rij.versleuteld = (
            nieuw.hoofdsleutel_id,
            nieuw.nonce,
            nieuw.versleuteld,
        )
        aantal += 1
    return aantal


def envelop_van(bericht: Berichtkolommen, jwe: str | None) -> dict[str, Any]:
    """The envelope as the API shows it, enough to open and to show (no hub-internal fields)."""
    return {
        "referentienummer": bericht.referentienummer,
        "conversatieReferentienummer": bericht.conversatie_referentienummer,
        "crossReferentienummer": bericht.cross_referentienummer,
        "berichttype": bericht.berichttype,
        "module": bericht.module,
        "versie": bericht.versie,
        "afzender": bericht.afzender,
        "ontvanger": bericht.ontvanger,
        "ontvangenOp": bericht.ontvangen_op,
        "verlooptOp": bericht.verloopt_op,
        "opgehaaldOp": bericht.opgehaald_op,
        "bevestigdOp": bericht.bevestigd_op,
        "antwoordUiterlijk": bericht.antwoord_uiterlijk,
        "status": bericht.status,
        "inhoud": jwe,
        "melding": bericht.melding,
    }


class Gastclient:
    """One hosted participant, acting for one logged-in user (``wie``, for the audit log)."""

    def __init__(self, rt: Runtime, kluis: Kluis | None, oin: str, *, wie: str) -> None:
        """``kluis`` None: a client whose keys are not hosted (the browser-key demo's counterparts,
        portaal/browserdemo.py, bring their own `sleutel`); it opens nothing with hosted keys."""
        self.rt = rt
        self._kluis = kluis
        self.oin = oin
        self.wie = wie
        self._certs: set[tuple[bytes, str, str]] = set()

    @property
    def kluis(self) -> Kluis:
        """The kluis of the hosted keys; GeenSleutel for a client without one."""
        if self._kluis is None:
            raise GeenSleutel("deze client heeft geen kluis: zijn sleutels bewaart het portaal niet")
        return self._kluis

    # --- plumbing -----------------------------------------------------------------------------------

    @contextmanager
    def transactie(self) -> Iterator[tuple[Session, datetime]]:
        """One transaction with the DB clock; a refused submit still leaves its audit entry."""
        try:
            with transactie(self.rt.sessions) as session:
                yield session, db_nu(session)
        except HubFout as fout:
            if fout.auditregel is not None:
                try:
                    with transactie(self.rt.sessions) as eigen:
                        audit.noteer(eigen, [fout.auditregel])
                except SQLAlchemyError:
                    pass  # the user still sees the refusal; the operator sees the gap in the logs
            raise

    def lees(self, werk: Callable[[Session, datetime], T]) -> T:
        with self.transactie() as (session, nu):
            return werk(session, nu)

    def deelnemer(self, session: Session) -> Deelnemer:
        return adresboek.haal(session, self.oin)

    def _gehoste_sleutels(self, session: Session) -> Sequence[PortaalSleutel]:
        rijen = store.sleutels_van(session, self.oin)
        if not rijen:
            raise GeenSleutel(
                "het portaal beheert geen sleutel voor deze organisatie; vraag de beheerder van het "
                "knooppunt een certificaat met sleutel te registreren"
            )
        return rijen

    def sleutel(self, session: Session, waarvoor: str, nu: datetime) -> Gastsleutel:
        """Decrypt the signing key: the hosted key of this participant's newest current signing
        certificate, or of another certificate with the same key pair (a renewal that kept the
        key). A key imported for a retired certificate, to open old messages, never signs under
        that certificate: recipients would refuse the signature. Audited (DESIGN §5)."""
        rijen = [r for r in self._gehoste_sleutels(session) if r.gemigreerd_op is None]
        if not rijen:
            # DESIGN §5 "Migration": the organisation made keys in the browser; a hosted key only
            # opens messages that were already in flight for it.
            raise GeenSleutel(
                "uw organisatie heeft sleutels in de browser gemaakt; onderteken en verstuur berichten op "
                "de pagina 'Sleutels en berichten'"
            )
        actueel = sorted(
            (
                c
                for c in self.deelnemer(session).certificaten
                if c.gebruik_ondertekening and adresboek.is_actueel(c, nu)
            ),
            key=lambda c: (c.geldig_vanaf, c.toegevoegd_op),
            reverse=True,
        )
        per_vingerafdruk = {kid_naar_vingerafdruk(r.kid): r for r in rijen}
        for cert in actueel:
            rij = per_vingerafdruk.get(cert.vingerafdruk) or _zelfde_sleutelpaar(cert.pem, rijen)
            if rij is not None:
                sleutel = self._ontsleutel(session, rij, waarvoor, nu)
                certificaat = x509.load_pem_x509_certificate(cert.pem.encode("ascii"))
                return dataclasses.replace(sleutel, kid=jose.kid_van(certificaat), certificaat=certificaat)
        raise GeenSleutel(
            "het portaal heeft geen sleutel bij een geldig ondertekeningscertificaat van deze "
            "organisatie; vraag de beheerder van het knooppunt een nieuw certificaat met sleutel te "
            "registreren"
        )

    def sleutels_voor(
        self, session: Session, jwes: Sequence[str], waarvoor: str, nu: datetime
    ) -> dict[str, jose.Sleutel]:
        """The hosted keys that open these JWEs, by ``kid``: after a certificate change, messages
        sealed for the previous certificate are still waiting. Only the keys named are decrypted
        (each audited); a ``kid`` the portal holds no key for is left out, and opening that message
        says so. Raises GeenSleutel when the portal holds no key at all for this participant."""
        rijen = self._gehoste_sleutels(session)
        nodig = {kid for jwe in jwes if (kid := _jwe_kid(jwe)) is not None}
        per_kid = {rij.kid: rij for rij in rijen}
        # A certificate renewed on the same key pair: the key hosted for another certificate of
        # this participant with the same public key opens it.
        for kid in nodig - per_kid.keys():
            vingerafdruk = kid_naar_vingerafdruk(kid)
            eigen = deelnemers_store.certificaat(session, vingerafdruk) if vingerafdruk else None
            if eigen is not None and eigen.oin == self.oin:
                rij = _zelfde_sleutelpaar(eigen.pem, rijen)
                if rij is not None:
                    per_kid[kid] = rij
        geopend: dict[str, jose.Sleutel] = {}
        sleutels: dict[str, jose.Sleutel] = {}
        for kid in nodig & per_kid.keys():
            rij = per_kid[kid]
            if rij.kid not in geopend:
                geopend[rij.kid] = self._ontsleutel(session, rij, waarvoor, nu).sleutel
            sleutels[kid] = geopend[rij.kid]
        return sleutels

    def _ontsleutel(self, session: Session, rij: PortaalSleutel, waarvoor: str, nu: datetime) -> Gastsleutel:
        try:
            pem = self.kluis.ontsleutel(
                rij.oin, rij.kid, Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld)
            )
        except KluisFout as exc:
            raise GeenSleutel(str(exc)) from exc
        audit.sleutel_gebruikt(session, wie=self.wie, oin=self.oin, kid=rij.kid, waarvoor=waarvoor, nu=nu)
        return Gastsleutel(
            oin=self.oin,
            kid=rij.kid,
            certificaat=x509.load_pem_x509_certificate(rij.certificaat_pem.encode("ascii")),
            sleutel=jose.prive_sleutel(pem),
        )

    def _controleer_certificaat(self, cert: x509.Certificate, oin: str, moment: datetime) -> None:
        """Adresboek certificates are checked against the trust anchors and the OIN, as the SDK
        does: the portal does not take the adresboek's word for whose key it is."""
        # Once per certificate, OIN and day: opening a download of 1,000 messages from one sender
        # checks its certificate once, not 1,000 times.
        sleutel = (cert.fingerprint(hashes.SHA256()), oin, moment.date().isoformat())
        if sleutel in self._certs:
            return
        info = lees(cert)
        if info.oin != oin:
            raise OngeldigCertificaat(
                f"certificaat {info.vingerafdruk[:16]}… hoort bij {info.oin}, niet {oin}"
            )
        if self.rt.ankers is not None:
            self.rt.ankers.controleer(cert, moment=moment)
        self._certs.add(sleutel)

    # --- sending ------------------------------------------------------------------------------------

    def ontvangercertificaat(self, session: Session, ontvanger: Deelnemer, nu: datetime) -> x509.Certificate:
        kandidaten = [
            c for c in ontvanger.certificaten if c.gebruik_versleuteling and adresboek.is_actueel(c, nu)
        ]
        if not kandidaten:
            raise VerzendFout(
                "GEEN_SLEUTEL",
                f"{ontvanger.naam} ({ontvanger.oin}) heeft geen geldig versleutelingscertificaat in het "
                "adresboek; neem contact op met de beheerder van het knooppunt",
            )
        nieuwste = max(kandidaten, key=lambda c: (c.geldig_vanaf, c.toegevoegd_op))
        cert = _certificaat_uit_pem(nieuwste.pem)
        self._controleer_certificaat(cert, ontvanger.oin, nu)
        return cert

    def bereikbaar(self, session: Session, oin: str, module: str) -> tuple[Deelnemer | None, str | None]:
        """(participant, None) when it can be reached for this module, else (participant or None,
        why not), so that the user knows another channel is needed (DESIGN §7)."""
        ontvanger = deelnemers_store.haal(session, oin)
        if ontvanger is None:
            return (
                None,
                "staat niet in het adresboek van het knooppunt: gebruik een ander kanaal (post, e-mail)",
            )
        if module not in adresboek.modules_van(ontvanger):
            naam = CATALOGUS.modulenaam(module)
            return ontvanger, f"doet niet mee aan module {naam}: gebruik een ander kanaal (post, e-mail)"
        return ontvanger, None

    def verzegel(
        self, session: Session, bericht: TeVersturen, *, sleutel: Gastsleutel, nu: datetime
    ) -> mailbox.Envelop:
        """Validate the payload and seal it for the recipient (nothing is submitted yet)."""
        model = self.valideer(bericht)
        self.controleer_afzender(bericht, model, str(self.deelnemer(session).rol))
        ontvanger = self.adresseer(session, bericht)
        return self.zegel(
            bericht,
            model,
            sleutel=sleutel,
            cert=self.ontvangercertificaat(session, ontvanger, nu),
        )

    @staticmethod
    def valideer(bericht: TeVersturen) -> BaseModel:
        if CATALOGUS.zoek(bericht.module, bericht.berichttype) is None:
            raise VerzendFout(
                "ONBEKEND_BERICHTTYPE", f"berichttype {bericht.module}/{bericht.berichttype} bestaat niet"
            )
        try:
            if bericht.gevalideerd is not None and isinstance(
                bericht.gevalideerd, payloadmodel(bericht.module, bericht.berichttype, bericht.versie)
            ):
                return bericht.gevalideerd
            return valideer(bericht.module, bericht.berichttype, bericht.versie, dict(bericht.payload))
        except OngeldigePayload as exc:
            raise VerzendFout("ONGELDIGE_INHOUD", str(exc), velden=exc.als_invalid_params()) from exc
        except OnbekendPayloadtype as exc:
            raise VerzendFout("ONBEKEND_BERICHTTYPE", str(exc)) from exc

    @staticmethod
    def controleer_afzender(bericht: TeVersturen, model: BaseModel, rol: str) -> None:
        """The module's payload rules that depend on the sender's role (DESIGN §3b: a bewindvoerder's
        saldoverzoek rests on the beschikking), as the SDK applies them before sealing."""
        if not CATALOGUS.heeft_afzenderregel(bericht.module, bericht.berichttype):
            return  # no rule: the payload is not dumped for nothing
        controleer_afzenderrol(
            bericht.module, bericht.berichttype, rol, model.model_dump(mode="json", exclude_unset=True)
        )

    def adresseer(self, session: Session, bericht: TeVersturen) -> Deelnemer:
        ontvanger, waarom_niet = self.bereikbaar(session, bericht.ontvanger, bericht.module)
        if ontvanger is None or waarom_niet is not None:
            naam = ontvanger.naam if ontvanger else bericht.ontvanger
            raise VerzendFout("NIET_BEREIKBAAR", f"{naam} {waarom_niet}")
        return ontvanger

    def zegel(
        self,
        bericht: TeVersturen,
        model: BaseModel,
        *,
        sleutel: Gastsleutel,
        cert: x509.Certificate,
    ) -> mailbox.Envelop:
        """Sign and encrypt a validated payload for the recipient's certificate: CPU only."""
        envelop = self._envelop(bericht)
        inhoud = jose.verzegel(
            _payload_json(model),
            metadata=_metadata(envelop, self.oin),
            iat=int(time.time()),
            afzender_sleutel=sleutel.sleutel,
            afzender_certificaat=sleutel.certificaat,
            ontvanger_certificaat=cert,
        )
        return dataclasses.replace(envelop, inhoud=inhoud)

    @staticmethod
    def _envelop(bericht: TeVersturen) -> mailbox.Envelop:
        """The envelope of a message, without its content yet (also the dry run's concept)."""
        return mailbox.Envelop(
            referentienummer=(bericht.referentienummer or str(uuid.uuid4())).lower(),
            conversatie_referentienummer=bericht.conversatie.lower(),
            cross_referentienummer=bericht.antwoord_op.lower() if bericht.antwoord_op else None,
            berichttype=bericht.berichttype,
            module=bericht.module,
            versie=bericht.versie,
            ontvanger=bericht.ontvanger,
            inhoud="",
        )

    def waarschuwingen(self, session: Session, bericht: TeVersturen) -> list[str]:
        """What the portal warns about but the hub does not refuse (DESIGN §3, 9.1)."""
        if bericht.berichttype != "betaalvoorstel":
            return []
        tijdlijn = mailbox.conversatie_of_leeg(session, self.oin, bericht.conversatie)
        if any(b.berichttype == "klant_onbekend" and b.afzender == bericht.ontvanger for b in tijdlijn):
            return [
                "Deze schuldeiser meldde eerder 'klant onbekend' in deze conversatie (art. 8.1). Een "
                "betaalvoorstel is alleen zinvol als u de vordering via een ander kanaal kent (art. 9.1)."
            ]
        return []

    def verstuur(self, bericht: TeVersturen, *, waarvoor: str = "verzenden") -> Verstuurd:
        """Seal and submit one message. Raises VerzendFout (nothing sent) or HubFout (refused)."""
        with self.transactie() as (session, nu):
            afzender = self.deelnemer(session)
            sleutel = self.sleutel(session, waarvoor, nu)
            envelop = self.verzegel(session, bericht, sleutel=sleutel, nu=nu)
            waarschuwingen = self.waarschuwingen(session, bericht)
            resultaat, nieuw = mailbox.verstuur(
                session, afzender, envelop, nu=nu, instellingen=self.rt.instellingen
            )
            return Verstuurd(resultaat, nieuw, waarschuwingen)

    def controleer_reeks(self, berichten: Sequence[TeVersturen]) -> list[HubFout | None]:
        """A dry run of every hub rule for these messages as one batch, before anything is sealed:
        per message the hub's refusal, or None (DESIGN §7, art. 18.3c)."""
        with self.transactie() as (session, nu):
            return self.controleer_in(session, berichten, nu)

    def controleer_in(
        self, session: Session, berichten: Sequence[TeVersturen], nu: datetime
    ) -> list[HubFout | None]:
        """`controleer_reeks` inside the caller's transaction (`mailbox.controleer_reeks` on the
        metadata: nothing is sealed, nothing written)."""
        concepten = [self._envelop(b) for b in berichten]
        return mailbox.controleer_reeks(
            session,
            self.deelnemer(session),
            concepten,
            nu=nu,
            instellingen=self.rt.instellingen,
            met_inhoud=False,
        )

    def verstuur_reeks(self, berichten: Sequence[TeVersturen], *, waarvoor: str) -> list[Berichtrij]:
        """Seal and submit many messages, all or nothing (art. 18.3c): the key and the recipients'
        certificates are read in one short transaction, sealing runs outside any transaction (it
        is CPU only, and SQLite would hold its write lock meanwhile), and one transaction submits
        them all through `mailbox.verstuur_reeks`. Raises `Zegelfout` (nothing sent) or a
        `mailbox.Reeksweigering` naming the message the hub refused (nothing sent)."""
        envelops = self._zegel_reeks(berichten, waarvoor)
        with self.transactie() as (session, nu):
            afzender = self.deelnemer(session)
            resultaten = mailbox.verstuur_reeks(
                session, afzender, envelops, nu=nu, instellingen=self.rt.instellingen
            )
            return [bericht for bericht, _nieuw in resultaten]

    def verstuur_nieuwe(self, berichten: Sequence[TeVersturen], *, waarvoor: str) -> dict[str, datetime]:
        """`verstuur_reeks` for messages with deterministic numbers (an upload's answers, DESIGN
        §7), in parts of at most ``DEEL`` (1,000, the size of a verzending), each part all or
        nothing, except that a message whose number this participant already sent is skipped —
        sent by an earlier upload, or by a concurrent one (a double click) between the dry run and
        this submit. Losing that race makes the hub refuse the part with REFERENTIENUMMER_CONFLICT
        (the JWE sealed again differs); the part is then submitted again without the numbers that
        now exist. If a part is refused, the parts before it stay sent and submitting the same
        upload again completes it, sending nothing twice. Returns the skipped numbers with the
        hub's ``ontvangenOp`` of the message sent before. Raises as `verstuur_reeks` does, with the
        index into ``berichten``."""
        envelops = self._zegel_reeks(berichten, waarvoor)
        bestaand: dict[str, datetime] = {}
        for begin in range(0, len(envelops), DEEL):
            bestaand |= self._verstuur_deel(envelops[begin : begin + DEEL], begin)
        return bestaand

    def _verstuur_deel(self, envelops: Sequence[mailbox.Envelop], begin: int) -> dict[str, datetime]:
        """One part of `verstuur_nieuwe` in one transaction; ``begin``: its first envelope's index."""
        for poging in range(_POGINGEN):
            try:
                with self.transactie() as (session, nu):
                    afzender = self.deelnemer(session)
                    bestaand = mailbox.verstuurd_set(
                        session, afzender, [e.referentienummer for e in envelops]
                    )
                    rest = [(i, e) for i, e in enumerate(envelops) if e.referentienummer not in bestaand]
                    if rest:
                        mailbox.verstuur_reeks(
                            session, afzender, [e for _, e in rest], nu=nu, instellingen=self.rt.instellingen
                        )
                    return bestaand
            except mailbox.Reeksweigering as exc:
                exc.index = begin + rest[exc.index][0]
                if exc.code != "REFERENTIENUMMER_CONFLICT" or poging == _POGINGEN - 1:
                    raise
        raise AssertionError("onbereikbaar")  # pragma: no cover

    def _zegel_reeks(self, berichten: Sequence[TeVersturen], waarvoor: str) -> list[mailbox.Envelop]:
        """Seal a batch (see `verstuur_reeks`): the key and certificates read in one short
        transaction, the sealing itself outside any transaction."""
        with self.transactie() as (session, nu):
            sleutel = self.sleutel(session, waarvoor, nu)
            rol = str(self.deelnemer(session).rol)
            certificaten: dict[str, x509.Certificate] = {}
            for index, bericht in enumerate(berichten):
                if bericht.ontvanger not in certificaten:
                    try:
                        ontvanger = self.adresseer(session, bericht)
                        certificaten[bericht.ontvanger] = self.ontvangercertificaat(session, ontvanger, nu)
                    except (VerzendFout, OngeldigCertificaat) as exc:
                        raise Zegelfout(index, str(exc)) from exc
        envelops: list[mailbox.Envelop] = []
        opdrachten: list[zegelen.Zegelopdracht] = []
        for index, bericht in enumerate(berichten):
            try:
                model = self.valideer(bericht)
                self.controleer_afzender(bericht, model, rol)
            except VerzendFout as exc:
                raise Zegelfout(index, str(exc)) from exc
            cert = certificaten[bericht.ontvanger]
            envelop = self._envelop(bericht)
            envelops.append(envelop)
            opdrachten.append(
                zegelen.Zegelopdracht(_payload_json(model), _metadata(envelop, self.oin), _der(cert))
            )
        inhouden = zegelen.zegel_alle(
            opdrachten, sleutel=sleutel.sleutel, afzender=sleutel.certificaat, iat=int(time.time())
        )
        return [dataclasses.replace(e, inhoud=i) for e, i in zip(envelops, inhouden, strict=True)]

    # --- receiving ----------------------------------------------------------------------------------

    def afzendercertificaten(self, session: Session, oin: str, moment: datetime) -> list[x509.Certificate]:
        deelnemer = deelnemers_store.haal(session, oin)
        if deelnemer is None:
            raise OngeldigCertificaat(f"afzender {oin} staat niet in het adresboek")
        goed = []
        instellingen = self.rt.instellingen
        for c in adresboek.zichtbare_certificaten(
            deelnemer,
            nu=moment,
            kalender=instellingen.kalender,
            bevestigingstermijn=instellingen.bevestigingstermijn,
        ):
            if not c.gebruik_ondertekening or not (c.geldig_vanaf <= moment < c.geldig_tot):
                continue
            if c.ingetrokken_op is not None and c.ingetrokken_op <= moment:
                continue
            cert = _certificaat_uit_pem(c.pem)
            try:
                self._controleer_certificaat(cert, oin, moment)
            except OngeldigCertificaat:
                continue
            goed.append(cert)
        if not goed:
            raise OngeldigCertificaat(
                f"geen geldig ondertekeningscertificaat van {oin} op {moment.isoformat()}"
            )
        return goed

    def open(
        self,
        session: Session,
        bericht: Berichtkolommen,
        jwe: str | None,
        *,
        sleutels: Mapping[str, jose.Sleutel] | None,
    ) -> Ontvangen:
        """Open one message: decrypt, verify, validate. Never raises for bad content."""
        env = envelop_van(bericht, jwe)
        if bericht.afzender == HUB:
            return Ontvangen(envelop=env, melding=bericht.melding)
        if jwe is None or sleutels is None:
            return Ontvangen(
                envelop=env, fout="ONTSLEUTELING_MISLUKT", foutdetail="het bericht heeft geen inhoud meer"
            )
        return open_inhoud(
            env,
            jwe,
            sleutel=sleutels,
            certificaten=lambda: self.afzendercertificaten(session, bericht.afzender, bericht.ontvangen_op),
            afzender_rol=lambda: _rol_van(session, bericht.afzender),
        )

    def haal_op(
        self,
        *,
        waarvoor: str,
        referentienummers: Sequence[str] | None = None,
        berichttype: str | None = None,
        limiet: int = 1000,
    ) -> list[Ontvangen]:
        """Fetch open messages (marks opgehaaldOp, as the API does) and open them. With
        ``referentienummers`` only those that are still open (and only those are marked: reading one
        answer does not mark the rest of the inbox as downloaded); else the oldest ``limiet``. At
        most a fetch page's bytes of inhoud (KNOOPPUNT_MAX_PAGINA_BYTES), but always one message:
        the oldest of them, the rest stays for the next fetch."""
        with self.transactie() as (session, nu):
            deelnemer = self.deelnemer(session)
            rijen = mailbox.ophalen(
                session,
                deelnemer,
                nu=nu,
                limiet=limiet,
                max_bytes=self.rt.instellingen.max_pagina_bytes,
                berichttype=berichttype,
                referentienummers=referentienummers,
            )
            versleuteld = [jwe for b, jwe in rijen if b.afzender != HUB and jwe is not None]
            sleutels = self.sleutels_voor(session, versleuteld, waarvoor, nu) if versleuteld else None
            return [self.open(session, b, jwe, sleutels=sleutels) for b, jwe in rijen]

    def bevestig(self, referentienummers: Sequence[str]) -> list[tuple[str, Bericht | None, str | None]]:
        with self.transactie() as (session, nu):
            deelnemer = self.deelnemer(session)
            return mailbox.bevestig_meerdere(
                session, deelnemer, list(referentienummers), nu=nu, instellingen=self.rt.instellingen
            )

    def open_berichten(self) -> tuple[list[Bericht], dict[str, str], datetime]:
        """The open inbox as metadata (nothing fetched or marked), the names of its senders, and
        the database clock."""
        with self.transactie() as (session, nu):
            berichten = list(mailbox.open_berichten(session, self.deelnemer(session), nu=nu))
            return berichten, self._namen(session, {b.afzender for b in berichten}), nu

    def namen(self, oins: set[str]) -> dict[str, str]:
        """Adresboek names of these participants (the hub is "Knooppunt")."""
        with self.transactie() as (session, _nu):
            return self._namen(session, oins)

    @staticmethod
    def _namen(session: Session, oins: set[str]) -> dict[str, str]:
        namen = {HUB: "Knooppunt"}
        for oin in oins - {HUB}:
            deelnemer = deelnemers_store.haal(session, oin)
            namen[oin] = deelnemer.naam if deelnemer is not None else oin
        return namen

    def ontvangen(self, referentienummers: Sequence[str]) -> tuple[dict[str, Row[Any]], datetime]:
        """Metadata of messages this participant received (any status), by number; and the
        database clock at the time."""
        with self.transactie() as (session, nu):
            return mailbox.ontvangen_set(session, self.deelnemer(session), referentienummers), nu

    def weiger(self, referentienummer: str, reden: str) -> mailbox.Bevestiging:
        """Refuse a message whose content cannot be opened (DESIGN §4): content deleted, a
        foutbericht GEWEIGERD with the reason to the sender."""
        with self.transactie() as (session, nu):
            return mailbox.weiger(
                session,
                self.deelnemer(session),
                referentienummer,
                reden,
                nu=nu,
                instellingen=self.rt.instellingen,
            )


class Zegelfout(Exception):
    """A message of a batch could not be sealed (recipient unreachable, payload invalid);
    ``index`` names it. Nothing was submitted."""

    def __init__(self, index: int, melding: str) -> None:
        super().__init__(melding)
        self.index = index
        self.melding = melding


def _jwe_kid(jwe: str) -> str | None:
    """The ``kid`` of a JWE's protected header, or None when it has none (opening says why)."""
    try:
        return lees_kop(jwe, max_bytes=len(jwe)).kid
    except OngeldigeJwe:
        return None


def _zelfde_sleutelpaar(certificaat_pem: str, rijen: Sequence[PortaalSleutel]) -> PortaalSleutel | None:
    """The hosted key whose certificate has the same public key as this one (a renewal that kept
    the key pair), if any."""
    publiek = jose.publieke_sleutel(x509.load_pem_x509_certificate(certificaat_pem.encode("ascii")))
    for rij in rijen:
        if jose.past_bij(publiek, x509.load_pem_x509_certificate(rij.certificaat_pem.encode("ascii"))):
            return rij
    return None


def _rol_van(session: Session, oin: str) -> str | None:
    """A sender's role in the adresboek, for the payload rules that depend on it (DESIGN §3b)."""
    deelnemer = deelnemers_store.haal(session, oin)
    return str(deelnemer.rol) if deelnemer is not None else None
