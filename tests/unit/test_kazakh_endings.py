"""Kazakh endings after numbers, times and names, checked against how a Kazakh clerk writes them."""

from __future__ import annotations

import pytest

from bot.language.kazakh import Case, attach, number_with_ending, time_with_ending, with_ending

# «N-ге дейін» (until), «N-ден» (from), «N-нің» (of), «N-де» (at) for 0-10 and the round tens.
DATIVE = {0: "ге", 1: "ге", 2: "ге", 3: "ке", 4: "ке", 5: "ке", 6: "ға", 7: "ге", 8: "ге", 9: "ға",
          10: "ға", 20: "ға", 30: "ға", 40: "қа", 50: "ге", 60: "қа", 70: "ке", 80: "ге", 90: "ға",
          100: "ге", 1000: "ға", 26: "ға", 45: "ке", 99: "ға", 200: "ге", 2_000_000: "ға"}  # fmt: skip
ABLATIVE = {0: "ден", 1: "ден", 2: "ден", 3: "тен", 4: "тен", 5: "тен", 6: "дан", 7: "ден", 8: "ден",
            9: "дан", 10: "нан", 20: "дан", 30: "дан", 40: "тан", 50: "ден", 60: "тан", 70: "тен",
            80: "нен", 90: "нан", 100: "ден", 1000: "нан"}  # fmt: skip
GENITIVE = {1: "дің", 2: "нің", 3: "тің", 4: "тің", 5: "тің", 6: "ның", 7: "нің", 8: "дің", 9: "дың",
            10: "ның", 40: "тың", 100: "дің"}  # fmt: skip
LOCATIVE = {1: "де", 2: "де", 3: "те", 4: "те", 5: "те", 6: "да", 7: "де", 8: "де", 9: "да", 10: "да",
            40: "та", 1000: "да"}  # fmt: skip


@pytest.mark.parametrize(
    ("case", "table"),
    [(Case.dative, DATIVE), (Case.ablative, ABLATIVE), (Case.genitive, GENITIVE), (Case.locative, LOCATIVE)],
)
def test_numbers_take_the_ending_of_their_last_spoken_word(case: Case, table: dict[int, str]) -> None:
    assert {n: number_with_ending(n, case) for n in table} == {n: f"{n}-{e}" for n, e in table.items()}


@pytest.mark.parametrize("n", range(0, 101))
def test_every_number_to_100_has_one_ending_of_the_right_harmony(n: int) -> None:
    shown = number_with_ending(n, Case.dative)
    assert shown.split("-")[1] in {"ға", "ге", "қа", "ке"}


def test_the_issue_examples_read_as_written() -> None:
    assert (
        f"{number_with_ending(0, Case.ablative)} {number_with_ending(10, Case.dative)} дейін"
        == "0-ден 10-ға дейін"
    )
    assert f"{time_with_ending('18:00', Case.dative)} дейін" == "18:00-ге дейін"
    assert f"{time_with_ending('21:48', Case.dative)} дейін аяқтаңыз" == "21:48-ге дейін аяқтаңыз"
    assert number_with_ending(6, Case.ablative) == "6-дан"  # not the hard-coded «6-ден»


@pytest.mark.parametrize(
    ("time", "dative", "ablative"),
    [("18:00", "18:00-ге", "18:00-ден"), ("18:30", "18:30-ға", "18:30-дан"),
     ("9:05", "9:05-ке", "9:05-тен"), ("10:00", "10:00-ға", "10:00-нан"),
     ("12:40", "12:40-қа", "12:40-тан"), ("00:00", "00:00-ге", "00:00-ден")],
)  # fmt: skip
def test_times_are_read_by_minutes_or_by_the_hour(time: str, dative: str, ablative: str) -> None:
    assert time_with_ending(time, Case.dative) == dative
    assert time_with_ending(time, Case.ablative) == ablative


def test_decimals_are_read_by_their_fraction() -> None:
    assert number_with_ending("4,5", Case.dative) == "4,5-ке"  # төрт бүтін оннан бес
    assert number_with_ending("7,0", Case.dative) == "7,0-ге"


@pytest.mark.parametrize(
    ("name", "genitive", "dative", "ablative"),
    [
        ("Петрова", "Петрованың", "Петроваға", "Петровадан"),
        ("Ким", "Кимнің", "Кимге", "Кимнен"),
        ("Петров", "Петровтың", "Петровқа", "Петровтан"),
        ("Бекова", "Бекованың", "Бековаға", "Бековадан"),
        ("Серікқызы", "Серікқызының", "Серікқызыға", "Серікқызыдан"),
        ("Айгүл", "Айгүлдің", "Айгүлге", "Айгүлден"),
        ("Нұрлан", "Нұрланның", "Нұрланға", "Нұрланнан"),
        ("Әлібек", "Әлібектің", "Әлібекке", "Әлібектен"),
        ("Тимур", "Тимурдың", "Тимурға", "Тимурдан"),
        ("Сергей", "Сергейдің", "Сергейге", "Сергейден"),
        ("Ли", "Лидің", "Лиге", "Лиден"),
        ("Жанар", "Жанардың", "Жанарға", "Жанардан"),
        ("Дәулет", "Дәулеттің", "Дәулетке", "Дәулеттен"),
        ("Игорь", "Игорьдің", "Игорьге", "Игорьден"),
        ("Жұмабаев", "Жұмабаевтың", "Жұмабаевқа", "Жұмабаевтан"),
        ("Назарбаев", "Назарбаевтың", "Назарбаевқа", "Назарбаевтан"),
        ("Сергеев", "Сергеевтің", "Сергеевке", "Сергеевтен"),
        ("Әбдіров", "Әбдіровтың", "Әбдіровқа", "Әбдіровтан"),
        ("Ткаченко", "Ткаченконың", "Ткаченкоға", "Ткаченкодан"),
    ],
)
def test_names_take_their_endings(name: str, genitive: str, dative: str, ablative: str) -> None:
    assert with_ending(name, Case.genitive) == genitive
    assert with_ending(name, Case.dative) == dative
    assert with_ending(name, Case.ablative) == ablative


def test_locative_attributive_and_instrumental() -> None:
    assert with_ending("2 желтоқсан", Case.locative_attributive) == "2 желтоқсандағы"
    assert with_ending("Ким", Case.instrumental) == "Киммен"
    assert with_ending("Айгүл", Case.instrumental) == "Айгүлмен"
    assert with_ending("Жанар", Case.instrumental) == "Жанармен"
    assert with_ending("Нұрлан", Case.instrumental) == "Нұрланмен"
    assert with_ending("Әлібек", Case.instrumental) == "Әлібекпен"
    assert with_ending("Айдана", Case.instrumental) == "Айданамен"


@pytest.mark.parametrize(
    ("full_name", "genitive", "dative"),
    [
        # A full name takes the ending its last word takes, whatever the words before it.
        ("Сергей Викторович Ким", "Сергей Викторович Кимнің", "Сергей Викторович Кимге"),
        ("Екатерина Павловна Ким", "Екатерина Павловна Кимнің", "Екатерина Павловна Кимге"),
        ("Ерлан Маратұлы Жұмабаев", "Ерлан Маратұлы Жұмабаевтың", "Ерлан Маратұлы Жұмабаевқа"),
        ("Анна Сергеевна Петрова", "Анна Сергеевна Петрованың", "Анна Сергеевна Петроваға"),
        ("Дмитрий Олегович Ли", "Дмитрий Олегович Лидің", "Дмитрий Олегович Лиге"),
        ("Айгүл Сейітқызы Нұрланова", "Айгүл Сейітқызы Нұрланованың", "Айгүл Сейітқызы Нұрлановаға"),
    ],
)
def test_a_full_name_is_read_by_its_last_word(full_name: str, genitive: str, dative: str) -> None:
    assert attach(full_name, Case.genitive) == genitive
    assert attach(full_name, Case.dative) == dative
