"""Dates and language names in the letter's language, without a locale database."""

from __future__ import annotations

from datetime import date

_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
}

# English names, for the note printed when a letter falls back to English.
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "vi": "Vietnamese", "zh": "Chinese", "tl": "Tagalog",
    "ko": "Korean", "hy": "Armenian", "ru": "Russian", "fa": "Farsi", "ar": "Arabic",
    "km": "Khmer", "hmn": "Hmong", "pa": "Punjabi", "ja": "Japanese", "pt": "Portuguese",
    "ht": "Haitian Creole", "fr": "French", "it": "Italian", "pl": "Polish", "el": "Greek",
}


def long_date(day: date, language: str) -> str:
    """March 5, 2026 / 5 de marzo de 2026; other languages get the English form."""
    if language == "es":
        return f"{day.day} de {_MONTHS['es'][day.month - 1]} de {day.year}"
    return f"{_MONTHS['en'][day.month - 1]} {day.day}, {day.year}"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
