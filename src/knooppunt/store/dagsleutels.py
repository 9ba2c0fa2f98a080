"""Day keys (DESIGN §5 "Deletion means gone, even from backups"): stored ``inhoud`` is sealed with
AES-256-GCM under a data key of the calendar day (UTC) of its ``ontvangenOp``, with ``afzender``
and ``referentienummer`` as associated data. Day keys are wrapped under a master key from
configuration and kept in a key store apart from the message database (a database of its own);
once no message stored under a day's key can still be fetched, `Dagsleutels.vernietig_verlopen`
destroys it, and every copy of that day's ciphertext — dead rows, WAL, backups — opens with a key
that exists nowhere.

The stored text is ``kp1.<yyyymmdd>.<base64(nonce | ciphertext | tag)>``, so the message database
needs no new column. A JWE compact serialization starts with ``eyJ`` (its base64url header), so a
row stored before this scheme (plain JWE) is told apart and served as it is.

Several processes and nodes share one key store: a day's key is created insert-if-absent, then
read, so all agree. Unwrapped keys are cached in process memory (at most `CACHE_DAGEN` days, each
for `cache_seconden`); a destroyed key is dropped from the cache of the process that destroyed it
at once and from every other process's cache within `cache_seconden` (see decision 0015).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

from knooppunt.config import Settings, SettingsError
from knooppunt.store.db import leesverbinding, maak_engine
from knooppunt.store.models import OPEN_STATUSSEN, Bericht, Sleutelopslagkoppeling, UTCDateTime

log = structlog.get_logger("knooppunt.dagsleutels")

VOORVOEGSEL = "kp1."
"""Version 1 of the stored format; a later scheme gets another prefix (a JWE never starts with k)."""
ONTWIKKEL_BESTAND = "dagsleutel-hoofdsleutel"
CACHE_DAGEN = 32
_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,32}\Z")
_VARIABELE = "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS"
SLEUTELOPSLAG_VERPLICHT = (
    "KNOOPPUNT_SLEUTELOPSLAG_URL is verplicht in productie: de database van de dagsleutels "
    "(postgresql://…), een andere dan KNOOPPUNT_DATABASE_URL, met back-ups die niet langer "
    "bewaard worden dan de bevestigingstermijn plus een marge (zie docs/operations.md)."
)

metadata = MetaData()
# The key store's only table, in a database of its own (never the message database, whose
# backups are kept for years): one row per day; `verpakt` is NULL once the key is destroyed, and
# the row stays as a tombstone, so a destroyed day's key is never made again.
dagsleutels = Table(
    "dagsleutels",
    metadata,
    Column("dag", String(10), primary_key=True),  # YYYY-MM-DD, the UTC date of ontvangenOp
    Column("hoofdsleutel_id", String(32)),
    Column("verpakt", LargeBinary),  # nonce | AES-256-GCM(day key) under the master key
    # The latest verloopt_op of anything sealed under the key: past it, nothing can be fetched.
    Column("uiterlijk", UTCDateTime(), nullable=False),
    Column("aangemaakt_op", UTCDateTime(), nullable=False),
    Column("vernietigd_op", UTCDateTime()),
)
# The key store's identity: one row, made with the store. The message database records the
# identity of the store its inhoud is sealed with (models.Sleutelopslagkoppeling), so that a node
# configured with another store refuses to start (`Dagsleutels.controleer_koppeling`).
identiteit = Table(
    "sleutelopslag",
    metadata,
    Column("nummer", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("opslag_id", String(36), nullable=False),
    Column("aangemaakt_op", UTCDateTime(), nullable=False),
)


class NietInGeheugen(Exception):
    """A day key that is not in this process's memory (`Dagsleutels.open_uit_geheugen`)."""


class SleutelopslagOnbereikbaar(OperationalError):
    """The key store's database is down or refuses us: an OperationalError like the message
    database's (the API answers 503 alike), told apart so that the operator is pointed at
    KNOOPPUNT_SLEUTELOPSLAG_URL, not KNOOPPUNT_DATABASE_URL (cli/gemeen.py)."""


def _als_sleutelopslagfout(context: ExceptionContext) -> OperationalError | None:
    """handle_error of the key store's engine: its OperationalError as `SleutelopslagOnbereikbaar`."""
    fout = context.sqlalchemy_exception
    if not isinstance(fout, OperationalError) or isinstance(fout, SleutelopslagOnbereikbaar):
        return None
    return SleutelopslagOnbereikbaar(
        fout.statement,
        fout.params,
        fout.orig,  # type: ignore[arg-type]
        hide_parameters=fout.hide_parameters,
        connection_invalidated=fout.connection_invalidated,
    )


class SleutelFout(Exception):
    """A day key cannot be used: for sealing (destroyed, or unwrappable), so the submit fails and
    nothing is stored; or for opening, because it is wrapped under a master key missing from this
    node's configuration (an operator's matter; the request changes nothing). Content whose key was
    destroyed is not an error: it is simply gone."""


@dataclass(frozen=True)
class Hoofdsleutels:
    """Master keys by id; the first wraps new day keys, every one unwraps (rotation)."""

    sleutels: dict[str, bytes]
    huidige_id: str

    @classmethod
    def uit_tekst(cls, tekst: str, bron: str = _VARIABELE) -> Hoofdsleutels:
        lijst: list[tuple[str, bytes]] = []
        for deel in (d.strip() for d in tekst.split(",")):
            if not deel:
                continue
            sid, _, waarde = deel.partition(":")
            if not waarde:
                raise SettingsError(
                    f"{bron}: verwacht 'id:base64-sleutel' (komma-gescheiden), kreeg een deel zonder ':'"
                )
            if not _ID.match(sid):
                raise SettingsError(
                    f"{bron}: id {sid[:40]!r} mag alleen letters, cijfers, '_', '.' en '-' bevatten "
                    "(maximaal 32 tekens)"
                )
            try:
                sleutel = base64.b64decode(waarde, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SettingsError(f"{bron}: sleutel {sid!r} is geen geldige base64") from exc
            if len(sleutel) != 32:
                raise SettingsError(
                    f"{bron}: sleutel {sid!r} is {len(sleutel)} bytes; AES-256 vraagt 32 bytes (maak er "
                    'een met: python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")'
                )
            lijst.append((sid, sleutel))
        if not lijst:
            raise SettingsError(f"{bron}: geen hoofdsleutel gevonden ('id:base64(32 bytes)')")
        return cls(dict(lijst), lijst[0][0])

    @staticmethod
    def _ad(dag: str, sid: str) -> bytes:
        return f"knooppunt-dagsleutel|{dag}|{sid}".encode()

    def verpak(self, dag: str, sleutel: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        sid = self.huidige_id
        return sid, nonce + AESGCM(self.sleutels[sid]).encrypt(nonce, sleutel, self._ad(dag, sid))

    def pak_uit(self, dag: str, sid: str, verpakt: bytes) -> bytes:
        hoofdsleutel = self.sleutels.get(sid)
        if hoofdsleutel is None:
            raise SleutelFout(
                f"de dagsleutel van {dag} is verpakt onder hoofdsleutel {sid!r}, die niet in "
                f"{_VARIABELE} staat; zet die sleutel er weer achter (ná de huidige) en draai "
                "'knooppunt sleutels herverpak'"
            )
        try:
            return AESGCM(hoofdsleutel).decrypt(verpakt[:12], verpakt[12:], self._ad(dag, sid))
        except InvalidTag as exc:
            raise SleutelFout(
                f"de dagsleutel van {dag} is niet uit te pakken (gewijzigd of verplaatst)"
            ) from exc


def _verzegeld(sleutel: bytes, dag: str, afzender: str, referentienummer: str, jwe: str) -> str:
    nonce = os.urandom(12)
    data = AESGCM(sleutel).encrypt(nonce, jwe.encode("ascii"), _ad(afzender, referentienummer, dag))
    tekst = binascii.b2a_base64(nonce + data, newline=False).decode("ascii")
    return f"{VOORVOEGSEL}{dag.replace('-', '')}.{tekst}"


def _ad(afzender: str, referentienummer: str, dag: str) -> bytes:
    return f"knooppunt-inhoud|{afzender}|{referentienummer}|{dag}".encode()


def _dag_van_opgeslagen(opgeslagen: str) -> str:
    """The day (YYYY-MM-DD) of a stored text: yyyymmdd after the prefix."""
    ruw = opgeslagen[len(VOORVOEGSEL) : len(VOORVOEGSEL) + 8]
    return f"{ruw[:4]}-{ruw[4:6]}-{ruw[6:]}"


def dag_van(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


class Dagsleutels:
    """The key store: creates, caches, destroys and rewraps day keys, and seals and opens stored
    ``inhoud`` with them. One per process (``Runtime.dagsleutels``); thread-safe."""

    def __init__(
        self,
        engine: Engine,
        hoofdsleutels: Hoofdsleutels,
        *,
        cache_seconden: float = 60.0,
        klok: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.hoofdsleutels = hoofdsleutels
        self.cache_seconden = cache_seconden
        self._klok = klok
        self._slot = threading.Lock()
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._vernietigd: set[str] = set()  # permanent: a destroyed key never comes back
        self._uiterlijk: dict[str, datetime] = {}  # the `uiterlijk` this process knows is stored
        self._onbekend: set[str] = set()  # days asked for that the key store never had (logged once)

    @classmethod
    def uit_instellingen(cls, settings: Settings, *, maak: bool = True) -> Dagsleutels:
        """The key store of these settings, its tables created if absent (with ``maak=False`` left
        to `controleer_koppeling`, which creates them only once the store proves to be the one the
        message database works with). Refused: the key store in the message database; in
        production also a missing master key or key-store URL."""
        hoofdsleutels = hoofdsleutels_uit(settings)
        url = settings.effectieve_sleutelopslag_url
        if not settings.is_development and not settings.sleutelopslag_url:
            raise SettingsError(SLEUTELOPSLAG_VERPLICHT)
        if make_url(url) == make_url(settings.effective_database_url):
            raise SettingsError(
                "KNOOPPUNT_SLEUTELOPSLAG_URL wijst naar de berichtendatabase: de dagsleutels moeten in "
                "een eigen database staan, anders bewaren de back-ups van de berichten ook hun sleutels."
            )
        engine = maak_engine(url, pool_size=2)
        event.listen(engine, "handle_error", _als_sleutelopslagfout)
        opslag = cls(engine, hoofdsleutels)
        if maak:
            opslag.maak_schema()
        return opslag

    def maak_schema(self) -> None:
        """Create the table if absent; several processes may start at once."""
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except Exception:
            # Another process created it between the check and the CREATE (PostgreSQL).
            with self.engine.connect() as conn:
                if not self.engine.dialect.has_table(conn, "dagsleutels"):
                    raise

    def close(self) -> None:
        self.engine.dispose()

    # --- which message database this store belongs to ---------------------------------------------

    def identiteit(self) -> str:
        """This key store's identity (a UUID), made insert-if-absent on first use, so every process
        sharing the store reads the same one."""
        with self.engine.begin() as conn:
            conn.execute(
                self._insert()(identiteit)
                .values(nummer=1, opslag_id=str(uuid.uuid4()), aangemaakt_op=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["nummer"])
            )
            return str(conn.scalar(select(identiteit.c.opslag_id).where(identiteit.c.nummer == 1)))

    def bestaande_identiteit(self) -> str | None:
        """This key store's identity if it has one, creating nothing (None for an empty database)."""
        with self.engine.connect() as conn:
            if not self.engine.dialect.has_table(conn, identiteit.name):
                return None
            waarde = conn.scalar(select(identiteit.c.opslag_id).where(identiteit.c.nummer == 1))
            return None if waarde is None else str(waarde)

    def controleer_koppeling(self, berichten: Engine) -> None:
        """Refuse to run beside a message database whose inhoud another key store sealed.

        The first process to start records this store's identity in the message database; a later
        one with another store (a node with a data directory of its own, another
        KNOOPPUNT_SLEUTELOPSLAG_URL) could open nothing the others stored — its fetches would leave
        those messages out, and what it stored the others could not open — so it stops with what to
        set. A message database not yet migrated this far is left alone (``knooppunt db upgrade``).
        Nothing is written into a store that is refused — a node pointed at a wrong database (a
        mistyped KNOOPPUNT_SLEUTELOPSLAG_URL) leaves it as it found it; the store's tables are made
        here, once it proves to be the right one (or the first)."""
        if not inspect(berichten).has_table(Sleutelopslagkoppeling.__tablename__):
            self.maak_schema()
            return
        koppeling = Sleutelopslagkoppeling
        with berichten.connect() as conn:
            bekend = conn.scalar(select(koppeling.opslag_id).where(koppeling.nummer == 1))
        if bekend is not None and self.bestaande_identiteit() != bekend:
            eigen = self.bestaande_identiteit() or "nog leeg: er is hier niets aangemaakt"
            self._weiger(berichten, eigen)
        self.maak_schema()
        eigen = self.identiteit()
        with berichten.begin() as conn:
            conn.execute(
                (postgresql.insert if berichten.dialect.name == "postgresql" else sqlite.insert)(koppeling)
                .values(nummer=1, opslag_id=eigen, gekoppeld_op=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["nummer"])
            )
            rij = conn.execute(
                select(koppeling.opslag_id, koppeling.gekoppeld_op).where(koppeling.nummer == 1)
            ).one()
            if rij.opslag_id == eigen:
                return
        self._weiger(berichten, eigen)

    def _weiger(self, berichten: Engine, eigen: str) -> NoReturn:
        """Refuse: the message database works with another key store, and says which."""
        koppeling = Sleutelopslagkoppeling
        with berichten.connect() as conn:
            rij = conn.execute(
                select(koppeling.opslag_id, koppeling.gekoppeld_op).where(koppeling.nummer == 1)
            ).one()
            open_ = conn.scalar(
                select(func.count())
                .select_from(Bericht)
                .where(Bericht.status.in_(OPEN_STATUSSEN), Bericht.grootte.is_not(None))
            )
        raise SettingsError(
            f"De sleutelopslag van deze node ({self._waar()}, opslag {eigen}) is niet die waarmee de "
            f"berichtendatabase werkt (opslag {rij.opslag_id}, sinds "
            f"{rij.gekoppeld_op.isoformat(timespec='seconds')}): de inhoud die de andere nodes "
            f"opsloegen ({_aantal_open(open_)} nu) opent hier niet, en wat deze node opslaat niet "
            "daar. Geef elke node dezelfde KNOOPPUNT_SLEUTELOPSLAG_URL en dezelfde hoofdsleutel "
            "(KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS; in ontwikkeling: dezelfde KNOOPPUNT_DATA_DIR). Is de "
            "oude sleutelopslag echt verloren, koppel deze dan met `knooppunt sleutels koppel "
            "--opgeven`: open berichten die onder de oude sleutels zijn opgeslagen worden dan niet "
            "meer bezorgd en verlopen (de afzender krijgt VERLOPEN en kan opnieuw sturen)."
        )

    def koppel(self, berichten: Engine) -> str | None:
        """Record this store as the one the message database works with (after the old store was
        lost for good); returns the identity it replaces, or None if there was none or it was this."""
        eigen = self.identiteit()
        koppeling = Sleutelopslagkoppeling
        with berichten.begin() as conn:
            oud = conn.scalar(select(koppeling.opslag_id).where(koppeling.nummer == 1))
            if oud is None:
                conn.execute(
                    insert(koppeling).values(nummer=1, opslag_id=eigen, gekoppeld_op=datetime.now(UTC))
                )
            elif oud != eigen:
                conn.execute(
                    update(koppeling)
                    .where(koppeling.nummer == 1)
                    .values(opslag_id=eigen, gekoppeld_op=datetime.now(UTC))
                )
        log.warning("sleutelopslag gekoppeld", opslag=eigen, vorige=oud)
        return oud if oud != eigen else None

    def _waar(self) -> str:
        """Where this store lives, for an error message (no password)."""
        return self.engine.url.render_as_string(hide_password=True)

    # --- keys ---------------------------------------------------------------------------------

    def _uit_cache(self, dag: str) -> bytes | None:
        with self._slot:
            item = self._cache.get(dag)
            if item is None:
                return None
            sleutel, moment = item
            if self._klok() - moment > self.cache_seconden:
                del self._cache[dag]
                return None
            self._cache.move_to_end(dag)
            return sleutel

    def _in_cache(self, dag: str, sleutel: bytes) -> None:
        with self._slot:
            self._cache[dag] = (sleutel, self._klok())
            self._cache.move_to_end(dag)
            while len(self._cache) > CACHE_DAGEN:
                self._cache.popitem(last=False)

    def _insert(self) -> Any:
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    def sleutel_om_te_verzegelen(self, dag: str, uiterlijk: datetime) -> bytes:
        """The key of `dag` (made if absent), with `uiterlijk` (the sealed message's verloopt_op)
        recorded first, so the key outlives everything sealed under it."""
        sleutel = self._uit_cache(dag)
        with self._slot:
            bekend = self._uiterlijk.get(dag)
        if sleutel is not None and bekend is not None and bekend >= uiterlijk:
            return sleutel
        nieuw = secrets.token_bytes(32)
        sid, verpakt = self.hoofdsleutels.verpak(dag, nieuw)
        with self.engine.begin() as conn:
            conn.execute(
                self._insert()(dagsleutels)
                .values(
                    dag=dag,
                    hoofdsleutel_id=sid,
                    verpakt=verpakt,
                    uiterlijk=uiterlijk,
                    aangemaakt_op=datetime.now(UTC),
                )
                .on_conflict_do_nothing(index_elements=["dag"])
            )
            conn.execute(
                update(dagsleutels)
                .where(
                    dagsleutels.c.dag == dag,
                    dagsleutels.c.vernietigd_op.is_(None),
                    dagsleutels.c.uiterlijk < uiterlijk,
                )
                .values(uiterlijk=uiterlijk)
            )
            rij = conn.execute(select(dagsleutels).where(dagsleutels.c.dag == dag)).one()
        if rij.verpakt is None:
            # Only when the clock went back past the destruction (a faked clock run ahead, a VM or
            # database restored): a destroyed day's key is never made again.
            raise SleutelFout(
                f"de dagsleutel van {dag} is al vernietigd (op {rij.vernietigd_op:%Y-%m-%d %H:%M} UTC); "
                "een bericht van die dag kan niet meer worden opgeslagen. Staat de klok van het "
                "knooppunt of van zijn database achter? Inzendingen lukken weer vanaf de volgende dag (UTC)"
            )
        sleutel = self.hoofdsleutels.pak_uit(dag, rij.hoofdsleutel_id, rij.verpakt)
        self._in_cache(dag, sleutel)
        with self._slot:
            self._uiterlijk[dag] = max(rij.uiterlijk, self._uiterlijk.get(dag, rij.uiterlijk))
        return sleutel

    def sleutel(self, dag: str) -> bytes | None:
        """The key of `dag` to open with, or None when it is destroyed or unknown here (then the
        content is gone). A master key that is no longer configured is an operator error: raised."""
        sleutel = self._uit_cache(dag)
        if sleutel is not None:
            return sleutel
        with self._slot:
            if dag in self._vernietigd:
                return None
        with leesverbinding(self.engine) as conn:
            rij = conn.execute(select(dagsleutels).where(dagsleutels.c.dag == dag)).one_or_none()
        if rij is None:
            # Never made here: another key store than the one that sealed it (a configuration
            # error), or one restored from a backup older than the message. Not served, and said.
            with self._slot:
                eerste = dag not in self._onbekend
                self._onbekend.add(dag)
            if eerste:
                log.error(
                    "dagsleutel onbekend in de sleutelopslag: inhoud van die dag wordt niet geserveerd; "
                    "staat KNOOPPUNT_SLEUTELOPSLAG_URL goed?",
                    dag=dag,
                )
            return None
        if rij.verpakt is None:
            with self._slot:
                self._vernietigd.add(dag)
            return None
        sleutel = self.hoofdsleutels.pak_uit(dag, rij.hoofdsleutel_id, rij.verpakt)
        self._in_cache(dag, sleutel)
        return sleutel

    # --- sealing ------------------------------------------------------------------------------

    def verzegel(
        self, *, afzender: str, referentienummer: str, ontvangen_op: datetime, verloopt_op: datetime, jwe: str
    ) -> str:
        """The text to store for this JWE: sealed under the key of its day of ontvangenOp."""
        dag = dag_van(ontvangen_op)
        return _verzegeld(
            self.sleutel_om_te_verzegelen(dag, verloopt_op), dag, afzender, referentienummer, jwe
        )

    def verzegel_uit_geheugen(
        self, *, afzender: str, referentienummer: str, ontvangen_op: datetime, verloopt_op: datetime, jwe: str
    ) -> str | None:
        """As `verzegel`, but only when the day's key is in memory and already recorded to outlive
        `verloopt_op` — no database, nothing that blocks (the hot submit on the event loop,
        api/lus.py); else None."""
        dag = dag_van(ontvangen_op)
        sleutel = self._uit_cache(dag)
        with self._slot:
            bekend = self._uiterlijk.get(dag)
        if sleutel is None or bekend is None or bekend < verloopt_op:
            return None
        return _verzegeld(sleutel, dag, afzender, referentienummer, jwe)

    def open_(self, *, afzender: str, referentienummer: str, opgeslagen: str) -> str | None:
        """The JWE exactly as submitted, or None when its day key is destroyed (the content is
        gone: the message is treated as expired) or the stored text does not open."""
        if not opgeslagen.startswith(VOORVOEGSEL):
            return opgeslagen  # stored before day keys: a plain JWE
        dag = _dag_van_opgeslagen(opgeslagen)
        return self._open_met(self.sleutel(dag), dag, afzender, referentienummer, opgeslagen)

    def open_uit_geheugen(self, *, afzender: str, referentienummer: str, opgeslagen: str) -> str | None:
        """As `open_`, but only with what this process holds in memory — no database, nothing
        that blocks (the fetch on the event loop, api/lus_inbox.py): raises `NietInGeheugen` when
        the day's key is neither cached nor known to be destroyed."""
        if not opgeslagen.startswith(VOORVOEGSEL):
            return opgeslagen
        dag = _dag_van_opgeslagen(opgeslagen)
        sleutel = self._uit_cache(dag)
        if sleutel is None:
            with self._slot:
                vernietigd = dag in self._vernietigd
            if not vernietigd:
                raise NietInGeheugen(dag)
        return self._open_met(sleutel, dag, afzender, referentienummer, opgeslagen)

    def _open_met(
        self, sleutel: bytes | None, dag: str, afzender: str, referentienummer: str, opgeslagen: str
    ) -> str | None:
        if sleutel is None:
            return None
        # base64 after 'kp1.yyyymmdd.' (read through a memoryview: no copies of a 4 MiB text;
        # base64, not AES-GCM, is most of the cost, see docs/performance.md).
        ruw = opgeslagen.encode("ascii")
        data = memoryview(binascii.a2b_base64(memoryview(ruw)[len(VOORVOEGSEL) + 9 :]))
        try:
            jwe = AESGCM(sleutel).decrypt(data[:12], data[12:], _ad(afzender, referentienummer, dag))
        except InvalidTag:
            log.warning("inhoud opent niet onder haar dagsleutel", dag=dag, referentienummer=referentienummer)
            return None
        return jwe.decode("ascii")

    # --- destroying and rewrapping ------------------------------------------------------------

    def vernietig_verlopen(
        self,
        *,
        nu: datetime,
        nog_op_te_halen: Callable[[str, datetime], bool] | None = None,
        werkelijk: datetime | None = None,
    ) -> list[str]:
        """Destroy every day key under which nothing can be fetched any more, once its day ended
        more than a day ago (no submit of that day can still be in flight): its latest verloopt_op
        has passed (every message of that day is confirmed, refused or expired), or — asked of the
        message database through ``nog_op_te_halen(dag, uiterlijk)`` — none of that day's messages
        is still open, all confirmed or refused before their term. Idempotent; concurrent
        destroyers each destroy a key at most once (conditional UPDATE). Returns the days
        destroyed by this call. ``werkelijk`` is the real clock when `nu` was set by hand (``worker
        --once --now``, development): a day counts as over only once it is over in real time too, for
        the live hub still seals today's submits under today's key, whatever a dry run's clock says
        (destroying it would refuse every later submit of the day)."""
        einde = nu if werkelijk is None else min(nu, werkelijk)
        grens = (einde.astimezone(UTC).date() - timedelta(days=1)).isoformat()
        with self.engine.begin() as conn:
            kandidaten = [
                (str(r.dag), r.uiterlijk)
                for r in conn.execute(
                    select(dagsleutels.c.dag, dagsleutels.c.uiterlijk).where(
                        dagsleutels.c.vernietigd_op.is_(None), dagsleutels.c.dag < grens
                    )
                )
            ]
        dagen = [
            dag
            for dag, uiterlijk in kandidaten
            if uiterlijk < nu or (nog_op_te_halen is not None and not nog_op_te_halen(dag, uiterlijk))
        ]
        vernietigd = []
        with self.engine.begin() as conn:
            for dag in dagen:
                resultaat = conn.execute(
                    update(dagsleutels)
                    .where(dagsleutels.c.dag == dag, dagsleutels.c.vernietigd_op.is_(None))
                    .values(verpakt=None, hoofdsleutel_id=None, vernietigd_op=nu)
                )
                if resultaat.rowcount == 1:
                    vernietigd.append(dag)
        with self._slot:
            for dag in vernietigd:
                self._cache.pop(dag, None)
                self._vernietigd.add(dag)
        if vernietigd:
            self._wis_sporen()
            log.info("dagsleutels vernietigd", dagen=vernietigd)
        return vernietigd

    def _wis_sporen(self) -> None:
        """Leave no copy of a destroyed key in the key store's own files: SQLite overwrites freed
        space (secure_delete) and its WAL is checkpointed and truncated (outside any transaction);
        PostgreSQL rewrites the table, so no dead row keeps the wrapped key (its WAL segments age
        out like the key store's short-lived backups)."""
        try:
            if self.engine.dialect.name == "sqlite":
                ruw = self.engine.raw_connection()
                try:
                    cursor = ruw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    rij = cursor.fetchone()
                    bezet = bool(rij and rij[0])
                    cursor.close()
                finally:
                    ruw.close()
                if bezet:
                    log.warning("WAL van de sleutelopslag niet geleegd: een lezer hield hem vast")
            else:
                with self.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                        text("VACUUM FULL dagsleutels")
                    )
        except Exception:
            log.exception("opruimen van de sleutelopslag na vernietigen mislukt")

    def herverpak(self) -> int:
        """Rewrap every live day key under the current master key (after a rotation); returns how
        many were rewrapped. Afterwards the old master key can be removed from the configuration."""
        aantal = 0
        with self.engine.begin() as conn:
            rijen = conn.execute(
                select(dagsleutels.c.dag, dagsleutels.c.hoofdsleutel_id, dagsleutels.c.verpakt).where(
                    dagsleutels.c.verpakt.is_not(None),
                    dagsleutels.c.hoofdsleutel_id != self.hoofdsleutels.huidige_id,
                )
            ).all()
            for dag, sid, verpakt in rijen:
                sleutel = self.hoofdsleutels.pak_uit(dag, sid, verpakt)
                nieuw_id, nieuw = self.hoofdsleutels.verpak(dag, sleutel)
                aantal += conn.execute(
                    update(dagsleutels)
                    .where(dagsleutels.c.dag == dag, dagsleutels.c.verpakt.is_not(None))
                    .values(hoofdsleutel_id=nieuw_id, verpakt=nieuw)
                ).rowcount
        return aantal

    def overzicht(self) -> list[dict[str, Any]]:
        """Every day in the key store, newest first: hoofdsleutel, uiterlijk, vernietigd_op (none
        in a store not made yet: looking creates nothing)."""
        with leesverbinding(self.engine) as conn:
            if not self.engine.dialect.has_table(conn, dagsleutels.name):
                return []
            return [
                {
                    "dag": r.dag,
                    "hoofdsleutel": r.hoofdsleutel_id,
                    "uiterlijk": r.uiterlijk.isoformat(),
                    "vernietigdOp": r.vernietigd_op.isoformat() if r.vernietigd_op else None,
                }
                for r in conn.execute(
                    select(
                        dagsleutels.c.dag,
                        dagsleutels.c.hoofdsleutel_id,
                        dagsleutels.c.uiterlijk,
                        dagsleutels.c.vernietigd_op,
                    ).order_by(dagsleutels.c.dag.desc())
                )
            ]


def _aantal_open(aantal: int | None) -> str:
    if not aantal:
        return "geen open berichten"
    return "1 open bericht" if aantal == 1 else f"{aantal} open berichten"


def hoofdsleutels_uit(settings: Settings) -> Hoofdsleutels:
    """The master keys: KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS, or the file that
    KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS_BESTAND names; development generates one in the data dir
    on first start; production refuses to start without one."""
    tekst = settings.dagsleutel_hoofdsleutels.get_secret_value()
    if tekst:
        return Hoofdsleutels.uit_tekst(tekst)
    if settings.dagsleutel_hoofdsleutels_bestand is not None:
        pad = settings.dagsleutel_hoofdsleutels_bestand
        try:
            return Hoofdsleutels.uit_tekst(pad.read_text(encoding="ascii"), f"{_VARIABELE}_BESTAND ({pad})")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{_VARIABELE}_BESTAND: {pad} is niet te lezen ({exc})") from exc
    if not settings.is_development:
        raise SettingsError(
            f"{_VARIABELE} (of {_VARIABELE}_BESTAND) is verplicht in productie: 'id:base64(32 bytes)', "
            "de hoofdsleutel waaronder de dagsleutels van de berichtinhoud verpakt zijn, bewaard buiten "
            "de databases en hun back-ups (zie docs/operations.md, 'Dagsleutels')."
        )
    return Hoofdsleutels.uit_tekst(
        _ontwikkelsleutel(settings.data_dir / ONTWIKKEL_BESTAND), f"{settings.data_dir / ONTWIKKEL_BESTAND}"
    )


def _ontwikkelsleutel(pad: Path) -> str:
    """Generate the development master key once (mode 0600); with several processes starting at
    once, the first to link its file wins and everyone reads the same key."""
    if pad.exists():
        return pad.read_text(encoding="ascii").strip()
    pad.parent.mkdir(parents=True, exist_ok=True)
    tekst = "ontwikkel-1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    tijdelijk = pad.with_name(f".{pad.name}.{os.getpid()}")
    fd = os.open(tijdelijk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as bestand:
        bestand.write(tekst + "\n")
    try:
        with contextlib.suppress(FileExistsError):
            os.link(tijdelijk, pad)
    finally:
        tijdelijk.unlink(missing_ok=True)
    return pad.read_text(encoding="ascii").strip()
