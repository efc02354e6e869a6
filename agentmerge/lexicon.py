"""The words agentmerge reads instructions by: word lists and section roles, as data.

Each list says why it exists. Nothing here computes: ``text`` turns these lists into terms and
roles, ``match`` and ``cluster`` decide with them. The lists are kept general (words agent files
of every role use); vocabulary of one role is left to the IDF weights of ``cluster``.
"""

from __future__ import annotations

from typing import NamedTuple

# --------------------------------------------------------------------------------------------
# Words

NEGATORS = frozenset(
    {
        "never",
        "not",
        "no",
        "don't",
        "dont",
        "doesn't",
        "mustn't",
        "shouldn't",
        "can't",
        "cannot",
        "won't",
        "avoid",
        "avoiding",
        "nothing",
        "neither",
        "nor",
    }
)
"""Words that can negate an instruction; left out of term vectors, so "always use X" and "never
use X" share their terms and polarity alone (``text.negated``) tells them apart."""

OBLIGATION_LEVELS = (("must", "shall"), ("should",), ("may", "can", "could", "might"))
"""Words that say how binding an instruction is, most binding first: one put in for a word of
another level with nothing else changed makes the instruction more or less binding ("You must
add a test" to "You should add a test", ``text.obligation_change``). Every word is used in the
public corpus, in three or more of its seven collections ("shall" in 7 files, "can" in 277)."""

HEDGES = ("try to", "usually", "generally", "typically", "ideally", "sometimes", "as much as possible")
"""Words that make an instruction optional without saying when it applies ("Try to reply within
an hour", "Usually escalate outages", "Generally do not delete user data"; "try to" also as "try
not to"): one put into a rule, with nothing else changed, binds it less
(``text.obligation_change``), and a prohibition after one still forbids (``text.negated``). Those
of the public corpus in two or more of its seven collections: typically in 27 documents of 5,
try to 15 of 3, usually 7 of 2, ideally 3 of 2, generally, sometimes and as much as possible 2
of 2 (preferably, where practical, when convenient and aim to in one)."""

ONLY_WORDS = frozenset({"only", "just", "solely", "exclusively", "merely"})
"""Words that limit a rule to what they name ("Only review the diff", "Review just the diff"): one
taken out widens the rule, unless the text says it with another (``text.only_put``). In the public
corpus, "exclusively" in 13 documents of 5 collections, "solely" 7 of 3, "merely" 1 of 1; "only"
and "just" in every collection."""

EXCEPTION_WORDS = ("except", "unless", "excluding")
"""Words that put an exception to an instruction ("Every endpoint except health checks must
...", "Never merge on red builds unless it is a hotfix"): an instruction with one is another
rule (``cluster.word_changed``), and one put in binds it less (``text.obligation_change``). In
the public corpus: unless in 132 documents of 7 collections, except 38 of 6, excluding 1 of 1
(kept as a form of except)."""

BOUND_WORDS = frozenset(
    {
        "most",
        "least",
        "under",
        "over",
        "below",
        "above",
        "less",
        "more",
        "fewer",
        "maximum",
        "minimum",
        "max",
        "min",
        "up",
    }
)
"""Words that, before a number, bound it ("at most 3", "under 200 lines", "up to 5"): one put in
for another turns a limit round (``text.limit_change``). Before a number in the public corpus:
max in 28 documents of 4 collections, under 21 of 6, minimum 13 of 5, up (to) 13 of 4, least 11
of 2, maximum 8 of 3, over 6 of 5, more (than) 6 of 4, below 6 of 3, less 4 of 2, most, above,
fewer and min 1 of 1 (kept for the words they pair with)."""

AFFIRMERS = frozenset({"always"})
"""Words that stand where a negator would ("always run X", "never run X"): a text that has one
where the other has a negation differs by polarity alone (``text.negation_put``)."""

PROHIBITIONS = (
    "never",
    "don't",
    "dont",
    "do not",
    "does not",
    "doesn't",
    "avoid",
    "avoiding",
    "no",
    "not",
    "nothing",
    "neither",
    "nor",
    "stop",
    "refrain",
    "forbid",
    "prohibit",
    "cannot",
    "can't",
    "can not",
    "must not",
    "mustn't",
    "should not",
    "shouldn't",
    "shall not",
    "will not",
    "won't",
    "may not",
    "missing",
    "lack",
    "lacking",
    "absence",
    "absent",
)
"""Words that, opening a clause, make it a prohibition or name an absence ("Never log secrets",
"No global state", "Missing input validation"): such a clause is the opposite of the same words
without them. "Missing X" and "No X" are both absences, so one rewritten as the other is no flip."""

JOINED_PROHIBITIONS = ("never", "do not", "don't", "avoid")
"""PROHIBITIONS that forbid where they open a clause joined on by "and" or "but" ("Review the
diff, and never approve your own PR"): orders not to. The others there describe ("..., or does
not fit the schema", "..., or missing guidance") or make an exception ("..., but not bot
commits")."""

CONTRASTS = ("not just", "not only", "not merely", "not simply")
"""Openings that negate nothing: "not just X but Y" asks for X and Y."""

CLAUSE_OPENERS = ("always", "please", "strictly", "absolutely", "you", "we", "i", "should", "must", "will", "do")
"""Words that may stand before a clause's verb without changing its polarity ("Always avoid X",
"You must never X", "Please do not X")."""


ORDER_WORDS = ("over", "before", "after", "than", "instead of", "rather than", "not")
"""Words that set what stands before them against what follows ("Prefer composition over
inheritance", "Deploy to staging before production", "Use tabs, not spaces"): the same words on
the other sides say the opposite (``text.opposite_sense``)."""

OPPOSITE_PAIRS = (
    "before/after above/below more/less increase/decrease enable/disable enabled/disabled "
    "allow/deny include/exclude first/last minimum/maximum "
    "min/max higher/lower inside/outside public/private accept/reject add/remove added/removed "
    "show/hide explicit/implicit mutable/immutable optional/required client/server early/late "
    "synchronous/asynchronous sync/async internal/external input/output read/write "
    "if/unless succeed/fail succeeds/fails succeeded/failed pass/fail passes/fails passed/failed"
)
"""Words whose swap turns an instruction into its opposite ("Run the linter before committing",
"... after committing"). Every word is used in the public corpus, in three or more of its seven
collections (``decrease`` in 4 files, ``succeeds`` in 4 of 3, ``succeeded`` 5 of 3, ``passed``
28 of 4, ``unless`` in 132 of 7, ``before`` in 506); a word may have more than one ("fail" is
the opposite of "succeed" and of "pass"); ``text.opposite_sense`` reads them."""


def _opposites(pairs: str) -> dict[str, frozenset[str]]:
    """Each word of ``pairs`` ("before/after ...") and its opposites, both ways."""
    found: dict[str, set[str]] = {}
    for pair in pairs.split():
        one, other = pair.split("/")
        found.setdefault(one, set()).add(other)
        found.setdefault(other, set()).add(one)
    return {word: frozenset(others) for word, others in found.items()}


OPPOSITES = _opposites(OPPOSITE_PAIRS)
"""Each word of OPPOSITE_PAIRS and its opposites, both ways."""

CHOICE_GROUPS = (
    "tab tabs / space spaces",
    "single / double",
    "uppercase / lowercase",
    "same / separate",
    "absolute / relative",
    "named / default",
    "short shorter brief concise terse / long longer detailed verbose lengthy in-depth",
    "parallel / sequential sequentially serial serially",
    "strict strictly / loose loosely lenient",
    "cursor cursors cursor-based / offset offsets offset-based",
    "warning warnings / error errors",
    "warn / fail block",
    "unit / integration / end-to-end e2e",
    "frontend front-end / backend back-end",
    "static / dynamic",
    "horizontal horizontally / vertical vertically",
    "stateful / stateless",
    "eager eagerly / lazy lazily",
    "manual manually / automated automatic automatically",
    "major / minor",
    "monolith monolithic / microservice microservices",
    "mobile / web / desktop",
    "ios / android",
    "production / development / staging",
    "beginner beginners novice novices / expert experts",
    "soft / hard",
    "server server-side / client client-side browser",
    "daily / weekly / monthly",
    "aws / azure / gcp",
    "npm / yarn / pnpm",
    "jest / vitest / mocha",
    "cypress / playwright / selenium / puppeteer",
    "pip / poetry / uv",
    "blue-green / canary",
)
"""Alternatives an instruction picks one of, a group to a line, its alternatives split by " / "
and each alternative's spellings by spaces: "Use tabs for indentation" and "Use spaces for
indentation" are two instructions, however alike their words (``text.other_choice``). Every
alternative is used in the public corpus, in three or more of its seven collections."""

SCOPE_CHOICES = frozenset(
    {
        "warning",
        "unit",
        "frontend",
        "static",
        "manual",
        "major",
        "mobile",
        "ios",
        "production",
        "beginner",
        "server",
        "daily",
        "aws",
    }
)
"""The CHOICE_GROUPS (by their first spelling) whose alternatives are scopes an agent covers side
by side (unit and integration tests, frontend and backend changes), not ways of doing one thing:
two items picking two of them are two instructions, but no contradiction (``check`` AM204)."""

CHOICES: dict[str, tuple[int, int]] = {
    spelling: (group, alternative)
    for group, line in enumerate(CHOICE_GROUPS)
    for alternative, spellings in enumerate(line.split(" / "))
    for spelling in spellings.split()
}
"""Each spelling of CHOICE_GROUPS and its (group, alternative)."""


SET_ASIDE_WORDS = (
    "without",
    "instead of",
    "rather than",
    "other than",
    "except",
    "skip",
    "skipping",
    "omit",
    "omitting",
    "drop",
    "dropping",
    "remove",
    "removing",
    "strip",
    "stripping",
    "leave out",
    "leaving out",
    "exclude",
    "excluding",
)
"""Words after which a sentence names what it does not ask for ("instead of relying on manual
exports", "Skip the preamble"): ``text.opposite_sense`` does not read those words as asked for."""


TITLE_STOPWORDS = frozenset({"a", "an", "and", "the", "your", "my", "our", "of", "for", "to", "in", "on", "with"})
"""Words left out when two section titles are compared word by word (``match.title_similarity``):
"Your Responsibilities" and "Responsibilities" name the same section."""

TITLE_FILLER_WORDS = frozenset(
    {"core", "key", "main", "primary", "additional", "follow", "these", "general", "important", "expected"}
)
"""Words of a section title that do not name its topic ("Core Responsibilities" is
"Responsibilities"); left out of the title terms the N-way section alignment compares."""

STOPWORD_TEXT = (
    "a an the and or but of to for in on at by with from as into onto over under via per "
    "is are was were be been being am this that these those it its it's you your yours you're "
    "we our us i my me they their them he she his her will shall should must can could would "
    "may might do does did done have has had also just only then than so if while both each "
    "every all any some such like well more most very what which who whom how when where why "
    "there here up out about other others etc e g i.e eg ie using use used uses "
    "ensure ensuring proper properly appropriate appropriately effective effectively needed "
    "necessary include includes including always whether within across new existing"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split())
"""Words that carry no instruction of their own in agent definitions; left out of term vectors.

Negating words are left out of the vectors too: polarity is checked on its own (``text.negated``), so
"never X" and "always X" are kept apart by rule rather than by a small difference in score.
"""

TERM_SYNONYMS: dict[str, str] = {
    # abbreviations common in agent definitions
    "db": "database",
    "dbs": "database",
    "auth": "authentication",
    "authn": "authentication",
    "authz": "authorization",
    "perf": "performance",
    "docs": "documentation",
    "doc": "documentation",
    "config": "configuration",
    "configs": "configuration",
    "env": "environment",
    "envs": "environment",
    "repo": "repository",
    "repos": "repository",
    "k8s": "kubernetes",
    "async": "asynchronous",
    "sync": "synchronous",
    "spec": "specification",
    "specs": "specification",
    "impl": "implementation",
    "dev": "development",
    "prod": "production",
    "ts": "typescript",
    "js": "javascript",
    "py": "python",
    "infra": "infrastructure",
    "deps": "dependency",
    "perms": "permission",
    "pr": "pull-request",
    "prs": "pull-request",
    "mr": "pull-request",
    "restful": "rest",
    "apis": "api",
    "e2e": "end-to-end",
    "ci": "continuous-integration",
    "cicd": "continuous-integration",
    "llm": "model",
    "llms": "model",
    "ux": "user-experience",
    "a11y": "accessibility",
    "i18n": "internationalization",
    # near-synonyms agent authors use for the same instruction
    "third": "external",
    "party": "",
    "build": "create",
    "develop": "create",
    "write": "create",
    "construct": "create",
    "architect": "design",
    "exception": "error",
    "exceptions": "error",
    "failure": "error",
    "failures": "error",
    "observability": "monitoring",
    "telemetry": "monitoring",
    "vulnerability": "vulnerable",
    "vulnerabilities": "vulnerable",
    "flaw": "vulnerable",
    "flaws": "vulnerable",
    "defect": "bug",
    "defects": "bug",
    "speed": "performance",
    "fast": "performance",
    "latency": "performance",
    "credentials": "secret",
    "credential": "secret",
    "secrets": "secret",
    "verify": "check",
    "confirm": "check",
}
"""Abbreviations and near-synonyms mapped to one term before stemming ("" drops the word).

Kept small and general: words that agent definitions of every role use interchangeably
("db"/"database", "build"/"write"/"develop"/"create", "exception"/"error", "third-party"/
"external"). Role-specific vocabulary is left to the IDF weights.
"""


CONDITION_WORDS = ("when", "whenever", "if", "unless", "before", "after", "until", "once", "where", "wherever")
"""Words that open a condition of an instruction, to the end of its clause ("Run the suite before
merging", "Use raw SQL only when the ORM is too slow"): a wording that takes another in must say
something of each of its conditions (``cluster.conditions``)."""

UNSAID_WORDS = frozenset(
    {
        *("a", "an", "the", "of", "please", "your", "our", "my", "their"),
        *("am", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "done"),
        *("this", "that", "these", "those", "it", "its", "it's", "there", "here"),
        *("just", "so", "then", "very", "well", "such", "etc", "e", "g", "eg", "ie"),
        *("ensure", "ensuring", "proper", "properly", "appropriate", "appropriately"),
        *("effective", "effectively", "needed", "necessary", "use", "uses", "used", "using"),
    }
)
"""Words two wordings of one instruction put in, leave out or trade for each other freely
(``text.word_forms``): the articles, "of" ("the owner of the pipeline", "the pipeline owner";
"out of the folder" is out), "please", the possessives of the reader and the team ("your new
code"), the forms of "be" and "do", the demonstratives, and the stop words that qualify nothing
("proper", "ensure", and "use": "Use connection pooling" asks for connection pooling)."""

_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")

_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

SAME_WORDS = {
    "each": "every",
    "all": "every",
    "single": "1",
    **{word: str(number) for number, word in enumerate(_NUMBER_WORDS, start=1)},
    **{word: str(number) for number, word in zip(range(20, 100, 10), _TENS, strict=True)},
}
"""Words that say what another does (``text.word_forms``): "for each service", "for every
service" and "for all services" ask one instruction; "a single goal", "one goal" and "1 goal"
one too, "two approvals" and "2 approvals" one."""

UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("ms", "millisecond", "milliseconds"), ("time", 0.001)),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), ("time", 1)),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), ("time", 60)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), ("time", 3600)),
    **dict.fromkeys(("day", "days"), ("time", 86400)),
    **dict.fromkeys(("week", "weeks"), ("time", 604800)),
    **dict.fromkeys(("b", "byte", "bytes"), ("size", 1)),
    **dict.fromkeys(("kb", "kib"), ("size", 1024)),
    **dict.fromkeys(("mb", "mib"), ("size", 1024**2)),
    **dict.fromkeys(("gb", "gib"), ("size", 1024**3)),
    **dict.fromkeys(("tb", "tib"), ("size", 1024**4)),
    **dict.fromkeys(("%", "percent"), ("percent", 1)),
    "k": ("", 1000),
}
"""Units a number may be written in, each with what it measures and its size in the smallest
whole unit: "60 minutes" and "1 hour", "1024 MB" and "1 GB", "80%" and "80 percent", "10k" and
"10,000" are one amount (``text.limit_change``)."""

CONTRACTED_VERBS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
"""The verb of a negation in "n't" whose letters before it are not the verb: "can't", "won't",
"shan't", "ain't" (``text.contracted_verb``)."""

FRAME_WORDS = frozenset({*CONDITION_WORDS, "for", "in", "on", "within", "during", "while", "to", "by", "as"})
"""Words that open a clause or phrase setting the frame of an instruction ("When a build fails,
...", "For each new endpoint, ...", "... in the migration guide"): two wordings in one frame are
compared by what they say in it (``cluster.one_frame``). The condition words, and the words that
open a list item's first clause before a comma in at least two of the public corpus's seven
collections: if in 338 items of 5, when 237 of 5, for 186 of 5, before 80 of 5, after 56 of 4, in
37 of 3, to 11 of 2, by 7 of 3, as 7 of 3, on 6 of 3, within 3 of 2; and during and while, which
open a time as before and after do."""

WHOLE_SCOPE_WORDS = frozenset({"everywhere", "throughout", "anywhere", "universally"})
"""Words by which an instruction says it holds without bound ("Use type hints everywhere", "Never
log tokens anywhere"): a wording that takes it in must say so too, or say nothing it does not
(``cluster.carries``), since "Use type hints on public functions" would narrow it. They are the
scope adverbs found in at least three of the public corpus's seven collections: throughout in 102
documents of 6 collections, everywhere 22 of 4, anywhere 11 of 4, universally 3 of 3 ("without
exception" in 2)."""

QUANTIFIER_LEVELS = (("few", "several", "some"), ("many",), ("most",), ("all", "every", "each", "any"))
"""Words that say how much of what it names a rule covers, from the least to the whole: one put
in for a word of another level, all else the same, narrows or widens the rule ("Close every
ticket" to "Close most tickets", ``text.quantifier_change``). Before a word in the public corpus:
all in 627 documents of 7 collections, each 303 of 7, any 290 of 7, every 248 of 7, most 123 of
7, many 48 of 6, some 30 of 4, few 11 of 3, several 7 of 2."""

PROACTIVE_PHRASES = ("proactively", "MUST BE USED")
"""Words by which an agent's description asks to be called without being asked for: Claude Code's
documentation of subagents suggests "use PROACTIVELY" and "MUST BE USED" in the description for
more automatic delegation. A phrase in lower case is read in any case; one in capitals only as
written ("how the API must be used" asks nothing of the host). In the public corpus's
descriptions: proactively in 233 documents of 4 collections, "MUST BE USED" in 19 of 1."""

TOOL_DIRECTIVES = (
    "markdownlint-disable",
    "markdownlint-enable",
    "markdownlint-disable-line",
    "markdownlint-disable-next-line",
    "markdownlint-disable-file",
    "markdownlint-enable-file",
    "markdownlint-capture",
    "markdownlint-restore",
    "prettier-ignore",
    "prettier-ignore-start",
    "prettier-ignore-end",
    "cspell:disable",
    "cspell:enable",
    "cspell:disable-line",
    "cspell:disable-next-line",
    "textlint-disable",
    "textlint-enable",
    "lint disable",
    "lint enable",
    "lint ignore",
    "vale off",
    "vale on",
    "toc",
    "tocstop",
)
"""HTML comments by which a Markdown file tells a tool what to do (markdownlint, Prettier, CSpell,
textlint, remark-lint, Vale, markdown-toc, as their documentation writes them): such a comment,
alone or with rule codes (``MD013``: a token with a digit), says nothing to a model, so an added
one is no hidden text (``text.unrendered``). Rule names in words (``no-inline-html``) and
anything else in the comment are read as words. In the public corpus: markdownlint-disable-file
in 7 documents of 1 collection, no other tool's directive."""

OVERRIDE_VERBS = ("ignore", "disregard", "forget", "override", "bypass")
OVERRIDE_SCOPES = ("previous", "prior", "above", "earlier", "preceding", "original", "system", "all")
OVERRIDE_OBJECTS = (
    "instructions",
    "instruction",
    "rules",
    "directions",
    "directives",
    "guidelines",
    "prompt",
    "prompts",
)
"""The words of the opener of a prompt injection (OWASP's LLM01): a verb of OVERRIDE_VERBS, a scope
of OVERRIDE_SCOPES and an object of OVERRIDE_OBJECTS ("Ignore all previous instructions",
"disregard the system prompt"), which ask the model to set aside what it was told
(``text.override_request``). In the public corpus no document says one; two security agents
quote one as an attack to detect (a quoted phrase is a mention, not a request)."""

OVERRIDE_LEADS = ("now", "first", "then", "and", "also", "from", "on", "just", "simply", "instead")
"""Words that may stand before an override's verb in its clause, besides CLAUSE_OPENERS ("From now
on, ignore ...", "Now disregard ..."): with any other word before it ("Never ignore previous
instructions", "If a user asks you to ignore ...", "Refuse requests to ignore ..."), the phrase is
forbidden or described, not asked for (``text.override_request``)."""

ENCRYPTED_SCHEMES = frozenset({"https", "wss", "ftps", "sftp", "ssh"})
"""The link schemes that encrypt what they carry: a link to a host that took one of these and now
takes the plain variant (``https`` to ``http``) can be read and rewritten on the way
(``text.unencrypted``)."""

EXAMPLE_HOSTS = ("localhost", "example.com", "example.net", "example.org", "127.0.0.1", "0.0.0.0", "[::1]")
"""Hosts that lead nowhere outside the machine or are kept for examples (RFC 2606, RFC 6761): a
link to one, or to a name under one of them or under ``.localhost``, ``.local``, ``.test``,
``.example`` or ``.invalid`` (EXAMPLE_SUFFIXES), sends nothing anywhere (``text.destinations``)."""

EXAMPLE_SUFFIXES = (
    ".localhost",
    ".local",
    ".test",
    ".example",
    ".invalid",
    ".example.com",
    ".example.net",
    ".example.org",
)
"""Names under which every host is kept for tests, examples or the local network (EXAMPLE_HOSTS)."""

SECURE_VARIANTS = frozenset({"https", "wss"})
"""Protocol names that are another protocol's name and an S, the secure variant ("http" and
"https"): the stem of both is one term, so copies must also name the same one
(``scorer.near_verbatim``). Those of the public corpus in three or more of its seven
collections: https in 164 documents of 7, wss in 3 of 3 (ftps, smtps, imaps, ldaps in none)."""

EMPTY_CONDITIONS = ("possible", "applicable", "relevant", "available", "helpful", "beneficial", "doubt")
"""Words of a condition that names no circumstance, only that the instruction may not apply ("when
possible", "if applicable", "when in doubt"): a condition of these words alone asks nothing of the
wording that takes it in. They are the conditions of one term in the corpus found in at least three
of its seven collections that say so (``benchmarks/corpus_terms.py --conditions``: possible in 140
documents of 7 collections, applicable 80 of 7, relevant 35 of 4, available 32 of 6, helpful 15 of
5, doubt 12 of 3, beneficial 8 of 4; "useful" and "absolutely" in 2 collections); the other
frequent ones name a circumstance ("when coding", "before merging", "when deploying")."""


SUFFIX_TEXT = (
    "izations ization isations isation ational ations ation ments ment ities ity ness ings "
    "izing ising ing ized izes ize ised ises ise ables able abilities ability ibility ible ically ical ally "
    "ances ance ences ence ancy ency ants ant ents ent ates ated ating ate ies ied ers er ed ly "
    "es s e y"
)
"""Inflection and derivation endings ``text.stem`` takes off ("optimization" and "optimize" are
one term); a light list, tuned for consistency rather than linguistics."""


# --------------------------------------------------------------------------------------------
# Section roles


class RoleRule(NamedTuple):
    """How a section title names one role: a case-insensitive pattern and why the role exists."""

    role: str
    """The role's name (``gates``, ``pitfalls``, ...)."""
    pattern: str
    """Regular expression searched in the title's normal form, case-insensitive."""
    reason: str
    """Why items of this role are kept apart from items of other roles."""


WORKFLOW_ROLE = "workflow"
"""The role of a section whose title names a procedure ("Workflow", "Process", "Steps", "When
reviewing code"): the order of its numbered items is the order of the work."""

OUTPUTS_ROLE = "outputs"
"""The role of a section whose title names what the agent hands back ("Output Format",
"Deliverables"): its code blocks and tables are the templates of the answer."""

PITFALLS_ROLE = "pitfalls"
"""The role of a section whose title names what not to do ("Common Pitfalls", "Avoid", "Don't"):
its items state the bad practice, so the same words elsewhere ask for it."""


SECTION_ROLES: tuple[RoleRule, ...] = (
    RoleRule(
        "examples",
        r"\bexamples?\b|\bsample (?:usage|prompts?)\b",
        "examples show an exchange; their lines are not instructions to merge with the guidance",
    ),
    RoleRule(
        "gates",
        r"definition of done|\bdone\b|acceptance|checklist|quality gates?|exit criteria|"
        r"success criteria|before (?:completing|finishing|submitting|merging)|\bverification\b",
        "a checklist entry is a check made at the end, not the practice it checks",
    ),
    RoleRule(
        PITFALLS_ROLE,
        r"pitfall|anti-?patterns?|\bavoid|mistakes?|don['\u2019]?ts|gotchas?|red flags?|"
        r"what not to|\bdo not do\b|common (?:errors|issues|problems)|\bnever\b|"
        r"^\W*(?:don['\u2019]?t|do not)(?:\s+\w+)?\W*$",
        "a pitfall warns against what a guideline with the same words asks for",
    ),
    RoleRule(
        "triggers",
        r"when to (?:use|invoke|call)|delegat|triggers?|use this agent|should (?:use|invoke)|use cases?|"
        r"when (?:the )?agent",
        "a delegation trigger says when the agent runs, not what it does",
    ),
    RoleRule(
        "collaboration",
        r"collaborat|coordinat|hand-?offs?|working with|interactions?|"
        r"escalat|\bteam\b|other agents|integration with|with agents|handoffs?|reporting to",
        "hand-offs name other agents and people; the same topic there is a different instruction",
    ),
    RoleRule(
        "inputs",
        r"\binputs?\b|prerequisites?|what you need|context needed|required (?:information|context)",
        "what the agent is given is not what it does with it",
    ),
    RoleRule(
        OUTPUTS_ROLE,
        r"\boutputs?\b|deliverables?|\bproduce\b|\breport(?:ing)? format|response format|"
        r"output format|\breturns?\b|(?:response|report|output) structure",
        "a report template's lines describe the answer, not the work",
    ),
    RoleRule(
        WORKFLOW_ROLE,
        r"workflow|process\b|approach|\bsteps?\b|methodology|procedure|how you work|"
        r"when (?:writing|working|building|reviewing|implementing|given|invoked|called)|phases?\b|\bplan\b|"
        r"follow these steps",
        "ordered steps of the work; they merge with general guidance but not with checks or pitfalls",
    ),
    RoleRule(
        "principles",
        r"principles?|guidelines?|standards?|best practices|\brules\b|conventions|"
        r"patterns?\b|philosophy|\bvalues\b|polic(?:y|ies)|constraints|\bquality\b|requirements|\bstyle\b|"
        r"\btone\b|traits|behaviou?r|mindset",
        "standing guidance: how the work is done",
    ),
    RoleRule(
        "responsibilities",
        r"responsibilit|competenc|expertise|\bskills?\b|capabilit|focus areas?|"
        r"specialt|specializ|duties|what you do|\bscope\b|knowledge|proficien|areas of",
        "what the agent covers: its duties and expertise",
    ),
    RoleRule(
        "intro",
        r"\brole\b|identity|persona|overview|\babout\b|purpose|mission|introduction|"
        r"who you are",
        "who the agent is; the text before the first heading has this role too",
    ),
)
"""The roles a section title can name, narrow ones first: the first pattern that matches wins.

A section's role is read from its title; items of sections whose roles differ never merge,
even on the same topic: a Definition-of-Done checkbox, a pitfall or a delegation trigger is a
different instruction from the practice it mirrors.
"""

ROOT_ROLE = "intro"
"""The role of the text before the first heading (and of a document title's own text)."""

GENERAL_ROLE = "general"
"""The role of a section whose title names none of SECTION_ROLES; it aligns by content."""

SINGLE_ROLES = frozenset({WORKFLOW_ROLE, "gates", PITFALLS_ROLE, "triggers", "inputs", OUTPUTS_ROLE, "collaboration"})
"""Roles an agent file usually has one section of; when two inputs each have exactly one, those
sections align whatever their titles ("Approach" and "When reviewing a schema, you will").

Examples are not among them: an "examples" title heads sample requests, sample reports or code
alike (of the 228 headings of ../shared/corpus that name examples, 113 are sample interactions,
15 sample outputs and the rest code and other samples), so one examples section in each of two
inputs is no sign that they are one section; they align by their titles and items."""

ROLE_TITLE_WORDS = 7
"""Most words of a title that names its section's single role ("Integration with Other Agents",
"When writing backend code, you will"); a longer one is a sentence that mentions the role
("Before writing the plan, escalate to a human if"), which aligns by its words and items, not
by its role alone."""

DISTINCT_ROLES = frozenset(
    {"examples", "gates", PITFALLS_ROLE, "triggers", "collaboration", "handoff", "inputs", OUTPUTS_ROLE}
)
"""Roles whose items are a different instruction from guidance with the same words: a checklist
entry, a pitfall, a delegation trigger, a hand-off, an example, an input or an output. The other
roles (workflow, principles, responsibilities, intro, general) are all plain guidance to the
matcher: a title such as "<topic> approach" or "<topic> requirements" names how a list is
presented, not a different kind of instruction."""

WALLED_ROLES = frozenset({"gates", "triggers", "examples", "handoff", PITFALLS_ROLE})
"""Roles read reliably enough to keep items apart outright: a task box or a checklist's entry, a
delegation trigger, an example, a ``**With <agent>**:`` hand-off, and a pitfall under a short
title that names pitfalls ("Common Pitfalls": it states the bad practice, the opposite of the
guideline with the same words; ``text.item_role``). The other distinct roles come from title
words that also title plain guidance, so for them a different role is evidence the pair score
weighs, not a wall."""

GUIDANCE_ROLE = "guidance"
"""The matcher's role for an item of no distinct role (``text.item_role``)."""

OPEN_ROLES = frozenset({"intro", "responsibilities", "principles", WORKFLOW_ROLE, GENERAL_ROLE})
"""Roles whose sections are plain guidance; a general section may join any one of them."""


def roles_compatible(a: str, b: str) -> bool:
    """Whether items of sections with roles ``a`` and ``b`` may be one instruction."""
    if a == b:
        return True
    return GENERAL_ROLE in (a, b) and a in OPEN_ROLES and b in OPEN_ROLES
