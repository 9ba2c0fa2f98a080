"""The content-blind routing core: adresboek, mailbox, conversation rules.

Knows nothing of HTTP. Services take a Session and never commit: the request or job that
calls them owns the transaction.
"""
