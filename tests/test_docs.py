"""The docs keep up with the code: every setting and every CLI command is documented, and what the README
tells people to run exists. No database needed."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.main import get_command, get_command_name

from kangdang.cli import app
from kangdang.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


# --- settings -----------------------------------------------------------------------------------------

ENV_PREFIX = str(Settings.model_config.get("env_prefix", "")).upper()
SETTINGS_DOC = (DOCS / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    variable = f"{ENV_PREFIX}{field.upper()}"
    assert re.search(rf"\b{variable}\b", SETTINGS_DOC), f"{variable} is missing from docs/settings.md"


def test_settings_page_documents_no_setting_that_does_not_exist() -> None:
    documented = re.findall(rf"^\|\s*`{ENV_PREFIX}(\w+)`", SETTINGS_DOC, flags=re.MULTILINE)
    assert documented, "docs/settings.md has no table of settings"
    stale = sorted(f"{ENV_PREFIX}{name}" for name in documented if name.lower() not in Settings.model_fields)
    assert not stale, f"docs/settings.md documents settings that no longer exist: {stale}"


# --- CLI ----------------------------------------------------------------------------------------------

CLI_DOC = (DOCS / "cli.md").read_text(encoding="utf-8")


def _command_name(info: typer.models.CommandInfo) -> str:
    assert info.callback is not None
    return info.name or get_command_name(info.callback.__name__)


def _walk(typer_app: typer.Typer, prefix: tuple[str, ...] = ("kangdang",)) -> Iterator[tuple[str, ...]]:
    """Every command and group as its words: ("kangdang", "db"), ("kangdang", "db", "upgrade"), …"""
    for command in typer_app.registered_commands:
        if not command.hidden:
            yield (*prefix, _command_name(command))
    for group in typer_app.registered_groups:
        if group.hidden:
            continue
        sub = group.typer_instance
        assert sub is not None
        name = group.name or sub.info.name
        assert isinstance(name, str), f"group {sub} under {' '.join(prefix)} has no name"
        yield (*prefix, name)
        yield from _walk(sub, (*prefix, name))


COMMANDS = sorted(_walk(app))


def _heading_text(line: str) -> str | None:
    match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
    return match.group(2).replace("`", "").strip() if match else None


def _section(doc: str, title: str) -> str | None:
    """The text under the heading ``title`` up to the next heading, or None if there is no such heading."""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if _heading_text(line) == title:
            body = []
            for following in lines[i + 1 :]:
                if _heading_text(following) is not None:
                    break
                body.append(following)
            return "\n".join(body)
    return None


def test_the_cli_has_commands() -> None:
    assert ("kangdang", "serve") in COMMANDS
    assert ("kangdang", "db", "upgrade") in COMMANDS


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_cli_command_has_a_heading(words: tuple[str, ...]) -> None:
    title = " ".join(words)
    assert _section(CLI_DOC, title) is not None, f'docs/cli.md has no heading "## {title}"'


def _built_commands() -> Iterator[tuple[str, object]]:
    """The commands as typer builds them (its own click), leaves only, with their full titles."""

    def walk(command: object, path: str) -> Iterator[tuple[str, object]]:
        children = getattr(command, "commands", None)
        if isinstance(children, dict):
            for name, sub in children.items():
                if not getattr(sub, "hidden", False):
                    yield from walk(sub, f"{path} {name}")
        else:
            yield path, command

    yield from walk(get_command(app), "kangdang")


BUILT_COMMANDS = sorted(_built_commands(), key=lambda c: c[0])


def _mentioned(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


@pytest.mark.parametrize(("title", "command"), BUILT_COMMANDS, ids=[title for title, _ in BUILT_COMMANDS])
def test_every_cli_option_and_argument_is_documented(title: str, command: object) -> None:
    section = _section(CLI_DOC, title) or ""
    params = getattr(command, "params", [])
    assert params or title != "kangdang serve", "could not read the options of the built commands"
    missing = []
    for param in params:
        kind, opts, name = param.param_type_name, list(param.opts), param.name
        if getattr(param, "hidden", False) or "--help" in opts:
            continue
        if kind == "option":
            names = [o for o in opts if o.startswith("--")] or opts
            if not any(_mentioned(n, section) for n in names):
                missing.append(names[0])
        elif kind == "argument" and name and not _mentioned(name.upper(), section):
            missing.append(name.upper())
    assert not missing, f"docs/cli.md, section {title!r}, does not mention {missing}"


# --- README -------------------------------------------------------------------------------------------

GENERATED = (".venv/", "var/", "build/", "dist/")
TOP_LEVEL_FILES = {"Makefile", "pyproject.toml", "requirements.lock", "README.md"}
SEPARATORS = {"&&", "||", ";", "|", "(", ")"}


def _readme() -> str:
    if not README.exists():
        pytest.skip("no README.md yet")
    return README.read_text(encoding="utf-8")


def _command_lines(markdown: str) -> list[str]:
    """Shell lines shown in the README: lines of fenced code blocks, and inline code spans."""
    lines: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            lines.append(line)
        else:
            lines.extend(re.findall(r"`([^`\n]+)`", line))
    return lines


def _words(line: str) -> list[str]:
    line = re.sub(r"^\s*[$#>]\s+", "", line).split(" #", 1)[0]
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    out: list[str] = []
    for word in words:
        out.extend(w for w in re.split(r"(&&|\|\||[;|()])", word) if w)
    return out


def _path_candidates(markdown: str) -> set[str]:
    found: set[str] = set()
    for line in _command_lines(markdown):
        for word in _words(line):
            word = word.split("=", 1)[1] if re.match(r"^[A-Z_][A-Z0-9_]*=", word) else word
            if "://" in word or word.startswith(("/", "-", "~", "..")) or re.search(r"[<>{}…$]", word):
                continue
            explicit = word.startswith("./")
            word = word.removeprefix("./").rstrip(".,:")
            if word in TOP_LEVEL_FILES:
                found.add(word)
            elif "/" in word and re.fullmatch(r"[\w.*-]+(/[\w.*-]+)*/?", word):
                # A path, not prose such as `SQLite/PostgreSQL`: explicit, rooted in the repo, or a file name.
                first, last = word.split("/", 1)[0], word.rstrip("/").rsplit("/", 1)[-1]
                if explicit or (ROOT / first).exists() or re.search(r"\.[a-z]{1,5}$", last):
                    found.add(word)
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", markdown):
        if "://" not in target and not target.startswith(("/", "mailto:")):
            found.add(target.removeprefix("./"))
    return {p for p in found if not p.startswith(GENERATED)}


def test_every_file_the_readme_names_exists() -> None:
    missing = sorted(p for p in _path_candidates(_readme()) if not any(ROOT.glob(p.rstrip("/"))))
    assert not missing, f"README.md names files that do not exist: {missing}"


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets: set[str] = set()
    for match in re.finditer(r"^([A-Za-z0-9_][A-Za-z0-9_. -]*):(?!=)", makefile, flags=re.MULTILINE):
        targets.update(match.group(1).split())
    return targets


def test_every_make_target_the_readme_names_exists() -> None:
    named: set[str] = set()
    for line in _command_lines(_readme()):
        words = _words(line)
        for i, word in enumerate(words):
            if word == "make":
                for arg in words[i + 1 :]:
                    if arg in SEPARATORS or arg == "make":
                        break
                    if not arg.startswith("-") and "=" not in arg:
                        named.add(arg)
    missing = sorted(named - _make_targets())
    assert not missing, f"README.md runs make targets the Makefile does not have: {missing}"


def test_every_api_operation_is_listed_in_docs_api_md() -> None:
    from kangdang.app import create_app
    from kangdang.settings import Settings

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    spec = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if f"| {method.upper()} | `{path}` |" not in text
    ]
    assert not missing, f"docs/api.md does not list: {missing}"
