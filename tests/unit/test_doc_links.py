"""README.md and docs/ point at things that exist: every relative markdown link at a file (and,
with a #fragment, at a heading of that file), every repository path they name (`service/...`,
`scripts/...`) at a file or folder, every dotted module name (`indexing.models.x.y`) at a
module that defines it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexing.contract.settings import PROJECT_ROOT
from tests.support.markdown_docs import anchors, doc_files, problems, prose, write_tree

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
REPO_PATH = re.compile(r"(?<![\w./~-])((?:indexing|service|scripts|tests|docs|data)/[\w./-]*)")
MODULE = re.compile(r"(?<![\w./-])((?:indexing|service)(?:\.[A-Za-z_]\w*){2,})")
FILE_SUFFIXES = (".py", ".md", ".yaml", ".csv", ".json", ".png")


def broken_links(doc: Path, root: Path = PROJECT_ROOT) -> list[str]:
    problems: list[str] = []
    where = doc.relative_to(root)
    text = prose(doc.read_text())
    for match in LINK.finditer(text):  # link text may run over two lines
        target = match.group(1)
        at = f"{where}:{text.count(chr(10), 0, match.start()) + 1}: {target}"
        if SCHEME.match(target) or target.startswith("//"):
            continue  # http(s), mailto: not checked here
        path_part, _, fragment = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        if not linked.is_relative_to(root.resolve()):
            problems.append(f"{at}: outside the project")
        elif not linked.exists():
            problems.append(f"{at}: no such file")
        elif fragment and (linked.suffix != ".md" or fragment not in anchors(linked.read_text())):
            problems.append(f"{at}: no such heading")
    return problems


def _defines(module_file: Path, name: str) -> bool:
    source = module_file.read_text()
    definition = rf"^\s*(?:async\s+def|def|class)\s+{name}\b|^{name}\s*[:=]"
    return re.search(definition, source, re.MULTILINE) is not None


def _module_problem(dotted: str, root: Path) -> str | None:
    """None when some prefix of `dotted` is a module or package of the project and the rest
    (at most a name and an attribute) is defined in it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        base = root.joinpath(*parts[:cut])
        module = base.with_suffix(".py")
        rest = parts[cut:]
        if module.is_file():
            if not rest or _defines(module, rest[0]):
                return None
            return f"{dotted}: {module.relative_to(root)} defines no {rest[0]}"
        if (base / "__init__.py").is_file() and not rest:
            return None
    return f"{dotted}: no such module"


def missing_paths(doc: Path, root: Path = PROJECT_ROOT) -> list[str]:
    problems: list[str] = []
    where = doc.relative_to(root)
    for number, line in enumerate(doc.read_text().splitlines(), start=1):
        for raw in REPO_PATH.findall(line):
            path = raw.rstrip(".,:;")
            if not (root / path).exists():
                problems.append(f"{where}:{number}: {path}: no such file or folder")
        for dotted in MODULE.findall(line):
            if dotted.endswith(FILE_SUFFIXES):
                continue  # a file name such as service.py, not a module path
            problem = _module_problem(dotted, root)
            if problem:
                problems.append(f"{where}:{number}: {problem}")
    return problems


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert not broken_links(doc)


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_named_path_and_module_exists(doc: Path) -> None:
    assert not missing_paths(doc)


def test_the_docs_are_found() -> None:
    names = {p.relative_to(PROJECT_ROOT).as_posix() for p in doc_files()}
    assert {"README.md", "docs/architecture.md", "docs/configuration.md"} <= names


def test_github_anchors() -> None:
    text = "# Title\n## `shoprec reindex`: apply a changed products.csv\n## Load (`make soak`)\n"
    text += "## Same\n## Same\n```\n# not a heading\n```\n"
    assert anchors(text) == {
        "title",
        "shoprec-reindex-apply-a-changed-productscsv",
        "load-make-soak",
        "same",
        "same-1",
    }


def test_the_checks_catch_what_is_broken(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "service/__init__.py": "",
            "service/thing.py": "def real():\n    pass\n",
            "docs/other.md": "# Other\n## Part two\n",
        },
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/other.md) [ok](docs/other.md#part-two) [ok](#top) [web](https://x.org/a)\n"
        "# Top\n"
        "[gone](docs/missing.md) [bad anchor](docs/other.md#part-three) [here](#nowhere)\n"
        "`[in code](docs/missing.md)`\n"
        "```\n[in a block](docs/missing.md)\n```\n"
        "`service/thing.py` `service/gone.py` `service.thing.real` `service.thing.unreal`\n"
        "[a link over\ntwo lines](docs/gone.md)\n"
    )
    assert problems(broken_links(readme, tmp_path) + missing_paths(readme, tmp_path)) == [
        "docs/missing.md: no such file",
        "docs/other.md#part-three: no such heading",
        "#nowhere: no such heading",
        "docs/gone.md: no such file",
        "docs/missing.md: no such file or folder",
        "docs/missing.md: no such file or folder",
        "docs/missing.md: no such file or folder",
        "service/gone.py: no such file or folder",
        "service.thing.unreal: service/thing.py defines no unreal",
        "docs/gone.md: no such file or folder",
    ]
