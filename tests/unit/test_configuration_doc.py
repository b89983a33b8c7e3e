"""The tables under "Environment variables" in docs/configuration.md list every environment
variable that indexing/contract/settings.py reads, with the default the code uses, and nothing
it does not read: the tables cannot drift again.

The variables are found in settings.py's syntax tree, not by a fixed list: every read of
`os.environ` (`os.environ.get`, `os.environ[...]`, `os.getenv`) with a literal name, and every
call with a literal name to a helper of the module that reads `os.environ` with its argument
(`_env_str`, `_env_int`, `_env_float` today; a new helper is picked up by itself).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import indexing.contract.settings as settings_module
from indexing.contract.settings import PROJECT_ROOT

SETTINGS_FILE = Path(settings_module.__file__)
CONFIGURATION_DOC = PROJECT_ROOT / "docs" / "configuration.md"
SECTION = "## Environment variables"
ENV_NAME = re.compile(r"^(?:SHOPREC|REDIS)_[A-Z0-9_]+$")
NO_DEFAULT = object()


def _is_os(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_os(node.value)


def _environ_key(node: ast.AST) -> ast.AST | None:
    """The key expression of an environment read (`os.environ.get(k)`, `os.getenv(k)`,
    `os.environ[k]`), or None when `node` is not one."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and (
            (func.attr == "get" and _is_environ(func.value))
            or (func.attr == "getenv" and _is_os(func.value))
        ):
            return node.args[0]
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    return None


def _env_helpers(tree: ast.Module) -> dict[str, int]:
    """Module functions that read os.environ with one of their parameters: name -> position
    of that parameter."""
    helpers: dict[str, int] = {}
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef):
            continue
        params = [a.arg for a in func.args.args]
        for node in ast.walk(func):
            key = _environ_key(node)
            if isinstance(key, ast.Name) and key.id in params:
                helpers[func.name] = params.index(key.id)
    return helpers


def _literal(node: ast.AST | None) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
        return node.value
    return NO_DEFAULT


def settings_variables() -> dict[str, object]:
    """Environment variable name -> its literal default in settings.py (NO_DEFAULT when the
    default is computed, e.g. a path under the project folder, or there is none)."""
    tree = ast.parse(SETTINGS_FILE.read_text())
    helpers = _env_helpers(tree)
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        key = _environ_key(node)
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.setdefault(key.value, NO_DEFAULT)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = helpers.get(node.func.id)
            if position is None or len(node.args) <= position:
                continue
            name = node.args[position]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                default = node.args[position + 1] if len(node.args) > position + 1 else None
                found[name.value] = _literal(default)
    return found


def _configuration_rows() -> dict[str, list[str]]:
    """`| `NAME` | default | meaning |` rows of the doc's Environment variables section (up to
    the next `## ` heading): name -> cells."""
    text = CONFIGURATION_DOC.read_text()
    assert SECTION in text, f"no '{SECTION}' in docs/configuration.md"
    start = text.index(SECTION) + len(SECTION)
    end = text.find("\n## ", start)
    section = text[start : end if end >= 0 else len(text)]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([A-Z0-9_]+)`\s*\|", line)
        if match:
            cells = [
                c.strip().replace("\\|", "|")
                for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))
            ]
            rows[match.group(1)] = cells
    return rows


def _shown(default: object) -> str:
    if default == "":
        return "unset"  # an empty default means "not set": the code then works one out
    return f"`{default:g}`" if isinstance(default, int | float) else f"`{default}`"


def test_the_parser_finds_every_variable_settings_py_names() -> None:
    variables = settings_variables()
    # A new way of reading the environment that the parser does not know must fail here
    # rather than leave variables out of the check below.
    named = {
        node.value
        for node in ast.walk(ast.parse(SETTINGS_FILE.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_NAME.match(node.value)
    }
    assert named <= set(variables), sorted(named - set(variables))
    assert {"REDIS_URL", "SHOPREC_KEY_PREFIX", "SHOPREC_CACHE_TTL_S"} <= set(variables)


def test_every_variable_has_a_row_in_the_configuration_table() -> None:
    rows = _configuration_rows()
    missing = sorted(set(settings_variables()) - set(rows))
    assert not missing, f"docs/configuration.md lacks rows for {missing}"


def test_the_table_shows_the_defaults_of_the_code() -> None:
    rows = _configuration_rows()
    wrong = {
        name: (rows[name][1], _shown(default))
        for name, default in settings_variables().items()
        if default is not NO_DEFAULT and name in rows and _shown(default) not in rows[name][1]
    }
    assert not wrong, f"docs/configuration.md default vs code default: {wrong}"


def test_the_table_lists_no_variable_the_code_does_not_read() -> None:
    extra = sorted(set(_configuration_rows()) - set(settings_variables()))
    assert not extra, f"docs/configuration.md lists variables settings.py does not read: {extra}"
