"""SQL of the web portal's own tables (sessions, custodied keys, client labels). The hub never reads
them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from knooppunt.store.models import (
    Deelnemer,
    PortaalDossier,
    PortaalSessie,
    PortaalSleutel,
    PortaalSleutelblob,
    PortaalUploadgeheim,
)


def sessie(session: Session, token_hash: str) -> PortaalSessie | None:
    return session.get(PortaalSessie, token_hash)


def bewaar_sessie(session: Session, sessie: PortaalSessie) -> None:
    session.add(sessie)


def raak_aan(session: Session, token_hash: str, nu: datetime) -> None:
    session.execute(
        update(PortaalSessie).where(PortaalSessie.token_hash == token_hash).values(laatst_actief_op=nu)
    )


def verwijder_sessie(session: Session, token_hash: str) -> None:
    session.execute(delete(PortaalSessie).where(PortaalSessie.token_hash == token_hash))


def ruim_sessies_op(session: Session, *, nu: datetime, inactief_sinds: datetime) -> int:
    resultaat = session.execute(
        delete(PortaalSessie).where(
            (PortaalSessie.verloopt_op < nu) | (PortaalSessie.laatst_actief_op < inactief_sinds)
        )
    )
    return int(resultaat.rowcount or 0)  # type: ignore[attr-defined]


def sleutels_van(session: Session, oin: str) -> Sequence[PortaalSleutel]:
    return session.scalars(
        select(PortaalSleutel).where(PortaalSleutel.oin == oin).order_by(PortaalSleutel.aangemaakt_op.desc())
    ).all()


def alle_sleutels(session: Session) -> Sequence[PortaalSleutel]:
    return session.scalars(select(PortaalSleutel)).all()


def bewaar_sleutel(session: Session, sleutel: PortaalSleutel) -> None:
    session.merge(sleutel)


# --- client labels of hosted debt counsellors (encrypted; see portaal.dossiers) ------------------


def dossier(session: Session, oin: str, conversatie: str) -> PortaalDossier | None:
    return session.get(PortaalDossier, (oin, conversatie))


def dossiers_van(
    session: Session, oin: str, conversaties: Collection[str] | None = None
) -> Sequence[PortaalDossier]:
    """The labels of one participant: all, or those of these conversations."""
    query = select(PortaalDossier).where(PortaalDossier.oin == oin)
    if conversaties is not None:
        if not conversaties:
            return []
        query = query.where(PortaalDossier.conversatie.in_(list(conversaties)))
    return session.scalars(query).all()


def alle_dossiers(session: Session) -> Sequence[PortaalDossier]:
    return session.scalars(select(PortaalDossier)).all()


def bewaar_dossier(session: Session, dossier: PortaalDossier) -> None:
    session.merge(dossier)


# --- the upload secret per participant (encrypted; see portaal.antwoordnummers) -----------------


def uploadgeheim(session: Session, oin: str) -> PortaalUploadgeheim | None:
    return session.scalar(select(PortaalUploadgeheim).where(PortaalUploadgeheim.oin == oin))


def voeg_uploadgeheim_toe(session: Session, geheim: PortaalUploadgeheim) -> PortaalUploadgeheim:
    """Store this secret unless the participant has one already (two first uploads at once: the
    one that commits first wins); returns the one that counts."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(PortaalUploadgeheim)
        .values(
            oin=geheim.oin,
            hoofdsleutel_id=geheim.hoofdsleutel_id,
            nonce=geheim.nonce,
            versleuteld=geheim.versleuteld,
            aangemaakt_op=geheim.aangemaakt_op,
        )
        .on_conflict_do_nothing(index_elements=[PortaalUploadgeheim.oin])
    )
    gevonden = uploadgeheim(session, geheim.oin)
    assert gevonden is not None
    return gevonden


def alle_uploadgeheimen(session: Session) -> Sequence[PortaalUploadgeheim]:
    return session.scalars(select(PortaalUploadgeheim)).all()


def gehost(session: Session) -> Sequence[Deelnemer]:
    """The participants whose keys the portal holds (``sleutelbeheer`` portaal), by role and name."""
    return (
        session.scalars(
            select(Deelnemer)
            .where(Deelnemer.sleutelbeheer == "portaal")
            .order_by(Deelnemer.rol, Deelnemer.naam)
        )
        .unique()
        .all()
    )


# --- key blobs of users whose keys live in the browser (see portaal.sleutelblobs) ----------------


def sleutelblob(session: Session, oin: str, onderwerp: str) -> PortaalSleutelblob | None:
    return session.get(PortaalSleutelblob, (oin, onderwerp))


def bewaar_sleutelblob(session: Session, blob: PortaalSleutelblob) -> None:
    session.merge(blob)


def zout_elders_gebruikt(session: Session, zout: str, *, oin: str, onderwerp: str) -> bool:
    """Whether another user's blob (any participant's) already holds this Argon2id salt. Blobs are
    stored as compact JSON, so the salt is the literal ``"zout":"<salt>"``; a salt is base64url,
    whose ``_`` is escaped for LIKE. Key set-up is rare and blobs are few, so a scan is fine."""
    rij = session.execute(
        select(PortaalSleutelblob.oin)
        .where(
            PortaalSleutelblob.blob.contains(f'"zout":"{zout}"', autoescape=True),
            ~((PortaalSleutelblob.oin == oin) & (PortaalSleutelblob.onderwerp == onderwerp)),
        )
        .limit(1)
    ).first()
    return rij is not None


def verwijder_sleutelblob(session: Session, oin: str, onderwerp: str) -> None:
    session.execute(
        delete(PortaalSleutelblob).where(
            (PortaalSleutelblob.oin == oin) & (PortaalSleutelblob.onderwerp == onderwerp)
        )
    )


def sleutelblobs_van(session: Session, oin: str) -> Sequence[PortaalSleutelblob]:
    """Every user blob of one participant (its users with access, and those asking for it)."""
    return session.scalars(
        select(PortaalSleutelblob).where(PortaalSleutelblob.oin == oin).order_by(PortaalSleutelblob.onderwerp)
    ).all()
