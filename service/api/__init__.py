"""The HTTP edge: Litestar app, routes, request/response types, health, errors, uvicorn."""
