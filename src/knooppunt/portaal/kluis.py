"""Key custody for hosted participants (DESIGN §5): private keys encrypted with AES-256-GCM under a
rotatable master key that is kept outside the database and its backups.

The master keys come from ``KNOOPPUNT_PORTAAL_HOOFDSLEUTELS`` ("id:base64", comma-separated; the
first encrypts, every one decrypts, so a key can be rotated by putting a new one first and running
``knooppunt portaal sleutels herversleutel``). In development a key is generated once in
``data_dir/portaal-hoofdsleutel`` (mode 0600). The OIN and kid are the associated data: a ciphertext
moved to another participant or key does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from knooppunt.config import Settings, SettingsError

_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,32}\Z")
ONTWIKKEL_BESTAND = "portaal-hoofdsleutel"


class KluisFout(Exception):
    """A key cannot be decrypted: wrong or missing master key, or a tampered row."""


@dataclass(frozen=True)
class Versleuteld:
    hoofdsleutel_id: str
    nonce: bytes
    versleuteld: bytes


class Kluis:
    def __init__(self, sleutels: list[tuple[str, bytes]]) -> None:
        if not sleutels:
            raise SettingsError("de portaalkluis heeft minstens één hoofdsleutel nodig")
        for sid, sleutel in sleutels:
            if not _ID.match(sid):
                raise SettingsError(
                    f"KNOOPPUNT_PORTAAL_HOOFDSLEUTELS: id {sid!r} mag alleen letters, cijfers, '_', '.' en "
                    "'-' bevatten (maximaal 32 tekens)"
                )
            if len(sleutel) != 32:
                raise SettingsError(
                    f"KNOOPPUNT_PORTAAL_HOOFDSLEUTELS: sleutel {sid!r} is {len(sleutel)} bytes; AES-256 "
                    'vraagt 32 bytes (maak er een met: python -c "import os,base64;'
                    'print(base64.b64encode(os.urandom(32)).decode())")'
                )
        self._sleutels = dict(sleutels)
        self.huidige_id = sleutels[0][0]

    @staticmethod
    def _ad(oin: str, kid: str) -> bytes:
        return f"knooppunt-portaal|{oin}|{kid}".encode()

    def versleutel(self, oin: str, kid: str, geheim: bytes) -> Versleuteld:
        nonce = os.urandom(12)
        data = AESGCM(self._sleutels[self.huidige_id]).encrypt(nonce, geheim, self._ad(oin, kid))
        return Versleuteld(self.huidige_id, nonce, data)

    def ontsleutel(self, oin: str, kid: str, waarde: Versleuteld) -> bytes:
        sleutel = self._sleutels.get(waarde.hoofdsleutel_id)
        if sleutel is None:
            raise KluisFout(
                f"hoofdsleutel {waarde.hoofdsleutel_id!r} is niet geconfigureerd; zet hem weer in "
                "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS (na de oude sleutel te hebben vervangen hoort "
                "'knooppunt portaal sleutels herversleutel' te draaien)"
            )
        try:
            return AESGCM(sleutel).decrypt(waarde.nonce, waarde.versleuteld, self._ad(oin, kid))
        except InvalidTag as exc:
            raise KluisFout(
                f"de sleutel {kid} van {oin} is niet te ontsleutelen (gewijzigd of verplaatst)"
            ) from exc

    # --- small secrets other than keys (e.g. a debt counsellor's client labels) -------------------

    @staticmethod
    def _ad_waarde(doel: str, delen: tuple[str, ...]) -> bytes:
        for deel in (doel, *delen):
            if "|" in deel:
                raise ValueError(f"{deel!r}: '|' scheidt de delen van de associated data")
        return "|".join((f"knooppunt-portaal-{doel}", *delen)).encode()

    def versleutel_waarde(self, doel: str, *delen: str, waarde: bytes) -> Versleuteld:
        """Encrypt a small secret for ``doel`` (e.g. "dossier") bound to ``delen`` (e.g. the OIN and
        conversation): the associated data is ``knooppunt-portaal-<doel>|oin|conversatie``, so a
        ciphertext moved to another row, participant or purpose does not decrypt. Never the same
        associated data as a private key (``knooppunt-portaal|oin|kid``)."""
        nonce = os.urandom(12)
        ad = self._ad_waarde(doel, delen)
        data = AESGCM(self._sleutels[self.huidige_id]).encrypt(nonce, waarde, ad)
        return Versleuteld(self.huidige_id, nonce, data)

    def ontsleutel_waarde(self, doel: str, *delen: str, versleuteld: Versleuteld) -> bytes:
        sleutel = self._sleutels.get(versleuteld.hoofdsleutel_id)
        if sleutel is None:
            raise KluisFout(
                f"hoofdsleutel {versleuteld.hoofdsleutel_id!r} is niet geconfigureerd; zet hem weer in "
                "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS"
            )
        try:
            return AESGCM(sleutel).decrypt(
                versleuteld.nonce, versleuteld.versleuteld, self._ad_waarde(doel, delen)
            )
        except InvalidTag as exc:
            raise KluisFout(f"een {doel} van {delen[0] if delen else '?'} is niet te ontsleutelen") from exc

    @classmethod
    def uit_tekst(cls, tekst: str) -> Kluis:
        sleutels = []
        for deel in (d.strip() for d in tekst.split(",")):
            if not deel:
                continue
            sid, _, waarde = deel.partition(":")
            if not waarde:
                raise SettingsError(
                    "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS: verwacht 'id:base64-sleutel' (komma-gescheiden), "
                    f"kreeg een deel zonder ':' ({sid[:8]}…)"
                )
            try:
                sleutel = base64.b64decode(waarde, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SettingsError(
                    f"KNOOPPUNT_PORTAAL_HOOFDSLEUTELS: sleutel {sid!r} is geen geldige base64"
                ) from exc
            sleutels.append((sid, sleutel))
        return cls(sleutels)

    @classmethod
    def uit_instellingen(cls, settings: Settings) -> Kluis:
        tekst = settings.portaal_hoofdsleutels.get_secret_value()
        if tekst:
            return cls.uit_tekst(tekst)
        if not settings.is_development:
            if not settings.portaal_actief:
                # A `knooppunt portaal …` command with the portal off: the kluis is what it works on
                # (an operator probe was told to switch off what was off already).
                raise SettingsError(
                    "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS is nodig voor dit commando: het werkt met de kluis van "
                    "het portaal (ook als het portaal uit staat). Zet de hoofdsleutel(s) waaronder de kluis "
                    "versleuteld is: 'id:base64(32 bytes)'."
                )
            raise SettingsError(
                "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS is verplicht in productie wanneer het portaal aan staat: "
                "'id:base64(32 bytes)', bewaard buiten de database en haar back-ups. Of zet "
                "KNOOPPUNT_PORTAAL_ACTIEF=false."
            )
        return cls.uit_tekst(_ontwikkelsleutel(settings.data_dir / ONTWIKKEL_BESTAND))


def _ontwikkelsleutel(pad: Path) -> str:
    if pad.exists():
        return pad.read_text(encoding="ascii").strip()
    pad.parent.mkdir(parents=True, exist_ok=True)
    tekst = "ontwikkel-1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    # Written to a private temporary file and linked into place: another process (serve --workers)
    # that gets there first wins, and everyone reads the same key.
    tijdelijk = pad.with_name(f".{pad.name}.{os.getpid()}")
    fd = os.open(tijdelijk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as bestand:
        bestand.write(tekst + "\n")
    try:
        with contextlib.suppress(FileExistsError):  # another process linked its key first: use that one
            os.link(tijdelijk, pad)
    finally:
        tijdelijk.unlink(missing_ok=True)
    return pad.read_text(encoding="ascii").strip()
