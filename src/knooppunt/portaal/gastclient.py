"""The portal as a hosted client (DESIGN §5): it holds the private keys of participants marked
``sleutelbeheer`` portaal and seals, submits, fetches, opens and confirms for them through the same
hub services and rules as any API client (``hub.mailbox``), in this process.

Every use of a hosted key is one decryption from the kluis and one audit entry
(``sleutel_gebruikt``) naming who used it and for what. Content is only ever plaintext in this
process's memory, for the user's request; nothing of it is stored or logged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cryptography import x509
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knooppunt.client import jose
from knooppunt.client.fouten import VerzendFout
from knooppunt.client.hub import Ontvangen
from knooppunt.hub import adresboek, audit, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.certificaat import CertificaatInfo, OngeldigCertificaat, lees
from knooppunt.portaal.kluis import Kluis, KluisFout, Versleuteld
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, valideer
from knooppunt.runtime import Runtime
from knooppunt.store import portaal as store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, Deelnemer, PortaalSleutel

T = TypeVar("T")
HUB = "KNOOPPUNT"


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
    if jose.publieke_sleutel(cert).as_dict() != _publiek_van(prive):
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


def _publiek_van(sleutel: jose.Sleutel) -> dict[str, Any]:
    return {k: v for k, v in sleutel.as_dict(private=False).items()}


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


def envelop_van(bericht: Bericht, jwe: str | None) -> dict[str, Any]:
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

    def __init__(self, rt: Runtime, kluis: Kluis, oin: str, *, wie: str) -> None:
        self.rt = rt
        self.kluis = kluis
        self.oin = oin
        self.wie = wie
        self._certs: dict[str, bool] = {}

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

    def sleutel(self, session: Session, waarvoor: str, nu: datetime) -> Gastsleutel:
        """Decrypt the newest hosted key of this participant; audited (DESIGN §5)."""
        rijen = store.sleutels_van(session, self.oin)
        if not rijen:
            raise GeenSleutel(
                "het portaal beheert geen sleutel voor deze organisatie; vraag de beheerder van het "
                "knooppunt een certificaat met sleutel te registreren"
            )
        rij = rijen[0]
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
        info = lees(cert)
        if info.oin != oin:
            raise OngeldigCertificaat(
                f"certificaat {info.vingerafdruk[:16]}… hoort bij {info.oin}, niet {oin}"
            )
        sleutel = f"{info.vingerafdruk}|{moment.date().isoformat()}"
        if sleutel in self._certs:
            return
        if self.rt.ankers is not None:
            self.rt.ankers.controleer(cert, moment=moment)
        self._certs[sleutel] = True

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
        nieuwste = max(kandidaten, key=lambda c: c.geldig_vanaf)
        cert = x509.load_pem_x509_certificate(nieuwste.pem.encode("ascii"))
        self._controleer_certificaat(cert, ontvanger.oin, nu)
        return cert

    def bereikbaar(self, session: Session, oin: str, module: str) -> tuple[Deelnemer | None, str | None]:
        """(participant, None) when it can be reached for this module, else (participant or None,
        why not), so that the user knows another channel is needed (DESIGN §7)."""
        ontvanger = session.get(Deelnemer, oin)
        if ontvanger is None:
            return (
                None,
                "staat niet in het adresboek van het knooppunt: gebruik een ander kanaal (post, e-mail)",
            )
        if module not in adresboek.modules_van(ontvanger):
            return ontvanger, f"doet niet mee aan module {module}: gebruik een ander kanaal (post, e-mail)"
        return ontvanger, None

    def verzegel(
        self, session: Session, bericht: TeVersturen, *, sleutel: Gastsleutel, nu: datetime
    ) -> mailbox.Envelop:
        """Validate the payload and seal it for the recipient (nothing is submitted yet)."""
        if CATALOGUS.zoek(bericht.module, bericht.berichttype) is None:
            raise VerzendFout(
                "ONBEKEND_BERICHTTYPE", f"berichttype {bericht.module}/{bericht.berichttype} bestaat niet"
            )
        try:
            model = valideer(bericht.module, bericht.berichttype, bericht.versie, dict(bericht.payload))
        except OngeldigePayload as exc:
            raise VerzendFout("ONGELDIGE_INHOUD", str(exc), velden=exc.als_invalid_params()) from exc
        except OnbekendPayloadtype as exc:
            raise VerzendFout("ONBEKEND_BERICHTTYPE", str(exc)) from exc
        ontvanger, waarom_niet = self.bereikbaar(session, bericht.ontvanger, bericht.module)
        if ontvanger is None or waarom_niet is not None:
            naam = ontvanger.naam if ontvanger else bericht.ontvanger
            raise VerzendFout("NIET_BEREIKBAAR", f"{naam} {waarom_niet}")
        cert = self.ontvangercertificaat(session, ontvanger, nu)
        ref = (bericht.referentienummer or str(uuid.uuid4())).lower()
        metadata = {
            "referentienummer": ref,
            "conversatieReferentienummer": bericht.conversatie.lower(),
            "crossReferentienummer": bericht.antwoord_op.lower() if bericht.antwoord_op else None,
            "module": bericht.module,
            "berichttype": bericht.berichttype,
            "versie": bericht.versie,
            "afzender": self.oin,
            "ontvanger": ontvanger.oin,
        }
        inhoud = jose.verzegel(
            model.model_dump(mode="json", exclude_none=True),
            metadata=metadata,
            iat=int(time.time()),
            afzender_sleutel=sleutel.sleutel,
            afzender_certificaat=sleutel.certificaat,
            ontvanger_certificaat=cert,
        )
        return mailbox.Envelop(
            referentienummer=ref,
            conversatie_referentienummer=bericht.conversatie.lower(),
            cross_referentienummer=metadata["crossReferentienummer"],
            berichttype=bericht.berichttype,
            module=bericht.module,
            versie=bericht.versie,
            ontvanger=ontvanger.oin,
            inhoud=inhoud,
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

    # --- receiving ----------------------------------------------------------------------------------

    def afzendercertificaten(self, session: Session, oin: str, moment: datetime) -> list[x509.Certificate]:
        deelnemer = session.get(Deelnemer, oin)
        if deelnemer is None:
            raise OngeldigCertificaat(f"afzender {oin} staat niet in het adresboek")
        goed = []
        for c in adresboek.zichtbare_certificaten(deelnemer, nu=moment):
            if not c.gebruik_ondertekening or not (c.geldig_vanaf <= moment < c.geldig_tot):
                continue
            if c.ingetrokken_op is not None and c.ingetrokken_op <= moment:
                continue
            cert = x509.load_pem_x509_certificate(c.pem.encode("ascii"))
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
        self, session: Session, bericht: Bericht, jwe: str | None, *, sleutel: Gastsleutel | None
    ) -> Ontvangen:
        """Open one message: decrypt, verify, validate. Never raises for bad content."""
        env = envelop_van(bericht, jwe)
        if bericht.afzender == HUB:
            return Ontvangen(envelop=env, melding=bericht.melding)
        if jwe is None or sleutel is None:
            return Ontvangen(
                envelop=env, fout="ONTSLEUTELING_MISLUKT", foutdetail="het bericht heeft geen inhoud meer"
            )
        try:
            certificaten = self.afzendercertificaten(session, bericht.afzender, bericht.ontvangen_op)
            geopend = jose.open_(
                jwe,
                ontvanger_sleutel=sleutel.sleutel,
                afzender_certificaten=certificaten,
                envelop=env,
            )
        except jose.OngeldigeEnvelop as exc:
            return Ontvangen(envelop=env, fout=exc.reden, foutdetail=str(exc))
        except OngeldigCertificaat as exc:
            return Ontvangen(envelop=env, fout="HANDTEKENING_ONGELDIG", foutdetail=str(exc))
        try:
            model = valideer(bericht.module, bericht.berichttype, bericht.versie, geopend.payload)
        except (OngeldigePayload, OnbekendPayloadtype) as exc:
            return Ontvangen(envelop=env, fout="INHOUD_ONGELDIG", foutdetail=str(exc))
        return Ontvangen(envelop=env, payload=model.model_dump(mode="json", exclude_none=True))

    def haal_op(
        self,
        *,
        waarvoor: str,
        referentienummers: Sequence[str] | None = None,
        berichttype: str | None = None,
        limiet: int = 1000,
    ) -> list[Ontvangen]:
        """Fetch open messages (marks opgehaaldOp, as the API does) and open them. With
        ``referentienummers`` only those (and only those are marked: reading one answer does not
        mark the rest of the inbox as downloaded); else the oldest ``limiet``."""
        with self.transactie() as (session, nu):
            deelnemer = self.deelnemer(session)
            if referentienummers is not None:
                rijen = self._gekozen(session, deelnemer, referentienummers, berichttype, nu)
            else:
                rijen = mailbox.ophalen(session, deelnemer, nu=nu, limiet=limiet, berichttype=berichttype)
            sleutel = (
                self.sleutel(session, waarvoor, nu) if any(b.afzender != HUB for b, _ in rijen) else None
            )
            return [self.open(session, b, jwe, sleutel=sleutel) for b, jwe in rijen]

    @staticmethod
    def _gekozen(
        session: Session,
        deelnemer: Deelnemer,
        referentienummers: Sequence[str],
        berichttype: str | None,
        nu: datetime,
    ) -> list[tuple[Bericht, str | None]]:
        """The open, unexpired messages among these numbers that are addressed to ``deelnemer``;
        the rest (not its own, confirmed, expired) as if they did not exist."""
        rijen = []
        for ref in dict.fromkeys(r.lower() for r in referentienummers):
            try:
                bericht, jwe = mailbox.een_bericht(session, deelnemer, ref, nu=nu)
            except HubFout:
                continue
            if bericht.status not in ("aangeboden", "opgehaald") or bericht.verloopt_op < nu:
                continue
            if berichttype is None or bericht.berichttype == berichttype:
                rijen.append((bericht, jwe))
        return rijen

    def bevestig(self, referentienummers: Sequence[str]) -> list[tuple[str, Bericht | None, str | None]]:
        with self.transactie() as (session, nu):
            deelnemer = self.deelnemer(session)
            return mailbox.bevestig_meerdere(
                session, deelnemer, list(referentienummers), nu=nu, instellingen=self.rt.instellingen
            )
