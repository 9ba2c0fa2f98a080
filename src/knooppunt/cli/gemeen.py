"""What every `knooppunt` command group shares: clear errors, the settings, the audit actor.
Its own module, so that command groups in other modules (cli/portaal.py) can use it without
importing cli/main.py (which imports them)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from knooppunt.config import DEFAULT_DATA_DIR, Settings, SettingsError, instellingsfouten, load_settings
from knooppunt.hub.fouten import HubFout
from knooppunt.store.dagsleutels import SleutelFout, SleutelopslagOnbereikbaar
from knooppunt.store.migrate import SchemaNietActueel

F = TypeVar("F", bound=Callable[..., Any])


def fouten_netjes(functie: F) -> F:
    """Turn known errors into one clear line on stderr and a non-zero exit."""

    @wraps(functie)
    def verpakt(*args: Any, **kwargs: Any) -> Any:
        try:
            return functie(*args, **kwargs)
        except HubFout as fout:
            # A field the detail already says word for word is not repeated below it.
            velden = "".join(
                f"\n  - {v.name}: {v.reason}"
                for v in fout.velden
                if f"{v.name}: {v.reason}" not in fout.detail
            )
            click.echo(f"fout ({fout.code}): {fout.detail}{velden}", err=True)
            sys.exit(1)
        except SettingsError as fout:
            for regel in str(fout).splitlines() or [""]:
                click.echo(f"configuratiefout: {regel}", err=True)
            sys.exit(2)
        except ValidationError as fout:
            # One line per setting, named as it is set, in Dutch (config.instellingsfouten: what is
            # allowed, and what was given unless it may be secret — a database URL may hold a
            # password).
            if fout.title == Settings.__name__:
                regels = instellingsfouten(fout)
            else:
                regels = [
                    ": ".join(
                        [
                            *(["_".join(str(d) for d in f["loc"])] if f["loc"] else []),
                            str(f["msg"]).removeprefix("Value error, "),
                        ]
                    )
                    for f in fout.errors(include_input=False, include_url=False)
                ]
            for regel in regels:
                click.echo(f"configuratiefout: {regel}", err=True)
            sys.exit(2)
        except (FileNotFoundError, FileExistsError, PermissionError) as fout:
            click.echo(f"fout: {fout}", err=True)
            sys.exit(1)
        except SchemaNietActueel as fout:
            # The schema is behind (or ahead): this command does not migrate a database in use.
            click.echo(f"fout: {fout}", err=True)
            sys.exit(1)
        except SleutelFout as fout:
            # A day key that cannot be unwrapped (its master key left out of the setting): the
            # message says which key and what to do.
            click.echo(f"fout: {fout}", err=True)
            sys.exit(1)
        except OperationalError as fout:
            # The database is down or refuses us (wrong host, port, user, database name): one line
            # that says so, which of the two databases it is and what to check, not a page of
            # traceback. The driver's own message names host and port, never the password.
            oorzaak = str(fout.orig).strip().splitlines()[0] if fout.orig is not None else str(fout)
            if isinstance(fout, SleutelopslagOnbereikbaar):
                click.echo(
                    f"fout: de sleutelopslag (de database van de dagsleutels) is niet bereikbaar "
                    f"({oorzaak}); controleer KNOOPPUNT_SLEUTELOPSLAG_URL en of die database draait",
                    err=True,
                )
            else:
                click.echo(
                    f"fout: de database is niet bereikbaar ({oorzaak}); controleer "
                    "KNOOPPUNT_DATABASE_URL en of de database draait",
                    err=True,
                )
            sys.exit(1)

    return verpakt  # type: ignore[return-value]


def settings(*, alleen_berichtendatabase: bool = False) -> Settings:
    """The settings of an operator command; first a line on stderr when it is about to make a new
    data dir of the default `.knooppunt`, relative to the current folder (`nieuwe_datamap`).
    ``alleen_berichtendatabase``: the command opens the message database only (`db upgrade`)."""
    geladen = load_settings()
    nieuw = nieuwe_datamap(geladen, alleen_berichtendatabase=alleen_berichtendatabase)
    if nieuw is not None:
        click.echo(
            f"let op: nieuwe, lege datamap {nieuw} (KNOOPPUNT_DATA_DIR is niet gezet; de standaard "
            f"{DEFAULT_DATA_DIR} is relatief aan de huidige map). Bedoelt u de datamap van `make run`, "
            "voer de opdracht dan uit in de map waar `make run` draait, of zet KNOOPPUNT_DATA_DIR.",
            err=True,
        )
    return geladen


def nieuwe_datamap(settings: Settings, *, alleen_berichtendatabase: bool = False) -> Path | None:
    """The absolute path of the default data dir when a command is about to make it: the setting
    left at `.knooppunt` (relative to the current folder, so another folder means another hub),
    the folder not there yet, and something to keep in it — the SQLite message database, or (for a
    command that also opens the key store) the key store or the development day-key master key.
    A command run in the wrong folder would otherwise start on an empty database without a word."""
    if settings.data_dir != DEFAULT_DATA_DIR or settings.data_dir.exists():
        return None
    nodig = not settings.database_url
    if not alleen_berichtendatabase:
        zonder_hoofdsleutel = not settings.dagsleutel_hoofdsleutels.get_secret_value() and (
            settings.dagsleutel_hoofdsleutels_bestand is None
        )
        nodig = nodig or not settings.sleutelopslag_url or (settings.is_development and zonder_hoofdsleutel)
    return settings.data_dir.resolve() if nodig else None


def beheerder() -> str:
    """The audit actor of an operator command: ``beheer:`` + the operating-system user."""
    import getpass

    from knooppunt.hub import audit

    try:
        wie = getpass.getuser()
    except (KeyError, OSError):
        wie = "onbekend"
    return audit.beheerder(wie)
