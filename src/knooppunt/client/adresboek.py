"""The adresboek as the SDK sees it: cached look-ups and "can I reach this participant?"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from knooppunt.client.fouten import HubFout
from knooppunt.protocol.catalogus import CATALOGUS, versiesleutel


@dataclass(frozen=True, slots=True)
class HubCertificaat:
    certificaat: x509.Certificate
    gebruik: frozenset[str]
    geldig_vanaf: datetime
    geldig_tot: datetime
    ingetrokken_op: datetime | None
    actueel: bool
    # When it entered the adresboek (None from a hub that does not say): how young it is for key
    # transparency — an operator could issue a certificate backdated in its geldigVanaf.
    toegevoegd_op: datetime | None = None

    def geldig_op(self, moment: datetime) -> bool:
        if not (self.geldig_vanaf <= moment < self.geldig_tot):
            return False
        return self.ingetrokken_op is None or moment < self.ingetrokken_op


@dataclass(frozen=True, slots=True)
class HubDeelnemer:
    """A public adresboek entry (``GET /adresboek/{oin}``)."""

    gegevens: dict[str, Any]
    certificaten: tuple[HubCertificaat, ...]

    @property
    def oin(self) -> str:
        return str(self.gegevens["oin"])

    @property
    def naam(self) -> str:
        return str(self.gegevens["naam"])

    @property
    def rol(self) -> str:
        return str(self.gegevens["rol"])

    @property
    def modules(self) -> list[str]:
        return list(self.gegevens.get("modules", []))

    def versies(self, module: str) -> tuple[str, ...]:
        """The protocol versions it accepts in ``module`` (the adresboek's ``versies``, DESIGN
        §3a), lowest first; none when it has not joined the module. A hub that does not publish
        ``versies`` yet: every version of the module."""
        if module not in self.modules:
            return ()
        per_module = self.gegevens.get("versies")
        if isinstance(per_module, Mapping) and module in per_module:
            return tuple(sorted((str(v) for v in per_module[module]), key=versiesleutel))
        return CATALOGUS.moduleversies(module)

    @property
    def gebruikt_bsn(self) -> bool:
        return bool(self.gegevens.get("gebruiktBsn"))

    @property
    def standaard_akkoord(self) -> bool:
        return bool(self.gegevens.get("standaardAkkoord"))

    def versleutelcertificaat(self) -> x509.Certificate | None:
        """The newest current ``versleuteling`` certificate: the key new messages are sealed for."""
        gekozen = self.versleutelcertificaat_info()
        return None if gekozen is None else gekozen.certificaat

    def versleutelcertificaat_info(self) -> HubCertificaat | None:
        """`versleutelcertificaat` with its adresboek data (validity, use)."""
        kandidaten = [c for c in self.certificaten if c.actueel and "versleuteling" in c.gebruik]
        if not kandidaten:
            return None
        return max(kandidaten, key=lambda c: c.geldig_vanaf)

    def ondertekencertificaten(self, moment: datetime) -> list[x509.Certificate]:
        """The ``ondertekening`` certificates valid at ``moment`` (a message's ``ontvangenOp``)."""
        return [
            c.certificaat for c in self.certificaten if "ondertekening" in c.gebruik and c.geldig_op(moment)
        ]

    @classmethod
    def uit_json(cls, data: Mapping[str, Any]) -> HubDeelnemer:
        certificaten = []
        for c in data.get("certificaten", []):
            try:
                cert = x509.load_pem_x509_certificate(str(c["pem"]).encode("ascii"))
            except (KeyError, ValueError):
                continue
            ingetrokken = c.get("ingetrokkenOp")
            toegevoegd = c.get("toegevoegdOp")
            certificaten.append(
                HubCertificaat(
                    certificaat=cert,
                    gebruik=frozenset(c.get("gebruik", [])),
                    geldig_vanaf=datetime.fromisoformat(c["geldigVanaf"]),
                    geldig_tot=datetime.fromisoformat(c["geldigTot"]),
                    ingetrokken_op=datetime.fromisoformat(ingetrokken) if ingetrokken else None,
                    actueel=bool(c.get("actueel")),
                    toegevoegd_op=datetime.fromisoformat(toegevoegd) if toegevoegd else None,
                )
            )
        return cls(gegevens=dict(data), certificaten=tuple(certificaten))


@dataclass(frozen=True, slots=True)
class Bereikbaarheid:
    """Whether a message of a module can go to a participant through the hub. ``eigen_module``:
    False when it cannot because the caller itself has not joined the module (DESIGN §2: sender and
    recipient both take part) — another channel is not the only way then: the caller can ask the
    hub's beheer for the module."""

    bereikbaar: bool
    reden: str
    deelnemer: HubDeelnemer | None = None
    eigen_module: bool = True

    def als_json(self) -> dict[str, Any]:
        uit: dict[str, Any] = {"bereikbaar": self.bereikbaar, "reden": self.reden}
        if self.deelnemer is not None:
            uit["oin"] = self.deelnemer.oin
            uit["naam"] = self.deelnemer.naam
            uit["versies"] = {m: list(self.deelnemer.versies(m)) for m in self.deelnemer.modules}
        return uit


class Adresboek:
    """Look-ups of ``/adresboek/{oin}``, cached for ``ttl`` seconds (absent entries too)."""

    def __init__(self, haal: Callable[[str], Any], *, ttl: float = 300.0) -> None:
        self._haal = haal
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, HubDeelnemer | None]] = {}

    def deelnemer(self, oin: str, *, vers: bool = False) -> HubDeelnemer | None:
        nu = time.monotonic()
        if not vers:
            with self._lock:
                gevonden = self._cache.get(oin)
            if gevonden is not None and gevonden[0] > nu:
                return gevonden[1]
        try:
            entry: HubDeelnemer | None = HubDeelnemer.uit_json(self._haal(f"/adresboek/{oin}"))
        except HubFout as fout:
            if fout.status not in (400, 404):
                raise
            entry = None
        with self._lock:
            self._cache[oin] = (nu + self._ttl, entry)
        return entry

    def vergeet(self, oin: str | None = None) -> None:
        with self._lock:
            if oin is None:
                self._cache.clear()
            else:
                self._cache.pop(oin, None)

    def bereikbaar(self, oin: str, module: str, *, afzender: str | None = None) -> Bereikbaarheid:
        """Whether a message of ``module`` can go to ``oin`` through the hub, and if not, why. With
        ``afzender`` (the caller's OIN) also whether the caller itself has joined ``module``: the hub
        refuses a message in a module its sender does not take part in (DESIGN §2,
        ``MODULE_NIET_ACTIEF``)."""
        if len(oin) != 20 or not oin.isdigit():
            return Bereikbaarheid(False, f"{oin!r} is geen OIN (20 cijfers)")
        deelnemer = self.deelnemer(oin)
        if deelnemer is None:
            return Bereikbaarheid(
                False,
                f"{oin} is niet aangesloten op het knooppunt: gebruik een ander kanaal (e-mail of brief)",
            )
        if module not in deelnemer.modules:
            return Bereikbaarheid(
                False,
                f"{deelnemer.naam} is aangesloten, maar niet op module {module} "
                f"(wel: {', '.join(deelnemer.modules) or 'geen'}): gebruik voor deze module een ander kanaal",
                deelnemer,
            )
        if afzender is not None and (eigen := self._eigen_zonder(afzender, module)) is not None:
            return Bereikbaarheid(
                False,
                f"u neemt zelf niet deel aan module {module} (uw modules: "
                f"{', '.join(eigen.modules) or 'geen'}), dus het knooppunt neemt uw bericht niet aan, "
                f"ook al doet {deelnemer.naam} wel mee: vraag de beheerder van het knooppunt om de "
                "module erbij (in het portaal: Extra modules aanvragen, /portaal/aanmelden/modules), "
                "of gebruik tot dan een ander kanaal",
                deelnemer,
                eigen_module=False,
            )
        if deelnemer.versleutelcertificaat() is None:
            return Bereikbaarheid(
                False,
                f"{deelnemer.naam} heeft geen geldig versleutelingscertificaat in het adresboek",
                deelnemer,
            )
        return Bereikbaarheid(True, f"{deelnemer.naam} is bereikbaar voor {module}", deelnemer)

    def _eigen_zonder(self, afzender: str, module: str) -> HubDeelnemer | None:
        """The caller's own adresboek entry when it has not joined ``module`` — asked once more
        before saying so, as the cached copy may predate the beheerder adding it; None when it has
        joined, or when the hub does not list the caller (then the hub itself will say)."""
        eigen = self.deelnemer(afzender)
        if eigen is None or module in eigen.modules:
            return None
        eigen = self.deelnemer(afzender, vers=True)
        if eigen is None or module in eigen.modules:
            return None
        return eigen
