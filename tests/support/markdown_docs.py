"""Reading the project's markdown: which files are docs, their prose without code, and the
anchors GitHub gives their headings (lower case, punctuation dropped, spaces turned into
hyphens, a repeated heading suffixed -1, -2, ...)."""

from __future__ import annotations

import re
from pathlib import Path

from indexing.contract.settings import PROJECT_ROOT

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write `files` (relative path -> text) under `root`, folders as needed: a fake project
    for the tests that prove the doc checks catch what is broken."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def problems(found: list[str]) -> list[str]:
    """The reasons of `file:line: reason` findings."""
    return [p.split(": ", 1)[1] for p in found]


def doc_files(root: Path = PROJECT_ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def prose(text: str) -> str:
    """`text` with fenced code blocks and inline code blanked out (line numbers kept)."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            lines.append("")
        elif fenced:
            lines.append("")
        else:
            lines.append(CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line))
    return "\n".join(lines)


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = HEADING.match(line)
        if fenced or not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found
