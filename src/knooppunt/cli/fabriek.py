"""The app factory of ``knooppunt serve --workers N``: each worker process builds its own runtime
from the settings the supervising process checked, and serves the same app as a single-process hub.

uvicorn starts every worker with multiprocessing's *spawn*, which pickles the uvicorn config —
and this factory in it, settings and secrets included — into the pipe the worker reads at start.
So the secrets never pass through an environment variable (readable in /proc/<pid>/environ and
inherited by every process a worker starts) or a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knooppunt.config import Settings


@dataclass(frozen=True, slots=True)
class Fabriek:
    settings: Settings
    """Exactly the settings the supervisor checked: unpickled, not read again or re-validated."""
    extra_ankers: tuple[Path, ...]

    @classmethod
    def van(cls, settings: Settings, extra_ankers: list[Path]) -> Fabriek:
        return cls(settings, tuple(extra_ankers))

    def __call__(self) -> Any:
        from knooppunt import runtime as runtime_mod
        from knooppunt.api.auth import intrekkingscontrole
        from knooppunt.app import create_app
        from knooppunt.logging import configureer

        configureer()
        # The supervisor already migrated the schema; workers only connect.
        rt = runtime_mod.bouw(self.settings, extra_ankers=list(self.extra_ankers), upgrade=False)
        controle = intrekkingscontrole(rt)
        if controle is not None:
            # Load the CRLs before the first request; problems are logged and fail closed.
            controle.ververs()
        app = create_app(rt)
        runtime_mod.stel_gc_in_voor_server()
        return app
