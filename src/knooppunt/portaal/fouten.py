"""Exceptions the portal turns into pages: a redirect to the login, or a Dutch error page."""

from __future__ import annotations


class InloggenNodig(Exception):
    def __init__(self, volgende: str) -> None:
        super().__init__(volgende)
        self.volgende = volgende


class GeenToegang(Exception):
    def __init__(self, uitleg: str, *, status: int = 403) -> None:
        super().__init__(uitleg)
        self.uitleg = uitleg
        self.status = status


class PortaalFout(Exception):
    """A request the portal cannot carry out; ``uitleg`` says what was wrong and what to do."""

    def __init__(self, uitleg: str, *, status: int = 400, titel: str = "Dat lukte niet") -> None:
        super().__init__(uitleg)
        self.uitleg = uitleg
        self.status = status
        self.titel = titel
