"""The ledger: every money rule of an agreement, in one module.

The figures, over every amendment and over the published ones only:
- an amendment's running total: the sum of its agreement's amounts up to and including
  it, in sequence order (for a draft, the public running total is the public total as
  it stands at that point, its own amount not counted);
- an agreement's total (the last running total), how many of its amendments state a
  cumulative total, and how many of those differ from the running total (they are
  "unreconciled");
- what was paid out: an agreement's disbursed total (paid by the donor), its spent
  total (expenditure by the implementer), how many payments it has, and the share of
  the committed total disbursed (in percent, rounded down to the cent of a percent;
  None when nothing is committed or no disbursement is recorded).

The rule: no running total may fall below zero, public or not. A de-obligation takes
back money obligated before it; the public must never see a negative total. The same
holds for the disbursed and the spent totals in date order: a reimbursement returns
money paid before it. More disbursed than committed is allowed (the source may say so)
and shown as such.

One exception, for one reason only: an agreement marked "earlier transactions not
published by the source" (`Agreement.earlier_transactions_unpublished`, set by the IATI
import when a publisher's file starts mid-agreement, as USAID's do) may have running,
disbursed and spent totals below zero: they are the net change since the first
published transaction, not the agreement's value. `check(..., opening_unknown=True)`
is that exception; the database's check constraints make the same one.

The figures are stored on the rows (`FIGURES`) and written by this module alone, inside
the transaction of the write that changes them, with the agreement rows locked:
`Amendment.save()`, `delete()` and the amendment QuerySet's `update()`, `delete()` and
`bulk_create()` call it, so every path (admin, publication, imports, seed, demo) keeps
them true. `check()` applies the rule to amendments as a form or an import would leave
them, before anything is written, with a message that says what to do. The database
refuses negative figures too (check constraints), and `manage.py check_ledger`
recomputes every stored figure here, in Python, from the amounts, to prove the stored
ones (written by one SQL statement, `write_figures`) equal them.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils.translation import gettext as _

from .formatting import money

ZERO = Decimal("0.00")
# Agreements read, locked or written per statement.
CHUNK = 2000

# The stored figures of each model, written only by this module.
FIGURES = {
    "agreement": (
        "total",
        "public_total",
        "stated_count",
        "public_stated_count",
        "unreconciled_count",
        "public_unreconciled_count",
        "disbursed",
        "public_disbursed",
        "spent",
        "public_spent",
        "disbursement_count",
        "public_disbursement_count",
        "disbursed_share",
        "public_disbursed_share",
    ),
    "amendment": ("running_total", "public_running_total"),
    "disbursement": (),
}
# The fields of each model the figures are computed from: a write that changes one
# of them recomputes the agreement's figures.
INPUTS = {
    "amendment": frozenset(
        {"agreement", "agreement_id", "sequence", "amount", "publication"}
        | {"stated_cumulative_total"}
    ),
    "disbursement": frozenset(
        {"agreement", "agreement_id", "kind", "date", "amount", "publication"}
    ),
}
# Payment kinds, as stored (grants.models.DisbursementKind).
DISBURSEMENT, EXPENDITURE = "disbursement", "expenditure"


def figure(name: str, *, include_drafts: bool) -> str:
    """The stored field of a figure as a viewer sees it: over the published amendments
    for the public (`public_total`), over all of them for staff (`total`)."""
    return name if include_drafts else f"public_{name}"


@dataclass(frozen=True)
class Entry:
    """One amendment as the rule sees it."""

    sequence: int
    amount: Decimal
    published: bool
    stated: Decimal | None = None
    key: object = None


@dataclass(frozen=True)
class Payment:
    """One disbursement or expenditure as the rule sees it."""

    kind: str
    date: object
    amount: Decimal
    published: bool
    key: object = None


@dataclass(frozen=True)
class Line:
    """The figures of one amendment."""

    running_total: Decimal
    public_running_total: Decimal
    reconciled: bool | None
    public_reconciled: bool | None


@dataclass(frozen=True)
class Totals:
    """The figures of one agreement."""

    total: Decimal = ZERO
    public_total: Decimal = ZERO
    stated_count: int = 0
    public_stated_count: int = 0
    unreconciled_count: int = 0
    public_unreconciled_count: int = 0
    disbursed: Decimal = ZERO
    public_disbursed: Decimal = ZERO
    spent: Decimal = ZERO
    public_spent: Decimal = ZERO
    disbursement_count: int = 0
    public_disbursement_count: int = 0
    disbursed_share: Decimal | None = None
    public_disbursed_share: Decimal | None = None

    @property
    def over_disbursed(self) -> bool:
        return self.disbursed > self.total

    @property
    def public_over_disbursed(self) -> bool:
        return self.public_disbursed > self.public_total


def share(disbursed: Decimal, committed: Decimal) -> Decimal:
    """`disbursed` as a percentage of `committed` (> 0), rounded down to two places,
    in whole cents as the database computes it (write_scope)."""
    basis_points = int(disbursed * 100) * 10000 // int(committed * 100)
    return (Decimal(basis_points) / 100).quantize(Decimal("0.01"))


def payment_order(payment: Payment):
    """Date order; on one date, stored payments by id, then new ones."""
    return (payment.date, payment.key is None, payment.key or 0)


@dataclass(frozen=True)
class Book:
    lines: list[tuple[Entry, Line]]
    totals: Totals
    payments: tuple[Payment, ...] = ()

    def first_negative_payment(self, *, public: bool) -> tuple[Payment, Decimal] | None:
        """The first payment after which a kind's total (public or not) is below
        zero, in date order, with that total."""
        totals = {DISBURSEMENT: ZERO, EXPENDITURE: ZERO}
        for payment in sorted(self.payments, key=payment_order):
            if public and not payment.published:
                continue
            totals[payment.kind] += payment.amount
            if totals[payment.kind] < 0:
                return payment, totals[payment.kind]
        return None

    def first_negative(self, *, public: bool) -> tuple[Entry, Decimal] | None:
        """The first amendment whose running total (public or not) is below zero,
        with that total."""
        for entry, line in self.lines:
            value = line.public_running_total if public else line.running_total
            if value < 0:
                return entry, value
        return None


def compute(entries: Iterable[Entry], payments: Iterable[Payment] = ()) -> Book:
    """The figures of one agreement's amendments, in sequence order, and of its
    payments."""
    total = public_total = ZERO
    lines = []
    stated = public_stated = unreconciled = public_unreconciled = 0
    for entry in sorted(entries, key=lambda e: e.sequence):
        total += entry.amount
        if entry.published:
            public_total += entry.amount
        reconciled = public_reconciled = None
        if entry.stated is not None:
            stated += 1
            reconciled = entry.stated == total
            unreconciled += not reconciled
            if entry.published:
                public_stated += 1
                public_reconciled = entry.stated == public_total
                public_unreconciled += not public_reconciled
        lines.append((entry, Line(total, public_total, reconciled, public_reconciled)))
    payments = tuple(payments)
    paid = {
        (kind, public): ZERO
        for kind in (DISBURSEMENT, EXPENDITURE)
        for public in (False, True)
    }
    disbursements = {False: 0, True: 0}
    for payment in payments:
        for public in (False, True):
            if public and not payment.published:
                continue
            paid[payment.kind, public] += payment.amount
            disbursements[public] += payment.kind == DISBURSEMENT

    def shown_share(public):
        committed = public_total if public else total
        if committed <= 0 or not disbursements[public]:
            return None
        return share(paid[DISBURSEMENT, public], committed)

    return Book(
        lines=lines,
        totals=Totals(
            total=total,
            public_total=public_total,
            stated_count=stated,
            public_stated_count=public_stated,
            unreconciled_count=unreconciled,
            public_unreconciled_count=public_unreconciled,
            disbursed=paid[DISBURSEMENT, False],
            public_disbursed=paid[DISBURSEMENT, True],
            spent=paid[EXPENDITURE, False],
            public_spent=paid[EXPENDITURE, True],
            disbursement_count=len(payments),
            public_disbursement_count=sum(p.published for p in payments),
            disbursed_share=shown_share(False),
            public_disbursed_share=shown_share(True),
        ),
        payments=payments,
    )


def check(
    entries: Iterable[Entry],
    *,
    currency: str = "",
    payments: Iterable[Payment] = (),
    opening_unknown: bool = False,
) -> Book:
    """The figures of `entries` and `payments`, or a ValidationError saying where a
    running total would fall below zero and what to publish or unpublish first.
    With `opening_unknown` (earlier transactions not published by the source) the
    totals may be below zero: nothing is refused."""
    entries = list(entries)
    book = compute(entries, payments)
    if opening_unknown:
        return book
    if found := book.first_negative(public=False):
        negative, total = found
        raise ValidationError(
            _(
                "The running total would fall below zero at amendment #%(sequence)s "
                "(%(total)s): an agreement cannot de-obligate more than was obligated "
                "before."
            ),
            code="negative_running_total",
            params={
                "sequence": negative.sequence,
                "total": amount_text(total, currency),
            },
        )
    if found := book.first_negative(public=True):
        negative, total = found
        upto = [e for e in entries if e.sequence <= negative.sequence]
        drafts = [e for e in upto if not e.published and e.amount > 0]
        takebacks = [e for e in upto if e.published and e.amount < 0]
        raise ValidationError(
            _(
                "The public running total would fall below zero at amendment "
                "#%(sequence)s (%(total)s), and the public must never see a negative "
                "total. %(remedy)s"
            ),
            code="negative_public_running_total",
            params={
                "sequence": negative.sequence,
                "total": amount_text(total, currency),
                "remedy": remedy(drafts, takebacks),
            },
        )
    check_payments(book, currency=currency)
    return book


def check_payments(book: Book, *, currency: str) -> None:
    if found := book.first_negative_payment(public=False):
        payment, total = found
        message = (
            _(
                "The disbursed total would fall below zero on %(date)s (%(total)s): a "
                "reimbursement cannot return more than was disbursed before it."
            )
            if payment.kind == DISBURSEMENT
            else _(
                "The spent total would fall below zero on %(date)s (%(total)s): a "
                "correction cannot take back more than was spent before it."
            )
        )
        raise ValidationError(
            message,
            code="negative_paid_total",
            params={"date": payment.date, "total": amount_text(total, currency)},
        )
    if found := book.first_negative_payment(public=True):
        payment, total = found
        raise ValidationError(
            _(
                "The public %(kind)s total would fall below zero on %(date)s "
                "(%(total)s), and the public must never see a negative total. Publish "
                "the payments before it first or in the same step, or unpublish the "
                "reimbursement first."
            ),
            code="negative_public_paid_total",
            params={
                "kind": _("disbursed") if payment.kind == DISBURSEMENT else _("spent"),
                "date": payment.date,
                "total": amount_text(total, currency),
            },
        )


def remedy(drafts: list[Entry], takebacks: list[Entry]) -> str:
    numbers = lambda entries: ", ".join(f"#{e.sequence}" for e in entries)  # noqa: E731
    if drafts and takebacks:
        return _(
            "Publish the obligations before it (%(drafts)s) first or in the same "
            "step, or unpublish the de-obligations (%(takebacks)s) first."
        ) % {"drafts": numbers(drafts), "takebacks": numbers(takebacks)}
    return _("Unpublish the de-obligations (%(takebacks)s) first.") % {
        "takebacks": numbers(takebacks)
    }


def amount_text(value: Decimal, currency: str) -> str:
    return f"{currency} {money(value)}".strip()


def check_changes(
    agreement,
    *,
    entries=(),
    removed=(),
    publish_drafts=False,
    payments=(),
    removed_payments=(),
) -> Book:
    """The rule over `agreement`'s amendments and payments as a form, an import or an
    action would leave them, before anything is written: the stored rows, with
    `entries` (`payments`) in place of the stored ones with the same key (new ones
    have none), without the keys in `removed` (`removed_payments`), and every row
    published when `publish_drafts`."""
    stored, stored_paid = [], []
    if agreement.pk is not None:
        stored = stored_entries([agreement.pk])[agreement.pk]
        stored_paid = stored_payments([agreement.pk])[agreement.pk]
    rows = merged(stored, entries, removed)
    paid = merged(stored_paid, payments, removed_payments)
    if publish_drafts:
        rows = [replace(e, published=True) for e in rows]
        paid = [replace(p, published=True) for p in paid]
    return check(
        rows,
        currency=agreement.currency or "",
        payments=paid,
        opening_unknown=agreement.earlier_transactions_unpublished,
    )


def merged(stored, changed, removed):
    changed = list(changed)
    replaced = {row.key for row in changed if row.key is not None} | set(removed)
    return [row for row in stored if row.key not in replaced] + changed


# Writing the stored figures --------------------------------------------------------

# Agreement ids whose figures wait for the end of a `batch()`; None outside one.
_pending: ContextVar[set | None] = ContextVar("ledger_pending", default=None)


def database(using=None) -> str:
    from .models import Amendment

    return using or router.db_for_write(Amendment)


def lock(agreement_ids: Iterable[int], *, using=None) -> None:
    """Lock the agreements' rows until the transaction ends (PostgreSQL; SQLite has
    one writer at a time anyway), in id order so two writers never deadlock."""
    from .models import Agreement

    ids = sorted({pk for pk in agreement_ids if pk is not None})
    if ids and connections[database(using)].features.has_select_for_update:
        list(
            Agreement._base_manager.using(database(using))
            .select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def after_write(agreement_ids: Iterable[int], *, using=None) -> None:
    """Called by every write of amendments, inside its transaction and after the
    agreements were locked: checks the rule and stores the figures now, or at the end
    of the current `batch()`."""
    ids = {pk for pk in agreement_ids if pk is not None}
    pending = _pending.get()
    if pending is not None:
        pending.update(ids)
        return
    recompute(ids, using=using, locked=True)


@contextmanager
def batch(*, using=None):
    """Several writes to amendments checked and recomputed once, at the end, in one
    transaction: publishing an agreement's drafts together may pass through a state
    the rule refuses (a de-obligation published before the obligation it reduces)
    although the whole step is right. All or nothing."""
    if _pending.get() is not None:
        yield
        return
    pending: set[int] = set()
    with transaction.atomic(using=database(using)):
        token = _pending.set(pending)
        try:
            yield
        finally:
            _pending.reset(token)
        # Every write that added to `pending` locked its agreements (after_write).
        recompute(pending, using=using, locked=True)


def stored_payments(agreement_ids, *, using=None) -> dict[int, list[Payment]]:
    from .models import Disbursement
    from .workflow import is_public_state

    payments: dict[int, list[Payment]] = {pk: [] for pk in agreement_ids}
    rows = (
        Disbursement._base_manager.using(database(using))
        .filter(agreement_id__in=list(agreement_ids))
        .order_by("agreement_id", "date", "pk")
        .values_list("agreement_id", "pk", "kind", "date", "amount", "publication")
    )
    for agreement_id, pk, kind, date, amount, publication in rows:
        payments[agreement_id].append(
            Payment(
                kind=kind,
                date=date,
                amount=amount,
                published=is_public_state(publication),
                key=pk,
            )
        )
    return payments


def stored_entries(agreement_ids, *, using=None) -> dict[int, list[Entry]]:
    from .models import Amendment
    from .workflow import is_public_state

    entries: dict[int, list[Entry]] = {pk: [] for pk in agreement_ids}
    rows = (
        Amendment._base_manager.using(database(using))
        .filter(agreement_id__in=list(agreement_ids))
        .order_by("agreement_id", "sequence")
        .values_list(
            "agreement_id",
            "pk",
            "sequence",
            "amount",
            "publication",
            "stated_cumulative_total",
        )
    )
    for agreement_id, pk, sequence, amount, publication, stated in rows:
        entries[agreement_id].append(
            Entry(
                sequence=sequence,
                amount=amount,
                published=is_public_state(publication),
                stated=stated,
                key=pk,
            )
        )
    return entries


def recompute(agreement_ids: Iterable[int], *, using=None, locked=False) -> None:
    """Check the rule over the agreements' stored amendments (ValidationError, and
    the caller's transaction rolls back) and store their figures. The agreement rows
    are locked first, unless the caller has `locked` them already."""
    from .models import Agreement

    ids = sorted({pk for pk in agreement_ids if pk is not None})
    with transaction.atomic(using=database(using)):
        for part in chunks(ids):
            if not locked:
                lock(part, using=using)
            agreements = {
                pk: (currency, opening_unknown)
                for pk, currency, opening_unknown in Agreement._base_manager.using(
                    database(using)
                )
                .filter(pk__in=part)
                .values_list("pk", "currency", "earlier_transactions_unpublished")
            }
            paid = stored_payments(part, using=using)
            for agreement_id, entries in stored_entries(part, using=using).items():
                currency, opening_unknown = agreements.get(agreement_id, ("", False))
                check(
                    entries,
                    currency=currency,
                    payments=paid[agreement_id],
                    opening_unknown=opening_unknown,
                )
            write_figures(part, using=using)


def chunks(ids: list, size: int = CHUNK):
    """Parts of a list of ids small enough for one `IN (...)` (SQLite takes at most
    32,766 parameters)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def recompute_all(*, using=None) -> None:
    """`recompute()` for every agreement, in one transaction."""
    from .models import Agreement

    recompute(
        Agreement._base_manager.using(database(using)).values_list("pk", flat=True),
        using=using,
    )


def write_figures(agreement_ids: Iterable[int] | None = None, *, using=None) -> None:
    """Store the figures of the agreements (every one when None) and of their
    amendments, computed by the database from the amounts in three statements: this is
    how bulk loads (generate_demo, bulk_create) are kept true at any size. The check
    constraints refuse a negative figure (IntegrityError): use `recompute()` where a
    person should get a message instead."""
    from .cache import bump_tables
    from .models import Agreement, Amendment, Disbursement

    alias = database(using)
    with transaction.atomic(using=alias):
        if agreement_ids is None:
            write_scope(None, using=alias)
        else:
            for part in chunks(sorted(set(agreement_ids))):
                write_scope(part, using=alias)
        # Stored figures changed: what was read from these tables is stale from the
        # commit on (bulk inserts and queryset updates of amendments and payments,
        # which call this, send no signal that would say so).
        bump_tables(
            [model._meta.db_table for model in (Agreement, Amendment, Disbursement)],
            using=alias,
        )


def write_scope(ids: list | None, *, using) -> None:
    """The statements of `write_figures`, for `ids` (every agreement when None)."""
    from .models import Agreement, Amendment
    from .workflow import PUBLIC_STATE

    alias = using
    connection = connections[alias]
    quote = connection.ops.quote_name
    amendments = quote(Amendment._meta.db_table)
    agreements = quote(Agreement._meta.db_table)
    if ids == []:
        return
    published = PUBLIC_STATE

    def scope(column):
        if ids is None:
            return "", []
        return f" WHERE {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)

    if connection.vendor == "sqlite":
        # SQLite sums decimals as floating point: 0.30 - 0.10 - 0.20 would be
        # slightly negative. Whole cents add up exactly.
        def total(expression, window=""):
            return (
                f"(SUM(CAST(ROUND(({expression}) * 100) AS INTEGER)) {window} / 100.0)"
            )
    else:

        def total(expression, window=""):
            return f"SUM({expression}) {window}"

    public_amount = "CASE WHEN m.publication = %s THEN m.amount ELSE 0 END"
    where, params = scope("m.agreement_id")
    window = (
        "OVER (PARTITION BY m.agreement_id ORDER BY m.sequence "
        "ROWS UNBOUNDED PRECEDING)"
    )
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # Each amendment also gets its agreement's "earlier transactions not
        # published" flag (opening_unknown), which its check constraint reads.
        cursor.execute(
            f"UPDATE {amendments} SET running_total = figures.running_total, "
            "public_running_total = figures.public_running_total, "
            "opening_unknown = figures.opening_unknown "
            f"FROM (SELECT m.id AS id, {total('m.amount', window)} AS running_total, "
            f"{total(public_amount, window)} AS public_running_total, "
            "a.earlier_transactions_unpublished AS opening_unknown "
            f"FROM {amendments} AS m JOIN {agreements} AS a "
            f"ON a.id = m.agreement_id{where}) AS figures "
            f"WHERE {amendments}.id = figures.id "
            f"AND ({amendments}.running_total <> figures.running_total "
            f"OR {amendments}.public_running_total <> figures.public_running_total "
            f"OR {amendments}.opening_unknown <> figures.opening_unknown)",
            [published, *params],
        )
        where, params = scope("agreement.id")
        stated = "m.stated_cumulative_total IS NOT NULL"
        is_public = "m.publication = %s"
        count = "SUM(CASE WHEN {} THEN 1 ELSE 0 END)"
        cursor.execute(
            f"UPDATE {agreements} SET total = figures.total, "
            "public_total = figures.public_total, "
            "stated_count = figures.stated_count, "
            "public_stated_count = figures.public_stated_count, "
            "unreconciled_count = figures.unreconciled_count, "
            "public_unreconciled_count = figures.public_unreconciled_count "
            "FROM (SELECT agreement.id AS id, "
            f"COALESCE({total('m.amount')}, 0) AS total, "
            f"COALESCE({total(f'CASE WHEN {is_public} THEN m.amount ELSE 0 END')}, 0)"
            " AS public_total, "
            f"COALESCE({count.format(stated)}, 0) AS stated_count, "
            f"COALESCE({count.format(f'{stated} AND {is_public}')}, 0)"
            " AS public_stated_count, "
            f"COALESCE({count.format(f'{stated} AND m.stated_cumulative_total <> m.running_total')}, 0)"
            " AS unreconciled_count, "
            f"COALESCE({count.format(f'{stated} AND {is_public} AND m.stated_cumulative_total <> m.public_running_total')}, 0)"
            " AS public_unreconciled_count "
            f"FROM {agreements} AS agreement LEFT JOIN {amendments} AS m "
            f"ON m.agreement_id = agreement.id{where} GROUP BY agreement.id) AS figures "
            f"WHERE {agreements}.id = figures.id",
            [published, published, published, *params],
        )
        write_payment_figures(cursor, where, params, total, connection=connection)


def write_payment_figures(cursor, where, params, total, *, connection):
    """The third statement: the paid totals, and the share of the committed total
    (just stored by the second) that was disbursed, in whole cents as `share()`."""
    from .models import Agreement, Disbursement
    from .workflow import PUBLIC_STATE

    quote = connection.ops.quote_name
    agreements = quote(Agreement._meta.db_table)
    payments = quote(Disbursement._meta.db_table)
    published = PUBLIC_STATE
    if connection.vendor == "sqlite":

        def percent(paid, committed):
            cents = "CAST(ROUND(({}) * 100) AS INTEGER)"
            return f"({cents.format(paid)} * 10000 / {cents.format(committed)}) / 100.0"
    else:

        def percent(paid, committed):
            return f"DIV(({paid}) * 1000000, ({committed}) * 100) / 100.0"

    def paid(kind, *, public):
        condition = "p.kind = %s" + (" AND p.publication = %s" if public else "")
        values = [kind, published] if public else [kind]
        return (
            f"COALESCE({total(f'CASE WHEN {condition} THEN p.amount ELSE 0 END')}, 0)",
            values,
        )

    def rows(condition, values):
        return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)", values

    columns = {
        "disbursed": paid(DISBURSEMENT, public=False),
        "public_disbursed": paid(DISBURSEMENT, public=True),
        "spent": paid(EXPENDITURE, public=False),
        "public_spent": paid(EXPENDITURE, public=True),
        "disbursement_count": ("COUNT(p.id)", []),
        "public_disbursement_count": rows("p.publication = %s", [published]),
        "disbursement_rows": rows("p.kind = %s", [DISBURSEMENT]),
        "public_disbursement_rows": rows(
            "p.kind = %s AND p.publication = %s", [DISBURSEMENT, published]
        ),
    }
    select = ", ".join(f"{sql} AS {name}" for name, (sql, _v) in columns.items())
    select_params = [value for _sql, values in columns.values() for value in values]

    def shown_share(prefix):
        committed = f"{agreements}.{prefix}total"
        return (
            f"CASE WHEN {committed} > 0 AND figures.{prefix}disbursement_rows > 0 "
            f"THEN {percent(f'figures.{prefix}disbursed', committed)} END"
        )

    cursor.execute(
        f"UPDATE {agreements} SET disbursed = figures.disbursed, "
        "public_disbursed = figures.public_disbursed, "
        "spent = figures.spent, public_spent = figures.public_spent, "
        "disbursement_count = figures.disbursement_count, "
        "public_disbursement_count = figures.public_disbursement_count, "
        f"disbursed_share = {shown_share('')}, "
        f"public_disbursed_share = {shown_share('public_')} "
        f"FROM (SELECT agreement.id AS id, {select} "
        f"FROM {agreements} AS agreement LEFT JOIN {payments} AS p "
        f"ON p.agreement_id = agreement.id{where} GROUP BY agreement.id) AS figures "
        f"WHERE {agreements}.id = figures.id",
        [*select_params, *params],
    )


# Proving the stored figures ----------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    model: str
    key: str
    field: str
    stored: object
    computed: object

    def __str__(self):
        return (
            f"{self.model} {self.key}: {self.field} is {self.stored}, "
            f"the amounts give {self.computed}"
        )


def differences(*, using=None, chunk=CHUNK) -> Iterable[Difference]:
    """Every stored figure that differs from a recomputation from the amounts, in
    Python (so a figure changed or an amount edited by hand in SQL is caught)."""
    from .models import Agreement, Amendment

    alias = database(using)
    stored_lines = {}
    agreements = Agreement._base_manager.using(alias).order_by("pk")
    ids = list(agreements.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for pk, *values in (
            Amendment._base_manager.using(alias)
            .filter(agreement_id__in=part)
            .values_list("pk", *FIGURES["amendment"])
        ):
            stored_lines[pk] = values
        entries = stored_entries(part, using=alias)
        paid = stored_payments(part, using=alias)
        rows = agreements.filter(pk__in=part).values_list(
            "pk", "code", *FIGURES["agreement"]
        )
        for pk, code, *stored_totals in rows:
            book = compute(entries[pk], paid[pk])
            for entry, line in book.lines:
                computed = (line.running_total, line.public_running_total)
                for name, stored, value in zip(
                    FIGURES["amendment"],
                    stored_lines.pop(entry.key),
                    computed,
                    strict=True,
                ):
                    if stored != value:
                        yield Difference(
                            "amendment",
                            f"{code} #{entry.sequence}",
                            name,
                            stored,
                            value,
                        )
            for name, stored in zip(FIGURES["agreement"], stored_totals, strict=True):
                value = getattr(book.totals, name)
                if stored != value:
                    yield Difference("agreement", code, name, stored, value)
