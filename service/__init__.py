"""Online side of shoprec: the Litestar app that answers the shop frontend, and the CLI."""
