"""The participant SDK: talk to a hub over mutual TLS, seal and open messages.

    with HubClient("https://hub.example", cert="mijn.pem", key="mijn-key.pem", ca="ca.pem") as hub:
        verzonden = hub.verstuur(ontvanger=oin_se, berichttype="saldoverzoek", payload={...},
                                 conversatie=str(uuid.uuid4()), module="saldoverzoek")
        for bericht in hub.ontvang():
            ...  # bericht.payload is decrypted, signature-checked and schema-validated
            hub.bevestig(bericht)
            hub.antwoord(bericht, berichttype=bericht.antwoordtypen[0], payload={...})

Any type of any module and version (DESIGN §3–§3b): without ``versie`` the SDK takes the highest
version both parties accept (their adresboek ``versies``, §3a) in which the type exists; an answer
(``antwoord``) or a reference (``antwoord``, ``herinner``) carries its question's module and
version. ``bericht`` builds and validates a message without sending it (for ``verstuur_reeks``).

Everything the hub can check it checks again; what it cannot (the payload) the SDK checks before
sealing and after opening, so that no participant ever sends or accepts content that breaks the
standard (DESIGN §3, §5).
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from knooppunt.client import jose
from knooppunt.client.adresboek import Adresboek, Bereikbaarheid, HubCertificaat, HubDeelnemer
from knooppunt.client.berichten import (
    TeVersturen,
    antwoordtypen,
    controleer_antwoord,
    controleer_type,
    kies_versie,
    valideer_payload,
)
from knooppunt.client.bestanden import lees_payload, lees_reeks
from knooppunt.client.fouten import (
    GeenVertrouwensankers,
    HubFout,
    ServercertificaatNietVertrouwd,
    VerzendFout,
)
from knooppunt.client.logboek import Periodegrens, als_periodegrens
from knooppunt.client.verwerkt import VerwerktInGeheugen, VerwerktRegister
from knooppunt.pki.certificaat import OngeldigCertificaat, lees
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, is_uuid_v4, valideer_oin
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, valideer
from knooppunt.protocol.payloads.velden import bsn_paden

__all__ = [
    "HUB",
    "MAX_PER_VERZENDING",
    "MAX_VERZOEK_BYTES",
    "OPNIEUW_STATUSSEN",
    "HubClient",
    "Ontvangen",
    "Reeksuitkomst",
    "TeVersturen",
    "Verzonden",
    "lees_payload",
    "lees_reeks",
    "open_inhoud",
]

HUB = "KNOOPPUNT"
"""The ``afzender`` of hub-authored notices (foutbericht, ontvangstbevestiging)."""

OPNIEUW_STATUSSEN = frozenset({502, 503, 504})
"""Answers after which a submit is retried with the same referentienummer."""


@dataclass(frozen=True, slots=True)
class Ontvangen:
    """One message from the inbox.

    ``payload`` is set when the content was decrypted, its signature verified against the sender's
    adresboek certificate, its signed metadata matched with the envelope, and the payload validated.
    ``melding`` is set on hub notices. ``fout`` (a weigering code) and ``foutdetail`` say why the
    content cannot be trusted; such a message should be refused (``HubClient.weiger``) — unless
    ``ontbrekende_sleutel`` is set: then the message is sealed for one of the recipient's own
    certificates whose key was not given (after a certificate change), the content is not at fault,
    and it waits until it is fetched with that key (``vorige_sleutels``)."""

    envelop: dict[str, Any]
    payload: dict[str, Any] | None = None
    melding: dict[str, Any] | None = None
    fout: str | None = None
    foutdetail: str | None = None
    ontbrekende_sleutel: str | None = None  # the kid of our certificate it is sealed for

    @property
    def referentienummer(self) -> str:
        return str(self.envelop["referentienummer"])

    @property
    def berichttype(self) -> str:
        return str(self.envelop["berichttype"])

    @property
    def afzender(self) -> str:
        return str(self.envelop["afzender"])

    @property
    def conversatie(self) -> str:
        return str(self.envelop["conversatieReferentienummer"])

    @property
    def module(self) -> str:
        return str(self.envelop["module"])

    @property
    def versie(self) -> str:
        return str(self.envelop["versie"])

    @property
    def van_knooppunt(self) -> bool:
        return self.afzender == HUB

    @property
    def antwoordtypen(self) -> list[str]:
        """The types that may answer (or, like a heroverweging, refer to) this message in its
        module and version; empty when it is not answered."""
        if self.van_knooppunt:
            return []
        return antwoordtypen(self.module, self.berichttype, self.versie)

    def als_json(self) -> dict[str, Any]:
        """The envelope metadata plus ``payload`` / ``melding`` / ``fout``, without the ciphertext."""
        uit = {k: v for k, v in self.envelop.items() if k not in ("inhoud",)}
        if self.payload is not None:
            uit["payload"] = self.payload
        if self.melding is not None:
            uit["melding"] = self.melding
        if self.fout is not None:
            uit["fout"] = {"code": self.fout, "detail": self.foutdetail}
            if self.ontbrekende_sleutel is not None:
                uit["fout"]["ontbrekendeSleutel"] = self.ontbrekende_sleutel
        return uit


@dataclass(slots=True)
class Verzonden:
    """The hub's answer to a submit (its metadata of the message) and the SDK's warnings."""

    bericht: dict[str, Any]
    herhaald: bool = False
    waarschuwingen: list[str] = field(default_factory=list)

    @property
    def referentienummer(self) -> str:
        return str(self.bericht["referentienummer"])


def _eerder(bericht: Mapping[str, Any]) -> str:
    return (
        f"referentienummer {bericht.get('referentienummer')} is al eerder verstuurd als dit bericht "
        f"(ontvangen door het knooppunt op {bericht.get('ontvangenOp')}); het knooppunt houdt dat eerste "
        "bericht aan en deze poging is niet opnieuw verstuurd. Andere inhoud versturen? Gebruik een nieuw "
        "referentienummer."
    )


MAX_PER_VERZENDING = 1000
"""Envelopes in one ``POST /verzendingen`` (DESIGN §4)."""

MAX_VERZOEK_BYTES = 2_000_000
"""JSON bytes per ``POST /verzendingen``: under the hub's default request limit (2 MiB). A hub
configured lower answers 413, and the SDK halves the part."""


@dataclass(slots=True)
class Reeksuitkomst:
    """What became of one message of `HubClient.verstuur_reeks`: ``status`` as the hub answered
    it (201 accepted, 200 a retry, else the refusal's; 0 when the SDK refused it and it was not
    sent), ``bericht`` the hub's metadata of it, or ``fout`` why it was not accepted."""

    index: int
    status: int
    referentienummer: str | None
    bericht: dict[str, Any] | None = None
    fout: HubFout | VerzendFout | None = None
    waarschuwingen: list[str] = field(default_factory=list)

    @property
    def verstuurd(self) -> bool:
        return self.status in (200, 201)

    def als_json(self) -> dict[str, Any]:
        uit: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.bericht is not None:
            uit["bericht"] = self.bericht
        if self.fout is not None:
            uit["fout"] = self.fout.als_json()
        if self.waarschuwingen:
            uit["waarschuwingen"] = self.waarschuwingen
        return uit


def _delen(
    envelops: list[tuple[int, dict[str, Any]]], per_verzoek: int, max_bytes: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Consecutive parts of at most `per_verzoek` envelopes and about `max_bytes` of JSON (an
    envelope larger than that goes alone)."""
    deel: list[tuple[int, dict[str, Any]]] = []
    grootte = 0
    for index, envelop in envelops:
        omvang = len(json.dumps(envelop)) + 2
        if deel and (len(deel) >= per_verzoek or grootte + omvang > max_bytes):
            yield deel
            deel, grootte = [], 0
        deel.append((index, envelop))
        grootte += omvang
    if deel:
        yield deel


JONG_CERTIFICAAT_DAGEN = 7.0
"""DESIGN §5 "Key transparency": a recipient's encryption certificate younger than this is worth
a warning — someone (even the hub's operator) could have registered a key that is not the
recipient's. Configurable per client (``HubClient(jong_certificaat_dagen=...)``)."""


def jong_certificaat(
    certificaat: HubCertificaat, naam: str, dagen: float, nu: datetime | None = None
) -> str | None:
    """The warning about a young encryption certificate of `naam`, or None. Young counts from the
    later of its geldigVanaf and the moment it entered the adresboek (DESIGN §5 key transparency:
    whoever could issue a certificate could backdate it, not its registration)."""
    moment = nu or datetime.now(UTC)
    sinds = certificaat.geldig_vanaf
    if certificaat.toegevoegd_op is not None and certificaat.toegevoegd_op > sinds:
        sinds = certificaat.toegevoegd_op
    leeftijd = moment - sinds
    if dagen <= 0 or leeftijd >= timedelta(days=dagen):
        return None
    uren = max(int(leeftijd.total_seconds() // 3600), 0)
    ouderdom = f"{uren} uur" if uren < 48 else f"{uren // 24} dagen"
    waarom = (
        f"in het adresboek sinds {sinds.isoformat()}"
        if sinds is certificaat.toegevoegd_op
        else f"geldig vanaf {sinds.isoformat()}"
    )
    return (
        f"het versleutelingscertificaat van {naam} is pas {ouderdom} oud ({waarom}); controleer bij "
        f"{naam} langs een ander kanaal dat het van hen is voordat u gevoelige gegevens stuurt"
    )


class HubClient:
    """A participant's connection to the hub (API v1), identified by its client certificate.

    ``cert``/``key``: the participant's PKIoverheid (or development) certificate and private key,
    used for mutual TLS and, unless ``ondertekening`` is given, for signing. ``ca``: the CA bundle
    that signed the hub's server certificate (default: the system store). ``vertrouwensankers``:
    the CAs that may issue participant certificates; adresboek certificates are checked against
    them (default: ``ca``; with neither, nothing is sealed or opened: GeenVertrouwensankers, since
    the SDK cannot tell whose key a certificate is). ``verwerkt``: where processed
    referentienummers are remembered, so a replayed message is refused (default: in memory).
    ``vorige_sleutels``: (certificate, key) pairs of earlier encryption certificates: after a
    certificate change, messages sealed for the old one are still waiting, and each is opened with
    the key its JWE ``kid`` names."""

    def __init__(
        self,
        hub: str,
        *,
        cert: str | Path,
        key: str | Path,
        ca: str | Path | None = None,
        vertrouwensankers: Sequence[str | Path] | None = None,
        ondertekening: tuple[str | Path, str | Path] | None = None,
        vorige_sleutels: Sequence[tuple[str | Path, str | Path]] = (),
        verwerkt: VerwerktRegister | None = None,
        timeout: float = 30.0,
        pogingen: int = 4,
        wachttijd: float = 0.5,
        adresboek_ttl: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        jong_certificaat_dagen: float = JONG_CERTIFICAAT_DAGEN,
    ) -> None:
        self.jong_certificaat_dagen = jong_certificaat_dagen
        basis = hub.rstrip("/")
        if not basis.endswith("/api/v1"):
            basis += "/api/v1"
        self.basis = basis
        self._cert_pad = Path(cert)
        self._key_pad = Path(key)
        try:
            eigen = x509.load_pem_x509_certificate(self._cert_pad.read_bytes())
        except (OSError, ValueError) as exc:
            raise OngeldigCertificaat(f"certificaat {cert} kan niet gelezen worden: {exc}") from exc
        info = lees(eigen)
        if info.oin is None:
            raise OngeldigCertificaat(
                f"certificaat {cert} heeft geen OIN in het serialNumber van het onderwerp"
            )
        self.oin = info.oin
        onderteken_cert, onderteken_key = ondertekening or (cert, key)
        try:
            self._onderteken_cert = x509.load_pem_x509_certificate(Path(onderteken_cert).read_bytes())
            self._onderteken_sleutel = jose.prive_sleutel(Path(onderteken_key).read_bytes())
        except (OSError, ValueError) as exc:
            raise OngeldigCertificaat(f"sleutel {onderteken_key} kan niet gelezen worden: {exc}") from exc
        # The private key for decryption: the same key pair (one certificate for every gebruik)
        # unless a separate signing pair was given, in which case `key` still decrypts.
        try:
            self._ontsleutel_sleutel = jose.prive_sleutel(self._key_pad.read_bytes())
        except (OSError, ValueError) as exc:
            raise OngeldigCertificaat(f"sleutel {key} kan niet gelezen worden: {exc}") from exc
        self._eigen_kid = info.kid
        # The decryption keys by kid (the x5t#S256 of the certificate each belongs to): each
        # message is opened with the key its JWE names.
        self._sleutels: dict[str, jose.Sleutel] = {info.kid: self._ontsleutel_sleutel}
        for vorig_cert, vorige_key in vorige_sleutels:
            try:
                vorig = x509.load_pem_x509_certificate(Path(vorig_cert).read_bytes())
                sleutel = jose.prive_sleutel(Path(vorige_key).read_bytes())
            except (OSError, ValueError) as exc:
                raise OngeldigCertificaat(
                    f"vorig certificaat {vorig_cert} of sleutel {vorige_key} kan niet gelezen worden: {exc}"
                ) from exc
            if not jose.past_bij(sleutel, vorig):
                raise OngeldigCertificaat(f"sleutel {vorige_key} hoort niet bij certificaat {vorig_cert}")
            self._sleutels.setdefault(jose.kid_van(vorig), sleutel)

        ankers: list[Path] = [Path(p) for p in (vertrouwensankers or ([ca] if ca else []))]
        self._ankers = Vertrouwensankers.uit_bestanden(ankers) if ankers else None
        # Adresboek certificates already checked, by object (the cached adresboek entry hands out
        # the same objects until it is fetched again): (certificate, OIN, the window in which its
        # verified chain is valid).
        self._gecontroleerd: dict[int, tuple[x509.Certificate, str, datetime, datetime]] = {}
        self._pogingen = max(1, pogingen)
        self._wachttijd = wachttijd
        self.verwerkt = verwerkt or VerwerktInGeheugen()
        self._ca = str(ca) if ca is not None else None
        context = ssl.create_default_context(cafile=self._ca)
        context.load_cert_chain(str(cert), str(key))
        self._http = httpx.Client(
            base_url=self.basis,
            verify=context,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "knooppunt-sdk"},
        )
        self.adresboek = Adresboek(self._haal_json, ttl=adresboek_ttl)

    # --- plumbing -----------------------------------------------------------------------------------

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _verzoek(
        self,
        methode: str,
        pad: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        antwoorden: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """One request; network errors and 502/503/504 are retried (with Retry-After), which is
        safe because every write of API v1 is idempotent (submit by referentienummer, confirm and
        refuse by their nature). A status in ``antwoorden`` is returned, not raised."""
        schoon = {k: v for k, v in (params or {}).items() if v is not None}
        laatste: Exception | None = None
        for poging in range(self._pogingen):
            if poging:
                time.sleep(min(self._wachttijd * 2 ** (poging - 1), 10.0))
            try:
                antwoord = self._http.request(methode, pad, json=json_body, params=schoon)
            except httpx.TransportError as exc:
                niet_vertrouwd = _certificaatfout(exc)
                if niet_vertrouwd is not None:  # configuration, not the network: retrying cannot help
                    raise ServercertificaatNietVertrouwd(
                        self.basis.removesuffix("/api/v1"), niet_vertrouwd, ca=self._ca
                    ) from exc
                laatste = exc
                continue
            if antwoord.status_code in OPNIEUW_STATUSSEN and poging + 1 < self._pogingen:
                na = antwoord.headers.get("Retry-After", "")
                if na.isdigit():
                    time.sleep(min(float(na), 10.0))
                laatste = HubFout.uit_antwoord(antwoord)
                continue
            if antwoord.status_code >= 400 and antwoord.status_code not in antwoorden:
                raise HubFout.uit_antwoord(antwoord)
            return antwoord
        if isinstance(laatste, HubFout):
            raise laatste
        raise HubFout(
            status=0,
            code="NIET_BEREIKBAAR",
            titel="Het knooppunt is niet bereikbaar",
            detail=f"{methode} {self.basis}{pad} mislukte {self._pogingen} keer: {laatste}",
        )

    def _haal_json(self, pad: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._verzoek("GET", pad, params=params).json()

    # --- sending ------------------------------------------------------------------------------------

    def verstuur(
        self,
        *,
        ontvanger: str,
        berichttype: str,
        payload: Mapping[str, Any],
        conversatie: str,
        module: str = "schuldregeling",
        versie: str | None = None,
        antwoord_op: str | None = None,
        referentienummer: str | None = None,
    ) -> Verzonden:
        """Validate the payload, sign it, encrypt it for the recipient and submit the envelope.

        Any type of any module: ``versie`` None takes the version of the message ``antwoord_op``
        names, or else the highest version both parties accept in which the type exists.
        Raises ``VerzendFout`` (before anything is sent) when the type does not exist in that
        version, the parties have no version in common, the payload is invalid or the recipient
        cannot be reached through the hub for this module, and ``HubFout`` when the hub refuses
        the envelope (with its problem+json code, e.g. ``ONGELDIG_ANTWOORD``)."""
        return self.verstuur_bericht(
            TeVersturen(
                ontvanger=ontvanger,
                berichttype=berichttype,
                payload=payload,
                conversatie=conversatie,
                module=module,
                versie=versie,
                antwoord_op=antwoord_op,
                referentienummer=referentienummer,
            )
        )

    def verstuur_bericht(self, bericht: TeVersturen) -> Verzonden:
        """Seal and submit one message built with `bericht`, `antwoord_bericht` or by hand.

        With your own ``referentienummer`` a retry is safe: sealing again makes another body (a
        new JWE), which the hub answers with 409 ``REFERENTIENUMMER_CONFLICT``; when you already
        sent that number as the same message (recipient, type, module, version, conversation and
        reference), the result is the original's (``herhaald``, with a warning), not an error."""
        envelop, waarschuwingen = self._verzegel(bericht)
        try:
            antwoord = self._verzoek("POST", "/berichten", json_body=envelop)
        except HubFout as fout:
            eerder = self._al_verstuurd(bericht, envelop, fout)
            if eerder is None:
                raise
            return Verzonden(bericht=eerder, herhaald=True, waarschuwingen=[*waarschuwingen, _eerder(eerder)])
        return Verzonden(
            bericht=antwoord.json(), herhaald=antwoord.status_code == 200, waarschuwingen=waarschuwingen
        )

    def _al_verstuurd(
        self,
        bericht: TeVersturen,
        envelop: Mapping[str, Any],
        fout: HubFout | VerzendFout | None,
        tijdlijnen: dict[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any] | None:
        """The hub's metadata of the message this sender already sent under the referentienummer it
        gave `bericht`, when the hub refused this one as ``REFERENTIENUMMER_CONFLICT`` and that one
        is the same message (recipient, type, module, version, conversation, reference); else None.
        Its content cannot be compared (it is sealed for the recipient): the first one stands."""
        if bericht.referentienummer is None or fout is None or fout.code != "REFERENTIENUMMER_CONFLICT":
            return None
        gevonden = self._genoemd(
            str(envelop["conversatieReferentienummer"]), str(envelop["referentienummer"]), tijdlijnen
        )
        if gevonden is None or gevonden.get("afzender") != self.oin:
            return None
        velden = ("ontvanger", "berichttype", "module", "versie", "crossReferentienummer")
        if any(gevonden.get(veld) != envelop.get(veld) for veld in velden):
            return None
        return gevonden

    def bericht(
        self,
        module: str,
        berichttype: str,
        payload: Mapping[str, Any],
        *,
        ontvanger: str,
        conversatie: str,
        versie: str | None = None,
        antwoord_op: str | None = None,
        referentienummer: str | None = None,
    ) -> TeVersturen:
        """Build one message of any (module, berichttype, versie): the version settled (as
        `verstuur` settles it) and the payload validated against that version's schema and
        normalised. Nothing is sent; ``VerzendFout`` says in Dutch what is wrong."""
        te_versturen = TeVersturen(
            ontvanger=ontvanger,
            berichttype=berichttype,
            payload=payload,
            conversatie=conversatie,
            module=module,
            versie=versie,
            antwoord_op=antwoord_op,
            referentienummer=referentienummer,
        )
        ontvanger_entry = self._bereikbare(te_versturen)
        gekozen = self._versie_voor(te_versturen, ontvanger_entry)
        gevalideerd = valideer_payload(module, berichttype, gekozen, payload, afzender_rol=self._eigen_rol())
        return replace(te_versturen, versie=gekozen, payload=gevalideerd)

    def _eigen_rol(self) -> str | None:
        """This participant's role in the adresboek (cached), for the payload rules that depend on it."""
        eigen = self.adresboek.deelnemer(self.oin)
        return eigen.rol if eigen is not None else None

    def _bereikbare(self, bericht: TeVersturen) -> HubDeelnemer:
        """The recipient's adresboek entry, if it can be reached for the message's module."""
        if CATALOGUS.module(bericht.module) is None or not CATALOGUS.versies(
            bericht.module, bericht.berichttype
        ):
            controleer_type(bericht.module, bericht.berichttype, bericht.versie or "")
        try:
            if valideer_oin(bericht.ontvanger) != bericht.ontvanger:
                raise OngeldigeIdentificatie(f"OIN {bericht.ontvanger!r} bevat spaties")
        except OngeldigeIdentificatie as exc:
            raise VerzendFout(
                "ONGELDIGE_OIN", f"ontvanger: {exc}", velden=[{"name": "ontvanger", "reason": str(exc)}]
            ) from exc
        if not is_uuid_v4(bericht.conversatie.lower()):
            reden = (
                f"{bericht.conversatie!r} is geen UUIDv4: een conversatie is het traject van één cliënt "
                "(DESIGN §2); maak er per cliënt een nieuwe aan met uuid4()"
            )
            raise VerzendFout(
                "ONGELDIGE_CONVERSATIE",
                f"conversatieReferentienummer: {reden}",
                velden=[{"name": "conversatieReferentienummer", "reason": reden}],
            )
        bereik = self.adresboek.bereikbaar(bericht.ontvanger, bericht.module, afzender=self.oin)
        if not bereik.bereikbaar or bereik.deelnemer is None:
            # The hub's own code when it is the sender that has not joined the module (DESIGN §2).
            raise VerzendFout(
                "NIET_BEREIKBAAR" if bereik.eigen_module else "MODULE_NIET_ACTIEF", bereik.reden
            )
        return bereik.deelnemer

    def _versie_voor(
        self,
        bericht: TeVersturen,
        ontvanger: HubDeelnemer,
        tijdlijnen: dict[str, list[dict[str, Any]]] | None = None,
    ) -> str:
        """The version a message goes in (DESIGN §3a): the one given, or that of the message it
        names, or the highest both parties accept in which its type exists. A new message in a
        version one of the two does not accept is refused here, as the hub would."""
        module, code = bericht.module, bericht.berichttype
        if bericht.versie is not None:
            controleer_type(module, code, bericht.versie)
            if bericht.antwoord_op is None:
                self._controleer_acceptatie(module, bericht.versie, ontvanger)
            return bericht.versie
        if bericht.antwoord_op is not None:
            genoemd = self._genoemd(bericht.conversatie, bericht.antwoord_op, tijdlijnen)
            if genoemd is not None:
                if str(genoemd.get("module")) != module:
                    raise VerzendFout(
                        "ANDERE_MODULE",
                        f"bericht {bericht.antwoord_op} is van module {genoemd.get('module')}; een antwoord "
                        f"of verwijzing blijft in die module, niet in {module}",
                    )
                versie = str(genoemd["versie"])
                controleer_type(module, code, versie)
                return versie
        return kies_versie(module, code, self._eigen_versies(module), ontvanger.versies(module))

    def _eigen_versies(self, module: str) -> tuple[str, ...]:
        eigen = self.adresboek.deelnemer(self.oin)
        return eigen.versies(module) if eigen is not None else CATALOGUS.moduleversies(module)

    def _controleer_acceptatie(self, module: str, versie: str, ontvanger: HubDeelnemer) -> None:
        eigen, ander = self._eigen_versies(module), ontvanger.versies(module)
        if versie in eigen and versie in ander:
            return
        # Our copy of the adresboek may be older than a change of versions: ask once more.
        verse_eigen = self.adresboek.deelnemer(self.oin, vers=True)
        verse_ander = self.adresboek.deelnemer(ontvanger.oin, vers=True) or ontvanger
        eigen = verse_eigen.versies(module) if verse_eigen is not None else CATALOGUS.moduleversies(module)
        ander = verse_ander.versies(module)
        if versie in eigen and versie in ander:
            return
        wie = "u" if versie not in eigen else ontvanger.naam
        gemeen = [v for v in eigen if v in ander]
        raise VerzendFout(
            "VERSIE_NIET_ONDERSTEUND",
            f"versie {versie} van module {module} wordt niet ondersteund door {wie}; "
            + (
                f"u en {ontvanger.naam} ondersteunen beide versie {', '.join(gemeen)}"
                if gemeen
                else f"u en {ontvanger.naam} hebben geen versie van deze module gemeen"
            ),
        )

    def _genoemd(
        self,
        conversatie: str,
        referentienummer: str,
        tijdlijnen: dict[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any] | None:
        """The metadata of the message a new one answers or refers to, from the conversation's
        timeline (None when it is not there: the hub then refuses the reference). ``tijdlijnen``:
        timelines already fetched, by conversation (one request per conversation in a reeks)."""
        sleutel = conversatie.lower()
        tijdlijn = tijdlijnen.get(sleutel) if tijdlijnen is not None else None
        if tijdlijn is None:
            try:
                tijdlijn = self.conversatie(sleutel)
            except HubFout:
                return None
            if tijdlijnen is not None:
                tijdlijnen[sleutel] = tijdlijn
        ref = referentienummer.lower()
        return next((b for b in tijdlijn if str(b.get("referentienummer")) == ref), None)

    def _verzegel(
        self, bericht: TeVersturen, tijdlijnen: dict[str, list[dict[str, Any]]] | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """The envelope of one message, its payload validated, signed and sealed for the recipient,
        and the SDK's warnings about it; raises ``VerzendFout`` when it cannot be sent."""
        module, berichttype = bericht.module, bericht.berichttype
        ontvanger, conversatie = bericht.ontvanger, bericht.conversatie
        if bericht.versie is not None:
            # The payload first, as it never depends on the adresboek.
            valideer_payload(module, berichttype, bericht.versie, bericht.payload)
        deelnemer = self._bereikbare(bericht)
        versie = self._versie_voor(bericht, deelnemer, tijdlijnen)
        gevalideerd = valideer_payload(
            module, berichttype, versie, bericht.payload, afzender_rol=self._eigen_rol()
        )
        if not deelnemer.gebruikt_bsn and (paden := bsn_paden(gevalideerd)):
            # DESIGN §3: "BSN only to creditors with gebruiktBsn" is a payload rule the SDK enforces.
            raise VerzendFout(
                "BSN_NIET_TOEGESTAAN",
                f"{deelnemer.naam} ({ontvanger}) identificeert klanten niet met een BSN (gebruiktBsn is "
                f"false in het adresboek): laat {', '.join(paden)} weg",
                velden=[{"name": pad, "reason": "geen BSN aan deze ontvanger"} for pad in paden],
            )
        gekozen = deelnemer.versleutelcertificaat_info()
        cert = None if gekozen is None else gekozen.certificaat
        if gekozen is None or cert is None:
            raise VerzendFout(
                "GEEN_SLEUTEL",
                f"{deelnemer.naam} ({ontvanger}) heeft geen geldig versleutelingscertificaat in het "
                "adresboek; vraag de beheerder van het knooppunt het te registreren",
            )
        self._controleer_certificaat(cert, ontvanger)
        waarschuwingen = self._waarschuwingen(berichttype, module, ontvanger, conversatie)
        if (jong := jong_certificaat(gekozen, deelnemer.naam, self.jong_certificaat_dagen)) is not None:
            waarschuwingen.append(jong)
        ref = (bericht.referentienummer or str(uuid.uuid4())).lower()
        metadata = {
            "referentienummer": ref,
            "conversatieReferentienummer": conversatie.lower(),
            "crossReferentienummer": bericht.antwoord_op.lower() if bericht.antwoord_op else None,
            "module": module,
            "berichttype": berichttype,
            "versie": versie,
            "afzender": self.oin,
            "ontvanger": ontvanger,
        }
        inhoud = jose.verzegel(
            gevalideerd,
            metadata=metadata,
            iat=int(time.time()),
            afzender_sleutel=self._onderteken_sleutel,
            afzender_certificaat=self._onderteken_cert,
            ontvanger_certificaat=cert,
        )
        envelop = {k: v for k, v in metadata.items() if k != "afzender"} | {"inhoud": inhoud}
        return envelop, waarschuwingen

    def verstuur_reeks(
        self,
        berichten: Iterable[TeVersturen],
        *,
        alles_of_niets: bool = False,
        per_verzoek: int = MAX_PER_VERZENDING,
        max_verzoek_bytes: int = MAX_VERZOEK_BYTES,
    ) -> list[Reeksuitkomst]:
        """Send many messages through ``POST /verzendingen``: each validated, signed and sealed as
        `verstuur` does, then submitted in requests of at most ``per_verzoek`` (≤ 1,000) envelopes
        and ``max_verzoek_bytes`` of JSON, in order; the hub judges them in that order, each seeing
        the ones accepted before it. Returns one outcome per message, in order; never raises for a
        refused message (its outcome has ``fout``). A request the network or the hub (502/503/504)
        lost is sent again with the same bodies (the same referentienummers: the original results).

        ``alles_of_niets``: every message is accepted or none is stored; then at most one request
        is made (so at most 1,000 messages, and none is sent if the SDK refuses one)."""
        lijst = list(berichten)
        per_verzoek = max(1, min(per_verzoek, MAX_PER_VERZENDING))
        if alles_of_niets and len(lijst) > per_verzoek:
            raise VerzendFout(
                "TE_VEEL",
                f"met alles_of_niets kunnen hoogstens {per_verzoek} berichten tegelijk, niet {len(lijst)}: "
                "het knooppunt neemt alles of niets per verzoek aan",
            )
        uitkomsten: list[Reeksuitkomst | None] = [None] * len(lijst)
        klaar: list[tuple[int, dict[str, Any]]] = []
        waarschuwingen: dict[int, list[str]] = {}
        # An answer without versie takes its question's from the conversation: one look-up each.
        tijdlijnen: dict[str, list[dict[str, Any]]] = {}
        for index, bericht in enumerate(lijst):
            try:
                envelop, waarschuwingen[index] = self._verzegel(bericht, tijdlijnen)
            except VerzendFout as fout:
                uitkomsten[index] = Reeksuitkomst(index, 0, bericht.referentienummer, fout=fout)
                continue
            klaar.append((index, envelop))
        if alles_of_niets and len(klaar) < len(lijst):
            niet = VerzendFout(
                "NIET_VERSTUURD",
                "niet verstuurd: met alles_of_niets gaat niets weg zolang de SDK een bericht weigert",
            )
            for index, envelop in klaar:
                uitkomsten[index] = Reeksuitkomst(index, 0, envelop["referentienummer"], fout=niet)
            klaar = []
        for deel in _delen(klaar, per_verzoek, max_verzoek_bytes):
            for uitkomst in self._verzend_deel(deel, alles_of_niets, max_verzoek_bytes):
                uitkomst.waarschuwingen.extend(waarschuwingen.get(uitkomst.index, []))
                uitkomsten[uitkomst.index] = uitkomst
        self._herken_eerder_verstuurd(lijst, dict(klaar), uitkomsten, tijdlijnen, alles_of_niets)
        return [u for u in uitkomsten if u is not None]

    def _herken_eerder_verstuurd(
        self,
        lijst: list[TeVersturen],
        enveloppen: dict[int, dict[str, Any]],
        uitkomsten: list[Reeksuitkomst | None],
        tijdlijnen: dict[str, list[dict[str, Any]]],
        alles_of_niets: bool,
    ) -> None:
        """A reeks run again (each line with its own referentienummer): a line already sent as the
        same message is the original's outcome (200, with a warning), not a conflict. With
        ``alles_of_niets`` the hub stored nothing because of those; the rest, when nothing else was
        refused, is sent once more, all or nothing."""
        # The conversations as they are now (the ones fetched before sending may predate a retry).
        tijdlijnen.clear()
        herkend = 0
        for index, uitkomst in enumerate(uitkomsten):
            if uitkomst is None or index not in enveloppen:
                continue
            eerder = self._al_verstuurd(lijst[index], enveloppen[index], uitkomst.fout, tijdlijnen)
            if eerder is not None:
                uitkomsten[index] = Reeksuitkomst(
                    index,
                    200,
                    uitkomst.referentienummer,
                    bericht=eerder,
                    waarschuwingen=[*uitkomst.waarschuwingen, _eerder(eerder)],
                )
                herkend += 1
        if not (alles_of_niets and herkend):
            return
        rest = [u for u in uitkomsten if u is not None and not u.verstuurd]
        if not rest or any(u.fout is None or u.fout.code != "NIET_VERSTUURD" for u in rest):
            return
        opnieuw = [(u.index, enveloppen[u.index]) for u in rest]
        for uitkomst in self._verzend_deel(opnieuw, True, MAX_VERZOEK_BYTES):
            if (vorige := uitkomsten[uitkomst.index]) is not None:
                uitkomst.waarschuwingen.extend(vorige.waarschuwingen)
            uitkomsten[uitkomst.index] = uitkomst

    def _verzend_deel(
        self, deel: list[tuple[int, dict[str, Any]]], alles_of_niets: bool, max_verzoek_bytes: int
    ) -> list[Reeksuitkomst]:
        """One ``POST /verzendingen``; a part the hub finds too large (its limit is lower than
        ours) is halved and sent again, down to a single envelope, whose refusal is its outcome."""
        try:
            antwoord = self._verzoek(
                "POST",
                "/verzendingen",
                json_body={"berichten": [e for _, e in deel], "allesOfNiets": alles_of_niets},
                antwoorden=frozenset({422}),
            )
        except HubFout as fout:
            if fout.status == 413 and len(deel) > 1 and not alles_of_niets:
                helft = len(deel) // 2
                return self._verzend_deel(deel[:helft], False, max_verzoek_bytes) + self._verzend_deel(
                    deel[helft:], False, max_verzoek_bytes
                )
            return [Reeksuitkomst(i, fout.status, e["referentienummer"], fout=fout) for i, e in deel]
        body = antwoord.json()
        if antwoord.status_code == 422 and not isinstance(body.get("berichten"), list):
            weigering = HubFout.uit_antwoord(antwoord)
            return [Reeksuitkomst(i, 422, e["referentienummer"], fout=weigering) for i, e in deel]
        uit = []
        for (index, envelop), resultaat in zip(deel, body["berichten"], strict=True):
            probleem = resultaat.get("probleem")
            uit.append(
                Reeksuitkomst(
                    index,
                    int(resultaat["status"]),
                    envelop["referentienummer"],
                    bericht=resultaat.get("bericht"),
                    fout=HubFout.uit_probleem(probleem) if probleem else None,
                )
            )
        return uit

    def antwoord_bericht(
        self,
        op: Ontvangen,
        *,
        berichttype: str,
        payload: Mapping[str, Any],
        versie: str | None = None,
        referentienummer: str | None = None,
    ) -> TeVersturen:
        """Build the answer to a received message (or a message that refers to it, such as a
        heroverweging to a niet-akkoord): in its conversation, module and version, addressed to
        its sender, ``crossReferentienummer`` pointing at it (DESIGN §3, §3a). ``VerzendFout``
        when ``berichttype`` does not answer that type in that version (naming the ones that do),
        or ``versie`` is not the question's."""
        if op.van_knooppunt:
            raise VerzendFout("GEEN_ANTWOORD", "een melding van het knooppunt wordt niet beantwoord")
        if versie is not None and versie != op.versie:
            raise VerzendFout(
                "ANDERE_VERSIE",
                f"een antwoord heeft de versie van zijn vraag: {op.berichttype} {op.referentienummer} is "
                f"versie {op.versie}, niet {versie}",
            )
        controleer_antwoord(op.module, op.berichttype, op.versie, berichttype)
        return self.bericht(
            op.module,
            berichttype,
            payload,
            ontvanger=op.afzender,
            conversatie=op.conversatie,
            versie=op.versie,
            antwoord_op=op.referentienummer,
            referentienummer=referentienummer,
        )

    def antwoord(
        self,
        op: Ontvangen,
        *,
        berichttype: str,
        payload: Mapping[str, Any],
        versie: str | None = None,
        referentienummer: str | None = None,
    ) -> Verzonden:
        """Answer a received message (see `antwoord_bericht`) and submit it."""
        return self.verstuur_bericht(
            self.antwoord_bericht(
                op, berichttype=berichttype, payload=payload, versie=versie, referentienummer=referentienummer
            )
        )

    def herinner(
        self,
        vraag: Verzonden | Mapping[str, Any],
        *,
        payload: Mapping[str, Any],
        berichttype: str = "reminder",
    ) -> Verzonden:
        """Send a reminder about a question you sent (its `Verzonden`, or its metadata from
        `verzonden`): to the same recipient, in its conversation, module and version, referring to
        it (art. 15.1). A reminder does not answer: the question stays open."""
        metadata = vraag.bericht if isinstance(vraag, Verzonden) else vraag
        module, versie = str(metadata["module"]), str(metadata["versie"])
        controleer_antwoord(module, str(metadata["berichttype"]), versie, berichttype, ontvangen=False)
        return self.verstuur(
            ontvanger=str(metadata["ontvanger"]),
            berichttype=berichttype,
            payload=payload,
            conversatie=str(metadata["conversatieReferentienummer"]),
            module=module,
            versie=versie,
            antwoord_op=str(metadata["referentienummer"]),
        )

    def _waarschuwingen(self, berichttype: str, module: str, ontvanger: str, conversatie: str) -> list[str]:
        """What the SDK warns about but the hub does not refuse (DESIGN §3)."""
        if berichttype != "betaalvoorstel":
            return []
        try:
            tijdlijn = self.conversatie(conversatie)
        except HubFout:
            return []
        gemeld = {
            b["berichttype"]
            for b in tijdlijn
            if b["afzender"] == ontvanger
            and b.get("module", module) == module
            and b["berichttype"] in ("klant_onbekend", "geen_medewerking")
        }
        if gemeld:
            wat = "'klant onbekend'" if "klant_onbekend" in gemeld else "'geen medewerking'"
            return [
                f"deze schuldeiser meldde eerder {wat} in deze conversatie (art. 8.1); een "
                "betaalvoorstel is alleen zinvol als u de vordering via een ander kanaal kent (art. 9.1)"
            ]
        return []

    # --- receiving ----------------------------------------------------------------------------------

    def inbox(
        self,
        *,
        limit: int = 100,
        berichttype: str | None = None,
        afzender: str | None = None,
        module: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every open message for you, oldest first, as the hub sends it (pages followed)."""
        volgende: str | None = None
        while True:
            pagina = self._haal_json(
                "/berichten",
                {
                    "limit": limit,
                    "berichttype": berichttype,
                    "afzender": afzender,
                    "module": module,
                    "volgende": volgende,
                },
            )
            yield from pagina["berichten"]
            volgende = pagina.get("volgende")
            if not volgende:
                return

    def ontvang(
        self,
        *,
        limit: int = 100,
        berichttype: str | None = None,
        afzender: str | None = None,
        module: str | None = None,
    ) -> Iterator[Ontvangen]:
        """The inbox, each message opened (decrypted, verified, validated) or with the reason it
        cannot be trusted."""
        for envelop in self.inbox(limit=limit, berichttype=berichttype, afzender=afzender, module=module):
            yield self.open(envelop)

    def open(self, envelop: Mapping[str, Any]) -> Ontvangen:
        """Open one envelope from the inbox. Never raises for bad content: the result says why."""
        env = dict(envelop)
        if env.get("afzender") == HUB or env.get("melding") is not None:
            return Ontvangen(envelop=env, melding=env.get("melding"))
        ref = str(env.get("referentienummer", ""))
        if self.verwerkt.bevat(ref):
            return Ontvangen(
                envelop=env, fout="AL_VERWERKT", foutdetail=f"referentienummer {ref} is al verwerkt"
            )
        inhoud = env.get("inhoud")
        if not isinstance(inhoud, str):
            return Ontvangen(
                envelop=env, fout="ONTSLEUTELING_MISLUKT", foutdetail="het bericht heeft geen inhoud meer"
            )

        def open_met_onze_sleutels() -> Ontvangen:
            return open_inhoud(
                env,
                inhoud,
                sleutel=self._sleutels,
                certificaten=lambda: self._afzendercertificaten(str(env["afzender"]), env.get("ontvangenOp")),
                afzender_rol=lambda: self._afzender_rol(str(env["afzender"])),
            )

        ontvangen = open_met_onze_sleutels()
        if ontvangen.ontbrekende_sleutel is not None and self._sleutel_voor(ontvangen.ontbrekende_sleutel):
            ontvangen = open_met_onze_sleutels()
        return ontvangen

    def _afzender_rol(self, oin: str) -> str | None:
        """The sender's role in the adresboek (its certificates were just looked up there)."""
        deelnemer = self.adresboek.deelnemer(oin, vers=False) or self.adresboek.deelnemer(oin, vers=True)
        return deelnemer.rol if deelnemer is not None else None

    def _sleutel_voor(self, kid: str) -> bool:
        """A JWE sealed for another certificate of ours on the same key pair (a renewal that kept
        the key): the key we hold opens it. Looked up in our own adresboek entry only when no key
        of ours has this kid (opening names it), and then remembered."""
        try:
            eigen = self.adresboek.deelnemer(self.oin)
        except HubFout:
            return False  # opening then says which key is missing
        for c in eigen.certificaten if eigen is not None else ():
            if jose.kid_van(c.certificaat) != kid:
                continue
            for sleutel in list(self._sleutels.values()):
                if jose.past_bij(sleutel, c.certificaat):
                    self._sleutels[kid] = sleutel
                    return True
        return False

    def _afzendercertificaten(self, oin: str, ontvangen_op: Any) -> list[x509.Certificate]:
        """The sender's signing certificates that were valid when the hub received the message
        (retired ones stay in the adresboek for a while, DESIGN §5), each checked against our
        trust anchors and the sender's OIN."""
        deelnemer = self.adresboek.deelnemer(oin, vers=False)
        if deelnemer is None:
            deelnemer = self.adresboek.deelnemer(oin, vers=True)
        if deelnemer is None:
            raise OngeldigCertificaat(f"afzender {oin} staat niet in het adresboek")
        moment = _tijdstip(ontvangen_op)
        kandidaten = deelnemer.ondertekencertificaten(moment)
        if not kandidaten:
            # The certificate may have been registered after our cached copy: ask once more.
            deelnemer = self.adresboek.deelnemer(oin, vers=True) or deelnemer
            kandidaten = deelnemer.ondertekencertificaten(moment)
        goed = []
        for cert in kandidaten:
            try:
                self._controleer_certificaat(cert, oin, moment=moment)
            except OngeldigCertificaat:
                continue
            goed.append(cert)
        if not goed:
            raise OngeldigCertificaat(
                f"geen ondertekeningscertificaat van {oin} dat geldig was op {moment.isoformat()} en door "
                "een vertrouwde CA is uitgegeven"
            )
        return goed

    def _controleer_certificaat(
        self, cert: x509.Certificate, oin: str, *, moment: datetime | None = None
    ) -> None:
        """An adresboek certificate must carry the participant's OIN and chain to our own anchors:
        the SDK does not take the hub's word for whose key it is (DESIGN §5). A certificate found
        good is good at any moment in its verified chain's validity (signatures and extensions do
        not depend on the moment), so the next message of the same sender skips the fingerprint,
        the name parsing and the chain look-up."""
        moment = moment or datetime.now(UTC)
        gevonden = self._gecontroleerd.get(id(cert))
        if (
            gevonden is not None
            and gevonden[0] is cert
            and gevonden[1] == oin
            and gevonden[2] <= moment < gevonden[3]
        ):
            return
        eigen_oin = _oin_van(cert)
        if eigen_oin != oin:
            raise OngeldigCertificaat(
                f"certificaat {lees(cert).vingerafdruk[:16]}… in het adresboek hoort bij OIN {eigen_oin}, "
                f"niet bij {oin}"
            )
        if self._ankers is None:
            raise GeenVertrouwensankers()
        keten = self._ankers.controleer(cert, moment=moment)
        vanaf = max(c.not_valid_before_utc for c in keten)
        tot = min(c.not_valid_after_utc for c in keten)
        if len(self._gecontroleerd) >= 1024:
            self._gecontroleerd.clear()
        self._gecontroleerd[id(cert)] = (cert, oin, vanaf, tot)

    def bevestig(self, bericht: Ontvangen | str) -> dict[str, Any]:
        """Confirm receipt: the hub deletes the content and the answer term starts. Remembers the
        referentienummer as processed."""
        ref = bericht.referentienummer if isinstance(bericht, Ontvangen) else bericht
        antwoord = self._verzoek("POST", f"/berichten/{ref}/bevestiging").json()
        self.verwerkt.voeg_toe([ref])
        return dict(antwoord)

    def bevestig_meerdere(self, berichten: Sequence[Ontvangen | str]) -> list[dict[str, Any]]:
        """Confirm up to 1,000 per request; returns the hub's outcome per referentienummer."""
        refs = [b.referentienummer if isinstance(b, Ontvangen) else b for b in berichten]
        uitkomsten: list[dict[str, Any]] = []
        for start in range(0, len(refs), 1000):
            deel = refs[start : start + 1000]
            antwoord = self._verzoek("POST", "/bevestigingen", json_body={"referentienummers": deel}).json()
            uitkomsten.extend(antwoord["bevestigingen"])
        self.verwerkt.voeg_toe(
            [u["referentienummer"] for u in uitkomsten if u["status"] in ("bevestigd", "beantwoord")]
        )
        return uitkomsten

    def weiger(self, bericht: Ontvangen | str, reden: str | None = None) -> dict[str, Any]:
        """Refuse content that cannot be decrypted, verified or validated; the sender is told."""
        if isinstance(bericht, Ontvangen):
            ref, code = bericht.referentienummer, reden or bericht.fout or "INHOUD_ONGELDIG"
        else:
            ref, code = bericht, reden or "INHOUD_ONGELDIG"
        return dict(self._verzoek("POST", f"/berichten/{ref}/weigering", json_body={"reden": code}).json())

    # --- following up -------------------------------------------------------------------------------

    def verzonden(
        self,
        *,
        status: str | None = None,
        conversatie: str | None = None,
        module: str | None = None,
        limit: int = 100,
    ) -> Iterator[dict[str, Any]]:
        volgende: str | None = None
        while True:
            pagina = self._haal_json(
                "/verzonden",
                {
                    "status": status,
                    "conversatieReferentienummer": conversatie,
                    "module": module,
                    "limit": limit,
                    "volgende": volgende,
                },
            )
            yield from pagina["berichten"]
            volgende = pagina.get("volgende")
            if not volgende:
                return

    def logboek(
        self,
        *,
        vanaf: Periodegrens = None,
        tot: Periodegrens = None,
        richting: str | None = None,
        module: str | None = None,
        berichttype: str | None = None,
        limit: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """The metadata of everything you sent or received in [vanaf, tot), oldest first, confirmed,
        refused and expired messages included (pages followed). A date is the start of that day in
        Europe/Amsterdam, and so is a datetime without a time zone; without ``tot`` the period ends
        now, without ``vanaf`` it starts 30 days before ``tot``. ``richting``: ``verzonden`` or
        ``ontvangen`` (default both)."""
        params = {
            "vanaf": als_periodegrens(vanaf),
            "tot": als_periodegrens(tot),
            "richting": richting,
            "module": module,
            "berichttype": berichttype,
            "limit": limit,
        }
        volgende: str | None = None
        while True:
            pagina = self._haal_json("/logboek", params | {"volgende": volgende})
            yield from pagina["berichten"]
            volgende = pagina.get("volgende")
            if not volgende:
                return

    def conversatie(self, conversatie: str) -> list[dict[str, Any]]:
        return list(self._haal_json(f"/conversaties/{conversatie}")["berichten"])

    def in_conversatie(self, conversatie: str, referentienummer: str) -> dict[str, Any] | None:
        """The metadata of one message you sent or received in a conversation (its module and
        versie, for an answer), or None."""
        return self._genoemd(conversatie, referentienummer)

    def berichttypen(self, *, module: str | None = None, versie: str | None = None) -> list[dict[str, Any]]:
        """The hub's catalogue (``/berichttypen``): every type once per version, with its JSON
        Schema and answer term; optionally of one module and/or version."""
        return list(self._haal_json("/berichttypen", {"module": module, "versie": versie})["berichttypen"])

    def bereikbaar(self, oin: str, module: str = "schuldregeling") -> Bereikbaarheid:
        """Can this participant be reached through the hub for this module — by you: both of you
        must have joined it (DESIGN §2)? If not, ``reden`` says why, so vendor software can fall
        back to e-mail or a letter (``eigen_module`` False: you have not joined the module
        yourself; the hub's beheer can add it)."""
        return self.adresboek.bereikbaar(oin, module, afzender=self.oin)

    def deelnemer(self, oin: str) -> HubDeelnemer | None:
        return self.adresboek.deelnemer(oin)


def open_inhoud(
    env: dict[str, Any],
    inhoud: str,
    *,
    sleutel: jose.Sleutel | Mapping[str, jose.Sleutel],
    certificaten: Callable[[], list[x509.Certificate]],
    afzender_rol: Callable[[], str | None] | None = None,
) -> Ontvangen:
    """Decrypt, verify against the sender's certificates (looked up by ``certificaten``), compare the
    signed metadata with the envelope, validate the payload — with ``afzender_rol`` (the sender's
    role in the adresboek) also the module's rules that depend on it, which the sender's SDK should
    have applied (a bewindvoerder's saldoverzoek rests on the beschikking, DESIGN §3b); the outcome,
    never an exception for bad content. Shared by the SDK and the portal's hosted client."""
    try:
        geopend = jose.open_(
            inhoud, ontvanger_sleutel=sleutel, afzender_certificaten=certificaten(), envelop=env
        )
    except jose.SleutelOntbreekt as exc:
        return Ontvangen(envelop=env, fout=exc.reden, foutdetail=str(exc), ontbrekende_sleutel=exc.kid)
    except jose.OngeldigeEnvelop as exc:
        return Ontvangen(envelop=env, fout=exc.reden, foutdetail=str(exc))
    except (HubFout, OngeldigCertificaat) as exc:
        return Ontvangen(envelop=env, fout="HANDTEKENING_ONGELDIG", foutdetail=str(exc))
    try:
        model = valideer(str(env["module"]), str(env["berichttype"]), str(env["versie"]), geopend.payload)
    except (OngeldigePayload, OnbekendPayloadtype) as exc:
        return Ontvangen(envelop=env, fout="INHOUD_ONGELDIG", foutdetail=str(exc))
    payload = model.model_dump(mode="json", exclude_unset=True)
    if afzender_rol is not None and (fout := afzenderfout(env, payload, afzender_rol)) is not None:
        return Ontvangen(envelop=env, fout="INHOUD_ONGELDIG", foutdetail=fout)
    return Ontvangen(envelop=env, payload=payload)


def afzenderfout(
    env: Mapping[str, Any], payload: Mapping[str, Any], rol: Callable[[], str | None]
) -> str | None:
    """Why the sender, in its role, may not have sent this payload (the module's `afzenderregels`,
    DESIGN §3b), said to the recipient; None when it may (or the module has no such rule)."""
    definitie = CATALOGUS.module(str(env["module"]))
    code = str(env["berichttype"])
    if definitie is None or not CATALOGUS.heeft_afzenderregel(definitie.code, code):
        return None
    afzender_rol = rol()
    if afzender_rol is None:
        return None
    fout = definitie.afzenderfout(code, afzender_rol, payload)
    if fout is None:
        return None
    veld, reden = fout
    return f"{veld}: de afzender ({afzender_rol}) mocht dit niet sturen: {reden}"


@lru_cache(maxsize=1024)
def _certificaatfout(fout: BaseException) -> str | None:
    """The reason when a transport error is the hub's server certificate failing verification
    (somewhere in the chain of causes httpx and httpcore wrap it in), else None."""
    gezien: set[int] = set()
    huidig: BaseException | None = fout
    while huidig is not None and id(huidig) not in gezien:
        gezien.add(id(huidig))
        if isinstance(huidig, ssl.SSLCertVerificationError):
            return huidig.verify_message or huidig.reason or str(huidig)
        huidig = huidig.__cause__ or huidig.__context__
    return None


def _oin_van(cert: x509.Certificate) -> str | None:
    """The OIN in a certificate's subject, read once per certificate (its DER): `lees` also renders
    PEM, names and fingerprint, which cost more than the ECDSA of a message on every open."""
    return lees(cert).oin


def _tijdstip(waarde: Any) -> datetime:
    if isinstance(waarde, datetime):
        return waarde
    if isinstance(waarde, str) and waarde:
        try:
            return datetime.fromisoformat(waarde)
        except ValueError:
            pass
    return datetime.now(UTC)
