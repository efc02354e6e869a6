"""GitHub: what an Actions run says about its pull request, the step's outputs, the comment.

``actions_step`` is what ``agentmerge review --github`` does after the review: the Markdown report
to the job summary, ``changed=N`` to the step outputs, and, when asked, the report as the pull
request's one agentmerge comment. The token goes only to ``GITHUB_API_URL``'s host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.git import ZERO_SHA
from agentmerge.review import COMMENT_LIMIT, Review, render_review_markdown

COMMENT_MARKER = "<!-- agentmerge-review -->"
"""Hidden first line of the pull request comment, used to find and update the previous one."""

GITHUB_TIMEOUT = 30.0
"""Seconds one request to the GitHub API may take before the comment is given up."""

GITHUB_MAX_PAGES = 30
"""Pages of 100 comments searched for the previous report before a new comment is posted."""


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """What a GitHub Actions run says about the pull request it runs for."""

    api_url: str
    """Base URL of the REST API (``GITHUB_API_URL``), without a trailing slash."""
    repository: str
    """``owner/name`` of the repository (``GITHUB_REPOSITORY``); empty outside Actions."""
    pull_request: int | None
    """Number of the pull request the event is about; None for other events."""
    base: str | None
    """The revision to compare from, from the event (base sha, ``before``, or ``origin/<base_ref>``)."""
    head: str | None
    """The revision to compare to, from the event (head sha or ``after``)."""
    summary_path: str | None
    """The job summary file (``GITHUB_STEP_SUMMARY``) the Markdown report is appended to."""
    output_path: str | None
    """The step output file (``GITHUB_OUTPUT``) where ``changed=N`` is written."""
    base_name: str | None = None
    """The base's branch name (the pull request's base ref); None when the event names none."""
    head_name: str | None = None
    """The head's branch name (the pull request's head ref, or the pushed branch); None when none."""
    token: str = field(default="", repr=False)
    """The token the comment is posted with (``GITHUB_TOKEN``); kept out of ``repr``."""


def actions_step(report: Review, context: GitHubContext, *, max_chars: int, comment: bool) -> list[str]:
    """Finish a GitHub Actions review step; return what to tell the user, one line each.

    The Markdown report (at most ``max_chars``, and within GitHub's comment limit) is appended to
    the job summary and ``changed=N`` to the step outputs, both before any comment is posted, so
    a token that may not comment still leaves the report. With ``comment`` the report becomes
    the pull request's one agentmerge comment (``publish_comment``).
    """
    limit = min(max_chars, COMMENT_LIMIT) - len(COMMENT_MARKER) - 1
    markdown = render_review_markdown(report, limit=limit)
    if context.summary_path:
        append_to_file(context.summary_path, markdown + "\n")
    if context.output_path:
        append_to_file(context.output_path, f"changed={len(report.changed)}\n")
    if not comment:
        return []
    if context.pull_request is None:
        return ["not a pull request event; no comment posted"]
    return [f"pull request comment {publish_comment(context, markdown, create=bool(report.files))}"]


def actions_failure(context: GitHubContext, error: AgentMergeError) -> str:
    """Say why a review step failed where a pull request's author looks: the job summary gets the
    error, and the returned line (printed on standard output) is an error annotation of the run."""
    from agentmerge.check import escape_workflow_data
    from agentmerge.render import visible

    message = visible(str(error))
    if context.summary_path:
        # The message names files of the pull request: a fence longer than any backtick run in it.
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", message)), default=0))
        append_to_file(context.summary_path, f"**agentmerge review could not run**\n\n{fence}\n{message}\n{fence}\n")
    return f"::error title=agentmerge review::{escape_workflow_data(message)}"


def github_context(environ: Mapping[str, str]) -> GitHubContext:
    """Read what GitHub Actions says about this run from its environment and event payload.

    The payload is untrusted data: a revision that is not a string, or a pull request number that
    is not an integer, is an error naming the event file rather than a value passed on.
    """
    payload: dict[str, Any] = {}
    event_path = environ.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            loaded = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(event_path, 0, f"the GitHub event payload cannot be read ({error})") from None
        if not isinstance(loaded, dict):
            raise InputError(event_path, 0, f"the GitHub event payload is {_json_kind(loaded)}, not an object")
        payload = loaded
    where = event_path or "GITHUB_EVENT_PATH"
    pull = payload.get("pull_request")
    if pull is not None and not isinstance(pull, dict):
        # Read as no pull request, the review would compare the default branch instead.
        raise InputError(where, 0, f"the event's pull_request is {_json_kind(pull)}, not an object")
    base: str | None = None
    head: str | None = None
    number: int | None = None
    base_name: str | None = None
    head_name: str | None = None
    if pull is not None:
        number = _event_number(pull.get("number", payload.get("number")), where)
        base = _event_revision(pull.get("base"), "pull_request.base.sha", where)
        head = _event_revision(pull.get("head"), "pull_request.head.sha", where)
        base_name = _event_ref(pull.get("base"))
        head_name = _event_ref(pull.get("head"))
    elif payload.get("before") is not None and payload.get("before") != ZERO_SHA:
        base = _event_revision({"sha": payload.get("before")}, "before", where)
        head = _event_revision({"sha": payload.get("after")}, "after", where)
        head_name = _event_ref({"ref": payload.get("ref")})
    if not base and environ.get("GITHUB_BASE_REF"):
        base = f"origin/{environ['GITHUB_BASE_REF']}"
    base_name = base_name or environ.get("GITHUB_BASE_REF") or None
    head_name = head_name or environ.get("GITHUB_HEAD_REF") or None
    return GitHubContext(
        api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        repository=environ.get("GITHUB_REPOSITORY", ""),
        pull_request=number,
        base=base or None,
        head=head or None,
        summary_path=environ.get("GITHUB_STEP_SUMMARY") or None,
        output_path=environ.get("GITHUB_OUTPUT") or None,
        base_name=base_name,
        head_name=head_name,
        token=environ.get("GITHUB_TOKEN", ""),
    )


def _json_kind(value: Any) -> str:
    """What a JSON value is, for an error: "a list", "a string", ..."""
    kinds = ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"), (list, "a list"), (dict, "an object"))
    return next((kind for types, kind in kinds if isinstance(value, types)), "null")


def _event_ref(side: Any) -> str | None:
    """The branch name at ``side["ref"]`` of the event payload (``refs/heads/`` taken off), for
    the report's header; None when absent or not a plain one-line name."""
    ref = side.get("ref") if isinstance(side, dict) else None
    if not isinstance(ref, str):
        return None
    ref = ref.removeprefix("refs/heads/")
    if not ref or len(ref) > 255 or any(c.isspace() or not c.isprintable() for c in ref):
        return None
    return ref


def _event_revision(side: Any, name: str, event_path: str) -> str | None:
    """The commit id at ``side["sha"]`` of the event payload; None when absent."""
    if side is not None and not isinstance(side, dict):
        side_name = name.rpartition(".")[0]
        raise InputError(event_path, 0, f"the event's {side_name} is {_json_kind(side)}, not an object")
    sha = side.get("sha") if side is not None else None
    if sha is None:
        return None
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-fA-F]{4,64}", sha):
        raise InputError(event_path, 0, f"the event's {name} is {sha!r}, not a commit id; pass base and head inputs")
    return sha


def _event_number(value: Any, event_path: str) -> int | None:
    """The pull request number of the event payload; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(event_path, 0, f"the event's pull request number is {value!r}, not a positive integer")
    return value


def append_to_file(path: str, text: str) -> None:
    """Append ``text`` to a file GitHub Actions reads afterwards (job summary, step outputs)."""
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise OutputError(path, 0, f"cannot be appended to ({error.strerror or error})") from None


ACTIONS_BOT = "github-actions[bot]"
"""The login of comments posted with a workflow's own ``GITHUB_TOKEN``."""

GITHUB_MAX_ANSWER = 16 * 1024 * 1024
"""Most bytes read from one API answer; more is an error rather than memory spent."""

_REPOSITORY_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class GitHubError(AgentMergeError):
    """The GitHub API refused or could not answer a request; ``status`` is its HTTP status, 0 if none."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__("", 0, message)
        self.status = status


def publish_comment(context: GitHubContext, body: str, *, create: bool = True) -> str:
    """Post the report as the pull request's one agentmerge comment, or update the earlier one.

    The earlier comment is one whose body starts with ``COMMENT_MARKER`` and whose author is the
    token's own identity (``token_identity``); a comment anyone else wrote is never edited, even
    when it carries the marker. Returns what happened: ``created``, ``updated``, ``unchanged`` or
    ``skipped`` (nothing to say and no earlier comment, when ``create`` is false).
    """
    if context.pull_request is None or not context.repository:
        raise AgentMergeError("", 0, "not a pull request event; --comment needs a pull_request workflow trigger")
    if not _REPOSITORY_RE.fullmatch(context.repository) or ".." in context.repository:
        raise AgentMergeError("", 0, f"GITHUB_REPOSITORY {context.repository!r} is not owner/name")
    if not context.token:
        raise AgentMergeError("", 0, "no token to comment with; pass the action's token input (GITHUB_TOKEN)")
    github_api_base(context.api_url)
    text = body if body.startswith(COMMENT_MARKER) else f"{COMMENT_MARKER}\n{body}"
    repo = context.repository
    identity = token_identity(context)
    previous: dict[str, Any] | None = None
    for page in range(1, GITHUB_MAX_PAGES + 1):
        route = f"/repos/{repo}/issues/{context.pull_request}/comments"
        batch = _github_request(context, "GET", f"{route}?per_page=100&page={page}")
        if not isinstance(batch, list):
            raise GitHubError(f"GitHub API GET {route} answered with something other than a list of comments")
        previous = next((c for c in batch if _is_own_report(c, identity)), None)
        if previous is not None or len(batch) < 100:
            break
    if previous is not None:
        if previous.get("body") == text:
            return "unchanged"
        _github_request(context, "PATCH", f"/repos/{repo}/issues/comments/{previous['id']}", {"body": text})
        return "updated"
    if not create:
        return "skipped"
    _github_request(context, "POST", f"/repos/{repo}/issues/{context.pull_request}/comments", {"body": text})
    return "created"


def token_identity(context: GitHubContext) -> str:
    """The login that comments posted with the context's token appear under.

    ``GET /user`` names the owner of a personal access token. A workflow's ``GITHUB_TOKEN`` is a
    GitHub App installation token, which that endpoint refuses with 403; its comments appear
    under ``github-actions[bot]``. Another app's installation token cannot learn its own login,
    so it is taken for ``github-actions[bot]`` as well: its earlier comments are then not found
    and a new one is posted, which is noisy but never edits a comment someone else wrote.
    """
    try:
        user = _github_request(context, "GET", "/user")
    except GitHubError as error:
        if error.status == 403:
            return ACTIONS_BOT
        raise
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login:
        raise GitHubError("GitHub API GET /user answered without a login; check GITHUB_API_URL")
    return login


def _is_own_report(comment: Any, identity: str) -> bool:
    """Whether ``comment`` (from the API) is an agentmerge report written by ``identity``."""
    if not isinstance(comment, dict) or isinstance(comment.get("id"), bool) or not isinstance(comment.get("id"), int):
        return False
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    body = comment.get("body")
    return (
        isinstance(login, str)
        and login.casefold() == identity.casefold()
        and isinstance(body, str)
        and body.startswith(COMMENT_MARKER)
    )


def github_api_base(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) of the API at ``url``; an error unless it is a plain http(s) URL."""
    from urllib.parse import urlsplit

    problem = f"GITHUB_API_URL {url!r} is not an http(s) URL like https://api.github.com; fix the workflow's env"
    if any(c.isspace() or not c.isprintable() for c in url):
        raise AgentMergeError("", 0, problem)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AgentMergeError("", 0, problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise AgentMergeError("", 0, problem)
    if parts.query or parts.fragment:
        raise AgentMergeError("", 0, problem)
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _github_request(context: GitHubContext, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """Send one request to the API and return its decoded JSON answer (None when empty).

    Redirects are followed only within the API's own scheme, host and port, so the token in the
    Authorization header never reaches another host.
    """
    import urllib.error
    import urllib.request

    route = path.split("?")[0]
    origin = github_api_base(context.api_url)

    class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            try:
                same = github_api_base(newurl) == origin
            except AgentMergeError:
                same = False
            if not same:
                raise GitHubError(
                    f"GitHub API {method} {route} redirected to another host; not followed, so the token "
                    "stays with GITHUB_API_URL's host",
                    code,
                )
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    request = urllib.request.Request(
        context.api_url + path,
        method=method,
        data=json.dumps(payload).encode("utf-8") if payload is not None else None,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {context.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "agentmerge-review",
            "Content-Type": "application/json",
        },
    )
    opener = urllib.request.build_opener(SameOriginRedirects())
    try:
        with opener.open(request, timeout=GITHUB_TIMEOUT) as response:
            raw = response.read(GITHUB_MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        hint = " (give the workflow `permissions: pull-requests: write`)" if error.code in (401, 403, 404) else ""
        said = _api_message(error.read(GITHUB_MAX_ANSWER))
        raise GitHubError(
            f"GitHub API {method} {route} failed: {error.code} {_one_line(str(error.reason))}{said}{hint}", error.code
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise GitHubError(f"GitHub API {context.api_url} cannot be reached ({_one_line(str(reason))})") from None
    if len(raw) > GITHUB_MAX_ANSWER:
        raise GitHubError(f"GitHub API {method} {route} answered with more than {GITHUB_MAX_ANSWER:,} bytes")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GitHubError(
            f"GitHub API {method} {route} answered with something other than JSON; check GITHUB_API_URL"
        ) from None


def _api_message(raw: bytes) -> str:
    """``: <message>`` from an API error answer's JSON, or empty when it has none."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return f": {_one_line(message)}" if isinstance(message, str) and message.strip() else ""


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` from a remote party made safe for one terminal line: no control characters, clipped."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
