"""A small X12 segment reader and writer: delimiters from the ISA, segments as lists of elements.

No maintained PyPI library parses the 005010X217 278 (pyx12 maps only the 4010 278), so the
envelope and the HL tree are read here; the 278's own rules are checked in openum.x12.request.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class X12Error(ValueError):
    """The interchange cannot be read; `problems` name each defect and where (segment number)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


@dataclass
class Segment:
    tag: str
    elements: list[str]
    position: int  # 1-based, in the interchange

    def get(self, n: int, default: str = "") -> str:
        """Element n (1-based, as X12 numbers them: NM109 is get(9))."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else default

    def parts(self, n: int, d: Delimiters) -> list[str]:
        return self.get(n).split(d.component)


@dataclass
class Interchange:
    delimiters: Delimiters
    segments: list[Segment] = field(default_factory=list)

    def first(self, tag: str) -> Segment | None:
        return next((s for s in self.segments if s.tag == tag), None)


def read(text: str) -> Interchange:
    """Split an interchange into segments, taking the delimiters from its ISA header."""
    raw = text.lstrip("\ufeff").lstrip()
    if not raw.startswith("ISA") or len(raw) < 106:
        raise X12Error(["the interchange must start with a 106-character ISA segment"])
    d = Delimiters(element=raw[3], repetition=raw[82], component=raw[104], segment=raw[105])
    out = Interchange(d)
    for chunk in raw.split(d.segment):
        chunk = chunk.strip("\r\n ")
        if not chunk:
            continue
        tag, *elements = chunk.split(d.element)
        out.segments.append(Segment(tag.strip(), elements, len(out.segments) + 1))
    return out


def write(segments: list[list[str]], d: Delimiters = Delimiters(), newline: bool = True) -> str:
    """Segments (each a list: tag then elements, trailing empties dropped) as X12 text."""
    lines = []
    for seg in segments:
        elements = list(seg)
        while len(elements) > 1 and elements[-1] == "":
            elements.pop()
        lines.append(d.element.join(elements) + d.segment)
    return ("\n" if newline else "").join(lines) + ("\n" if newline else "")
