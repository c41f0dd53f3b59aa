"""Where notices go: the true external boundaries (fax gateway, mail room, SMTP) behind interfaces.

Each adapter is idempotent per notice: delivering the same notice twice is recognised, so a
worker killed mid-delivery and restarted never sends a duplicate through a file-drop channel;
e-mail carries the notice's Message-ID so a receiving system can drop a repeat.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from openum.notification.models import Notice


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the notice is retried."""


class Channel(Protocol):
    def deliver(self, notice: Notice, document: bytes | None) -> None: ...


def _atomic_write(path: Path, data: bytes) -> bool:
    """Write once: False when the file is already there (an earlier attempt got through)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return True


@dataclass
class FileDropFax:
    """A fax gateway that picks up documents from a folder (most gateways offer one)."""

    folder: Path

    def deliver(self, notice: Notice, document: bytes | None) -> None:
        if not notice.address:
            raise DeliveryFailed("no fax number on file for the provider")
        number = "".join(ch for ch in notice.address if ch.isdigit())
        _atomic_write(self.folder / f"notice-{notice.id}-to-{number}.pdf", document or b"")


@dataclass
class MailRoom:
    """Letters for printing and mailing, dropped where the print vendor collects them."""

    folder: Path

    def deliver(self, notice: Notice, document: bytes | None) -> None:
        if not notice.address:
            raise DeliveryFailed("no mailing address on file")
        _atomic_write(self.folder / f"notice-{notice.id}.pdf", document or b"")
        _atomic_write(self.folder / f"notice-{notice.id}.address.txt", notice.address.encode())


@dataclass
class Smtp:
    """E-mail to a provider office that a letter is ready in the portal (no PHI in the body)."""

    host: str
    port: int
    sender: str
    portal_url: str

    def deliver(self, notice: Notice, document: bytes | None) -> None:
        if not notice.address:
            raise DeliveryFailed("no e-mail address on file for the provider office")
        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, notice.address
        msg["Subject"] = "A utilization management letter is ready for you"
        msg["Message-ID"] = f"<openum-notice-{notice.id}@openum>"
        msg.set_content("A letter about an authorization request is ready in the provider portal:\n"
                        f"{self.portal_url}\nSign in to read it. This message contains no patient information.")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc


def from_settings(settings: object) -> dict[str, Channel]:
    """The configured channels: file-drop fax and mail room, SMTP, the portal."""
    s = settings
    return {
        "fax": FileDropFax(s.fax_dir),  # type: ignore[attr-defined]
        "mail": MailRoom(s.mail_dir),  # type: ignore[attr-defined]
        "email": Smtp(s.smtp_host, s.smtp_port, s.smtp_sender, s.portal_url),  # type: ignore[attr-defined]
        "portal": Portal(),
    }


class Portal:
    """The provider portal and API show the decision as soon as it is committed."""

    def deliver(self, notice: Notice, document: bytes | None) -> None:
        return None
