"""What the API and the consumers share besides the runtime: settings and the workers to wake."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifications.adapters.delivery import DeliveryWorker
from notifications.adapters.mail import MailWorker
from notifications.config import NotificationsSettings
from notifications.domain.addresses import Allowlist


@dataclass
class Context:
    settings: NotificationsSettings
    allowlist: Allowlist
    delivery: list[DeliveryWorker] = field(default_factory=list)
    mail: MailWorker | None = None

    def wake(self) -> None:
        for worker in self.delivery:
            worker.wake()
        if self.mail is not None:
            self.mail.wake()
