"""Member and provider letters: pack templates, rendering to PDF, and the required-elements check."""

from openum.notification.letters.checklist import (
    LetterIncomplete,
    LetterTemplateError,
    PreparedLetter,
    find_gaps,
    marked_elements,
    missing_elements,
    prepare_letter,
)
from openum.notification.letters.context import (
    AdministrativeReason,
    CodedItem,
    LetterContext,
    MemberInfo,
    Outcome,
    ProviderInfo,
    Reviewer,
    ServiceLine,
)
from openum.notification.letters.render import (
    LettersNotConfigured,
    RenderedLetter,
    TemplateChoice,
    letters_config,
    render,
    render_html,
    render_pdf,
)
from openum.notification.letters.schema import (
    Audience,
    Condition,
    ElementId,
    LettersFile,
    LetterType,
)

__all__ = [
    "AdministrativeReason",
    "Audience",
    "CodedItem",
    "Condition",
    "ElementId",
    "LetterContext",
    "LetterIncomplete",
    "LetterTemplateError",
    "LetterType",
    "LettersFile",
    "LettersNotConfigured",
    "MemberInfo",
    "Outcome",
    "PreparedLetter",
    "ProviderInfo",
    "RenderedLetter",
    "Reviewer",
    "ServiceLine",
    "TemplateChoice",
    "find_gaps",
    "letters_config",
    "marked_elements",
    "missing_elements",
    "prepare_letter",
    "render",
    "render_html",
    "render_pdf",
]
