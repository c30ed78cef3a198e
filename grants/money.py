"""Money as stored (Decimal, 18 digits, 2 places) and as people type it. The rules
of an agreement's totals are the ledger's (grants/ledger.py)."""

import re
from decimal import Decimal

MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 2
MONEY_LIMIT = Decimal("9999999999999999.99")


class AmountError(ValueError):
    """A typed amount that cannot be read, or that reads two ways; `readings` holds
    both readings of an ambiguous one."""

    def __init__(
        self, text: str, readings: tuple[Decimal, ...] = (), decimal: str | None = None
    ):
        super().__init__(text)
        self.text = text
        self.readings = readings
        # The decimal separator the amount was read with, when one was given.
        self.decimal = decimal


SEPARATORS = ".,"
# Spaces people and spreadsheets put between groups of digits.
SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009"), None)
AMOUNT_RE = re.compile(r"[+-]?[0-9][0-9.,]*")
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


def parse_amount(text: str, decimal: str | None = None) -> Decimal:
    """An amount as typed in either convention: 92,5 / 92.500.000,00 / 92500000 or
    92.5 / 92,500,000.00. The separator that comes last and once is the decimal one;
    any other separates groups of three digits. A single separator followed by exactly
    three digits (92.500, 92,500) reads one way in Spanish and another in English, so
    it is refused (AmountError with both readings) rather than guessed.

    With `decimal` ("," or ".": the convention of a whole file, found by
    `decimal_evidence` over its cells) the amount must be written in that convention,
    and 92.500 is then read by it; anything else is refused."""
    body = text.translate(SPACES).translate(MINUS_SIGNS)
    if not AMOUNT_RE.fullmatch(body) or body[-1] in SEPARATORS:
        raise AmountError(text, decimal=decimal)
    sign = ""
    if body[0] in "+-":
        sign, body = ("-" if body[0] == "-" else ""), body[1:]
    if decimal is not None:
        return Decimal(sign + read_in_convention(text, body, decimal))
    used = [c for c in body if c in SEPARATORS]
    if not used:
        return Decimal(sign + body)
    last = used[-1]
    if len(set(used)) == 2 or used.count(last) == 1:
        integer, fraction = body.rsplit(last, 1)
        group = "," if last == "." else "."
        if last in integer or not grouped(integer, group):
            raise AmountError(text)
        if (
            len(used) == 1
            and len(fraction) == 3
            and len(integer) <= 3
            and not integer.startswith("0")
        ):
            raise AmountError(
                text,
                readings=(
                    Decimal(sign + integer + fraction),
                    Decimal(f"{sign}{integer}.{fraction}"),
                ),
            )
        return Decimal(f"{sign}{integer.replace(group, '')}.{fraction}")
    # One kind of separator, several times: it can only separate groups.
    if not grouped(body, last):
        raise AmountError(text)
    return Decimal(sign + body.replace(last, ""))


def grouped(digits: str, separator: str) -> bool:
    """Whether `digits` are plain, or grouped by `separator` in threes (1.234.567)."""
    if separator not in digits:
        return digits.isdigit()
    first, *rest = digits.split(separator)
    return (
        1 <= len(first) <= 3
        and first.isdigit()
        and all(len(part) == 3 and part.isdigit() for part in rest)
    )


def read_in_convention(text: str, body: str, decimal: str) -> str:
    """`body` (digits and separators, no sign) read with `decimal` as the decimal
    separator and the other one as the thousands separator, as a plain number."""
    group = "," if decimal == "." else "."
    integer, _, fraction = body.partition(decimal)
    if decimal in fraction or group in fraction or not grouped(integer, group):
        raise AmountError(text, decimal=decimal)
    integer = integer.replace(group, "")
    return f"{integer}.{fraction}" if fraction else integer


def decimal_evidence(text: str) -> str | None:
    """The decimal separator `text` shows it was written with: "," when it reads in
    the decimal-comma convention only (92,5 / 1.234.567), "." when in the
    decimal-point one only, None when it reads in both (92500, 92.500) or in neither:
    what a file's cells say of its convention."""
    readable = []
    for decimal in SEPARATORS:
        try:
            parse_amount(str(text), decimal)
        except AmountError:
            continue
        readable.append(decimal)
    return readable[0] if len(readable) == 1 else None
