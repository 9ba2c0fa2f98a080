"""SQLAlchemy models. The hub's tables hold metadata and ciphertext only — never plaintext or keys.

Ciphertext lives in its own table (``berichtinhoud``) so that deleting content is a row DELETE,
not an UPDATE that blanks a column (DESIGN §5, "deletion means gone").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; timestamptz on PostgreSQL, UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Deelnemer(Base):
    """An adresboek entry (DESIGN §2). ``contact`` and ``notificaties`` are private."""

    __tablename__ = "deelnemers"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    kvk_nummer: Mapped[str] = mapped_column(String(8), index=True)
    vestigingsnummer: Mapped[str | None] = mapped_column(String(12))
    naam: Mapped[str] = mapped_column(String(200))
    rol: Mapped[str] = mapped_column(String(16))
    gebruikt_bsn: Mapped[bool] = mapped_column(Boolean, default=False)
    standaard_akkoord: Mapped[bool] = mapped_column(Boolean, default=False)
    sleutelbeheer: Mapped[str] = mapped_column(String(16), default="eigen")
    contact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bytes of unconfirmed ciphertext this participant's inbox may hold (DESIGN §4); None: the
    # configured default (KNOOPPUNT_INBOX_QUOTUM_BYTES). Migration 0008.
    inbox_quotum: Mapped[int | None] = mapped_column(BigInteger)

    modules: Mapped[list[DeelnemerModule]] = relationship(
        cascade="all, delete-orphan", lazy="joined", order_by="DeelnemerModule.module"
    )
    schuldensoorten: Mapped[list[DeelnemerSchuldensoort]] = relationship(
        cascade="all, delete-orphan", lazy="joined", order_by="DeelnemerSchuldensoort.soort"
    )
    certificaten: Mapped[list[Certificaat]] = relationship(
        cascade="all, delete-orphan", lazy="joined", order_by="Certificaat.toegevoegd_op"
    )


class DeelnemerModule(Base):
    __tablename__ = "deelnemer_modules"

    oin: Mapped[str] = mapped_column(ForeignKey("deelnemers.oin", ondelete="CASCADE"), primary_key=True)
    module: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The protocol versions accepted in this module, comma-separated ("1.0,2.0"); None: every
    # version of the module (DESIGN §3a). Migration 0013.
    versies: Mapped[str | None] = mapped_column(String(64))


class DeelnemerSchuldensoort(Base):
    __tablename__ = "deelnemer_schuldensoorten"

    oin: Mapped[str] = mapped_column(ForeignKey("deelnemers.oin", ondelete="CASCADE"), primary_key=True)
    soort: Mapped[str] = mapped_column(String(16), primary_key=True)


class Certificaat(Base):
    """A participant certificate. Retired ones stay listed for the bevestigingstermijn + 30 days."""

    __tablename__ = "certificaten"

    vingerafdruk: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of DER, hex
    oin: Mapped[str] = mapped_column(ForeignKey("deelnemers.oin", ondelete="CASCADE"), index=True)
    pem: Mapped[str] = mapped_column(Text)
    onderwerp: Mapped[str] = mapped_column(String(500))
    uitgever: Mapped[str] = mapped_column(String(500))
    serienummer: Mapped[str] = mapped_column(String(64))
    sleuteltype: Mapped[str] = mapped_column(String(8))  # RSA | EC
    sleutelgrootte: Mapped[int] = mapped_column(Integer)
    geldig_vanaf: Mapped[datetime] = mapped_column(UTCDateTime())
    geldig_tot: Mapped[datetime] = mapped_column(UTCDateTime())
    gebruik_tls: Mapped[bool] = mapped_column(Boolean, default=True)
    gebruik_ondertekening: Mapped[bool] = mapped_column(Boolean, default=True)
    gebruik_versleuteling: Mapped[bool] = mapped_column(Boolean, default=True)
    toegevoegd_op: Mapped[datetime] = mapped_column(UTCDateTime())
    ingetrokken_op: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def gebruik(self) -> list[str]:
        return [
            naam
            for naam, aan in (
                ("tls", self.gebruik_tls),
                ("ondertekening", self.gebruik_ondertekening),
                ("versleuteling", self.gebruik_versleuteling),
            )
            if aan
        ]


class Conversatie(Base):
    """A client's traject at one debt counsellor, created by that SHV's first message."""

    __tablename__ = "conversaties"

    conversatie_referentienummer: Mapped[str] = mapped_column(String(36), primary_key=True)
    shv: Mapped[str] = mapped_column(String(20), index=True)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())


OPEN_STATUSSEN = ("aangeboden", "opgehaald")


class Bericht(Base):
    """Metadata of one message. Status moves aangeboden → opgehaald → bevestigd → beantwoord,
    or to verlopen / geweigerd; every transition is a conditional UPDATE."""

    __tablename__ = "berichten"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    referentienummer: Mapped[str] = mapped_column(String(36), unique=True)
    afzender: Mapped[str] = mapped_column(String(20))
    ontvanger: Mapped[str] = mapped_column(String(20))
    conversatie_referentienummer: Mapped[str] = mapped_column(String(36))
    cross_referentienummer: Mapped[str | None] = mapped_column(String(36))
    berichttype: Mapped[str] = mapped_column(String(64))
    module: Mapped[str] = mapped_column(String(32))
    versie: Mapped[str] = mapped_column(String(16))
    envelop_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    ontvangen_op: Mapped[datetime] = mapped_column(UTCDateTime())
    verloopt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    opgehaald_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bevestigd_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    antwoord_uiterlijk: Mapped[datetime | None] = mapped_column(UTCDateTime())
    beantwoord_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verlopen_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    geweigerd_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Hub-authored notices only: code, omschrijving and referenced numbers — never payload.
    melding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Length of the JWE as submitted (None for hub notices): what the message counts against its
    # recipient's inbox quota and a fetch page's byte cap (DESIGN §4), whatever form it is stored
    # in. Migration 0008.
    grootte: Mapped[int | None] = mapped_column(BigInteger)
    # Set by the deadline job ("deadline marks", DESIGN §6) once a confirmed question is past its
    # antwoordUiterlijk unanswered; teLaat is this mark or, between two runs, the same comparison
    # with the request's clock (hub.mailbox.te_laat). Never cleared: a late answer stays late.
    # Migration 0021.
    termijn_verstreken: Mapped[bool] = mapped_column(Boolean, server_default=false())

    __table_args__ = (
        # The inbox: open messages of one recipient in arrival order (flat as the queue grows).
        Index(
            "ix_berichten_inbox",
            "ontvanger",
            "id",
            postgresql_where=text("status IN ('aangeboden', 'opgehaald')"),
            sqlite_where=text("status IN ('aangeboden', 'opgehaald')"),
        ),
        # Expiry sweep and the per-relation cap on unconfirmed messages.
        Index(
            "ix_berichten_open_verloopt",
            "verloopt_op",
            postgresql_where=text("status IN ('aangeboden', 'opgehaald')"),
            sqlite_where=text("status IN ('aangeboden', 'opgehaald')"),
        ),
        Index(
            "ix_berichten_open_relatie",
            "afzender",
            "ontvanger",
            postgresql_where=text("status IN ('aangeboden', 'opgehaald')"),
            sqlite_where=text("status IN ('aangeboden', 'opgehaald')"),
        ),
        # The deadline job: confirmed questions not yet marked late, by their antwoordUiterlijk.
        Index(
            "ix_berichten_termijn",
            "antwoord_uiterlijk",
            postgresql_where=text("status = 'bevestigd' AND NOT termijn_verstreken"),
            sqlite_where=text("status = 'bevestigd' AND NOT termijn_verstreken"),
        ),
        # A recipient's confirmed questions still to answer, by deadline (the portal's "Nog te
        # beantwoorden", store.berichten.te_beantwoorden). Migration 0022.
        Index(
            "ix_berichten_te_beantwoorden",
            "ontvanger",
            "antwoord_uiterlijk",
            "id",
            postgresql_where=text("status = 'bevestigd' AND antwoord_uiterlijk IS NOT NULL"),
            sqlite_where=text("status = 'bevestigd' AND antwoord_uiterlijk IS NOT NULL"),
        ),
        Index("ix_berichten_verzonden", "afzender", "id"),
        Index("ix_berichten_conversatie", "conversatie_referentienummer", "afzender", "ontvanger", "id"),
        # The logboek (GET /logboek): a party's messages in a period, in (ontvangenOp, id) order, each
        # direction one ordered range (migration 0012).
        Index("ix_berichten_logboek_ontvanger", "ontvanger", "ontvangen_op", "id"),
        Index("ix_berichten_logboek_afzender", "afzender", "ontvangen_op", "id"),
    )


class BerichtInhoud(Base):
    """The ciphertext (JWE) of an open message; deleted on confirm, refusal or expiry."""

    __tablename__ = "berichtinhoud"

    bericht_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("berichten.id", ondelete="CASCADE"), primary_key=True
    )
    jwe: Mapped[str] = mapped_column(Text)


class NotificatieInstellingen(Base):
    """How a participant wants to hear about new messages (DESIGN §2, §6); private to the participant
    and beheerders. ``webhook_geheim`` is a shared HMAC secret that the hub generated and handed to
    the operator once — the hub needs it to sign, so it is stored as is; it is not a participant key.
    """

    __tablename__ = "notificatie_instellingen"

    oin: Mapped[str] = mapped_column(ForeignKey("deelnemers.oin", ondelete="CASCADE"), primary_key=True)
    modus: Mapped[str] = mapped_column(String(16), default="uit")  # direct | dagelijks | uit
    emailadressen: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest_uur: Mapped[int] = mapped_column(Integer, default=8)  # Europe/Amsterdam
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_geheim: Mapped[str | None] = mapped_column(String(128))
    # High-water mark: the highest berichten.id already notified; advanced by a conditional update.
    laatst_gemeld_id: Mapped[int] = mapped_column(BigId, default=0)
    laatste_digest_dag: Mapped[date | None] = mapped_column(Date)
    gewijzigd_op: Mapped[datetime] = mapped_column(UTCDateTime())


class Notificatie(Base):
    """The outbox: one row per notification and channel. Counts per message type, never content."""

    __tablename__ = "notificaties"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    deelnemer: Mapped[str] = mapped_column(ForeignKey("deelnemers.oin", ondelete="CASCADE"), index=True)
    kanaal: Mapped[str] = mapped_column(String(16))  # email | webhook
    # berichten: new messages (counts per type); beheer: a change to the participant's registration,
    # such as a certificate added or retired (DESIGN §5), described in ``details`` (metadata only).
    soort: Mapped[str] = mapped_column(String(16), default="berichten", server_default="berichten")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    aantallen: Mapped[dict[str, int]] = mapped_column(JSON)
    oudste_verloopt_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tot_bericht_id: Mapped[int] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16), default="wachtend")  # wachtend | verzonden | mislukt
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging: Mapped[datetime] = mapped_column(UTCDateTime())
    # Outcome of the last attempt: HTTP status or SMTP reply code, and the error (never content).
    antwoordcode: Mapped[int | None] = mapped_column(Integer)
    laatste_fout: Mapped[str | None] = mapped_column(String(500))
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    verzonden_op: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_notificaties_wachtend",
            "volgende_poging",
            postgresql_where=text("status = 'wachtend'"),
            sqlite_where=text("status = 'wachtend'"),
        ),
    )


class Auditregel(Base):
    """One entry of the append-only audit log (DESIGN §5): who did what to which message or
    participant, when, with what outcome. Metadata only — never inhoud or payload.

    Inserted without a lock (``id`` in insert order, ``volgnummer`` NULL); the sequencer
    (hub.sequencer) later gives it its gapless ``volgnummer`` and ``hash``, the RFC 6962 leaf hash
    of its fields (hub.sequencer.blad), over which the signed Merkle tree (``auditkoppen``) is built.
    ``ingevoegd_op`` (database clock, not hashed) tells how long an entry has waited."""

    __tablename__ = "auditregels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    volgnummer: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    tijd: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80))  # an OIN, KNOOPPUNT, or beheer:<who>
    actie: Mapped[str] = mapped_column(String(40))
    berichttype: Mapped[str | None] = mapped_column(String(64))
    module: Mapped[str | None] = mapped_column(String(32))
    afzender: Mapped[str | None] = mapped_column(String(20))
    ontvanger: Mapped[str | None] = mapped_column(String(20))
    referentienummer: Mapped[str | None] = mapped_column(String(36))
    deelnemer: Mapped[str | None] = mapped_column(String(20))
    certificaat: Mapped[str | None] = mapped_column(String(64))
    uitkomst: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    ingevoegd_op: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())

    __table_args__ = (
        # What the sequencer still has to do, in id order; small, since it is soon done.
        Index(
            "ix_auditregels_ongesequenceerd",
            "id",
            postgresql_where=text("volgnummer IS NULL"),
            sqlite_where=text("volgnummer IS NULL"),
        ),
    )


class Auditkop(Base):
    """A signed tree head of the audit log: the RFC 6962 root over the entries with volgnummer
    1..``grootte``, the compact range the sequencer continues from (hub.merkle.Rand), and the
    C2SP signed checkpoint. One per sequencer run that found entries."""

    __tablename__ = "auditkoppen"

    grootte: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    wortel: Mapped[str] = mapped_column(String(64))
    rand: Mapped[str] = mapped_column(Text)
    tijd: Mapped[datetime] = mapped_column(UTCDateTime())
    checkpoint: Mapped[str] = mapped_column(Text)


class Auditanker(Base):
    """Where the tree continues after a retention purge: the entries with volgnummer 1..``volgnummer``
    are gone; ``rand`` is their compact range, ``hash`` its root. One row (id 1); absent until the
    first purge."""

    __tablename__ = "auditanker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    volgnummer: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    rand: Mapped[str] = mapped_column(Text)
    tijd: Mapped[datetime] = mapped_column(UTCDateTime())
    opgeschoond_op: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the web portal (a hosted client, DESIGN §5 and §7): its own tables, never read by the hub ----


class PortaalSessie(Base):
    """A logged-in portal user. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the table cannot be used to log in."""

    __tablename__ = "portaal_sessies"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    soort: Mapped[str] = mapped_column(String(16))  # deelnemer | beheerder
    oin: Mapped[str | None] = mapped_column(String(20), index=True)
    gebruiker: Mapped[str] = mapped_column(String(200))  # display name
    onderwerp: Mapped[str] = mapped_column(String(200))  # OIDC sub, or "dev:<naam>"
    csrf: Mapped[str] = mapped_column(String(64))
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    laatst_actief_op: Mapped[datetime] = mapped_column(UTCDateTime())
    verloopt_op: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PortaalSleutel(Base):
    """The private key of a participant whose keys the portal holds (``sleutelbeheer`` portaal),
    encrypted with AES-256-GCM under a master key kept outside the database (DESIGN §5); the OIN
    and kid are the associated data, so a row cannot be moved to another participant or key."""

    __tablename__ = "portaal_sleutels"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # x5t#S256 of the certificate
    oin: Mapped[str] = mapped_column(String(20), index=True)
    certificaat_pem: Mapped[str] = mapped_column(Text)
    hoofdsleutel_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    versleuteld: Mapped[bytes] = mapped_column(LargeBinary)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    # When its participant made keys in the browser (DESIGN §5 "Migration", migration 0017): from
    # then on this key only opens messages already in flight for its kid.
    gemigreerd_op: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PortaalDossier(Base):
    """A hosted debt counsellor's own label for one client (a conversation): its klantnummerSHV and
    a name, so that its people recognise the client — the hub keeps no client names (DESIGN §1.3).
    Encrypted with AES-256-GCM under the kluis master key, with OIN and conversation as associated
    data; the plaintext is never stored."""

    __tablename__ = "portaal_dossiers"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    conversatie: Mapped[str] = mapped_column(String(36), primary_key=True)
    hoofdsleutel_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    versleuteld: Mapped[bytes] = mapped_column(LargeBinary)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    gewijzigd_op: Mapped[datetime] = mapped_column(UTCDateTime())


class PortaalClientlabel(Base):
    """A participant's own label for one client (a conversation), encrypted in the browser under
    the organisation's label key (DESIGN §5 "Portal", §7; migration 0018_clientlabels): the server
    keeps the key's id, the 96-bit IV and the AES-GCM ciphertext of {klantnummer, naam}, and can read
    none of it. The browser binds the ciphertext to the OIN, the conversation and the key id as
    associated data, so a row moved to another conversation does not decrypt."""

    __tablename__ = "portaal_clientlabels"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    conversatie: Mapped[str] = mapped_column(String(36), primary_key=True)
    sleutel_id: Mapped[str] = mapped_column(String(43))  # the label key's id (32 bytes, base64url)
    iv: Mapped[bytes] = mapped_column(LargeBinary(12))
    versleuteld: Mapped[bytes] = mapped_column(LargeBinary)
    gewijzigd_op: Mapped[datetime] = mapped_column(UTCDateTime())


# --- revocation: the CRL state shared by all hub nodes (DESIGN §5) -------------------------------


class CrlStaat(Base):
    """The newest CRL the hub holds of one trust anchor, shared by every node (store.crl_staat).

    A row is only ever replaced by a newer CRL (higher ``crl_nummer``, or the same number with a
    later ``deze_update``), in one conditional statement; ``versie`` counts the replacements, so
    that the sum over all rows changes with every change and a node reads it to know it must
    reload. ``crl_nummer`` is the CRL number as 49 zero-padded decimal digits (RFC 5280 allows up
    to 20 octets, more than a BIGINT holds), so that comparing the text compares the numbers.
    The row ``uitgever`` = "adresboek" holds no CRL: its ``versie`` counts the adresboek's changes
    that bear on authentication (store.crl_staat.ADRESBOEK)."""

    __tablename__ = "crl_staat"

    uitgever: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the anchor
    uitgever_naam: Mapped[str] = mapped_column(String(1000))
    crl_nummer: Mapped[str] = mapped_column(String(49))
    deze_update: Mapped[datetime] = mapped_column(UTCDateTime())  # thisUpdate
    volgende_update: Mapped[datetime] = mapped_column(UTCDateTime())  # nextUpdate
    der: Mapped[bytes] = mapped_column(LargeBinary)
    versie: Mapped[int] = mapped_column(BigInteger)
    bijgewerkt_op: Mapped[datetime] = mapped_column(UTCDateTime())


# --- which key store this message database belongs to (migration 0020_sleutelopslag) ------------------


class Sleutelopslagkoppeling(Base):
    """The identity of the key store (store.dagsleutels) whose day keys sealed this database's
    stored inhoud: one row, written by the first node that starts. A node with another key store
    (its own data directory, another KNOOPPUNT_SLEUTELOPSLAG_URL) could open none of the content
    the others stored, and refuses to start (``Dagsleutels.controleer_koppeling``)."""

    __tablename__ = "sleutelopslag_koppeling"

    nummer: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    opslag_id: Mapped[str] = mapped_column(String(36))
    gekoppeld_op: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the portal upload's idempotency secret (migration 0010_upload_geheim) --------------------------


class PortaalUploadgeheim(Base):
    """A participant's secret for the numbers of the answers the portal sends for it (DESIGN §7): a
    referentienummer is a UUIDv8 from an HMAC under this secret of the question and the answer, so a
    re-upload gets the same numbers. 32 random bytes, encrypted with AES-256-GCM under the kluis
    master key (the OIN as associated data); never logged, never shown."""

    __tablename__ = "portaal_uploadgeheimen"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    hoofdsleutel_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    versleuteld: Mapped[bytes] = mapped_column(LargeBinary)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())


# --- key blobs of portal users whose keys live in the browser (migration 0015_sleutelblobs) --------


class PortaalSleutelblob(Base):
    """One portal user's private keys, wrapped in their browser (DESIGN §5 "Portal"): a JSON document
    with the Argon2id parameters and salt and, per key, its ``kid`` (the certificate's x5t#S256),
    use, public-key thumbprint, IV and AES-256-GCM ciphertext. The key that wraps them is derived in
    the browser from a passphrase the server never sees: the server can unwrap nothing. One blob
    per user (``onderwerp``: the OIDC subject, or "dev:<naam>") of a participant; deleting it ends
    that user's access to the keys.

    Version 2 (decision 0027, migration 0017): the organisation's keys are shared by its users. The
    blob holds the user's personal ECDH key wrapped under Argon2id of their own passphrase and the
    organisation's keys, each a JWE (ECDH-ES+A256KW) to that personal public key. A user who asked
    for access and was not yet given it has a blob without organisation keys and
    ``toegang_gevraagd_op`` set; ``naam`` is the user's name as the login gave it, shown to the
    colleagues who grant or refuse."""

    __tablename__ = "portaal_sleutelblobs"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    onderwerp: Mapped[str] = mapped_column(String(200), primary_key=True)
    blob: Mapped[str] = mapped_column(Text)
    aangemaakt_op: Mapped[datetime] = mapped_column(UTCDateTime())
    gewijzigd_op: Mapped[datetime] = mapped_column(UTCDateTime())
    naam: Mapped[str] = mapped_column(String(200), default="", server_default="")
    toegang_gevraagd_op: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- the inbox quota (DESIGN §4, migration 0008) ---------------------------------------------------


class Inboxbezetting(Base):
    """Bytes of unconfirmed ciphertext (the submitted JWE's length, ``Bericht.grootte``) that one
    sender has waiting in one recipient's inbox: added when a message is stored, subtracted when
    its content goes (confirm, refusal, expiry), in the same transaction (store.inboxquotum). A
    submit reads a recipient's rows instead of summing its open messages."""

    __tablename__ = "inboxbezetting"

    ontvanger: Mapped[str] = mapped_column(String(20), primary_key=True)
    afzender: Mapped[str] = mapped_column(String(20), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # How many of this sender's messages wait unconfirmed in this recipient's inbox, kept with the
    # bytes: the per-sender cap (TE_VEEL_OPEN) reads it instead of counting messages. Migration 0014.
    aantal: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


# --- aanvragen: joining and extra modules, self-service (#14, migration 0016_aanvragen) ------------


class Aanvraag(Base):
    """An organisation's own aanmeldformulier (``soort`` aanmelding: it logged in with eHerkenning
    and is no participant yet) or a participant's request for extra modules (``extra_modules``),
    until a beheerder decides: ``ingediend`` → ``goedgekeurd`` | ``geweigerd``, one conditional
    UPDATE each (store.aanvragen). KvK and vestiging come from the login, never from the form. The
    certificate requests (PKCS#10, PEM) hold public keys only."""

    __tablename__ = "aanvragen"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    soort: Mapped[str] = mapped_column(String(16))  # aanmelding | extra_modules
    status: Mapped[str] = mapped_column(String(16), index=True)  # ingediend | goedgekeurd | geweigerd
    kvk_nummer: Mapped[str] = mapped_column(String(8))
    vestigingsnummer: Mapped[str | None] = mapped_column(String(12))
    oin: Mapped[str] = mapped_column(String(20), index=True)
    naam: Mapped[str] = mapped_column(String(200))
    rol: Mapped[str | None] = mapped_column(String(16))
    modules: Mapped[list[str]] = mapped_column(JSON, default=list)  # the adresboek's notation
    gebruikt_bsn: Mapped[bool] = mapped_column(Boolean, default=False)
    standaard_akkoord: Mapped[bool] = mapped_column(Boolean, default=False)
    schuldensoorten: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_naam: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_telefoon: Mapped[str] = mapped_column(String(32))
    csr_ondertekening: Mapped[str | None] = mapped_column(Text)
    csr_versleuteling: Mapped[str | None] = mapped_column(Text)
    # Keys made in the browser with the aanmelding (migration 0019): JSON of the encryption key's
    # public JWK, its proof of possession, the Argon2id-wrapped blob (ciphertext only) and whose it
    # becomes on approval; deleted on refusal.
    browsersleutels: Mapped[str | None] = mapped_column(Text)
    ingediend_door: Mapped[str] = mapped_column(String(80))  # the audit actor, portaal:<sub>
    ingediend_op: Mapped[datetime] = mapped_column(UTCDateTime())
    beoordeeld_door: Mapped[str | None] = mapped_column(String(80))
    beoordeeld_op: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reden: Mapped[str | None] = mapped_column(Text)  # why it was refused, told to the organisation

    __table_args__ = (Index("ix_aanvragen_kvk", "kvk_nummer", "vestigingsnummer"),)


class PortaalAanmelder(Base):
    """The organisation of a restricted portal session (``soort`` aanmelder): logged in with
    eHerkenning, not yet a participant, so it may only fill in and follow its aanvragen. Goes with
    its session (ON DELETE CASCADE)."""

    __tablename__ = "portaal_aanmelders"

    token_hash: Mapped[str] = mapped_column(
        ForeignKey("portaal_sessies.token_hash", ondelete="CASCADE"), primary_key=True
    )
    kvk_nummer: Mapped[str] = mapped_column(String(8))
    vestigingsnummer: Mapped[str | None] = mapped_column(String(12))
