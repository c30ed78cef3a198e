"""Numbers, money and periods written for the reader's language (202.9 / 202,9)."""

import functools
from decimal import ROUND_DOWN, Decimal

from django.contrib.humanize.templatetags.humanize import intword
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

NOTHING = "—"


def money(value):
    """Money with two decimals and grouping: 202,900,000.00 / 202.900.000,00."""
    if value is None:
        return NOTHING
    return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def money_words(value):
    """Money in words for the reader's language: 202.9 million / 202,9 millones."""
    if value is None:
        return NOTHING
    if abs(value) < 1_000_000:
        return money(value)
    return intword(value)


def signed_under_text(summary) -> str:
    """What a framework holds, from `AgreementQuerySet.signed_under`: "3 agreements,
    USD 202.9 million" (one amount per currency: "…, USD 5 million and EUR 2
    million")."""
    amounts = [
        f"{currency} {money_words(total)}" for currency, total in summary["totals"]
    ]
    count = summary["agreements"]
    return ngettext(
        "%(count)s agreement, %(amounts)s",
        "%(count)s agreements, %(amounts)s",
        count,
    ) % {"count": count, "amounts": _(" and ").join(amounts)}


def reconciliation(*, stated: int, differing: int):
    """The one wording of reconciliation, in the three states of the legend under
    every table that shows it (templates/grants/includes/reconciliation_legend.html):
    nothing stated, ✓ reconciled, ⚠ differs. `stated` and `differing` count the
    amendments that state a cumulative total and those whose total differs from the
    computed running total (the ledger's figures): an agreement's, or one amendment's
    (see `reconciled`)."""
    if not stated:
        return _("nothing stated")
    if differing:
        return format_html(
            '<span class="flag">⚠ {}</span>',
            ngettext(
                "differs from the computed total",
                "%(n)d stated totals differ from the computed totals",
                differing,
            )
            % {"n": differing},
        )
    return format_html('<span class="ok">✓ {}</span>', _("reconciled"))


def reconciled(value: bool | None):
    """One amendment's reconciliation from its `reconciled` figure (None: it states no
    total; True/False: the stated total equals the running total or not)."""
    return reconciliation(stated=value is not None, differing=value is False)


def unreconciled_sentence(count: int) -> str:
    """The agreement page's warning over its amendments table, in the same words."""
    return ngettext(
        "One amendment states a cumulative total that differs from the computed "
        "running total.",
        "%(counter)s amendments state a cumulative total that differs from the "
        "computed running total.",
        count,
    ) % {"counter": count}


def share_text(value):
    """A share in percent to one decimal, rounded down so that 99.96 % of a
    commitment is never shown as all of it: 68.4 % / 68,4 %."""
    if value is None:
        return NOTHING
    value = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)}\u00a0%"


def quantity(value):
    """A measured value without trailing zeros, grouped: 87,000 / 87.000; 97.5 / 97,5."""
    if value is None:
        return NOTHING
    value = Decimal(value).normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return number_format(value, use_l10n=True, force_grouping=True)


def reported(value):
    """A result's actual value, or that it is not reported yet (a period with only
    its target, `Result.is_reported`)."""
    if value is None:
        return _("not reported yet")
    return quantity(value)


def period(start, end):
    """A period as years when it covers whole years ("2018–2022"), else as dates."""
    return _period(start, end, get_language())


@functools.lru_cache(maxsize=4096)
def _period(start, end, language):
    # Remembered per language: a page of results repeats the same few periods, and
    # formatting two dates costs more than the rest of a table cell.
    if start is None and end is None:
        return NOTHING
    if (
        start is not None
        and end is not None
        and (start.month, start.day) == (1, 1)
        and (end.month, end.day) == (12, 31)
    ):
        if start.year == end.year:
            return str(start.year)
        return f"{start.year}–{end.year}"
    first = date_format(start, "DATE_FORMAT") if start else "…"
    last = date_format(end, "DATE_FORMAT") if end else "…"
    return f"{first} – {last}"
