"""The settings reader: which ``pyproject.toml`` files are parsed at all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentmerge.config import MAX_SETTINGS_BYTES, names_agentmerge, read_settings
from agentmerge.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SPELLINGS = [
    '[tool.agentmerge]\nagent-globs = ["a.md"]\n',
    '[tool.agentmerge.check]\nignore = ["AM103"]\n',
    '[ tool . "agentmerge" ]\nx = 1\n',
    "[tool]\nagentmerge = { x = 1 }\n",
    "[tool]\nagentmerge.check = { ignore = [] }\n",
    'tool.agentmerge.x = 1\n[project]\nname = "p"\n',
    "tool = { agentmerge = { x = 1 } }\n",
    '[project]\nname = "p"\n[tool.agentmerge]\nx = 1\n',
    '[project]\ndescription = """\n[other]\n"""\n[tool]\nagentmerge.x = 1\n',
]

WITHOUT = [
    '[project]\nname = "agentmerge"\n[project.scripts]\nagentmerge = "agentmerge.cli:main"\n',
    '[tool.ruff]\nline-length = 100\n[tool.mypy]\nfiles = ["agentmerge"]\n',
    '[tool.setuptools.package-data]\nagentmerge = ["data/*.json"]\n',
    "[tool.agentmerge-other]\nx = 1\n",
    '[project]\nname = "p"\n',
]


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_spelling_of_the_table_is_read(text: str) -> None:
    """Whatever TOML spelling sets ``tool.agentmerge``, the file is parsed (the pre-check never
    skips a table tomllib would find)."""
    assert "agentmerge" in tomllib.loads(text).get("tool", {})
    assert names_agentmerge(text)


@pytest.mark.parametrize("text", WITHOUT)
def test_a_file_that_only_mentions_agentmerge_is_not_parsed(text: str) -> None:
    """A project named agentmerge, or a tool's list naming it, holds no settings table."""
    assert "agentmerge" not in tomllib.loads(text).get("tool", {})
    assert not names_agentmerge(text)


def test_an_invalid_pyproject_without_the_table_is_no_error(tmp_path: Path) -> None:
    """Only agentmerge's own table is read: a broken ``pyproject.toml`` that does not name it is
    another tool's business; one that does is an error with its line."""
    (tmp_path / "pyproject.toml").write_text('[project\nname = "p"\n', encoding="utf-8")
    assert read_settings(tmp_path).source == ""
    (tmp_path / "pyproject.toml").write_text("[tool.agentmerge]\nx = [1\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read_settings(tmp_path)


def test_settings_anyone_may_send_are_refused_when_too_large_or_too_deep(tmp_path: Path) -> None:
    """``review`` reads the settings of the checkout it reviews: a file larger than any settings
    file (TOML is read at about a megabyte a second) or nested past Python's recursion limit is an
    error naming the file, not minutes of work or an internal error."""
    (tmp_path / ".agentmerge.toml").write_text("x = [" + "1," * (MAX_SETTINGS_BYTES // 2) + "]\n", encoding="utf-8")
    with pytest.raises(InputError, match="is over 256 KiB") as raised:
        read_settings(tmp_path)
    assert raised.value.path == ".agentmerge.toml"
    (tmp_path / ".agentmerge.toml").write_text("x = " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply") as raised:
        read_settings(tmp_path)
    assert raised.value.path == ".agentmerge.toml"
    (tmp_path / ".agentmerge.toml").write_text("agent-globs = []\n# " + "x" * 200_000 + "\n", encoding="utf-8")
    assert read_settings(tmp_path).table == {"agent-globs": []}


def test_check_refuses_settings_that_lead_out_of_the_repository_through_a_link(tmp_path: Path) -> None:
    """``check`` runs in a pull request's checkout: a settings file there that links out of the
    repository names a file the repository does not hold (its values would reach the job's log),
    so it is an error naming it, exit 2, and nothing of the file it leads to is printed. A link to
    a file inside the repository is read as that file."""
    from conftest import run_cli

    secret = tmp_path / "creds.toml"
    secret.write_text('[check]\nselect = ["SECRET_VALUE"]\n', encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a.md").write_text("---\nname: a\ndescription: Reviews code.\n---\n\n- Be brief.\n", encoding="utf-8")
    (repo / ".agentmerge.toml").symlink_to(secret)
    result = run_cli("check", "a.md", cwd=repo)
    assert result.exit_code == 2
    assert "SECRET_VALUE" not in result.stdout + result.stderr
    assert ".agentmerge.toml: leads through a symbolic link to" in result.stderr and result.stderr.count("\n") == 1
    (repo / ".agentmerge.toml").unlink()
    (repo / "shared.toml").write_text('[check]\nselect = ["NOT_A_RULE"]\n', encoding="utf-8")
    (repo / ".agentmerge.toml").symlink_to(repo / "shared.toml")
    inside = run_cli("check", "a.md", cwd=repo)
    assert inside.exit_code == 2 and "'NOT_A_RULE' selects no rule" in inside.stderr


def test_a_pyproject_table_header_without_its_bracket_is_an_error_not_ignored(tmp_path: Path) -> None:
    """``[tool.agentmerge.check`` (the ``]`` forgotten) is invalid TOML that names agentmerge: it
    is parsed and reported with its line, as in ``.agentmerge.toml``, rather than skipped, which
    ran CI with every default rule and no word."""
    assert names_agentmerge('[tool.agentmerge.check\nselect = ["AM1"]\n')
    (tmp_path / "pyproject.toml").write_text('[tool.agentmerge.check\nselect = ["AM1"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="is not valid TOML") as raised:
        read_settings(tmp_path)
    assert raised.value.path == "pyproject.toml" and raised.value.line == 1
