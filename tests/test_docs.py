"""The docs tell the truth: the README's commands run, .env.example documents every setting, Layout names app/."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from flask.cli import FlaskGroup

from app.config import DEFAULTS, PROJECT_ROOT, settings_from_env

README = (PROJECT_ROOT / "README.md").read_text()
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
APP = PROJECT_ROOT / "app"
FLASK = PROJECT_ROOT / ".venv" / "bin" / "flask"

# `flask content say risks`, `.venv/bin/flask usage [--days 7]`: every flask command the README shows.
COMMAND = re.compile(r"`(?:\.venv/bin/)?flask((?: [^`]*)?)`")


def readme_commands() -> list[str]:
    found = {" ".join(match.group(1).split()) for match in COMMAND.finditer(README)}
    return sorted(found)


def test_the_readme_shows_the_commands_of_its_tables():
    tables = re.findall(r"^\| `\.venv/bin/flask ([^`]+)` \|", README, flags=re.MULTILINE)
    assert len(tables) >= 6 and set(tables) <= set(readme_commands())


@pytest.mark.parametrize("command", readme_commands(), ids=lambda command: f"flask {command}".strip())
def test_every_command_in_the_readme_runs(make_app, command):
    """Through the same command group `flask` builds: the app's commands and the `content` plugin."""
    words = re.sub(r"\[[^]]*\]", "", command).split()  # [--days 7]: an optional part
    cli = FlaskGroup(create_app=lambda: make_app(), load_dotenv=False, set_debug_flag=False)
    result = make_app().test_cli_runner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    for option in re.findall(r"--[a-z][a-z-]*", command):  # the options the README shows exist
        assert option in result.output, f"`flask {command}`: no {option} in its --help"


def test_the_real_flask_command_finds_every_top_level_command():
    """.venv/bin/flask, with .flaskenv choosing the app, as an editor runs it."""
    if not FLASK.exists():
        pytest.skip("no .venv/bin/flask (scripts/setup makes it)")
    output = subprocess.run([str(FLASK), "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
                            timeout=60).stdout
    listed = set(re.findall(r"^  (\w+)", output.split("Commands:")[1], flags=re.MULTILINE))
    wanted = {command.split()[0] for command in readme_commands() if command}
    assert wanted <= listed, wanted - listed


# ----- settings ---------------------------------------------------------------------------------

def env_example() -> dict[str, tuple[str, list[str]]]:
    """Each setting in .env.example: its value and the comment lines just above it (shared by a group)."""
    found: dict[str, tuple[str, list[str]]] = {}
    comment: list[str] = []
    after_setting = False
    for line in ENV_EXAMPLE.read_text().splitlines():
        setting = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        if setting:
            found[setting.group(1)] = (setting.group(2), comment)
            after_setting = True
        elif line.startswith("# ") and not line.startswith("# ---"):
            comment = ([] if after_setting else comment) + [line]  # a comment after a setting starts a new one
            after_setting = False
        else:  # a blank line or a section heading
            comment, after_setting = [], False
    return found


def test_every_setting_is_in_env_example_and_nothing_else_is():
    documented = env_example()
    assert set(DEFAULTS) - set(documented) == set(), "settings the line reads that .env.example does not explain"
    assert set(documented) - set(DEFAULTS) == set(), "settings in .env.example the line does not read"


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_each_setting_has_an_explanation_and_its_example_is_the_default(name):
    documented = env_example()
    assert name in documented, f"{name} is not in .env.example"
    value, comment = documented[name]
    assert comment, f"{name} in .env.example has no comment above it"
    # Copying .env.example to .env as it is changes nothing: an empty value, or the default itself.
    assert settings_from_env({name: value})[name] == DEFAULTS[name], f"{name}={value} is not the default"


# ----- layout -----------------------------------------------------------------------------------

def layout_of_app() -> dict[str, str]:
    """The README's Layout of app/: each entry ("engine.py", "web/") and its text, continuation lines included."""
    block = re.search(r"^## Layout\n+```\n(.*?)```", README, flags=re.MULTILINE | re.DOTALL)
    assert block, "README.md has no Layout section with a code block"
    lines = block.group(1).splitlines()
    start = lines.index("app/")
    entries: dict[str, str] = {}
    current: list[str] = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break  # the next top-level folder (content/, tests/...)
        if not line.startswith("   "):  # an entry: "  names   what they are"
            names, _, text = line.strip().partition("  ")
            current = [name.strip() for name in names.split(",") if name.strip()]
            for name in current:
                entries[name] = text.strip()
        else:
            for name in current:
                entries[name] += " " + line.strip()
    return entries


def shown(path: Path) -> str:
    return path.name + "/" if path.is_dir() else path.name


def kept(folder: Path) -> list[Path]:
    """What a reader should be told about: no __init__.py, caches or hidden files."""
    return sorted(p for p in folder.iterdir()
                  if p.name != "__init__.py" and not p.name.startswith((".", "__pycache__")))


def is_package(path: Path) -> bool:
    return path.is_dir() and (path / "__init__.py").exists()


def test_layout_names_every_file_and_folder_in_app_and_nothing_that_is_gone():
    entries = layout_of_app()
    there = {shown(path) for path in kept(APP)}
    assert there - set(entries) == set(), "in app/ but not in the README's Layout"
    assert set(entries) - there == set(), "in the README's Layout but not in app/"


def test_layout_names_the_modules_of_every_package_in_app():
    entries = layout_of_app()
    for package in filter(is_package, kept(APP)):
        text = entries[shown(package)]
        modules = {shown(path) for path in kept(package)}
        named = set(re.findall(r"\b\w+\.py\b", text))
        # A package's entry also names the modules of the packages inside it (core/ holds content/, checks/).
        inside = {path.name for path in package.rglob("*.py")}
        assert {m for m in modules if not re.search(rf"(?<![\w.]){re.escape(m)}(?![\w])", text)} == set(), (
            f"app/{package.name}/ has modules the Layout does not name")
        assert named - modules - inside == set(), f"the Layout names modules that app/{package.name}/ does not have"
