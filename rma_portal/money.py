"""Money: an amount with its currency, formatted per language (D1, D2).

One representation for charges, notes, PDFs, e-mails and the API. Amounts are Decimal; the
currency is an ISO 4217 code. KRW and JPY have no minor unit, so they are shown (and entered)
without decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation

ZERO_DECIMAL_CURRENCIES = frozenset({"KRW", "JPY"})


def minor_places(currency: str) -> int:
    """How many decimals the currency has: 0 for KRW/JPY, otherwise 2."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def format(self, lang: str | None = None) -> str:
        return money(self.amount, self.currency, lang)

    def as_dict(self) -> dict[str, str]:
        """The API's shape: the amount as a string with the currency's places, and the code."""
        places = minor_places(self.currency)
        return {"amount": f"{Decimal(self.amount):.{places}f}", "currency": self.currency.upper()}

    def __str__(self) -> str:
        return self.format()


def money(amount: Decimal, currency: str, lang: str | None = None) -> str:
    """``1,234.50 USD``; KRW/JPY without decimals (``65,000 KRW``); in Korean the won is
    written ``65,000원`` and other currencies keep their code. ``lang`` defaults to the active
    language."""
    code = currency.upper()
    places = minor_places(code)
    digits = f"{Decimal(amount):,.{places}f}"
    lang = (lang or translation.get_language() or "en").split("-")[0]
    if lang == "ko" and code == "KRW":
        return f"{digits}원"
    return f"{digits} {code}"
