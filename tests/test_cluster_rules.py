"""N-way clustering rules that keep different instructions apart: the named ITEM_RULES (polarity,
walled roles, bare labels, restatements, code), nesting, the lossless fold, two subjects under
one head noun, diagrams and filled-in templates, and the section alignment's title rules."""

from __future__ import annotations

from typing import Any

from agentmerge import cluster, consolidate, text
from agentmerge.consolidate import Consolidation
from agentmerge.model import Agent
from agentmerge.parse import parse_text
from agentmerge.render import consolidation_to_dict


def agent(text: str, path: str) -> Agent:
    return parse_text(text, path)


def clusters(result: Consolidation) -> list[set[str]]:
    """The texts of the sources of each merged item, at every depth."""
    out: list[set[str]] = []
    stack = list(consolidation_to_dict(result)["sections"])
    while stack:
        section = stack.pop()
        items = list(section["items"])
        while items:
            item = items.pop()
            out.append({s["text"] for s in item["sources"]})
            items.extend(item.get("children") or [])
        stack.extend(section["sections"])
    return out


def merged_with(found: list[set[str]], text: str) -> set[str]:
    """The other texts in the cluster holding ``text``."""
    return next(c for c in found if text in c) - {text}


# --------------------------------------------------------------------------------------------
# The named rules of the item clustering


def test_every_item_rule_has_a_name_and_a_reason() -> None:
    names = [rule.name for rule in cluster.ITEM_RULES]
    assert len(names) == len(set(names))
    assert all(rule.reason for rule in cluster.ITEM_RULES)
    named = {
        "polarity",
        "walled roles",
        "bare label",
        "lead-in",
        "restatement",
        "different subjects",
        "one word",
        "different tools",
        "another name",
        "little shared",
        "opposite sense",
        "question",
        "one frame",
        "words changed",
    }
    assert named <= set(names)


def candidate(text: str, source: int = 0, **kwargs: object) -> cluster.Candidate:
    return cluster.Candidate(
        frozenset({source}),
        text,
        str(kwargs.get("kind", "bullet")),
        str(kwargs.get("role", "guidance")),
        bool(kwargs.get("repeatable", True)),
        bool(kwargs.get("bare_label", False)),
        bool(kwargs.get("lead_in", False)),
        bool(kwargs.get("step", False)),
    )


def vetoed_by(a: cluster.Candidate, b: cluster.Candidate, score: float = 0.99) -> str | None:
    return cluster._item_vetoes(a, b, score, (0.4, 0.6))


def test_opposite_polarity_never_merges() -> None:
    assert vetoed_by(candidate("Always log request ids"), candidate("Never log request ids", 1)) == "polarity"
    assert vetoed_by(candidate("Test behaviour, not implementation"), candidate("Test the behaviour", 1)) is None


def test_a_negation_past_how_the_text_opens_never_merges() -> None:
    """The same words but for "always" turned to "never", or a "not" put in, after a condition
    that opens the text, are opposites: folded, the merged agent would keep one and lose the
    other. Consolidating two inputs that say so keeps both; check calls them a contradiction."""
    always = "When deploying to production, always run the database migrations first"
    never = always.replace("always", "never")
    assert vetoed_by(candidate(always), candidate(never, 1)) == "polarity"
    assert vetoed_by(candidate("Secrets must be logged"), candidate("Secrets must never be logged", 1)) == "polarity"
    assert vetoed_by(candidate(always), candidate(always.replace("always ", ""), 1)) is None
    front = "---\nname: deployer\ndescription: Deploys services.\n---\n## Rules\n\n- {}\n- Keep release notes short\n"
    result = consolidate([agent(front.format(always), "a.md"), agent(front.format(never), "b.md")])
    found = clusters(result)
    assert {always} in found and {never} in found, found


def test_a_question_is_a_check_not_the_practice_a_statement_asks_for() -> None:
    question = candidate("**Observability:** How quickly can an operator trace a failing request?")
    practice = candidate("**Request Tracing**: Tracing calls across services", 1)
    assert vetoed_by(question, practice) == "question"
    assert vetoed_by(question, candidate("**Observability:** Can an operator trace a failing request?", 1)) is None
    assert vetoed_by(question, practice, 1.0) is None  # two inputs' identities, scored 1


def test_a_checklist_entry_is_not_the_practice_it_checks() -> None:
    practice = candidate("Validate every input at the boundary")
    gate = candidate("Every input validated at the boundary", 1, role="gates")
    assert vetoed_by(practice, gate) == "walled roles"
    copy = candidate("Validate every input at the boundary", 1, role="gates")
    assert vetoed_by(practice, copy) is None


def test_a_step_of_a_procedure_is_the_same_item_only_as_another_step() -> None:
    """A numbered step of a workflow folded into a capability elsewhere would leave its procedure
    without it ("3. Isolate, 4. Verify" and no first steps); as another step, or as a
    near-verbatim copy, it merges."""
    step = candidate("Integrate the suite with the CI pipeline", step=True)
    capability = candidate("CI integration of the test suite", 1)
    assert vetoed_by(step, capability) == "step"
    assert vetoed_by(step, candidate("Integrate the test suite with CI", 1, step=True)) is None
    assert vetoed_by(step, candidate("Integrate the suite with the CI pipeline.", 1)) is None


def test_steps_of_a_workflow_section_stay_in_their_procedure() -> None:
    """End to end: the steps of a numbered procedure under a workflow title are kept in it, each
    once, when another input states one of them as a capability."""
    procedure = agent(
        "---\nname: debugger\ndescription: Debugs.\n---\n\n## Workflow\n\n"
        "1. Capture the error message and the stack trace\n2. Reproduce the failure\n3. Isolate the cause\n",
        "a.md",
    )
    capabilities = agent(
        "---\nname: debugger\ndescription: Debugs.\n---\n\n## Capabilities\n\n"
        "- Reproducing failures reliably\n- Profiling slow code\n",
        "b.md",
    )
    result = consolidate([procedure, capabilities])
    steps = [item.text for section, item in result.agent.items() if section.title == "Workflow"]
    assert steps == ["Capture the error message and the stack trace", "Reproduce the failure", "Isolate the cause"]


def test_an_identity_statement_is_the_same_item_only_as_another() -> None:
    """ "You are a seasoned incident responder ..." says who the agent is; a list of skills folded
    into it loses its tools (PagerDuty, Opsgenie), and it folded into the list loses who the agent is.
    Identities ("You are", "Act as", a **Role** label) merge with each other."""
    identity = candidate("You are a seasoned incident responder focused on outage triage.")
    skills = candidate("**Expertise**: Outage triage, paging tools (PagerDuty, Opsgenie), timeline reconstruction", 1)
    assert vetoed_by(identity, skills) == "identity"
    assert vetoed_by(identity, candidate("**Role**: Seasoned incident responder for outage triage", 1)) is None
    assert vetoed_by(identity, candidate("Act as a seasoned incident responder.", 1)) is None
    assert not cluster.is_identity("**Identity**: Single sign-on, scoped access tokens")


def test_a_pitfall_is_walled_from_guidance_unless_both_forbid() -> None:
    pitfall = candidate("Access tokens kept in localStorage, where any script reads them", role="pitfalls")
    assert vetoed_by(pitfall, candidate("Store access tokens in localStorage", 1)) == "walled roles"
    prohibition = candidate("Never store access tokens in localStorage", role="pitfalls")
    assert vetoed_by(prohibition, candidate("Do not store access tokens anywhere in localStorage", 1)) is None
    # A pitfall that names the bad practice and a prohibition of it may mean one thing, but their
    # polarity differs, and that rule keeps them apart first.
    assert vetoed_by(pitfall, candidate("Do not keep access tokens in localStorage", 1)) == "polarity"


def test_a_choice_made_never_folds_into_the_choice_left_open() -> None:
    """ "Use pytest for tests" folded into "Use pytest, unittest or nose for tests": the merged
    agent allowed the two frameworks one input ruled out. Each way round, and between two lists
    of alternatives, the pair stays two items; the same alternatives, a choice forbidden ("or"
    under a negation forbids every one) or a list that is no choice still merge."""
    open_choice = "Use pytest, unittest or nose for tests"
    for made in ("Use pytest for tests", "Use pytest or unittest for tests", "Prefer pytest for testing"):
        assert text.choice_made(open_choice, made) and text.choice_made(made, open_choice), made
        assert vetoed_by(candidate(open_choice), candidate(made, 1)) == "choice made"
    assert text.offered("Prefer Black, Ruff or YAPF for formatting") == set(text.terms("black ruff yapf"))
    assert not text.choice_made(open_choice, "Use nose, unittest or pytest for the tests")
    assert not text.choice_made("Never use eval or exec", "Never use eval")
    assert not text.choice_made("Flag N+1 queries or missing indexes", "Flag N+1 queries")
    assert not text.choice_made(open_choice, "Write tests for every bug fix")
    assert vetoed_by(candidate(open_choice), candidate("Use pytest for tests", 1), 1.0) is None  # identities


def test_consolidate_keeps_a_choice_made_apart_from_the_choice_left_open() -> None:
    frontmatter = "---\nname: py\ndescription: Python helper.\n---\n\n"
    a = agent(frontmatter + "- Use pytest for tests.\n- Keep functions small.\n", "a.md")
    b = agent(frontmatter + "- Use pytest, unittest or nose for tests.\n- Keep functions small.\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert {"Use pytest for tests."} in found and {"Use pytest, unittest or nose for tests."} in found, found


def test_the_same_words_in_opposite_senses_never_merge() -> None:
    pairs = [
        ("Prefer composition over inheritance", "Prefer inheritance over composition"),
        ("Use tabs, not spaces", "Use spaces, not tabs"),
        ("Write the schema before the handler", "Write the handler before the schema"),
        ("Run the linter before committing", "Run the linter after committing"),
        ("Validate all input at the boundary", "Validate all output at the boundary"),
    ]
    for a, b in pairs:
        assert text.opposite_sense(a, b) and text.opposite_sense(b, a), (a, b)
        assert vetoed_by(candidate(a), candidate(b, 1), 0.99) == "opposite sense"
    # Doing without what the other asks for.
    assert text.opposite_sense("Ask before deleting files", "Delete files without asking when they are generated")
    assert text.opposite_sense("Confirm with the user before running migrations", "Run migrations without confirmation")
    assert not text.opposite_sense("Write pure functions without side effects", "Avoid side effects in functions")
    assert not text.opposite_sense("Refactor without changing behaviour", "Preserve behaviour when refactoring")
    assert not text.opposite_sense(
        "Load settings without manual exports",
        "Load settings from the environment instead of relying on manual exports",
    )
    assert not text.opposite_sense("Respond without a preamble", "Skip the preamble")
    assert not text.opposite_sense("Answer without a preamble", "Omit the preamble from answers")
    # The same sense in other words, or other words changed too: not opposites.
    assert not text.opposite_sense("Put unit tests next to the code", "Put the code next to its unit tests")
    assert not text.opposite_sense(
        "Run the linter before committing", "Run the linter after each commit and before pushing"
    )
    assert not text.opposite_sense("Keep functions shorter than 20 lines", "Keep files longer than 20 lines")
    # In a paragraph of several sentences words fall on either side of an order word by chance.
    assert not text.opposite_sense(
        "Read the ticket. Write the schema before the handler.", "Write the handler. Read the ticket before the schema."
    )
    a = agent("## Style\n\n- Prefer composition over inheritance\n- Use tabs, not spaces\n", "a.md")
    b = agent("## Style\n\n- Prefer inheritance over composition\n- Use spaces, not tabs\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Prefer composition over inheritance") == set()
    assert merged_with(found, "Use tabs, not spaces") == set()


def test_two_alternatives_of_one_choice_never_merge() -> None:
    """Each picks an alternative of one choice the other does not name: two instructions, however
    alike the rest of their words; naming both, or a negation, is no pick."""
    pairs = [
        ("Use tabs for indentation", "Use spaces for indentation", ("tab", "space")),
        ("Write tests in the same file as the code", "Write tests in a separate file", ("same", "separate")),
        ("Prefer named exports in utility modules", "Prefer default exports in utility modules", ("named", "default")),
        ("Prefer short answers to questions", "Prefer detailed answers to questions", ("short", "long")),
        ("Run the test suite in parallel", "Run the test suite sequentially", ("parallel", "sequential")),
        ("Write end-to-end tests for checkout", "Write unit tests for checkout", ("end-to-end", "unit")),
        ("Mobile performance optimization techniques", "Web performance optimization techniques", ("mobile", "web")),
        ("Run the test suite in production", "Run the test suite in development", ("production", "development")),
        ("Cache responses on the server side", "Cache responses in the browser", ("server", "client")),
        # Tools one project picks one of, written in lower case as often as not.
        ("Install dependencies with pnpm", "Install dependencies with yarn", ("pnpm", "yarn")),
        ("Write component tests with vitest", "Write component tests with jest", ("vitest", "jest")),
        ("Cover the checkout flow with playwright", "Cover the checkout flow with cypress", ("playwright", "cypress")),
        (
            "Manage Python dependencies and lock files with uv",
            "Manage Python dependencies and lock files with poetry",
            ("uv", "poetry"),
        ),
        # The alternative each turns down is no pick: pnpm and yarn are.
        ("Install dependencies with pnpm, not npm", "Install dependencies with yarn, not npm", ("pnpm", "yarn")),
        (
            "Install dependencies with pnpm instead of npm",
            "Install dependencies with yarn instead of npm",
            ("pnpm", "yarn"),
        ),
    ]
    for a, b, picked in pairs:
        assert text.other_choice(a, b) == picked, (a, b)
        assert text.other_choice(b, a) == picked[::-1], (a, b)
        assert vetoed_by(candidate(a), candidate(b, 1), 0.99) == "other choice"
    # Worded apart, a list and a labelled item: only the choice tells two clouds apart.
    aws = "Provide specific AWS services, configuration values and next steps"
    azure = "**Provide Specifics**: Include specific Azure services, configurations and guidance"
    assert text.other_choice(aws, azure) == ("aws", "azure")
    assert vetoed_by(candidate(aws), candidate(azure, 1), 0.99) == "other choice"
    assert text.other_choice("Add unit tests for the parser", "Add unit and integration tests for the parser") is None
    assert text.other_choice("Install dependencies with pnpm, not npm", "Install dependencies with pnpm") is None
    assert text.other_choice("Keep functions short", "Avoid long functions") is None
    assert text.other_choice("Use e2e tests for checkout", "Use end-to-end tests for checkout") is None
    # A hyphenated word is another word: "long-term" is no length, "single-page" no count.
    assert text.other_choice("Plan for long-term maintenance", "Plan for short releases") is None
    assert text.other_choice("Build single-page apps", "Build apps with double buffering") is None
    # Two inputs' identities are one slot whatever their words (scored 1).
    assert vetoed_by(candidate("You write unit tests"), candidate("You write integration tests", 1), 1.0) is None
    a = agent("## Style\n\n- Use tabs for indentation\n- Use single quotes for strings\n", "a.md")
    b = agent("## Style\n\n- Use spaces for indentation\n- Use double quotes for strings\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Use tabs for indentation") == set()
    assert merged_with(found, "Use single quotes for strings") == set()


def test_two_instructions_in_one_frame_are_two() -> None:
    """A clause that sets the frame (a condition, a scope, a time), at the start of either wording
    or at its end, says nothing apart: what each says in it is compared. Each pair below scored as
    one instruction and lost the second (one frame, each item the other's best match)."""
    pairs = [
        (
            "When reviewing database migrations, check for table locks.",
            "When reviewing database migrations, check for a rollback script.",
        ),
        (
            "When a build fails, read the full log before retrying.",
            "When a build fails, notify the owner of the pipeline.",
        ),
        ("In every API handler, validate the request body.", "In every API handler, log the request id."),
        (
            "Read the full log before retrying a failed build.",
            "Notify the pipeline owner before retrying a failed build.",
        ),
        (
            "When reviewing database migrations, check for table locks.",
            "Check for a rollback script when reviewing database migrations.",
        ),
        ("For each new endpoint, write an integration test.", "For each new endpoint, document the error codes."),
    ]
    for a, b in pairs:
        assert cluster.one_frame(a, b) and cluster.one_frame(b, a), (a, b)
        assert vetoed_by(candidate(a), candidate(b, 1), 0.95) is not None, (a, b)
    first, second = pairs[0]
    assert vetoed_by(candidate(first), candidate(second, 1), 0.95) == "one frame"
    # In one frame, wordings that share most of what they say are left to the score.
    assert not cluster.one_frame(
        "When a build fails, read the full log before retrying.",
        "When a build fails, read the whole log before you retry.",
    )
    assert not cluster.one_frame("When in doubt, ask.", "When in doubt, ask the user.")
    assert cluster.one_frame("When in doubt, ask the user.", "When in doubt, read the docs.")
    assert cluster.one_frame("If you are on Windows, quote every path.", "If you are on Windows, use PowerShell.")
    # A frame is the whole first clause, or a closing condition: the phrases of an instruction
    # ("for SQL injection", "in database queries") are no frames, nor is a code span's "in".
    assert not cluster.one_frame(
        "When reviewing code, check for SQL injection in database queries.",
        "When reviewing code, look for SQL injection in database queries.",
    )
    assert not cluster.one_frame(
        "Iterate with `for item in items` in Python.", "Loop with `for item in items` in Python."
    )
    assert not cluster.one_frame("Run the full test suite before merging.", "Execute all tests before merging.")
    # A clause that does not open with a frame word is the instruction, and what follows it
    # qualifies it; two frames with other words are two frames.
    assert not cluster.one_frame(
        "Validate all user input, especially in forms.", "Validate all user input, including headers."
    )
    assert not cluster.one_frame("When deploying, check the logs.", "When testing, check the metrics.")
    # Lead-in labels are the label rules' to read; two inputs' identities are one slot (scored 1).
    assert not cluster.one_frame(
        "**Migrations**: when reviewing, check locks.", "**Migrations**: when reviewing, check backups."
    )
    a, b = "When you start, you are a release reviewer.", "When you start, you know every deploy tool."
    assert vetoed_by(candidate(a), candidate(b, 1), 1.0) != "one frame"


def test_one_wording_with_words_changed_is_two_instructions() -> None:
    """Stop words are no terms, so these pairs had one set of terms, or all but one, and folded:
    the words that changed, function words too, are what each says apart."""
    pairs = [
        ("Copy the fixtures into the test folder.", "Copy the fixtures out of the test folder."),
        ("Mark all findings as blocking.", "Mark none of the findings as blocking."),
        ("Upload the build artifacts to S3.", "Download the build artifacts from S3."),
        ("Flag functions that have tests.", "Flag functions that lack tests."),
        ("Merge main into the feature branch.", "Merge the feature branch into main."),
        ("Convert Markdown files to HTML.", "Convert HTML files to Markdown."),
        ("When tests fail, stop the review.", "When linting fails, stop the review."),
        ("Format Python code with black.", "Format Python code with ruff."),
        ("Limit each pull request to one feature.", "Limit each pull request to two features."),
        ("Report flaky tests to the owner.", "We don't report flaky tests to the owner."),
        ("When a test fails, say why.", "When a test fails, say where."),
        # A duty and a leave, how often, which ones.
        ("The author must resolve every review comment.", "The author may resolve every review comment."),
        ("Always run the smoke tests on each push.", "Sometimes run the smoke tests on each push."),
        ("Run only the unit tests on each push.", "Run also the unit tests on each push."),
        # A negation or a leave put in with other small words, or alone with its subject.
        ("Otherwise request changes and tag the API guild.", "Otherwise request changes but do not tag the API guild."),
        ("Mention breaking changes at the top.", "You may mention breaking changes at the top."),
        # An exception put in.
        (
            "Every endpoint must require a bearer token.",
            "Every endpoint except health checks must require a bearer token.",
        ),
        ("Add tests for new code.", "Add tests for new code unless trivial."),
        ("Log every request.", "Log every request excluding health checks."),
    ]
    for a, b in pairs:
        assert cluster.word_changed(a, b) and cluster.word_changed(b, a), (a, b)
        assert vetoed_by(candidate(a), candidate(b, 1), 0.95) is not None, (a, b)
    assert vetoed_by(candidate(pairs[0][0]), candidate(pairs[0][1], 1), 0.95) == "words changed"
    # A negation written into its verb is the polarity rule's ("can't" leaves "can": one veto, so
    # ``check`` and ``consolidate`` call the pair a contradiction).
    can, cannot = "Authors can skip the changelog.", "Authors can't skip the changelog."
    assert vetoed_by(candidate(can), candidate(cannot, 1), 0.95) == "polarity"
    compiles, fails = "Merge the change if it compiles.", "Merge the change if it doesn't compile."
    assert vetoed_by(candidate(compiles), candidate(fails, 1), 0.95) == "polarity"
    # An article, "please", "use", a contraction written out, one negation for another, an
    # inflection, a duty's strength (which ``carries`` weighs): no change.
    for a, b in [
        ("Run the tests, please.", "Run tests."),
        ("Don't commit secrets.", "Do not commit secrets."),
        ("Never push to main.", "Do not push to main."),
        ("Use connection pooling.", "Connection pooling."),
        ("You must add a test.", "You should add a test."),  # how binding: ``carries`` keeps the must
        ("Write a test for the new code.", "Writes tests for new code."),
    ]:
        assert not cluster.word_changed(a, b), (a, b)
    # Words put in on one side only qualify the instruction (the lossless rule weighs them), but
    # for a lone negation; words moved as well as changed, or a function word traded for words of
    # substance, make a rewording.
    assert not cluster.word_changed("Use connection pooling", "Implement proper connection pooling for databases")
    assert not cluster.word_changed(
        "Cache and queue configuration audit", "Cache configuration and queue health review"
    )
    assert not cluster.word_changed(
        "Use feature flags for release control", "Feature flags: the safest release control mechanism"
    )
    assert not cluster.word_changed("Rate limiting", "Rate limiting for every public endpoint")
    assert not cluster.word_changed("Cite file and line for every finding", "Give the file and line of each finding")
    # Two inputs' identities are one slot whatever their words (scored 1).
    assert vetoed_by(candidate("You review Python code"), candidate("You review Go code", 1), 1.0) is None


def test_rules_that_keep_any_change_apart_scope_nested_items_and_leave_contradictions_told() -> None:
    """Two parents a word apart keep their children apart (a rule that finds two parents saying
    different things scopes their nested items); a contradiction in one frame is still told as one
    (the rules that keep any change apart do not hide it)."""
    assert {"words changed", "one frame"} <= cluster.SCOPING_RULES
    tabs, spaces = candidate("For indentation, use tabs"), candidate("For indentation, use spaces", 1)
    assert cluster.contradiction(tabs, spaces, 0.9, (0.5, 0.7)) == "other choice"
    a = "- Upload the build artifacts to S3:\n  - Check the checksums first.\n  - Tell the release channel.\n"
    b = "- Download the build artifacts from S3:\n  - Check the checksums first.\n  - Tell the release channel.\n"
    found = consolidation_to_dict(consolidate([agent(f"## Steps\n\n{a}", "a.md"), agent(f"## Steps\n\n{b}", "b.md")]))
    items = next(section["items"] for section in found["sections"] if section["title"] == "Steps")
    assert [len(item["children"]) for item in items] == [2, 2], items


def test_word_forms_read_negations_quantifiers_and_coordinated_lists_as_one() -> None:
    """Every way of writing "not" is one word, so is a number in words or digits, and a list of two
    things in either order is no swap."""
    assert (
        text.word_forms("Dont push to main") == text.word_forms("Don't push to main") == ("not", "push", "to", "main")
    )
    assert text.word_forms("Never push to main") == text.word_forms("Do not push to main")
    assert text.word_forms("Require two approvals") == text.word_forms("Require 2 approvals")
    # A leave refused forbids: "You can't skip it" is "Don't skip it" with who is told.
    assert text.word_forms("You can't skip the linter") == ("you", "must", "not", "skip", "lint")
    assert not cluster.word_changed("Don't skip the linter", "You can't skip the linter")
    assert cluster.word_changed("Require two approvals", "Require three approvals")
    assert not cluster.word_changed("Review code and tests", "Review tests and code")
    assert not cluster.word_changed("Write tests for new code", "Write tests for your new code")
    assert text.negation_put("Agents push directly to main.", "Agents shouldn't push directly to main.") == "negated"
    assert text.negation_put("The bot could comment.", "The bot couldn't comment.") == "negated"


def test_a_short_template_filled_twice_is_two_instructions() -> None:
    """One short plain instruction with a word or two put in for others in one place."""
    pairs = [
        ("Document every public API", "Test every public API"),
        ("Name branches after the ticket number", "Name commits after the ticket number"),
        ("Use canary deployments for risky releases", "Use feature flags for risky releases"),
        ("Implements error handling and offline capabilities", "Implements error handling and loading states"),
    ]
    for a, b in pairs:
        assert cluster.another_word(a, b) and cluster.another_word(b, a), (a, b)
        assert vetoed_by(candidate(a), candidate(b, 1), 0.95) == "another word"
    # An inflection or a synonym the terms read as one is no change; a longer span is a
    # rewording; so is a list.
    assert not cluster.another_word("Add type hints to public functions", "Add type hints to the public functions")
    assert not cluster.another_word("Document every public API", "Documents every public API")
    assert not cluster.another_word("Restructure fixtures to cut repetition", "Restructure fixtures for faster setup")
    assert not cluster.another_word("Review queries, indexes and locks", "Review queries, indexes and plans")
    assert not cluster.another_word("Check tables", "Check views")  # one shared term is too little
    # Around one product both name, the words qualify it; an acronym is no product.
    assert not cluster.another_word("Use Devise for authentication", "Use Devise for password resets")
    # Under one lead-in label the bodies are read; under two, the whole items (a list of two
    # labels is no plain clause).
    assert cluster.another_word(
        "**Retry Policy**: Exponential retry delays",
        "**Retry Policy**: Fixed retry delays",
    )
    assert not cluster.another_word("**Retries**: Exponential retry delays", "**Delays**: Fixed retry delays")
    # Two inputs' identities are one slot whatever their words (scored 1).
    assert vetoed_by(candidate("You review Python code"), candidate("You review Go code", 1), 1.0) is None


def test_a_copy_of_a_guideline_under_a_pitfall_title_forbids_it() -> None:
    """The same words under "Do" and under "Don't" ask for a practice and forbid it: a verbatim
    copy crosses the other walls (a checklist entry that repeats a practice) but not this one."""
    do = candidate("Use default exports for React components")
    dont = candidate("Use default exports for React components", 1, role="pitfalls")
    assert vetoed_by(do, dont, 1.0) == "walled roles"
    for title in ("Don't", "Don\u2019t", "Do NOT", "DO NOT USE:", "What you do not do"):
        assert text.section_role(title) == "pitfalls", title
    # A title that is a sentence or a principle with "don't" in it names no pitfalls.
    for title in ("Ask, Don't Assume", "DRY (Don't Repeat Yourself)", "You Don't Need Every Answer"):
        assert text.section_role(title) != "pitfalls", title
    a = agent("## Do\n\n- Use default exports for React components\n- Write tests for every hook\n", "a.md")
    b = agent(
        "## Do\n\n- Write tests for every hook\n\n## Don't\n\n- Use default exports for React components\n", "b.md"
    )
    merged = consolidate([a, b])
    assert merged.agent.body.sections[1].title == "Don't"
    found = clusters(merged)
    assert merged_with(found, "Use default exports for React components") == set()


def test_two_prohibitions_merge_across_a_pitfall_title_and_a_rules_title() -> None:
    never = agent(
        "# Frontend\n\n## Never\n\n- Never store access tokens in localStorage\n- Never disable the focus outline\n",
        "a.md",
    )
    rules = agent(
        "# Frontend\n\n## Rules\n\n- Do not keep access tokens in localStorage; use httpOnly cookies\n"
        "- Write a test for every bug fix\n",
        "b.md",
    )
    found = clusters(consolidate([never, rules]))
    assert merged_with(found, "Do not keep access tokens in localStorage; use httpOnly cookies") == {
        "Never store access tokens in localStorage"
    }
    assert merged_with(found, "Never disable the focus outline") == set()


def test_a_bare_label_merges_only_with_the_same_label() -> None:
    label = candidate("**Suggested Fix**:", bare_label=True)
    assert vetoed_by(label, candidate("Suggest a fix with a corrected snippet", 1)) == "bare label"
    assert vetoed_by(label, candidate("**Suggested fix:**", 1, bare_label=True)) is None


def test_a_lead_in_over_nested_items_merges_only_with_another_lead_in() -> None:
    lead = candidate("Stick to PEP 8 identifier rules:", lead_in=True)
    assert vetoed_by(lead, candidate("Stick to PEP 8 and the house rules", 1)) == "lead-in"
    assert vetoed_by(lead, candidate("Stick to the PEP 8 identifier rules:", 1, lead_in=True)) is None
    assert vetoed_by(lead, candidate("Stick to PEP 8 identifier rules", 1)) is None  # a near-verbatim copy
    # Two lead-ins with no word in common title two things, whatever they hold.
    assert vetoed_by(candidate("**Quality:**", lead_in=True), candidate("**Speed:**", 1, lead_in=True)) == "lead-in"


def test_a_lead_in_keeps_its_nested_items_apart_from_a_broader_instruction() -> None:
    """ "Stick to PEP 8 identifier rules:" over the rules is their title; folded into "Stick to PEP
    8 and the house rules" its words were gone (and its rules under another)."""
    a = agent("## Style\n\n- Stick to PEP 8 identifier rules:\n  - snake_case for functions\n", "a.md")
    b = agent("## Style\n\n- Stick to PEP 8 and the house rules\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Stick to PEP 8 identifier rules:") == set()


def test_a_restatement_in_one_input_needs_the_higher_threshold() -> None:
    a, b = candidate("Cache hot reads in Redis"), candidate("Keep hot reads cached in Redis")
    assert vetoed_by(a, b, 0.5) == "restatement"
    assert vetoed_by(a, b, 0.7) is None
    template = candidate("Cache hot reads in Redis", repeatable=False)
    assert vetoed_by(template, b, 0.9) == "restatement"


def test_code_merges_only_as_an_exact_copy() -> None:
    a = candidate("npm test", kind="code")
    assert vetoed_by(a, candidate("npm test -- --watch", 1, kind="code")) == "copies only"


def test_sample_requests_in_quotation_marks_merge_only_as_exact_copies() -> None:
    """Two sample requests are two examples, however alike: folding one loses it."""
    a = agent(
        '## Example Interactions\n\n- "Design an event-driven architecture for real-time data processing"\n'
        '- "Review this migration for production impact"\n',
        "a.md",
    )
    b = agent(
        '## Example Interactions\n\n- "Plan an event-driven architecture for real-time order processing"\n'
        '- "Review this migration for production impact"\n',
        "b.md",
    )
    found = clusters(consolidate([a, b]))
    assert merged_with(found, '"Design an event-driven architecture for real-time data processing"') == set()
    assert len(found) == 3  # the two copies of the second request are one item
    assert cluster.is_sample("\u201cPlan the rollout\u201d")
    assert not cluster.is_sample('Prefer "composition" over "inheritance"')


def test_bare_label_of_a_report_template_stays_apart_from_an_instruction() -> None:
    a = agent(
        "## Review Output\n\n- **Location**: file and line\n- **Suggested Fix**:\n\n"
        "```python\nvalue = parse(raw)\n```\n",
        "a.md",
    )
    b = agent("## Review Output\n\n- Suggest a fix with a corrected snippet\n- Cite file and line\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "**Suggested Fix**:") == set()


def test_short_bullet_still_merges_into_the_bullet_that_elaborates_it() -> None:
    a = agent("## Database\n\n- Use connection pooling\n- Index foreign keys\n", "a.md")
    b = agent("## Database\n\n- Implement database connection pooling\n- Add indexes on foreign keys\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Use connection pooling") == {"Implement database connection pooling"}


def test_an_item_never_merges_with_one_nested_in_it() -> None:
    a = agent("## Testing\n\n- Write unit tests for services\n  - Write unit tests for services first\n", "a.md")
    b = agent("## Testing\n\n- Write unit tests for every service\n", "b.md")
    for merged in clusters(consolidate([a, b])):
        assert not {"Write unit tests for services", "Write unit tests for services first"} <= merged


def test_a_wording_with_a_number_the_kept_one_lacks_stays() -> None:
    """Lossless: folding "above 90%" into "above 80%" would lose the stricter gate."""
    a = agent("## Testing\n\n- Keep line coverage above 80% for new code\n", "a.md")
    b = agent("## Testing\n\n- Keep line coverage above 90% for new code\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Keep line coverage above 80% for new code") == set()


def test_a_wording_with_a_period_the_kept_one_lacks_stays() -> None:
    """Lossless: "every hour" folded into "every 30 minutes" would lose the interval."""
    a = agent("## Incidents\n\n- Post status updates every 30 minutes\n- Test backup restores every month\n", "a.md")
    b = agent(
        "## Incidents\n\n- Update the status page every hour\n- Back up daily and test a restore monthly\n", "b.md"
    )
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Post status updates every 30 minutes") == set()
    # A wording that states every period of the other still takes it in.
    assert merged_with(found, "Back up daily and test a restore monthly") == {"Test backup restores every month"}


def test_a_paragraph_with_a_sentence_the_kept_wording_lacks_stays() -> None:
    """Lossless: folding a paragraph of two instructions into a wording of one loses the other."""
    longer = (
        "Write tests before the code they cover, and run the whole suite with pytest before every commit."
        " Keep functions under forty lines and modules small."
    )
    a = agent(f"## Testing\n\n{longer}\n", "a.md")
    b = agent("## Testing\n\nRun the test suite with pytest before each commit. Sign every release tag.\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, longer) == set()
    # The other way round nothing is lost: a wording of one sentence folds into one that has it.
    c = agent("## Testing\n\nRun the whole test suite with pytest before every commit.\n", "c.md")
    found = clusters(consolidate([c, b]))
    assert merged_with(found, "Run the whole test suite with pytest before every commit.") == {
        "Run the test suite with pytest before each commit. Sign every release tag."
    }


def test_every_sentence_of_a_folded_text_must_be_in_the_kept_wording() -> None:
    kept = "Run the whole test suite with pytest before every commit."
    assert cluster.sentences_kept(kept, "Run the suite with pytest before each commit.")
    assert not cluster.sentences_kept(kept, "Run pytest before each commit. Sign every release tag with GPG.")
    assert cluster.sentences_kept(kept, "Run pytest before each commit. Run the whole suite, every time.")


def test_a_paragraph_written_one_instruction_per_line_reads_each_line() -> None:
    """Lines that each begin as an instruction are several, though no full stop ends them; a
    sentence wrapped onto a second line is still one."""
    kept = "Run the whole test suite with pytest before every commit"
    per_line = "**1** **Suite**: Run pytest before each commit\n**2** **Tags**: Sign every release tag with GPG"
    assert not cluster.sentences_kept(kept, per_line)
    assert cluster.sentences_kept(kept, "Run the test suite with pytest\nbefore each commit")
    assert text.instruction_lines("- one\n- two\nwrapped") == ["- one", "- two\nwrapped"]


def test_a_web_address_is_a_specific_the_kept_wording_must_have() -> None:
    """Two links to two repositories are two instructions, however alike the words around them."""
    assert cluster.specifics("See [the docs](https://nextjs.org/docs).") == {"https://nextjs.org/docs"}
    kept, other = "GitHub Repository: https://github.com/acme/astral", "GitHub: https://github.com/acme/nebula"
    assert not cluster.carries(kept, other)
    assert cluster.carries(kept, "Repository: https://GitHub.com/acme/astral")
    a = agent(f"## Links\n\n- {kept}\n", "a.md")
    b = agent(f"## Links\n\n- {other}\n", "b.md")
    assert merged_with(clusters(consolidate([a, b])), kept) == set()


def test_specifics_read_number_words_and_periods() -> None:
    assert cluster.specifics("Plan capacity every six months") == {"6", "month"}
    assert cluster.specifics("Track the error budget weekly") == cluster.specifics("Review it each week") == {"week"}
    assert cluster.specifics("Hold a postmortem within five business days") == {"5", "day"}
    assert cluster.specifics("a 30-minute window") == {"30", "minute"}
    assert cluster.specifics("Backfill one week at a time") == {"week"}
    # A unit word that states no period, and "one", which is more often "a" than a count.
    assert cluster.specifics("Handle day-to-day operations in one place") == frozenset()
    assert cluster.specifics("Pay attention to minute details") == frozenset()
    # After a word that bounds a number, "one" is a count.
    assert cluster.specifics("Require at least one approving review") == {"1"}
    assert cluster.specifics("Require at least two approving reviews") == {"2"}
    assert cluster.specifics("Pick one of the options") == frozenset()


def test_specifics_are_the_values_stated_and_what_is_referred_to() -> None:
    text = "Retry `fetch()` three times, then see https://example.com/retries"
    assert cluster.stated_values(text) == {"3"}
    assert cluster.references(text) == {"fetch()", "https://example.com/retries"}
    assert cluster.specifics(text) == cluster.stated_values(text) | cluster.references(text)


def test_the_values_aside_a_wording_carries_another_setting_of_its_rule() -> None:
    """``merge`` reads one rule with two values as one rule in two minds; what a wording refers
    to still has to be there."""
    twenty, twenty_five = "Keep functions under 20 lines", "Keep functions under 25 lines"
    assert not cluster.carries(twenty, twenty_five)
    assert cluster.carries(twenty, twenty_five, values=False)
    assert not cluster.carries("Call `make lint` before pushing", "Call `make docs` before pushing", values=False)


def test_one_rule_is_one_wording_carrying_another_or_one_frame_with_other_settings() -> None:
    # One wording carries the other; two values of one rule.
    assert cluster.one_rule("Run the migrations before deploying", "Apply migrations ahead of each deploy")
    assert cluster.one_rule("Keep functions under 20 lines", "Keep functions under 25 lines")
    # The same words but for what each names: two settings of one rule.
    assert cluster.one_rule("Deploy previews with Netlify", "Deploy previews with Vercel")
    assert cluster.one_rule("Call `make lint` before pushing", "Call `make docs` before pushing")
    # Two rules of one template, each naming a thing of its own.
    assert not cluster.one_rule(
        "**Monitoring**: Export service metrics to Prometheus", "**Monitoring**: Ship request traces to Jaeger"
    )
    node, python = "Pin `node` to the version in `.nvmrc`", "Pin `python` to the version in `.python-version`"
    assert not cluster.one_rule(node, python)
    # Nothing in common but the product they name: two things said of it.
    assert not cluster.one_rule("Alerting rules for Grafana", "Grafana dashboards and panels")
    assert not cluster.one_rule("Error handling with Spring Boot", "Spring Boot starters for quick project setup")
    # The file's subject, by its name, is no more in common than a name.
    forms, menus = "Form creation and validation with HTML", "Navigation menus within HTML documents"
    assert cluster.one_rule(forms, menus)
    assert not cluster.one_rule(forms, menus, subject=frozenset(text.terms("html-expert")))


def _candidates(*texts: str) -> list[cluster.Candidate]:
    return [cluster.Candidate(frozenset({n}), text, "bullet", "guidance") for n, text in enumerate(texts)]


def _settle(texts: list[str], scores: dict[tuple[int, int], float], **options: Any) -> list[cluster.ItemCluster]:
    return cluster.cluster_items(
        _candidates(*texts),
        scores,
        threshold=0.3,
        same_input_threshold=0.5,
        floor=0.5,
        lines=list(range(1, len(texts) + 1)),
        **options,
    )


PLAIN_AND_TWO_DETAILED = [
    "Integrate third-party services",
    "Third-party service integration (payment processors, email services, cloud APIs)",
    "**Integration Management**: third-party service integration and external API consumption",
]


def test_the_wording_every_member_folds_into_is_kept() -> None:
    """A plain wording that both detailed ones match, though they do not match each other: all
    three are one instruction; keeping the richest would split the cluster around it."""
    found = _settle(PLAIN_AND_TWO_DETAILED, {(0, 1): 0.7, (0, 2): 0.6, (1, 2): 0.35})
    assert [(c.members, c.kept) for c in found] == [((0, 1, 2), 0)]
    assert found[0].confidence == (1.0, 0.7, 0.6)


SANITIZE = [
    "Check and normalize all uploaded files",
    "Check and normalize all uploaded files, and scan each one for malware",
    "**Distrust uploads:** treat them as hostile; check and normalize them first",
]


def test_a_pair_outside_the_candidates_is_scored_when_two_clusters_meet() -> None:
    """The two longer wordings were never a candidate pair (blocking found no rare word they
    share). Read as 0, that pair pulls the average below the threshold and the third wording
    stays apart; scored when the clusters meet, it joins, and the pair is scored once."""
    scores = {(0, 1): 0.85, (0, 2): 0.55}
    asked: list[tuple[int, int]] = []

    def rescore(i: int, j: int) -> float:
        asked.append((i, j))
        return 0.6

    assert [c.members for c in _settle(SANITIZE, scores)] == [(0, 1), (2,)]
    found = _settle(SANITIZE, scores, rescore=rescore)
    assert [c.members for c in found] == [(0, 1, 2)]
    assert asked == [(1, 2)]


def test_a_pair_scored_outside_the_candidates_meets_the_rules() -> None:
    """A rule refuses a pair whether or not it was a candidate: the plain wording matches both,
    but "Zod" and "Joi" in one wording are two instructions (``another name``), so the second
    tool's wording never joins through the plain one."""
    texts = [
        "Validate every request body",
        "Validate request bodies with Zod schemas",
        "Validate request bodies with Joi schemas",
    ]
    found = _settle(texts, {(0, 1): 0.8, (0, 2): 0.7}, rescore=lambda i, j: 0.9)
    assert [c.members for c in found] == [(0, 1), (2,)]


def test_a_pair_scored_outside_the_candidates_keeps_its_parents_scopes() -> None:
    """Two items nested in parents that pick two alternatives of one choice are two
    instructions however they score, whether or not they were a candidate pair; the caller's
    own reasons (``rescore`` gives None) keep a pair apart the same way."""
    candidates = [
        cluster.Candidate(frozenset({0}), "**Frontend changes**:", "bullet", "guidance"),
        cluster.Candidate(frozenset({1}), "**Backend changes**:", "bullet", "guidance"),
        cluster.Candidate(frozenset({0}), "Run the linter on changed files", "bullet", "guidance"),
        cluster.Candidate(frozenset({1}), "Run the linter over every changed file", "bullet", "guidance"),
        cluster.Candidate(frozenset({2}), "Lint the files you changed", "bullet", "guidance"),
    ]

    def members(rescore: Any, parents: list[int]) -> list[tuple[int, ...]]:
        found = cluster.cluster_items(
            candidates,
            {(2, 4): 0.8, (3, 4): 0.7},
            threshold=0.3,
            same_input_threshold=0.5,
            floor=0.5,
            lines=[1, 1, 2, 2, 1],
            parents=parents,
            rescore=rescore,
        )
        return [c.members for c in found]

    scoped, unscoped = [-1, -1, 0, 1, -1], [-1] * 5
    assert members(lambda i, j: 0.9, scoped) == [(0,), (1,), (2, 4), (3,)]
    assert members(lambda i, j: 0.9, unscoped) == [(0,), (1,), (2, 3, 4)]
    assert members(lambda i, j: None, unscoped) == [(0,), (1,), (2, 4), (3,)]


def test_a_preferred_input_keeps_its_wording_and_what_does_not_fold_stays() -> None:
    found = _settle(PLAIN_AND_TWO_DETAILED, {(0, 1): 0.7, (0, 2): 0.6, (1, 2): 0.35}, preferred=1)
    assert [(c.members, c.kept) for c in found] == [((0, 1), 1), ((2,), 2)]


def test_between_wordings_that_fold_as_many_the_one_leaving_least_out_is_kept() -> None:
    """Every wording folds the other two; the others score highest against the plain first one,
    but only the second holds every word of the three: folded into it, nothing is left out."""
    texts = [
        "Check all uploaded files",
        "Check and normalize all uploaded files",
        "Normalize all uploaded files before use",
    ]
    found = _settle(texts, {(0, 1): 0.9, (0, 2): 0.85, (1, 2): 0.55})
    assert [(c.members, c.kept) for c in found] == [((0, 1, 2), 1)]


def test_a_bare_label_gives_way_to_the_item_it_labels() -> None:
    """ "Rate limiting" folds all three, the labelled item only itself and the bare label: kept, the
    bare label would drop the algorithms. The labelled wording is kept, and the third member, which
    matched only the bare label, stands apart."""
    texts = [
        "Rate limiting",
        "**Rate limiting**: fixed window counters, token bucket, GCRA",
        "Add rate limiting and throttling to public endpoints",
    ]
    found = _settle(texts, {(0, 1): 0.74, (0, 2): 0.67, (1, 2): 0.2})
    assert [(c.members, c.kept) for c in found] == [((0, 1), 1), ((2,), 2)]
    # Without a labelled member the wording most members fold into is kept, as before.
    plain = ["Rate limiting", "Rate limiting with token buckets", "Add rate limiting and throttling"]
    found = _settle(plain, {(0, 1): 0.74, (0, 2): 0.67, (1, 2): 0.2})
    assert [(c.members, c.kept) for c in found] == [((0, 1, 2), 0)]


def test_a_word_two_members_share_outweighs_a_rarer_word_of_one() -> None:
    """Two wordings say "cite", one says "give" (a rarer word in the corpus): keeping "give" would
    leave "cite" out of two members, keeping a "cite" wording leaves "give" out of one."""
    texts = [
        "Cite file and line for every finding.",
        "Give the file and line of each finding.",
        "Cite the file and line.",
    ]
    assert cluster.term_weight("giv") > cluster.term_weight("cit")
    found = _settle(texts, {(0, 1): 0.9, (0, 2): 0.9, (1, 2): 0.9})
    assert [(c.members, c.kept) for c in found] == [((0, 1, 2), 0)]


def test_between_wordings_that_leave_as_much_out_the_surest_is_kept() -> None:
    """The same words three ways: each leaves nothing out, and the others score highest against
    the second."""
    texts = ["Validate all user input", "All user input is validated", "Validate the user input"]
    found = _settle(texts, {(0, 1): 0.9, (0, 2): 0.7, (1, 2): 0.95})
    assert [(c.members, c.kept) for c in found] == [((0, 1, 2), 1)]


# --------------------------------------------------------------------------------------------
# Two subjects under one head noun


def test_labels_naming_two_subjects_of_one_aspect_differ() -> None:
    assert cluster.different_subjects(
        "**Code Quality**: readability, maintainability and complexity",
        "**Test Quality**: readability, maintainability and flakiness of tests",
    )
    # One extra word on each side of a shared two-word head: the same subject.
    assert not cluster.different_subjects(
        "**Explicit Error Handling**: typed errors at boundaries",
        "**Error Handling Framework**: fail fast with clear messages",
    )


def test_a_label_narrowed_to_a_subject_differs() -> None:
    """A word put before the other's label that the body says again names a subject; a word the
    body does not repeat may be a qualifier or a verb."""
    general = "**Reliability**: retries, timeouts, graceful degradation"
    assert cluster.different_subjects(general, "**Job Reliability**: idempotent job handlers, bounded job retries")
    assert cluster.different_subjects("**Job Reliability**: idempotent job handlers, one owner each", general)
    assert not cluster.different_subjects(
        "**Service boundaries**: bounded contexts, service decomposition",
        "**Define service boundaries**: bounded contexts, service decomposition",
    )
    # The general item that mentions the subject already covers it.
    assert not cluster.different_subjects(
        "**Reliability**: retries, timeouts, resilient jobs",
        "**Job Reliability**: idempotent job handlers, bounded job retries",
    )


def test_a_short_plain_item_and_a_label_narrowed_from_it_differ() -> None:
    """A short item with no label says the practice for everything; a label that puts a subject
    before its words, which its body names again, says it for that subject."""
    general = "Use pytest for testing"
    assert cluster.different_subjects(general, "**Snapshot Testing**: syrupy for testing snapshot output")
    assert cluster.different_subjects("**Snapshot Testing**: syrupy for testing snapshot output", general)
    narrowed = candidate("**Snapshot Testing**: syrupy for testing snapshot output", 1)
    assert vetoed_by(candidate(general), narrowed, 0.9) == "different subjects"
    # The subject named by the short item too, or not said again in the body: no narrowing.
    assert not cluster.different_subjects("Use pytest for snapshot testing", "**Snapshot Testing**: syrupy checks")
    assert not cluster.different_subjects(general, "**Thorough Testing**: pytest for every module")
    # A longer item is not read so: it may say the subject in other words.
    assert not cluster.different_subjects(
        "Optimize database queries and implement effective caching strategies",
        "**Performance Optimization**: Database queries, caching strategies, and system performance",
    )


def test_code_quality_and_test_quality_do_not_merge() -> None:
    a = agent("## Capabilities\n\n- Code Quality: readability, maintainability, complexity review\n", "a.md")
    b = agent("## Capabilities\n\n- **Test Quality**: readability, maintainability, flakiness review\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Code Quality: readability, maintainability, complexity review") == set()


def test_items_sharing_one_word_that_labels_neither_stay_apart() -> None:
    assert cluster.one_word("Write a failing test", "Gather logs from the failing service")
    # The word shared is one item's whole label: that item is about it.
    assert not cluster.one_word(
        "Secrets and credential management review", "**Secrets** - hardcoded keys, tokens in logs"
    )
    # A short item says one thing; its one word may be all of it.
    assert not cluster.one_word("Implement proper fixtures", "**Fixture Design**: reusable setup with scoping")
    assert not cluster.one_word("Write unit tests first", "Write unit tests for each branch")
    # Two inputs' identities are one slot, scored 1: never refused for their words.
    careful = candidate("You are a careful code reviewer who reads every change")
    assert vetoed_by(careful, candidate("You are an experienced reviewer focused on security", 1), 1.0) is None


def test_two_short_workflows_sharing_a_word_keep_both_steps() -> None:
    """In a file of three steps each step is the other file's only near match: the pair score
    alone folded "Write a failing test" into the log-gathering step."""
    a = agent(
        "## Workflow\n\n1. Read the ticket and restate the goal\n2. Write a failing test\n"
        "3. Make it pass with the smallest change\n",
        "a.md",
    )
    b = agent(
        "## Workflow\n\n1. Gather logs from the failing service\n2. Bisect to the breaking commit\n"
        "3. Open a pull request with the fix\n",
        "b.md",
    )
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Write a failing test") == set()
    step, logs = candidate("Write a failing test"), candidate("Gather logs from the failing service", 1)
    assert vetoed_by(step, logs, 0.77) == "one word"


def test_plain_instructions_that_share_little_stay_apart() -> None:
    """What the two share ("reviews", "impact") is less than half the weight of either."""
    security = "Reviews the security impact of every dependency upgrade"
    accessibility = "Reviews the accessibility impact of all form layouts"
    assert cluster.little_shared(security, accessibility)
    assert vetoed_by(candidate(security), candidate(accessibility, 1), 0.83) == "little shared"
    # Most of each is the other's: one instruction, reworded.
    assert not cluster.little_shared("Validate all user input at the boundary", "Validate user input at every boundary")
    # A labelled item or a list of examples may spell one instruction out in other words.
    assert not cluster.little_shared(security, "**Security**: judge the risk added by each dependency upgrade")
    assert not cluster.little_shared(security, "Reviews accessibility, contrast and focus order in all form layouts")
    # Under one label the bodies are compared: two tasks handed to one agent are two instructions.
    assert cluster.little_shared(
        "**With queue-specialist**: Mapping message flows and consumer ownership",
        "**With queue-specialist**: Writing dead-letter triage and replay runbooks",
    )
    assert not cluster.little_shared(
        "**With queue-specialist**: Mapping message flows and consumer ownership",
        "**With queue-specialist**: Mapping the message flows and their consumer ownership",
    )
    # Under one hand-off label lists are read too: each lists the tasks handed over.
    redis = "**With platform-engineer**: Provision Redis clusters through Terraform and wire up memory alerts"
    postgres = "**With platform-engineer**: Configure PostgreSQL read replicas, failover clusters, and Terraform state"
    assert cluster.little_shared(redis, postgres)
    assert vetoed_by(candidate(redis), candidate(postgres, 1), 0.9) == "little shared"
    # Under any one label lists are read when they share a word: two lists on one subject that
    # say different things of it are two instructions, while lists with nothing in common give two
    # sides of the labelled topic (what to use, and why), which the labels call one.
    assert cluster.little_shared(
        "**Caching**: Redis, Memcached, CDN edge caching", "**Caching**: in-memory, distributed, persistent caches"
    )
    assert cluster.little_shared(
        "**Linting**: zero warnings in CI, ruff rule selection, pre-commit hooks",
        "**Linting**: ruff for fast linting, mypy for strict type checks",
    )
    assert not cluster.little_shared(
        "**Package Managers**: npm, pnpm, or yarn clients",
        "**Package Managers**: Always commit the generated lockfile",
    )
    # A comma that opens a contrast makes no list.
    assert cluster.plain_clause("Focus on end-to-end system reliability, not just model accuracy")
    assert not cluster.plain_clause("Check for SQL injection, XSS and CSRF")
    assert cluster.little_shared(
        "Track every experiment end-to-end in one model registry",
        "Focus on end-to-end system reliability, not just model accuracy",
    )
    # Two inputs' identities are one slot, scored 1: never refused for their words.
    identity = candidate("You are a careful code reviewer who reads every change")
    assert vetoed_by(identity, candidate("You are a mentor focused on teaching juniors", 1), 1.0) is None


def test_two_considerations_of_one_template_keep_both() -> None:
    a = agent("## Principles\n\n- Reviews the security impact of every dependency upgrade\n", "a.md")
    b = agent("## Principles\n\n- Reviews the accessibility impact of all form layouts\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Reviews the security impact of every dependency upgrade") == set()


def test_plain_instructions_naming_different_tools_stay_apart() -> None:
    assert cluster.tool_names("Stub network calls with Mock Service Worker") == {"mock", "service", "worker"}
    assert cluster.tool_names("Fail fast. Use custom exceptions.") == frozenset()
    assert cluster.different_tools(
        "Use CSS modules for component styles", "Style components with Tailwind utility classes"
    )
    # One names a tool, the other none: not two tools.
    assert not cluster.different_tools("Use CSS modules for component styles", "Keep component styles scoped")
    # A list of examples may name other examples for one instruction.
    assert not cluster.different_tools("Check for SQL injection, XSS and CSRF", "Check for SQL injection, LDAP and XSS")
    assert not cluster.different_tools("**Styling**: CSS modules, Sass", "**Styling**: Tailwind, CSS modules")
    # Under one label the bodies are compared; under two, a label may name what the other body
    # does, and only agents the labels name count: two hand-offs to two agents.
    assert cluster.different_tools("**Styling**: Use CSS modules", "**Styling**: Use Tailwind classes")
    assert cluster.different_tools(
        "**Confirm before use**: Installed Laravel version and its deprecated helpers",
        "**Confirm before use**: Installed Phoenix version and deprecated plugs to replace",
    )
    assert not cluster.different_tools("**CSS Modules**: scope styles per component", "Use Tailwind for styles")
    assert cluster.agent_names("**With redis-expert**: Design caching layers") == {"redis-expert"}
    assert cluster.different_tools(
        "**With redis-expert**: Design hybrid architectures with Redis caching",
        "**With mongodb-expert**: Design hybrid architectures with Redis caching",
    )
    assert not cluster.different_tools(
        "**With redis-expert**: Cache reads", "**Hand off to redis-expert**: Cache reads"
    )
    # Two hand-offs name their agents whatever their form: one word, or more than one agent.
    assert cluster.different_tools(
        "**With designer**: Plan accessible page layouts",
        "**With accessibility-auditor**: Implement contrast fixes and keyboard-friendly page structure",
    )
    assert cluster.different_tools(
        "**With compliance experts**: Ensure security testing meets regulatory requirements",
        "**With hipaa-expert**: Collaborate on HIPAA compliance and security requirements",
    )
    assert not cluster.different_tools("**With Architect**: Plan the services", "**With architect**: Plan services")
    a = agent("## Styling\n\n- Use CSS modules for component styles\n", "a.mdc")
    b = agent("## Styling\n\n- Style components with Tailwind utility classes\n", "b.mdc")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Use CSS modules for component styles") == set()


def test_capitals_name_tools_except_at_a_sentence_start_or_in_a_headline() -> None:
    assert cluster.capitalised("Style components with Tailwind. Use CSS modules") == {"tailwind", "css"}
    assert cluster.capitalised("Domain-Driven Design") == frozenset()
    assert cluster.capitalised("Least Privilege Access") == frozenset()
    assert cluster.tool_names("Domain-Driven Design") == frozenset()
    # Capitals for emphasis name nothing; a short acronym does.
    assert cluster.capitalised("Do NOT add CORS headers unless the user EXPLICITLY asks") == {"cors"}


def test_one_wording_with_another_name_put_in_is_a_template_filled_twice() -> None:
    django = "**Check first**: the new features of Django and their compatibility"
    fastapi = "**Check first**: the new features of FastAPI and their compatibility"
    assert cluster.another_name(django, fastapi)
    assert vetoed_by(candidate(django), candidate(fastapi, 1), 0.9) == "another name"
    # Two lists of examples that say other things besides: not a template.
    assert not cluster.another_name(
        "**Injection Attacks**: SQL injection, XSS, command injection and LDAP",
        "SQL injection, XSS and CSRF prevention verification",
    )


def test_a_pair_refused_by_a_rule_never_meets_through_a_third_item() -> None:
    """Average linkage alone would join the Django and FastAPI wordings through the plain one,
    and the fold would then drop one of the two names."""
    found = [
        candidate("Examine the current Django project structure", 0),
        candidate("Examine the current FastAPI project structure", 1),
        candidate("Examine the current project structure", 2),
    ]
    scores = {(0, 1): 0.9, (0, 2): 0.95, (1, 2): 0.94}
    clusters = cluster.cluster_items(
        found, scores, threshold=0.35, same_input_threshold=0.6, floor=0.55, lines=[1, 1, 1]
    )
    together = [set(c.members) for c in clusters]
    assert not any({0, 1} <= members for members in together)
    assert sum(len(members) for members in together) == 3


# --------------------------------------------------------------------------------------------
# Diagrams and filled-in templates


def test_box_diagram_merges_only_as_a_copy() -> None:
    box = "┌──────────────┐\n│ Input Checks │\n├──────────────┤\n│ • validate all input │\n└──────────────┘"
    assert cluster.is_diagram(box)
    assert not cluster.is_diagram("Validate all input - at the boundary")
    a = agent(f"## Input Validation\n\n{box}\n", "a.md")
    b = agent("## Input Validation\n\n- Validate all input at the boundary\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Validate all input at the boundary") == set()


def test_items_of_a_template_filled_twice_do_not_join_guidance() -> None:
    a = agent(
        "## Findings\n\n### Finding\n\n- **Severity**: high for injection in request handlers\n\n"
        "### Finding\n\n- **Severity**: low for verbose error pages\n",
        "a.md",
    )
    b = agent("## Findings\n\n- Rate severity high for injection in request handlers\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Rate severity high for injection in request handlers") == set()


# --------------------------------------------------------------------------------------------
# Section titles


def test_titles_naming_two_subjects_do_not_align_by_title() -> None:
    assert cluster.title_overlap("Code Standards", "Quality Standards") == 0.0
    assert cluster.title_overlap("Security Testing", "Performance Testing") == 0.0
    assert cluster.title_overlap("Responsibilities", "Your Core Responsibilities:") == 1.0
    assert cluster.title_overlap("Expected Outputs", "Outputs") == 1.0
    assert cluster.title_overlap("Guidelines", "Performance Guidelines") > cluster.SECTION_ALIGN_THRESHOLD


def test_a_shared_sequence_number_does_not_align_titles() -> None:
    # "Follow up" is all filler and stopwords: the title's only term is its number.
    assert cluster.title_overlap("3. Follow up", "3. Communicate") == 0.0
    assert cluster.title_overlap("3. Tests", "3. Tests") == 1.0
    a = agent(
        "## Steps\n\n### 1. Declare\n\n- Page the on-call engineer\n\n### 2. Communicate\n\n"
        "- Post a status update every 30 minutes\n",
        "a.md",
    )
    b = agent(
        "## Steps\n\n### 1. Triage\n\n- Set a severity level\n\n### 2. Follow up\n\n- Write a blameless postmortem\n",
        "b.md",
    )
    (_root, steps) = consolidation_to_dict(consolidate([a, b]))["sections"]
    titles = [s["title"] for s in steps["sections"]]
    assert sorted(t.partition(" ")[2] for t in titles) == ["Communicate", "Declare", "Follow up", "Triage"]
    # Merged from two inputs, the steps are numbered in turn (``arrange._number_steps``).
    assert [t.partition(" ")[0] for t in titles] == ["1.", "2.", "3.", "4."]


def test_titles_of_stop_words_alone_align_when_their_words_are_the_same() -> None:
    """ "You must" has no topic term: it was never aligned with another input's "You must", and the
    merged file had the heading twice. The same words are one title; other words ("You must not")
    are another."""
    assert cluster.title_overlap("You must", "**You must:**") == 1.0
    assert cluster.title_overlap("You must", "You must not") == 0.0
    assert cluster.title_overlap("Core", "Responsibilities") == 0.0
    a = agent("## You must\n\n- Run the linter before each commit\n\n## You must not\n\n- Push to main\n", "a.md")
    b = agent("## You must\n\n- Write a test for each bug fix\n\n## You must not\n\n- Disable type checks\n", "b.md")
    sections = consolidation_to_dict(consolidate([a, b]))["sections"]
    assert [(s["title"], len(s["items"])) for s in sections[1:]] == [("You must", 2), ("You must not", 2)]


def test_a_part_of_a_checklist_does_not_align_with_guidance_of_the_same_title() -> None:
    """A subsection takes the distinct role of the section it sits in, as its items do."""
    checklist = agent(
        "# Reviewer\n\n## Review Checklist\n\n### 1. Security\n\n- No secrets in the diff\n\n"
        "### 2. Readability & Best Practices\n\n- Functions do one thing\n- Names say what things are\n\n"
        "### 3. Performance\n\n- No queries inside loops\n",
        "a.md",
    )
    guidance = agent(
        "# Reviewer\n\n## Best Practices\n\n1. Review the tests first\n2. Explain the reason for each comment\n",
        "b.md",
    )
    merged = consolidate([checklist, guidance])
    titles = [s.title for s in merged.agent.body.walk() if s.title]
    assert "2. Readability & Best Practices" in titles
    assert "Best Practices" in titles


def test_a_list_of_task_boxes_is_the_inputs_checklist_whatever_its_title() -> None:
    a = agent(
        "# Reviewer\n\n## Steps\n\n1. Read the schema diff\n\n## Before approving\n\n"
        "- [ ] Examples in the docs still work\n- [ ] Contract tests pass\n",
        "a.md",
    )
    b = agent(
        "# Reviewer\n\n## Steps\n\n1. Start with the schema diff\n\n## Checklist\n\n"
        "- [ ] A migration guide exists\n- [ ] Contract tests are green\n",
        "b.md",
    )
    merged = consolidate([a, b])
    titles = [s.title for s in merged.agent.body.walk() if s.title]
    assert len({"Before approving", "Checklist"} & set(titles)) == 1  # one section, one of the two titles
    (checklist,) = [s for s in merged.body.sections if s.role == "gates"]
    assert len(checklist.sources) == 2


def test_a_merged_section_takes_the_title_that_covers_every_input() -> None:
    a = agent("## Follow these additional guidelines\n\n- Keep handlers small\n- Apply least privilege\n", "a.md")
    b = agent("## Performance Guidelines\n\n- Cache hot reads\n- Batch small writes\n", "b.md")
    result = consolidation_to_dict(consolidate([a, b]))
    titles = [s["title"] for s in result["sections"] if s["title"]]
    assert titles == ["Follow these additional guidelines"]


# --------------------------------------------------------------------------------------------
# Order


def test_consensus_order_keeps_every_input_order_when_the_inputs_do_not_conflict() -> None:
    """Inputs that each list some of one common order: the merged order keeps every input's."""
    import random

    from agentmerge.arrange import consensus_order

    for seed in range(200):
        rng = random.Random(seed)
        total = [("section", n) for n in range(rng.randint(3, 12))]
        sequences = [sorted(rng.sample(total, rng.randint(1, len(total))), key=total.index) for _ in range(4)]
        keys = sorted({k for s in sequences for k in s})
        fallback = {k: (rng.random(), 0, k[1]) for k in keys}
        out = consensus_order(keys, sequences, fallback)
        assert sorted(out) == keys
        for sequence in sequences:
            assert [k for k in out if k in sequence] == sequence, (seed, sequences, out)


def test_merged_sections_keep_every_order_their_inputs_share() -> None:
    a = agent("## Duties\n\n- Ship APIs\n\n## Inputs\n\n- A spec\n\n## Outputs\n\n- Code\n", "a.md")
    b = agent(
        "## Duties\n\n- Ship APIs\n\n## Skills\n\n- Go\n\n## Method\n\n- Plan first\n\n## Outputs\n\n- Code\n", "b.md"
    )
    c = agent("## Competencies\n\n- Caching\n\n## Method\n\n- Plan first\n\n## Standards\n\n- Lint\n", "c.md")
    titles = [s.section.title for s in consolidate([a, b, c]).body.sections]
    for order in (["Duties", "Inputs", "Outputs"], ["Duties", "Skills", "Method", "Outputs"]):
        assert [t for t in titles if t in order] == order, titles
    assert titles.index("Competencies") < titles.index("Method") < titles.index("Standards")


def test_clustering_reads_lead_in_labels_by_the_parser_rule() -> None:
    """One label rule: a six-word prefix is a sentence to the parser and to the clustering alike,
    and a bare label line is a label to the clustering though it labels no text of its own."""
    from agentmerge.text import lead_label

    sentence = "When you review pull requests carefully: check the tests"
    assert parse_text(f"- {sentence}\n", "a.md").body.items[0].label is None
    assert lead_label(sentence) is None
    assert parse_text("- **Test Quality**: flaky tests\n", "a.md").body.items[0].label == "Test Quality"
    assert lead_label("**Test Quality**: flaky tests") == "Test Quality"
    assert parse_text("- **Suggested Fix**:\n", "a.md").body.items[0].label is None
    assert lead_label("**Suggested Fix**:") == "Suggested Fix"


def test_a_pick_of_one_name_does_not_fold_into_a_list_of_alternatives() -> None:
    """ "Handle data fetching with Relay" chooses one; folded into "Data fetching libraries like
    SWR, Apollo, Relay" the choice reads as one option of three. A wording that lists the same
    names, or a list that names one more, still folds."""
    options = "Data fetching libraries like SWR, Apollo, Relay"
    assert not cluster.carries(options, "Handle data fetching with Relay")
    assert cluster.carries(options, "Data fetching with SWR, Apollo or Relay")
    assert cluster.carries("Use Relay for data fetching in every screen", "Handle data fetching with Relay")


def test_a_more_binding_wording_never_folds_into_a_less_binding_one() -> None:
    """ "You must add a test" folded into "You should add a test" would ask less than one input
    did: the must is the wording kept. Into an imperative, which says nothing weaker, it folds."""
    must, should = "You must add a test for every change", "You should add a test for every change"
    assert not cluster.carries(should, must)
    assert cluster.carries(must, should)
    assert cluster.carries("Add a test for every change", must)
    front = "---\nname: deployer\ndescription: Deploys services.\n---\n## Rules\n\n- {}\n- Keep release notes short\n"
    for order in ((should, must), (must, should)):
        inputs = [agent(front.format(text), f"{n}.md") for n, text in enumerate(order)]
        found = consolidation_to_dict(consolidate(inputs))
        kept = [item["text"] for section in found["sections"] for item in section["items"]]
        assert must in kept and should not in kept, kept


def test_a_text_in_words_the_corpus_does_not_know_folds_into_no_wording_that_adds_one() -> None:
    """The rules that tell a wording saying more from one saying the opposite read English words:
    in Russian or Chinese the word the kept wording adds ("never", "do not") is one the corpus
    hardly uses, and the plain wording stays apart (``_unread_more``); into its own words with a
    full stop it folds. An English text folds as before into a wording that adds a tool's name."""
    for kept, plain in [
        ("Никогда не храните секреты в репозитории", "Храните секреты в репозитории"),
        ("不要在仓库中存储密钥", "在仓库中存储密钥"),
    ]:
        assert not cluster.carries(kept, plain)
        assert cluster.carries(f"{plain}.", plain)
    assert cluster.carries("Run the test matrix with nox sessions", "Run the test matrix")


def test_an_identifier_the_kept_wording_lacks_keeps_a_wording_from_folding() -> None:
    """A name written as an identifier ("line_profiler", "memory_profiler") that the kept wording
    lacks is lost when folded, even when the kept wording names nothing else (it named
    ``cProfile``, which both have): before, only two wordings that each name something the other
    does not stayed apart. A name of the inputs' shared subject need not be there."""
    kept = "**Profiling:** Find the slow paths with profiling tools such as `cProfile`."
    assert not cluster.carries(kept, "Profile hot paths with cProfile and line_profiler")
    assert not cluster.carries(kept, "Profiling with memory_profiler")
    assert cluster.carries(kept, "Profile hot paths with cProfile")
    assert cluster.carries(
        "Write async code with coroutines", "Write async code with kotlinx.coroutines", subject={"kotlinx.coroutines"}
    )
    assert not cluster.carries("Write async code with coroutines", "Write async code with kotlinx.coroutines")


def test_two_tables_that_differ_in_padding_and_dashes_alone_are_copies() -> None:
    """Copies are found as ``diff`` pairs them: a table's cells without padding, its delimiter
    row by the alignments alone (``text.table_row_form``)."""
    plain = "| Tool | Use |\n|---|---|\n| ruff | lint |"
    aligned = "| Tool   | Use   |\n| ------ | ----- |\n| ruff   | lint  |"
    assert cluster.copy_form("table", plain) == cluster.copy_form("table", aligned)
    assert cluster.copy_form("table", plain) != cluster.copy_form("table", plain.replace("|---|", "|--:|", 1))
