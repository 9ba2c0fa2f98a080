"""Participant SDK: the JOSE envelope, the HTTP client, message builders."""
