"""A local SMTP server for development and tests: keeps every message it receives, in memory and
optionally as .eml files in a folder, so that what the platform sent can be looked at.

`python -m notifications.devsmtp --port 8025 --dir /tmp/cus-mail`
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    folder: Path | None = None
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{len(self.messages):06d}.eml").write_bytes(raw)
        return "250 OK"


def start(
    port: int, folder: Path | None = None, host: str = "127.0.0.1"
) -> tuple[Controller, Mailbox]:
    mailbox = Mailbox(folder)
    controller = Controller(mailbox, hostname=host, port=port)
    controller.start()
    return controller, mailbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cus-mail"))
    args = parser.parse_args()
    controller, _ = start(args.port, args.dir)
    print(f"SMTP on 127.0.0.1:{args.port}, messages in {args.dir}")
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
