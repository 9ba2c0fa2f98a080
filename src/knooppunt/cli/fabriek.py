"""The app factory of ``knooppunt serve --workers N`` (uvicorn runs workers only from an import
string): each worker process builds its own runtime from the settings the supervising process
put in the environment, and serves the same app as a single-process hub.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from knooppunt import runtime as runtime_mod
from knooppunt.api.auth import intrekkingscontrole
from knooppunt.app import create_app
from knooppunt.cli.serve import FABRIEK_OMGEVING
from knooppunt.config import Settings, SettingsError
from knooppunt.logging import configureer


def maak_app() -> Any:
    gegevens = os.environ.get(FABRIEK_OMGEVING)
    if not gegevens:
        raise SettingsError(
            f"{FABRIEK_OMGEVING} is not set: this factory is for the workers of `knooppunt serve --workers N`"
        )
    opgeslagen = json.loads(gegevens)
    # model_validate, not Settings(): exactly the settings the supervisor checked, not re-read.
    settings = Settings.model_validate(opgeslagen["settings"])
    configureer()
    # The supervisor already migrated the schema; workers only connect.
    rt = runtime_mod.bouw(settings, extra_ankers=[Path(p) for p in opgeslagen["extra_ankers"]], upgrade=False)
    controle = intrekkingscontrole(rt)
    if controle is not None:
        # Load the CRLs before the first request; problems are logged and fail closed.
        controle.ververs()
    return create_app(rt)
