"""text.stem, text.terms and text.words: the word forms one instruction may take give one term."""

from __future__ import annotations

import pytest

from agentmerge.text import stem, terms, words


@pytest.mark.parametrize(
    "forms",
    [
        ("dependency", "dependencies"),
        ("policy", "policies"),
        ("query", "queries", "queried"),
        ("apply", "applies", "applied"),
        ("optimize", "optimized", "optimization", "optimizing"),
        ("scale", "scaling", "scalability"),
        ("enhance", "enhanced", "enhancing"),
        ("experience", "experienced"),
        ("disable", "disabled", "disabling"),
        ("initialize", "initialized", "initializer"),
        ("great", "greater"),
        ("process", "processes", "processing", "processed"),
        ("access", "accesses", "accessed"),
    ],
)
def test_forms_of_one_word_give_one_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(word) for word in forms}) == 1, {word: stem(word) for word in forms}


def test_a_stem_keeps_three_letters() -> None:
    assert stem("ties") == "tie"
    assert all(len(stem(word)) >= 3 for word in ("dies", "lies", "uses", "ideas", "apply", "danced", "fenced"))
    assert stem("fenced") == stem("fence")


def test_a_plural_and_its_singular_share_a_term() -> None:
    assert set(terms("Audit third-party dependencies")) & set(terms("Pin every dependency"))


def test_a_double_s_is_no_plural() -> None:
    """A word such as "process" is no plural of "proces": the "s" rule leaves a double "s" alone, so the "es"
    rule does not take more after it (the stems were "proc", "acc", "cla" and "suc")."""
    assert [stem(word) for word in ("process", "access", "class", "success")] == ["proces", "acces", "clas", "succes"]


@pytest.mark.parametrize(
    ("a", "b", "way"),
    [
        ("Always add type hints to public functions.", "Never add type hints to public functions.", "polarity"),
        (
            "When deploying to production, always run the database migrations first.",
            "When deploying to production, never run the database migrations first.",
            "polarity",
        ),
        ("Prefer composition over inheritance.", "Prefer inheritance over composition.", "opposite sense"),
        ("Indent with tabs.", "Indent with spaces.", "other choice"),
        # One rule in two orders: each holds a clause of either polarity.
        (
            "Avoid creating the client inside components \u2014 create it once at the app root.",
            "Create the client once at the app root \u2014 never inside a component.",
            None,
        ),
        # One rule said both ways, in other words: no act asked and forbidden.
        ("Never assume column names.", "Always discover the column names of a table first.", None),
        ("Write unit tests for services.", "Write integration tests for services.", None),
        ("Use tabs for indentation.", "Keep lines under 100 characters.", None),
    ],
)
def test_opposed_names_how_two_texts_say_opposite_things(a: str, b: str, way: str | None) -> None:
    from agentmerge.text import opposed

    assert opposed(a, b) == way
    assert opposed(b, a) == way


def test_a_label_that_opens_what_follows_is_never_opposed() -> None:
    from agentmerge.text import opposed

    assert opposed("Search required when:", "Search not required when:") is None
    assert opposed("**Indent with tabs**:", "**Indent with spaces**:") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Letters of any script make words: an accent does not cut a word in two.
        ("Utilisez des annotations précises", ["utilisez", "des", "annotations", "précises"]),
        ("Évitez les dépendances circulaires", ["évitez", "les", "dépendances", "circulaires"]),
        ("Используйте аннотации типов", ["используйте", "аннотации", "типов"]),
        # An accent written as a combining mark after its letter is read as the composed letter.
        ("Re\u0301vision pre\u0301cise", ["révision", "précise"]),
        # Vowel signs, viramas and points are marks: they stay in their word.
        ("हिन्दी में लिखें", ["हिन्दी", "में", "लिखें"]),
        ("שָׁלוֹם עוֹלָם", ["שָׁלוֹם", "עוֹלָם"]),
        # Kana and CJK ideographs, written without spaces, are read two characters at a time.
        ("编写单元测试", ["编写", "写单", "单元", "元测", "测试"]),
        ("使用Python编写", ["使用", "python", "编写"]),
        # A comma put in changes no word, as in English.
        ("测试，代码", ["测试", "试代", "代码"]),
        ("テスト", ["テス", "スト"]),
        ("写", ["写"]),
        # ASCII text is read as it always was.
        ("Don't use C# or C++ in x86_64 code", ["don't", "use", "c#", "or", "c++", "in", "x86", "64", "code"]),
    ],
)
def test_words_are_read_in_every_script(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_two_texts_in_another_script_share_the_terms_of_the_words_they_share() -> None:
    assert set(terms("Пишите модульные тесты")) & set(terms("Проверяйте модульные тесты")) == {"модульные", "тесты"}
    assert set(terms("为新代码编写单元测试")) & set(terms("审查新代码的单元测试")) >= {"代码", "单元", "测试"}
    assert "pull-request" not in terms("Des annotations précises")  # not "pr" + "cises"
