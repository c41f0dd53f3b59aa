"""Member letters read at about a 6th-8th grade level (Flesch-Kincaid, on the letter's own sentences)."""

from __future__ import annotations

import re

import pytest
import tinyhtml5

from openum.notification.letters import LetterType, letters_config, render_html
from openum.packs.loader import PlanPack
from tests.letters.samples import ALLWAYS, PARTNERSHIP, sample_context

NS = "{http://www.w3.org/1999/xhtml}"


def _syllables(word: str) -> int:
    """A common vowel-group estimate; good enough to catch a paragraph written for lawyers."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1 if w else 0
    w = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", re.sub(r"^y", "", w))))


def grade_level(html: str) -> float:
    """Flesch-Kincaid grade of the paragraphs and list items in the letter body."""
    main = tinyhtml5.parse(html).find(f".//{NS}main")
    assert main is not None
    text = " ".join(" ".join("".join(e.itertext()).split()) for e in main.iter() if e.tag in (f"{NS}p", f"{NS}li"))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if re.search(r"[A-Za-z]{2}", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return 0.39 * len(words) / len(sentences) + 11.8 * sum(map(_syllables, words)) / len(words) - 15.59


@pytest.mark.parametrize("plan", [PARTNERSHIP, ALLWAYS])
def test_member_letters_are_plain_language(packs: dict[str, PlanPack], plan: str) -> None:
    config = letters_config(packs[plan])
    grades = {lt.value: grade_level(render_html(packs[plan], lt, sample_context(plan, lt)))
              for lt in LetterType if config.spec(lt).addressed_to == "member"}
    assert grades and all(g <= 8.0 for g in grades.values()), grades
