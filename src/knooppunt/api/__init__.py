"""API v1 for software vendors: thin FastAPI routers over the hub, mTLS authentication."""
