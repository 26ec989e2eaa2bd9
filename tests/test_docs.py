"""The documentation's examples run: every ```python block in docs/*.md is a test.

Each block is a complete program that builds its own `api`, drives it with a
test client and asserts what it got, so running it checks the page. Blocks
run in a fresh namespace, one test per block, with ids like `routing.md#3`
(the third ```python block of that page). The code is compiled against the
Markdown file's own line numbers, so a failure points into the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: An opening fence with its info string, the body, and the closing fence.
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)
#: A Markdown link to another page of the docs, with an optional anchor.
LOCAL_LINK = re.compile(r"\]\(([\w-]+\.md)(?:#([\w-]+))?\)")


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _fences(page: Path) -> list[tuple[str, str, int]]:
    """Return (tag, code, line of the first code line) for each fenced block."""
    text = page.read_text(encoding="utf-8")
    return [
        (m.group(1).strip(), m.group(2), text.count("\n", 0, m.start(2)))
        for m in FENCE.finditer(text)
    ]


def _examples() -> list[object]:
    params: list[object] = []
    for page in _pages():
        blocks = [(code, line) for tag, code, line in _fences(page) if tag == "python"]
        for number, (code, line) in enumerate(blocks, start=1):
            params.append(pytest.param(page, code, line, id=f"{page.name}#{number}"))
    return params


EXAMPLES = _examples()


def test_the_docs_have_examples() -> None:
    assert EXAMPLES, f"no ```python blocks found under {DOCS}"


@pytest.mark.parametrize(("page", "code", "line"), EXAMPLES)
def test_example_runs(page: Path, code: str, line: int) -> None:
    # Leading newlines keep line numbers equal to the page's in tracebacks;
    # dont_inherit keeps this module's `from __future__` imports out of the example.
    compiled = compile("\n" * line + code, str(page), "exec", dont_inherit=True)
    exec(compiled, {"__name__": "docs_example"})


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.name)
def test_python_is_only_tagged_python(page: Path) -> None:
    """Untagged fences, or Python under another tag, would escape this test."""
    for tag, _code, line in _fences(page):
        assert tag, f"{page.name}:{line}: a fenced block without a language tag"
        if tag != "python":
            assert not tag.lower().startswith("py"), (
                f"{page.name}:{line}: tag {tag!r}; complete Python examples are ```python "
                "(and run as tests), partial code is ```text"
            )


def _anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, slugged as GitHub and most renderers do."""
    prose = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {
        re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in HEADING.findall(prose)
    }


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.name)
def test_links_between_pages_resolve(page: Path) -> None:
    """Links to other pages, and to headings in them, point somewhere."""
    prose = FENCE.sub("", page.read_text(encoding="utf-8"))
    for target, anchor in LOCAL_LINK.findall(prose):
        assert (DOCS / target).is_file(), f"{page.name}: link to missing page {target}"
        if anchor:
            assert anchor in _anchors(DOCS / target), f"{page.name}: no #{anchor} in {target}"
