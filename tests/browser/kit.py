"""Helpers for the browser journeys: sign in as someone, fill the request form, take a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.browser.conftest import PASSWORD, Live

try:
    from playwright.sync_api import expect
except ImportError:  # the suite skips (or fails under CI) before any of this runs
    expect = None

WIDTH = 1280
TABLET = 768


@contextmanager
def signed_in(browser: Any, live: Live, username: str, width: int = WIDTH) -> Iterator[Any]:
    """A fresh browser context (its own cookies) signed in through the sign-in page."""
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=live.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/ui/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/ui/login" not in url)
    try:
        yield page
    finally:
        context.close()


def done(page: Any, message: str) -> None:
    """Wait for the confirmation a page shows after an action."""
    expect(page.locator(".flash.ok")).to_contain_text(message)


def shot(page: Any, live: Live, name: str, full_page: bool = True) -> Path:
    """A PNG of what the user sees now (the whole page unless told otherwise), kept small."""
    path = live.shots / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)
    try:
        from PIL import Image
    except ImportError:
        return path
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


def fill_request(page: Any, *, member: str, requesting: str, servicing: str, facility: str | None,
                 setting: str, code: str, day: str, pos: str, dx: str, los: str | None = None,
                 document: tuple[str, bytes] | None = None, indications: str = "") -> None:
    """Fill the authorization request form as a person would."""
    page.get_by_label("Member ID").fill(member)
    page.get_by_label("Requesting provider NPI").fill(requesting)
    page.get_by_label("Servicing provider NPI").fill(servicing)
    if facility:
        page.get_by_label("Facility NPI").fill(facility)
    page.get_by_label("Setting").select_option(setting)
    page.get_by_label("Diagnoses (ICD-10-CM)").fill(dx)
    if los:
        page.get_by_label("Requested length of stay (days)").fill(los)
        page.get_by_label("Admission date").fill(day)
    page.get_by_label("Line 1 code").fill(code)
    page.get_by_label("Line 1 units").fill("1")
    page.get_by_label("Line 1 from date").fill(day)
    page.get_by_label("Line 1 place of service").fill(pos)
    page.get_by_label("Line 1 place of service").dispatch_event("change")
    if indications:
        page.get_by_label("Clinical indications").fill(indications)
    if document:
        page.get_by_label("Clinical documentation").set_input_files(
            files=[{"name": document[0], "mimeType": "application/pdf", "buffer": document[1]}])


def authorization_id(page: Any) -> str:
    return str(page.locator("#authorization-id").inner_text().strip())
