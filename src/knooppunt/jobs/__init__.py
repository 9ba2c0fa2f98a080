"""Periodic jobs: plain functions over a session, run by the scheduler or `knooppunt worker`."""
