"""A PostgreSQL source named by a URL: `postgresql://user@host/db?table=products` or
`...?query=select ...`; every other parameter (`host=` for a socket folder, `sslmode=`, ...)
is the connection's, handed to libpq as written.

`query=` takes the rest of the URL literally, so SQL needs no escaping (`&`, `+`, `%` and `=`
stay as they are): put it last. `table=` may name a schema (`shop.products`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

SCHEMES = ("postgresql://", "postgres://")


class SourceError(ValueError):
    """A PostgreSQL source that cannot be read: one line naming the source and what to do."""


@dataclass(frozen=True)
class PostgresSource:
    conninfo: str  # the URL without table= and query=, for psycopg.connect
    table: str | None
    query: str | None

    @property
    def shown(self) -> str:
        """The source as reports and messages name it: no password, the rows' parameter."""
        rows = f"table={self.table}" if self.table is not None else f"query={self.query}"
        base = redacted(self.conninfo)
        return f"{base}{'&' if '?' in base else '?'}{rows}"

    @property
    def table_parts(self) -> tuple[str, ...]:
        return tuple((self.table or "").split("."))


def redacted(conninfo: str) -> str:
    """`conninfo` with its password (if any) shown as ***."""
    scheme, _, rest = conninfo.partition("://")
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{authority}{slash}{tail}"


def is_postgres_url(text: str) -> bool:
    return text.startswith(SCHEMES)


def _split_off_query(params: str) -> tuple[str, str | None]:
    """(the other parameters, the SQL of query= up to the end of the URL or None)."""
    if params.startswith("query="):
        return "", params.removeprefix("query=").strip()
    head, found, sql = params.partition("&query=")
    return (head, sql.strip()) if found else (params, None)


def parse_postgres_url(text: str) -> PostgresSource:
    """The source `text` names; SourceError when it names no rows (or both a table and a query)."""
    base, _, params = text.partition("?")
    params, query = _split_off_query(params)
    table: str | None = None
    kept: list[str] = []
    for part in filter(None, params.split("&")):
        name, _, value = part.partition("=")
        if name == "table":
            table = unquote(value).strip()
        else:
            kept.append(part)
    conninfo = base + ("?" + "&".join(kept) if kept else "")
    if (table is None) == (query is None) or not (table or query):
        raise SourceError(
            f"{redacted(conninfo)}: a PostgreSQL source needs exactly one of ?table=NAME or "
            "?query=SELECT ... (e.g. postgresql://shop@db/shop?table=products)"
        )
    return PostgresSource(conninfo, table, query)
