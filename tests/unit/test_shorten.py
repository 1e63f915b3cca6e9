"""Labels cut for a button: at a word's end, with «…», never mid-word."""

from bot.core.messages import shorten


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis() -> None:
    cut = shorten("Лабораторная работа №1: адаптивная вёрстка страницы", 40)
    assert cut == "Лабораторная работа №1: адаптивная…" and len(cut) <= 40


def test_short_text_is_kept_and_spaces_tidied() -> None:
    assert shorten("  Реферат   по  истории ", 40) == "Реферат по истории"


def test_one_long_word_is_cut_inside_it() -> None:
    assert shorten("а" * 60, 10) == "а" * 9 + "…"
