"""The commands that README.md and docs/ tell people to type exist as written: every
`shoprec SUBCOMMAND --option` is a subcommand and an option of the real parser
(service/cli/main.py), and every `python scripts/NAME.py --option` names a script that takes
that option (defined in the script or in a project module it imports from).

Commands are read from code only (inline code and fenced blocks), where they start: at the
beginning, after a `$ ` prompt or environment assignments, or after `docker compose ... indexer`
/ `api`.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from indexing.contract.settings import PROJECT_ROOT, get_settings
from service.cli.main import build_parser
from tests.support.markdown_docs import CODE_SPAN, FENCE, doc_files, problems, write_tree

LEAD = r"^(?:\$\s+)?(?:[A-Z][A-Z0-9_]*=\S*\s+)*"
SHOPREC = re.compile(
    LEAD + r"(?:\.venv/bin/)?shoprec(?:\s+-v)?\s+([a-z][\w-]*)(.*)$"
    r"|\s(?:indexer|api)\s+shoprec\s+([a-z][\w-]*)(.*)$"
)
SCRIPT = re.compile(LEAD + r"(?:\.venv/bin/)?python3?\s+(scripts/[\w-]+\.py)(.*)$")
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
END = re.compile(r"\s[#;&|]|\s>")  # a comment, another command, a pipe or a redirect


def code_units(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every command line of a fenced block (a line ending in a
    backslash continues on the next) and every inline code span."""
    units: list[tuple[int, str]] = []
    fenced = False
    continued: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced, continued = not fenced, None
        elif fenced:
            start, before = continued or (number, "")
            joined = f"{before} {line.strip()}".strip()
            continued = (start, joined[:-1]) if joined.endswith("\\") else None
            if continued is None:
                units.append((start, joined))
        else:
            units.extend((number, m.group(2).strip()) for m in CODE_SPAN.finditer(line))
    return units


def _options(rest: str) -> list[str]:
    rest = rest.replace("\\|", "|")  # a table cell's escaped pipe is part of the command
    end = END.search(rest)
    return OPTION.findall(rest[: end.start()] if end else rest)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser(get_settings())
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("shoprec has no subcommands")


def _action(
    sub: argparse.ArgumentParser, rest: str, name: str
) -> tuple[argparse.ArgumentParser, str, str]:
    """A subcommand's own action (`shoprec rules add ...`) where it has actions and the
    command names one: its parser, the rest of the command and the full name."""
    for action in sub._actions:
        if isinstance(action, argparse._SubParsersAction):
            word, _, after = rest.strip().partition(" ")
            if word in action.choices:
                return action.choices[word], after, f"{name} {word}"
    return sub, rest, name


def _script_source(script: Path, root: Path) -> str:
    """The script's text and that of the project modules it imports from (a thin entry point
    may take its options from a parser defined there)."""
    text = script.read_text()
    for module in re.findall(r"^from ((?:indexing|service)(?:\.\w+)+) import", text, re.M):
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        if path.is_file():
            text += path.read_text()
    return text


def wrong_commands(doc: Path, root: Path = PROJECT_ROOT) -> list[str]:
    subcommands = _subcommands()
    problems: list[str] = []
    where = doc.relative_to(root)
    for number, unit in code_units(doc.read_text()):
        match = SHOPREC.search(unit)
        if match:
            name, rest = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
            sub = subcommands.get(name)
            if sub is None:
                problems.append(f"{where}:{number}: shoprec has no subcommand {name!r}")
                continue
            sub, rest, name = _action(sub, rest, name)
            for option in _options(rest):
                if option not in sub._option_string_actions:
                    problems.append(f"{where}:{number}: shoprec {name} has no option {option}")
        match = SCRIPT.search(unit)
        if match:
            script = root / match.group(1)
            if not script.is_file():
                problems.append(f"{where}:{number}: no script {match.group(1)}")
                continue
            source = _script_source(script, root)
            for option in _options(match.group(2)):
                if f'"{option}"' not in source:
                    problems.append(f"{where}:{number}: {match.group(1)} has no option {option}")
    return problems


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_documented_commands_exist(doc: Path) -> None:
    assert not wrong_commands(doc)


def test_commands_are_found() -> None:
    units = [u for doc in doc_files() for _, u in code_units(doc.read_text())]
    assert sum(bool(SHOPREC.search(u)) for u in units) >= 30
    assert sum(bool(SCRIPT.search(u)) for u in units) >= 5


def test_wrong_commands_are_caught(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "scripts/tool.py": "from service.tool_cli import main\n",
            "service/tool_cli.py": 'parser.add_argument("--real")\n',
        },
    )
    doc = tmp_path / "README.md"
    doc.write_text(
        "`shoprec index --if-missing` `shoprec indx` `.venv/bin/shoprec serve --wrokers 2`\n"
        "```\n"
        "$ SHOPREC_X=1 .venv/bin/shoprec reindex --products p.csv  # and --nothing here\n"
        "docker compose run --rm indexer shoprec index --no-such\n"
        "redis-cli ACL SETUSER shoprec on\n"
        ".venv/bin/python scripts/tool.py --real 1 --fake 2\n"
        "python scripts/gone.py\n"
        ".venv/bin/shoprec evaluate --k 10 \\\n    --bogus 1\n"
        "```\n"
    )
    assert problems(wrong_commands(doc, tmp_path)) == [
        "shoprec has no subcommand 'indx'",
        "shoprec serve has no option --wrokers",
        "shoprec index has no option --no-such",
        "scripts/tool.py has no option --fake",
        "no script scripts/gone.py",
        "shoprec evaluate has no option --bogus",
    ]
