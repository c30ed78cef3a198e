"""Money rules shared by models, forms and reports: Decimal, 18 digits, 2 places."""

from collections.abc import Iterable
from decimal import Decimal

MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 2
MONEY_LIMIT = Decimal("9999999999999999.99")


def running_totals(rows: Iterable[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """(sequence, amount) rows in any order -> (sequence, running total) in sequence order."""
    total = Decimal("0.00")
    result = []
    for sequence, amount in sorted(rows, key=lambda row: row[0]):
        total += amount
        result.append((sequence, total))
    return result
