"""The composite GitHub Action: its scripts run against a temporary repository and a local fake API."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, git, write
from test_review import EXPECTED_STATUSES, make_review_repo

from agentmerge.errors import AgentMergeError
from agentmerge.github import COMMENT_MARKER, GitHubContext, github_context, publish_comment
from agentmerge.review import COMMENT_LIMIT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = {step["name"]: step for step in ACTION["runs"]["steps"]}
TOKEN = "test-token-123"


class FakeGitHub:
    """A local stand-in for the GitHub REST API's issue comment endpoints.

    ``login`` is whom the token belongs to: None stands for a workflow's GITHUB_TOKEN, which
    GET /user refuses with 403 and whose comments appear under github-actions[bot].
    """

    def __init__(self, repository: str, number: int) -> None:
        self.prefix = f"/repos/{repository}/issues"
        self.number = number
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_with = 0
        self.authorized = True
        self.login: str | None = None
        self.raw_answer: tuple[int, str, bytes] | None = None
        self.redirect_to = ""

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        self.requests.append((method, handler.path))
        self.authorized &= handler.headers.get("Authorization") == f"Bearer {TOKEN}"
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        if self.redirect_to:
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to + handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if self.raw_answer is not None:
            status, content_type, data = self.raw_answer
        else:
            status, reply = self.reply(method, handler.path, body)
            content_type, data = "application/json", json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def author(self) -> str:
        return self.login or "github-actions[bot]"

    def reply(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self.fail_with:
            return self.fail_with, {"message": "Resource not accessible by integration"}
        route, _, query = path.partition("?")
        if method == "GET" and route == "/user":
            if self.login is None:
                return 403, {"message": "Resource not accessible by integration"}
            return 200, {"login": self.login, "type": "User"}
        if method == "GET" and route == f"{self.prefix}/{self.number}/comments":
            page = int(dict(p.split("=") for p in query.split("&"))["page"])
            return 200, self.comments[(page - 1) * 100 : page * 100]
        if method == "POST" and route == f"{self.prefix}/{self.number}/comments":
            comment = {"id": 1000 + len(self.comments), "body": body["body"], "user": {"login": self.author()}}
            self.comments.append(comment)
            return 201, comment
        if method == "PATCH" and route.startswith(f"{self.prefix}/comments/"):
            comment = next(c for c in self.comments if c["id"] == int(route.rsplit("/", 1)[1]))
            comment["body"] = body["body"]
            return 200, comment
        return 404, {"message": "Not Found"}


@contextlib.contextmanager
def serving(fake: FakeGitHub, host: str = "127.0.0.1") -> Iterator[ThreadingHTTPServer]:
    """Serve ``fake`` on a free port of ``host`` in a daemon thread until the block ends (or 60 s
    at most). Every thread started here is joined on leaving: a watchdog left waiting out its 60 s
    kept the server and its handler class (a reference cycle) alive into later tests, where the
    class, freed mid-command, counted as cyclic garbage that command left (test_entry)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.handle(self, "GET")

        def do_POST(self) -> None:
            fake.handle(self, "POST")

        def do_PATCH(self) -> None:
            fake.handle(self, "PATCH")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield server
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        watchdog.join(timeout=5)


@pytest.fixture
def api() -> Iterator[tuple[FakeGitHub, str]]:
    """A fake API on 127.0.0.1 that serves in a daemon thread and stops after the test (or 60 s)."""
    fake = FakeGitHub("octo/agents", 7)
    with serving(fake) as server:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"


pytestmark = pytest.mark.usefixtures("isolated_git")


def runner_temp(tmp_path: Path) -> Path:
    """A RUNNER_TEMP whose agentmerge-venv runs this test environment's Python."""
    temp = tmp_path / "runner-temp"
    python = temp / "agentmerge-venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return temp


def pull_request_env(tmp_path: Path, repo: Path, api_url: str, **inputs: str) -> dict[str, str]:
    """The environment a pull_request workflow gives the review step."""
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "base": {"ref": "main", "sha": git(repo, "rev-parse", "main").strip()},
                    "head": {"ref": "feature", "sha": git(repo, "rev-parse", "feature").strip()},
                },
            }
        )
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/agents",
        "GITHUB_BASE_REF": "main",
        "GITHUB_HEAD_REF": "feature",
        "GITHUB_API_URL": api_url,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(runner_temp(tmp_path)),
        "GITHUB_TOKEN": TOKEN,
        "INPUT_BASE": "",
        "INPUT_HEAD": "",
        "INPUT_PATHS": "",
        "INPUT_COMMENT": "false",
        "INPUT_CHECK": "false",
        "INPUT_CHECK_PATHS": ".",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def run_review_step(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the action's review step script the way the runner does (bash -e -o pipefail)."""
    script = STEPS["Review agent changes"]["run"]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------------------------------
# The action file


def test_action_is_composite_and_installs_from_its_own_checkout() -> None:
    """action.yml runs bash steps: a venv with agentmerge from $GITHUB_ACTION_PATH, then review."""
    assert ACTION["runs"]["using"] == "composite"
    install = STEPS["Install agentmerge"]["run"]
    assert '-m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install
    assert all(step["shell"] == "bash" for step in ACTION["runs"]["steps"])
    assert ACTION["outputs"]["changed"]["value"] == "${{ steps.review.outputs.changed }}"


def test_inputs_are_documented_and_never_pasted_into_scripts() -> None:
    """Every input has a description and reaches the scripts only through the environment."""
    assert set(ACTION["inputs"]) == {"base", "head", "paths", "comment", "token", "python", "check", "check-paths"}
    assert all(spec["description"].strip() for spec in ACTION["inputs"].values())
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"]


def test_readme_documents_every_input() -> None:
    """The README's Action section has a row for each input."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Review prompt changes in pull requests") :]
    for name in ACTION["inputs"]:
        assert f"| `{name}` |" in section
    assert "fetch-depth: 0" in section


# --------------------------------------------------------------------------------------------
# The review step against a temporary repository


def test_review_step_writes_summary_output_and_one_comment(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """With comment: true the step posts one comment, and on the next push updates that same one."""
    fake, url = api
    repo = make_review_repo(tmp_path)
    done = run_review_step(repo, pull_request_env(tmp_path, repo, url, comment="true"))
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "summary.md").read_text()
    for path in EXPECTED_STATUSES:
        assert f"`{path}`" in summary
    assert (tmp_path / "output.txt").read_text() == "changed=4\n"
    assert [c["body"].splitlines()[0] for c in fake.comments] == [COMMENT_MARKER]
    assert fake.comments[0]["body"] == f"{COMMENT_MARKER}\n{summary.rstrip(chr(10))}\n"
    assert fake.authorized
    assert "pull request comment created" in done.stderr

    git(repo, "checkout", "-q", "feature")
    (repo / "AGENTS.md").write_text("# Agents\n\n- Run the linters before pushing\n")
    git(repo, "add", "AGENTS.md")
    git(repo, "commit", "-q", "-m", "more")
    again = run_review_step(repo, pull_request_env(tmp_path, repo, url, comment="true"))
    assert again.returncode == 0, again.stderr
    assert len(fake.comments) == 1
    assert "`AGENTS.md`" in fake.comments[0]["body"]
    assert [m for m, _ in fake.requests] == ["GET", "GET", "POST", "GET", "GET", "PATCH"]
    assert [path for _, path in fake.requests][::3] == ["/user", "/user"]
    assert "pull request comment updated" in again.stderr


def test_review_step_without_comment_input_makes_no_request(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """comment defaults to false: the summary is written and the API is not called."""
    fake, url = api
    repo = make_review_repo(tmp_path)
    done = run_review_step(repo, pull_request_env(tmp_path, repo, url))
    assert done.returncode == 0, done.stderr
    assert fake.requests == []
    assert "agentmerge review: 4 agent files changed" in (tmp_path / "summary.md").read_text()
    assert "renamed .claude/agents/backend-basic.md -> .claude/agents/api-engineer.md" in done.stdout


def test_review_step_paths_input_limits_the_files(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """The paths input passes pathspecs through to review."""
    _, url = api
    repo = make_review_repo(tmp_path)
    done = run_review_step(repo, pull_request_env(tmp_path, repo, url, paths=".github .cursor"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "output.txt").read_text() == "changed=2\n"


def test_shallow_checkout_says_to_fetch_full_history(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """actions/checkout's default depth of 1 lacks the base commit: one line that names fetch-depth."""
    _, url = api
    origin = make_review_repo(tmp_path)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{origin}", str(shallow))
    env = pull_request_env(tmp_path, origin, url)
    done = run_review_step(shallow, env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "fetch-depth: 0" in done.stderr and "is not a commit in this repository" in done.stderr


def test_base_ref_is_used_when_the_event_has_no_shas(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """Without a payload, GITHUB_BASE_REF names the base as origin/<ref> in the checkout, and the
    header names the branch."""
    _, url = api
    origin = make_review_repo(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(origin), str(clone))
    env = pull_request_env(tmp_path, origin, url)
    del env["GITHUB_EVENT_PATH"]
    done = run_review_step(clone, env)
    assert done.returncode == 0, done.stderr
    assert "since `main` (merge base `" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "output.txt").read_text() == "changed=4\n"


def test_read_only_token_fails_the_step_after_the_summary_is_written(
    tmp_path: Path, api: tuple[FakeGitHub, str]
) -> None:
    """A 403 on commenting is one error line and exit 2, and the job summary already has the report."""
    fake, url = api
    fake.fail_with = 403
    repo = make_review_repo(tmp_path)
    done = run_review_step(repo, pull_request_env(tmp_path, repo, url, comment="true"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "pull-requests: write" in done.stderr
    assert "4 agent files changed" in (tmp_path / "summary.md").read_text()


def test_push_event_reviews_the_pushed_range_without_commenting(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """On push, before..after is reviewed; comment: true then posts nothing and does not fail."""
    fake, url = api
    repo = make_review_repo(tmp_path)
    env = pull_request_env(tmp_path, repo, url, comment="true")
    event = {"before": git(repo, "rev-parse", "main").strip(), "after": git(repo, "rev-parse", "feature").strip()}
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))
    env.pop("GITHUB_BASE_REF")
    done = run_review_step(repo, env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "output.txt").read_text() == "changed=4\n"
    assert "not a pull request event; no comment posted" in done.stderr
    assert fake.requests == []


# --------------------------------------------------------------------------------------------
# The pieces: event payload and comment posting


def test_context_reads_the_pull_request_payload(tmp_path: Path) -> None:
    """Base and head are the pull request's commits; the token stays out of repr."""
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "base": {"sha": "b" * 40}, "head": {"sha": "e" * 40}}}))
    context = github_context(
        {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": TOKEN, "GITHUB_BASE_REF": "dev"}
    )
    assert (context.pull_request, context.base, context.head) == (3, "b" * 40, "e" * 40)
    assert context.api_url == "https://api.github.com"
    assert TOKEN not in repr(context)


def test_context_of_a_push_uses_before_and_after(tmp_path: Path) -> None:
    """A push event compares the pushed range; a new branch (before all zeros) falls back to the default."""
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"before": "a" * 40, "after": "c" * 40}))
    context = github_context({"GITHUB_EVENT_PATH": str(event)})
    assert (context.pull_request, context.base, context.head) == (None, "a" * 40, "c" * 40)
    event.write_text(json.dumps({"before": "0" * 40, "after": "c" * 40}))
    assert github_context({"GITHUB_EVENT_PATH": str(event)}).base is None


def test_unreadable_payload_is_an_error_naming_it(tmp_path: Path) -> None:
    """A broken event file is reported with its path."""
    event = tmp_path / "e.json"
    event.write_text("{not json")
    with pytest.raises(AgentMergeError) as error:
        github_context({"GITHUB_EVENT_PATH": str(event)})
    assert error.value.path == str(event)


def context_for(url: str, number: int | None = 7) -> GitHubContext:
    return GitHubContext(
        api_url=url,
        repository="octo/agents",
        pull_request=number,
        base=None,
        head=None,
        summary_path=None,
        output_path=None,
        token=TOKEN,
    )


def test_previous_comment_is_found_on_a_later_page(api: tuple[FakeGitHub, str]) -> None:
    """The marker is searched page by page; the comment is updated, not duplicated."""
    fake, url = api
    fake.comments = [{"id": n, "body": f"comment {n}", "user": {"login": "someone"}} for n in range(150)]
    fake.comments.append({"id": 999, "body": f"{COMMENT_MARKER}\nold report", "user": {"login": "github-actions[bot]"}})
    assert publish_comment(context_for(url), "new report") == "updated"
    assert fake.comments[-1]["body"] == f"{COMMENT_MARKER}\nnew report"
    assert len(fake.comments) == 151
    assert publish_comment(context_for(url), "new report") == "unchanged"


def test_nothing_to_say_and_no_earlier_comment_posts_nothing(api: tuple[FakeGitHub, str]) -> None:
    """With create=False (no agent changed) a pull request without a report gets none."""
    fake, url = api
    assert publish_comment(context_for(url), "no agent files changed", create=False) == "skipped"
    assert [m for m, _ in fake.requests] == ["GET", "GET"]


def test_forbidden_token_is_one_error_with_the_permission_to_add(api: tuple[FakeGitHub, str]) -> None:
    """A 403 from the API names the workflow permission that is missing."""
    fake, url = api
    fake.fail_with = 403
    with pytest.raises(AgentMergeError) as error:
        publish_comment(context_for(url), "report")
    assert "403" in error.value.message and "pull-requests: write" in error.value.message


def test_unreachable_api_is_an_error_not_a_hang() -> None:
    """A closed port fails at once with one message."""
    with pytest.raises(AgentMergeError) as error:
        publish_comment(context_for("http://127.0.0.1:9"), "report")
    assert "cannot be reached" in error.value.message


def test_comment_needs_a_pull_request(api: tuple[FakeGitHub, str]) -> None:
    """Outside a pull_request event there is nothing to comment on."""
    _, url = api
    with pytest.raises(AgentMergeError, match="not a pull request event"):
        publish_comment(context_for(url, number=None), "report")


def test_comment_body_fits_github_limit(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """The posted body, marker included, is within 65,536 characters even for a huge change."""
    fake, url = api
    repo = make_review_repo(tmp_path)
    git(repo, "checkout", "-q", "feature")
    for n in range(30):
        bullets = "".join(f"- Rule {k} of agent {n}: check the {k}th thing carefully\n" for k in range(80))
        (repo / ".claude/agents" / f"bulk-{n:02}.md").write_text(f"---\nname: bulk-{n}\ndescription: d\n---\n{bullets}")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "bulk")
    done = run_review_step(repo, pull_request_env(tmp_path, repo, url, comment="true"))
    assert done.returncode == 0, done.stderr
    (comment,) = fake.comments
    assert len(comment["body"]) <= COMMENT_LIMIT
    assert "not shown in full" in comment["body"]


# --------------------------------------------------------------------------------------------
# Nothing from the pull request runs; the comment and the token stay where they belong

PLANTED = (
    "click.py",
    "json.py",
    "yaml.py",
    "venv.py",
    "sitecustomize.py",
    "usercustomize.py",
    "agentmerge/__init__.py",
    "agentmerge/__main__.py",
    "agentmerge/cli.py",
    "markdown_it/__init__.py",
    "frontmatter/__init__.py",
    "rapidfuzz/__init__.py",
    "pip/__init__.py",
    "pip/__main__.py",
)
"""Modules a pull request could add to shadow what the action imports."""


def plant_modules(repo: Path, markers: Path) -> None:
    """Commit modules on the checked-out branch that leave a marker file and stop when imported."""
    markers.mkdir()
    for path in PLANTED:
        code = f"open({str(markers / path.replace('/', '_'))!r}, 'w').close()\nraise SystemExit('planted {path}')\n"
        write(repo, path, code)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "plant modules")


def test_review_step_imports_nothing_from_the_checkout(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """A click.py, an agentmerge/ folder and friends in the pull request are never imported,
    even with PYTHONPATH=. in the workflow's environment; the real report is posted."""
    fake, url = api
    repo = make_review_repo(tmp_path)
    markers = tmp_path / "markers"
    plant_modules(repo, markers)
    env = pull_request_env(tmp_path, repo, url, comment="true")
    env.update(PYTHONPATH=".", PYTHONSTARTUP=str(repo / "click.py"), PYTHONSAFEPATH="")
    done = run_review_step(repo, env)
    assert done.returncode == 0, done.stderr
    assert list(markers.iterdir()) == []
    assert "planted" not in done.stdout + done.stderr
    assert (tmp_path / "output.txt").read_text() == "changed=4\n"
    assert len(fake.comments) == 1 and "4 agent files changed" in fake.comments[0]["body"]


def test_install_step_runs_python_isolated_outside_the_checkout(tmp_path: Path) -> None:
    """Every Python the install step starts gets -I and a working directory outside the checkout,
    so a venv.py or pip/ in the pull request is not what runs."""
    repo = make_review_repo(tmp_path)
    log = tmp_path / "python-calls.log"
    fake_python = tmp_path / "bin" / "python3"
    fake_python.parent.mkdir()
    # Records its directory and arguments; "-I -m venv DIR" makes DIR/bin/python a copy of itself.
    fake_python.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\t%s\\n" "$PWD" "$*" >> {str(log)!r}\n'
        'if [ "$2 $3" = "-m venv" ]; then mkdir -p "$4/bin"; cp "$0" "$4/bin/python"; fi\n'
    )
    fake_python.chmod(0o755)
    env = pull_request_env(tmp_path, repo, "http://127.0.0.1:9")
    env["AGENTMERGE_PYTHON"] = str(fake_python)
    env["RUNNER_TEMP"] = str(tmp_path / "fresh-runner-temp")
    Path(env["RUNNER_TEMP"]).mkdir()
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", STEPS["Install agentmerge"]["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    calls = [line.split("\t") for line in log.read_text().splitlines()]
    assert [args.split()[:3] for _, args in calls] == [["-I", "-m", "venv"], ["-I", "-m", "pip"]]
    for cwd, _ in calls:
        assert not Path(cwd).resolve().is_relative_to(repo.resolve())


def test_review_step_script_enters_the_checkout_with_dash_c() -> None:
    """The review step leaves the checkout before starting Python and names it with -C."""
    script = STEPS["Review agent changes"]["run"]
    assert script.index('cd "$RUNNER_TEMP"') < script.index('"$py" -I -m agentmerge')
    assert 'args=(-C "$checkout" review --github)' in script


def bot_comment(number: int, body: str, login: str = "github-actions[bot]") -> dict[str, Any]:
    return {"id": number, "body": body, "user": {"login": login, "type": "Bot"}}


def test_a_marked_comment_by_someone_else_is_never_edited(api: tuple[FakeGitHub, str]) -> None:
    """A comment that starts with the marker but was written by another user is left alone."""
    fake, url = api
    planted = f"{COMMENT_MARKER}\nlooks like a report"
    fake.comments = [bot_comment(5, planted, login="mallory")]
    assert publish_comment(context_for(url), "report") == "created"
    assert fake.comments[0]["body"] == planted
    assert fake.comments[1]["user"]["login"] == "github-actions[bot]"
    assert ("PATCH", "/repos/octo/agents/issues/comments/5") not in fake.requests


def test_a_personal_token_edits_only_its_owner_comment(api: tuple[FakeGitHub, str]) -> None:
    """With a personal token, GET /user names the author whose report is updated."""
    fake, url = api
    fake.login = "octocat"
    fake.comments = [bot_comment(5, f"{COMMENT_MARKER}\nbot's"), bot_comment(6, f"{COMMENT_MARKER}\nmine", "OctoCat")]
    assert publish_comment(context_for(url), "new") == "updated"
    assert [c["body"] for c in fake.comments] == [f"{COMMENT_MARKER}\nbot's", f"{COMMENT_MARKER}\nnew"]


def test_the_marker_must_open_the_comment(api: tuple[FakeGitHub, str]) -> None:
    """A bot comment that only quotes the marker somewhere is not the report."""
    fake, url = api
    fake.comments = [bot_comment(5, f"see {COMMENT_MARKER}")]
    assert publish_comment(context_for(url), "report") == "created"
    assert fake.comments[0]["body"] == f"see {COMMENT_MARKER}"


def test_a_redirect_to_another_host_does_not_carry_the_token(api: tuple[FakeGitHub, str]) -> None:
    """The API redirecting elsewhere is an error; the other host never sees a request."""
    fake, url = api
    elsewhere = FakeGitHub("octo/agents", 7)
    with serving(elsewhere) as server:
        fake.redirect_to = f"http://localhost:{server.server_address[1]}"
        with pytest.raises(AgentMergeError) as error:
            publish_comment(context_for(url), "report")
    assert elsewhere.requests == []
    assert "redirected to another host" in error.value.message


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((200, "text/html", b"<html>proxy login</html>"), "something other than JSON"),
        ((502, "text/html", b"<html>bad gateway</html>"), "502"),
        ((422, "application/json", b'{"message": "Validation Failed\\u001b[31m"}'), ": Validation Failed"),
    ],
)
def test_api_answers_become_one_clear_line(
    api: tuple[FakeGitHub, str], answer: tuple[int, str, bytes], expected: str
) -> None:
    """Non-JSON answers and API errors are reported with what the API said, never as a crash."""
    fake, url = api
    fake.raw_answer = answer
    with pytest.raises(AgentMergeError) as error:
        publish_comment(context_for(url), "report")
    assert expected in error.value.message
    assert "\x1b" not in error.value.message and "\n" not in error.value.message


def test_api_error_message_is_shown(api: tuple[FakeGitHub, str]) -> None:
    """A refused request names what the API answered."""
    fake, url = api
    fake.login = "octocat"
    fake.fail_with = 403
    with pytest.raises(AgentMergeError, match="Resource not accessible by integration"):
        publish_comment(context_for(url), "report")


@pytest.mark.parametrize(
    "bad_url",
    ["ftp://api.example.com", "http://[::1", "https://api.github.com:99999", "https://user:pw@api.github.com", "api"],
)
def test_malformed_api_url_is_one_error_line(tmp_path: Path, bad_url: str) -> None:
    """A malformed GITHUB_API_URL stops the step with one line naming it, not an internal error."""
    repo = make_review_repo(tmp_path)
    done = run_review_step(repo, pull_request_env(tmp_path, repo, bad_url, comment="true"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "GITHUB_API_URL" in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("pull_request", "base", "sha"), 12345),
        (("pull_request", "head", "sha"), ["x"]),
        (("pull_request", "number"), "7"),
        (("pull_request",), ["x"]),
        (("pull_request", "base"), "main"),
    ],
)
def test_wrong_types_in_the_event_are_one_error_line(
    tmp_path: Path, api: tuple[FakeGitHub, str], where: tuple[str, ...], value: Any
) -> None:
    """A number where the event has a SHA (or a string for the number) names the event file."""
    _, url = api
    repo = make_review_repo(tmp_path)
    env = pull_request_env(tmp_path, repo, url)
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    target = event
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))
    done = run_review_step(repo, env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and env["GITHUB_EVENT_PATH"] in done.stderr
    assert "internal error" not in done.stderr


def test_an_event_that_is_not_an_object_is_an_error_not_a_push(tmp_path: Path, api: tuple[FakeGitHub, str]) -> None:
    """A payload that is a list, or a pull request that is no object, is refused: read as no pull
    request, the step would review the default branch's history instead of the change."""
    _, url = api
    repo = make_review_repo(tmp_path)
    env = pull_request_env(tmp_path, repo, url)
    for event, said in (([1, 2], "payload is a list"), ({"pull_request": "7"}, "pull_request is a string")):
        Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))
        done = run_review_step(repo, env)
        assert done.returncode == 2, done.stdout
        assert said in done.stderr and env["GITHUB_EVENT_PATH"] in done.stderr


# --------------------------------------------------------------------------------------------
# The check step


def run_check_step(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the action's check step script the way the runner does (bash -e -o pipefail)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", STEPS["Check agent files"]["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_step_annotates_findings_and_fails(tmp_path: Path) -> None:
    """With check: true the step prints one ::error annotation per finding, on the file's
    checkout-relative path, and fails; with check: false it does nothing."""
    repo = make_review_repo(tmp_path)
    write(repo, ".claude/agents/bad.md", "---\nname: Bad Name\ndescription: Reviews\n---\n\n- Read the diff.\n")
    env = pull_request_env(tmp_path, repo, "http://127.0.0.1:9", check="true", check_paths=".claude/agents/bad.md")
    done = run_check_step(repo, env)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error title=agentmerge (AM106),file=.claude/agents/bad.md,line=2,col=7::")
    env["INPUT_CHECK"] = "false"
    done = run_check_step(repo, env)
    assert (done.returncode, done.stdout) == (0, "")


def test_check_step_imports_nothing_from_the_checkout(tmp_path: Path) -> None:
    """The check step, like the review step, never imports modules the pull request adds."""
    repo = make_review_repo(tmp_path)
    markers = tmp_path / "markers"
    plant_modules(repo, markers)
    env = pull_request_env(tmp_path, repo, "http://127.0.0.1:9", check="true", check_paths=".")
    env.update(PYTHONPATH=".", PYTHONSAFEPATH="")
    done = run_check_step(repo, env)
    assert done.returncode in (0, 1), done.stderr
    assert list(markers.iterdir()) == []
    assert "planted" not in done.stdout + done.stderr
