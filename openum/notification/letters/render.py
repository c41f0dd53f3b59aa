"""Turn a pack's letter templates and a LetterContext into HTML, then PDF (WeasyPrint)."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from openum.errors import DomainError
from openum.notification.letters.context import LetterContext
from openum.notification.letters.i18n import language_name, long_date
from openum.notification.letters.schema import (
    FALLBACK_LANGUAGE,
    Audience,
    LettersFile,
    LetterSpec,
    LetterType,
)
from openum.packs.loader import PlanPack
from openum.packs.schema import Program

LETTERS_FILE = "letters/letters.yaml"


class LettersNotConfigured(DomainError):
    code = "letters_not_configured"
    http_status = 422


@dataclass(frozen=True)
class TemplateChoice:
    """Which template renders a letter, and whether the member's language had to fall back."""

    letter_type: LetterType
    requested_language: str
    language: str
    template: str

    @property
    def fell_back(self) -> bool:
        return self.language != self.requested_language

    @property
    def note(self) -> str | None:
        if not self.fell_back:
            return None
        return (f"No {language_name(self.requested_language)} ({self.requested_language}) template for "
                f"{self.letter_type.value}; sent in {language_name(self.language)}.")


@dataclass(frozen=True)
class ContactView:
    """A contact line as printed: letters.yaml's entry over pack.yaml's plan.contact."""

    name: str
    phone: str
    tty: str | None
    fax: str | None
    website: str | None
    hours: str | None
    address: tuple[str, ...]


@dataclass(frozen=True)
class RenderedLetter:
    html: str
    choice: TemplateChoice
    large_print: bool
    program: Program


def letters_config(pack: PlanPack) -> LettersFile:
    """The pack's letters/letters.yaml, or LettersNotConfigured."""
    parsed = pack.sections.get("letters", {}).get(LETTERS_FILE)
    if not isinstance(parsed, LettersFile):
        raise LettersNotConfigured(f"plan pack {pack.plan_id} {pack.version} has no {LETTERS_FILE}")
    return parsed


def program_of(pack: PlanPack, context: LetterContext) -> Program:
    lob = pack.line_of_business(context.line_of_business)
    if lob is None:
        raise DomainError(f"line of business {context.line_of_business!r} is not in plan pack {pack.plan_id}")
    return lob.program


def default_language(spec: LetterSpec, context: LetterContext) -> str:
    """The member's language, except for letters only a provider reads."""
    return FALLBACK_LANGUAGE if spec.audience is Audience.PROVIDER else context.member.language


def choose_template(config: LettersFile, letter_type: LetterType, language: str) -> TemplateChoice:
    """The template in the requested language, else the English one."""
    spec = config.spec(letter_type)
    used = language if language in spec.templates else FALLBACK_LANGUAGE
    return TemplateChoice(letter_type, language, used, spec.templates[used])


def render(
    pack: PlanPack,
    letter_type: LetterType,
    context: LetterContext,
    *,
    language: str | None = None,
    large_print: bool | None = None,
) -> RenderedLetter:
    """Render to HTML and say which language was used; language and print size default from the member."""
    config = letters_config(pack)
    letter_type = LetterType(letter_type)
    spec = config.spec(letter_type)
    choice = choose_template(config, letter_type, language or default_language(spec, context))
    if large_print is None:
        large_print = context.member.large_print and spec.audience is not Audience.PROVIDER
    folder = _templates_dir(pack, config)
    program = program_of(pack, context)
    variables: dict[str, Any] = {
        "ctx": context,
        "plan": pack.manifest.plan,
        "line": lambda key: _contact_view(config, pack, key, choice.language),
        "addressee": spec.addressed_to,
        "regulators": config.regulators,
        "taglines": config.taglines,
        "letter_type": letter_type.value,
        "audience": spec.audience.value,
        "program": program.value,
        # The line of business, so wording can follow pack.yaml (e.g. appeal_filing_days).
        "lob": pack.line_of_business(context.line_of_business),
        "lang": choice.language,
        "fallback": choice,
        "fallback_language_name": language_name(choice.requested_language),
        "large_print": large_print,
        "parts": config.partials[choice.language],
        "layout": config.layout,
        "stylesheet": Markup((folder / config.stylesheet).read_text(encoding="utf-8")),
        "logo_uri": _data_uri(folder / config.logo),
    }
    html = _environment(str(folder)).get_template(choice.template).render(variables)
    return RenderedLetter(html=html, choice=choice, large_print=large_print, program=program)


def render_html(
    pack: PlanPack,
    letter_type: LetterType,
    context: LetterContext,
    *,
    language: str | None = None,
    large_print: bool | None = None,
) -> str:
    """The letter as a self-contained HTML page (styles and logo inlined)."""
    return render(pack, letter_type, context, language=language, large_print=large_print).html


def render_pdf(
    pack: PlanPack,
    letter_type: LetterType,
    context: LetterContext,
    *,
    language: str | None = None,
    large_print: bool | None = None,
) -> bytes:
    """The letter as a PDF for mail or fax."""
    return html_to_pdf(render_html(pack, letter_type, context, language=language, large_print=large_print))


def html_to_pdf(html: str) -> bytes:
    """Print HTML with WeasyPrint; only inlined data: resources load, so printing never touches the network."""
    from weasyprint import HTML  # imported late: it loads Pango, which only printing needs
    from weasyprint.urls import URLFetcher

    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _contact_view(config: LettersFile, pack: PlanPack, key: str, language: str) -> ContactView:
    """A letters.yaml contact, falling back field by field to pack.yaml so a number lives in one place."""
    plan = pack.manifest.plan.contact
    entry = config.contacts.get(key)
    if entry is None:
        return ContactView(pack.manifest.plan.name, plan.phone, plan.tty, plan.fax, plan.website,
                           plan.hours, ())
    if not entry.inherit:
        return ContactView(entry.name_in(language), entry.phone or "", entry.tty, entry.fax,
                           entry.website, entry.hours_in(language), tuple(entry.address))
    return ContactView(
        name=entry.name_in(language),
        phone=entry.phone or plan.phone,
        tty=entry.tty or plan.tty,
        fax=entry.fax or plan.fax,
        website=entry.website or plan.website,
        hours=entry.hours_in(language) or plan.hours,
        address=tuple(entry.address),
    )


def _templates_dir(pack: PlanPack, config: LettersFile) -> Path:
    return pack.folder / "letters" / config.templates_dir


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@pass_context
def _long_date(ctx: Context, value: Any) -> str:
    return long_date(value, ctx["lang"]) if value is not None else ""


@lru_cache(maxsize=32)
def _environment(folder: str) -> ImmutableSandboxedEnvironment:
    """One Jinja environment per template folder; sandboxed because plans edit the templates."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = _long_date
    return env
