"""The referentienummers of the messages an upload sends (DESIGN §7, decision 0016): a UUIDv8 made
from an HMAC-SHA256, under a secret of the participant, of the question's number and the answer as
validated. The same answer to the same question always gets the same number, so a re-upload or a
double click is found by the dry run ("al verzonden") and never sent twice; and nobody without the
secret — the debt counsellor who receives the answer included — can test a guess about an answer's
content against its number.

The secret is 32 random bytes per participant, made on its first upload and kept encrypted in the
kluis (AES-256-GCM under the portal's master key, the OIN as associated data). It is never logged,
never shown and never leaves this module except as HMAC output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.portaal.kluis import Kluis, Versleuteld
from knooppunt.store import portaal as store
from knooppunt.store.models import PortaalUploadgeheim

DOEL = "uploadgeheim"
GEHEIM_BYTES = 32
VERSIE = "knooppunt-antwoordnummer-1"
"""Names the canonical form; a new form gets a new name (and so new numbers)."""


def geheim(session: Session, kluis: Kluis, oin: str, *, nu: datetime) -> bytes:
    """The participant's secret, made (at random) and stored on first use. Two first uploads at
    the same time get the same secret: the row that is stored first counts."""
    rij = store.uploadgeheim(session, oin)
    if rij is None:
        waarde = kluis.versleutel_waarde(DOEL, oin, waarde=os.urandom(GEHEIM_BYTES))
        rij = store.voeg_uploadgeheim_toe(
            session,
            PortaalUploadgeheim(
                oin=oin,
                hoofdsleutel_id=waarde.hoofdsleutel_id,
                nonce=waarde.nonce,
                versleuteld=waarde.versleuteld,
                aangemaakt_op=nu,
            ),
        )
    return kluis.ontsleutel_waarde(
        DOEL, oin, versleuteld=Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld)
    )  # KluisFout when the master key is gone or the row was moved: never a new secret then


def canoniek(
    *,
    berichttype: str,
    module: str,
    versie: str,
    conversatie: str,
    antwoord_op: str | None,
    payload: Mapping[str, Any],
    ontvanger: str = "",
    dag: str = "",
) -> bytes:
    """What the HMAC covers: the question (or, for a message that answers none, the recipient and
    the day), the message type and the payload as validated — parsed values, not the CSV's bytes,
    so a file saved again by a spreadsheet (other quoting, BOM, date as 1-3-2024) gives the same
    number. JSON with sorted keys and no spaces."""
    return json.dumps(
        [VERSIE, module, versie, berichttype, conversatie, antwoord_op or "", ontvanger, dag, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def uuid8(sleutel: bytes, gegevens: bytes) -> str:
    """RFC 9562 UUIDv8: the first 16 bytes of HMAC-SHA256(sleutel, gegevens), version nibble 8,
    variant bits 10."""
    ruw = bytearray(hmac.new(sleutel, gegevens, hashlib.sha256).digest()[:16])
    ruw[6] = (ruw[6] & 0x0F) | 0x80
    ruw[8] = (ruw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(ruw)))


def herversleutel(session: Session, kluis: Kluis) -> int:
    """Re-encrypt every upload secret under the current master key (after a rotation, as
    ``gastclient.herversleutel`` does for the keys). The secrets themselves do not change, so the
    numbers of answers already sent stay the same."""
    aantal = 0
    for rij in store.alle_uploadgeheimen(session):
        if rij.hoofdsleutel_id == kluis.huidige_id:
            continue
        waarde = kluis.ontsleutel_waarde(
            DOEL, rij.oin, versleuteld=Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld)
        )
        nieuw = kluis.versleutel_waarde(DOEL, rij.oin, waarde=waarde)
        rij.hoofdsleutel_id, rij.nonce, rij.versleuteld = (
            nieuw.hoofdsleutel_id,
            nieuw.nonce,
            nieuw.versleuteld,
        )
        aantal += 1
    return aantal
