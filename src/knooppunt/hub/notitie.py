"""Signed checkpoints of the audit log: C2SP tlog-checkpoint in a C2SP signed note, Ed25519.

A checkpoint is the note text ``<origin>\\n<tree size>\\n<base64 root hash>\\n``, followed by a
blank line and one signature line per signer: ``— <key name> <base64(key hash || signature)>``,
where the key hash is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key). The keys
are written as golang.org/x/mod/sumdb/note writes them, so Go's note package (and the witnesses
built on it) read them as they are:

- private (``KNOOPPUNT_AUDIT_SLEUTEL_FILE``): ``PRIVATE+KEY+<name>+<hash hex>+<base64(0x01 || seed)>``
- public (``knooppunt audit verify --sleutel``): ``<name>+<hash hex>+<base64(0x01 || public key)>``

The origin of the hub's checkpoints is the key name. Signature lines of other keys (a witness's
cosignature) are kept and ignored by the hub's own check.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
STREEP = "\u2014"  # the em dash that starts a signature line
# A key name: printable, no whitespace and no '+' (C2SP signed-note).
_NAAM = re.compile(r"\A[\x21-\x2a\x2c-\x7e]{1,200}\Z")
ONTWIKKEL_BESTAND = "audit-sleutel"
ONTWIKKEL_NAAM = "ontwikkel.knooppunt.invalid/audit"


class NotitieFout(ValueError):
    """A key or note that cannot be read; the message says what is wrong."""


def _sleutelhash(naam: str, publiek: bytes) -> bytes:
    return hashlib.sha256(naam.encode() + b"\n" + ED25519 + publiek).digest()[:4]


def _controleer_naam(naam: str) -> str:
    if not _NAAM.fullmatch(naam):
        raise NotitieFout(
            f"sleutelnaam {naam!r}: gebruik zichtbare tekens zonder spatie of '+', "
            "bijv. knooppunt.example.nl/audit"
        )
    return naam


def _b64(tekst: str, wat: str) -> bytes:
    try:
        return base64.b64decode(tekst, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotitieFout(f"{wat}: geen geldige base64") from exc


@dataclass(frozen=True, slots=True)
class Verificatiesleutel:
    """A public key (``name+hash+base64``), given by whoever checks the log — never read from the
    database."""

    naam: str
    publiek: bytes

    @property
    def sleutelhash(self) -> bytes:
        return _sleutelhash(self.naam, self.publiek)

    def als_tekst(self) -> str:
        return f"{self.naam}+{self.sleutelhash.hex()}+{base64.b64encode(ED25519 + self.publiek).decode()}"

    @classmethod
    def uit_tekst(cls, tekst: str) -> Verificatiesleutel:
        delen = tekst.strip().split("+", 2)  # base64 may hold '+' itself
        if len(delen) != 3:
            raise NotitieFout(
                "verwacht een publieke sleutel 'naam+hash+base64' (de uitvoer van `knooppunt audit sleutel`)"
            )
        naam, hash_hex, waarde = delen
        _controleer_naam(naam)
        ruw = _b64(waarde, "publieke sleutel")
        if len(ruw) != 33 or ruw[:1] != ED25519:
            raise NotitieFout("publieke sleutel: geen Ed25519-sleutel (33 bytes, beginnend met 0x01)")
        sleutel = cls(naam, ruw[1:])
        if hash_hex.lower() != sleutel.sleutelhash.hex():
            raise NotitieFout("publieke sleutel: de sleutelhash klopt niet met naam en sleutel")
        return sleutel

    def controleer(self, tekst: str, handtekening: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.publiek).verify(handtekening, tekst.encode())
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Ondertekenaar:
    """The hub's private key, read from a file outside the database."""

    naam: str
    zaad: bytes

    @property
    def _sleutel(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.zaad)

    @property
    def publiek(self) -> Verificatiesleutel:
        ruw = self._sleutel.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verificatiesleutel(self.naam, ruw)

    def als_tekst(self) -> str:
        hash_hex = self.publiek.sleutelhash.hex()
        return f"PRIVATE+KEY+{self.naam}+{hash_hex}+{base64.b64encode(ED25519 + self.zaad).decode()}"

    @classmethod
    def nieuw(cls, naam: str) -> Ondertekenaar:
        return cls(_controleer_naam(naam), secrets.token_bytes(32))

    @classmethod
    def uit_tekst(cls, tekst: str) -> Ondertekenaar:
        delen = tekst.strip().split("+", 4)
        if len(delen) != 5 or delen[:2] != ["PRIVATE", "KEY"]:
            raise NotitieFout(
                "verwacht een privésleutel 'PRIVATE+KEY+naam+hash+base64' (maak er een met "
                "`knooppunt audit sleutel --nieuw BESTAND --naam NAAM`)"
            )
        naam, hash_hex, waarde = delen[2:]
        ruw = _b64(waarde, "privésleutel")
        if len(ruw) != 33 or ruw[:1] != ED25519:
            raise NotitieFout("privésleutel: geen Ed25519-sleutel (33 bytes, beginnend met 0x01)")
        sleutel = cls(_controleer_naam(naam), ruw[1:])
        if hash_hex.lower() != sleutel.publiek.sleutelhash.hex():
            raise NotitieFout("privésleutel: de sleutelhash klopt niet met naam en sleutel")
        return sleutel

    def onderteken(self, tekst: str) -> str:
        """The signed note: the text, a blank line, this key's signature line."""
        handtekening = self._sleutel.sign(tekst.encode())
        waarde = base64.b64encode(self.publiek.sleutelhash + handtekening).decode()
        return f"{tekst}\n{STREEP} {self.naam} {waarde}\n"


PORTAALBUNDEL = "knooppunt-portaal-bundel"
"""The keyword of the checkpoint extension line that names the portal's browser code by its hash
(``knooppunt-portaal-bundel sha256:<hex>``, portaal.bundel)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: origin, tree size (the number of sequenced entries), root hash, and the
    extension lines C2SP tlog-checkpoint allows after it (signed with the rest; the hub's: the
    portal bundle's hash, `portaal.bundel.checkpointregel`)."""

    origin: str
    grootte: int
    wortel: bytes
    extensies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for regel in self.extensies:
            if not regel or "\n" in regel or not regel.isprintable():
                raise NotitieFout(f"ongeldige extensieregel voor een checkpoint: {regel[:80]!r}")

    @property
    def bundel(self) -> str | None:
        """The portal bundle this checkpoint names (``sha256:<hex>``), if any."""
        for regel in self.extensies:
            sleutelwoord, _, waarde = regel.partition(" ")
            if sleutelwoord == PORTAALBUNDEL and waarde:
                return waarde
        return None

    def tekst(self) -> str:
        kop = f"{self.origin}\n{self.grootte}\n{base64.b64encode(self.wortel).decode()}\n"
        return kop + "".join(f"{regel}\n" for regel in self.extensies)

    def ondertekend(self, ondertekenaar: Ondertekenaar) -> str:
        return ondertekenaar.onderteken(self.tekst())


def lees_checkpoint(notitie: str, sleutel: Verificatiesleutel) -> Checkpoint:
    """A signed checkpoint, checked against ``sleutel``; NotitieFout says what is wrong."""
    tekst, scheiding, handtekeningen = notitie.rpartition("\n\n")
    if not scheiding or not handtekeningen.endswith("\n"):
        raise NotitieFout("geen ondertekende notitie (tekst, lege regel, handtekeningregels)")
    tekst += "\n"
    geldig = False
    for regel in handtekeningen.splitlines():
        voorvoegsel, _, rest = regel.partition(" ")
        naam, _, waarde = rest.partition(" ")
        if voorvoegsel != STREEP or not naam or not waarde:
            raise NotitieFout(f"geen handtekeningregel: {regel[:80]!r}")
        if naam != sleutel.naam:
            continue  # another signer, e.g. a witness's cosignature
        ruw = _b64(waarde, "handtekening")
        if len(ruw) == 68 and ruw[:4] == sleutel.sleutelhash and sleutel.controleer(tekst, ruw[4:]):
            geldig = True
    if not geldig:
        raise NotitieFout(
            f"geen geldige handtekening van sleutel {sleutel.naam} ({sleutel.sleutelhash.hex()})"
        )
    regels = tekst.split("\n")
    if len(regels) < 4 or not regels[1].isdigit() or (regels[1] != "0" and regels[1].startswith("0")):
        raise NotitieFout("geen tlog-checkpoint (origin, boomgrootte, wortelhash)")
    if regels[0] != sleutel.naam:
        raise NotitieFout(f"checkpoint van {regels[0]!r}, niet van {sleutel.naam!r}")
    wortel = _b64(regels[2], "wortelhash")
    if len(wortel) != 32:
        raise NotitieFout("wortelhash is geen SHA-256")
    return Checkpoint(regels[0], int(regels[1]), wortel, tuple(regels[3:-1]))


def sleutel_uit_bestand(pad: Path) -> Ondertekenaar:
    try:
        return Ondertekenaar.uit_tekst(pad.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NotitieFout(f"{pad}: niet te lezen ({exc.strerror})") from exc
    except NotitieFout as exc:
        raise NotitieFout(f"{pad}: {exc}") from exc


def ontwikkelsleutel(pad: Path) -> Ondertekenaar:
    """The development key in the data dir, made on first use (mode 0600); the first process to
    link its key into place wins, so every process signs with the same key."""
    if not pad.exists():
        pad.parent.mkdir(parents=True, exist_ok=True)
        tijdelijk = pad.with_name(f".{pad.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tijdelijk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as bestand:
            bestand.write(Ondertekenaar.nieuw(ONTWIKKEL_NAAM).als_tekst() + "\n")
        try:
            with contextlib.suppress(FileExistsError):
                os.link(tijdelijk, pad)
        finally:
            tijdelijk.unlink(missing_ok=True)
    return sleutel_uit_bestand(pad)
