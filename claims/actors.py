"""Who acts on a claim, and through which channel (recorded on every event)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import ApiKey, Organisation, User

from .models import Channel

BUYER = "buyer"
STAFF = "staff"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    role: str  # buyer (a buyer user or a partner's API key), staff, or system
    channel: str
    user: User | None = None
    organisation: Organisation | None = None
    api_key: ApiKey | None = None

    @classmethod
    def buyer(cls, user: User, channel: str = Channel.PORTAL) -> Actor:
        return cls(BUYER, channel, user=user, organisation=user.organisation)

    @classmethod
    def partner(cls, api_key: ApiKey) -> Actor:
        return cls(BUYER, Channel.API, organisation=api_key.organisation, api_key=api_key)

    @classmethod
    def staff(cls, user: User, channel: str = Channel.ADMIN) -> Actor:
        return cls(STAFF, channel, user=user)

    @classmethod
    def system(cls) -> Actor:
        return cls(SYSTEM, Channel.SYSTEM)

    @classmethod
    def for_request_user(cls, user, channel: str) -> Actor:
        """The actor behind a request: staff user, buyer user, or a partner's API key."""
        api_key = getattr(user, "api_key", None)
        if api_key is not None:
            return cls.partner(api_key)
        if user.is_staff:
            return cls.staff(user, channel)
        return cls.buyer(user, channel)

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.api_key is not None:
            return f"api-key {self.api_key.prefix}"
        return "system"

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF

    @property
    def is_buyer(self) -> bool:
        return self.role == BUYER
