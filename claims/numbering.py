"""RMA, credit-note and debit-note numbers (SPEC "Numbers").

One counter row per kind and Seoul year, locked with SELECT … FOR UPDATE inside the caller's
transaction: concurrent submissions queue on the row, so numbers are unique, and a rolled-back
transaction gives its number back, so credit and debit notes stay gapless. RMA numbers are
never reused because the counter only moves forward.
"""

from django.db import IntegrityError, transaction

from warranty.selectors import seoul_today

from .models import NumberSequence

FORMATS = {
    "RMA": "RMA-{year}-{n:06d}",
    "CN": "CN-{year}-{n:05d}",
    "DN": "DN-{year}-{n:05d}",
}


def next_number(kind: str) -> str:
    """The next number of ``kind``; call inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that stores the number")
    year = seoul_today().year
    sequence = NumberSequence.objects.select_for_update().filter(kind=kind, year=year).first()
    if sequence is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(kind=kind, year=year, last=0)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs
        sequence = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return FORMATS[kind].format(year=year, n=sequence.last)
