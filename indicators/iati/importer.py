"""Import IATI activity files: activities become draft agreements.

Four steps per activity, each on its own:
1. parse (parse.py): the element into typed records, no database;
2. map: the records onto the record's rules (which organisation is which, whether
   the file starts mid-agreement, what a re-import may change);
3. write: in one transaction (a savepoint) per activity, all of it or none;
4. report: what was created, changed, left alone and why (`ActivityReport`).

Real files are untidy, so nothing real is skipped: an activity is imported whole
unless the file itself cannot be read for it (no identifier, an unreadable
commitment, commitments in several currencies), and the report says why. Parts that
cannot be kept (a budget without dates, a result value such as "Yes", a country code
not in the codelist) are left out and listed in the activity's notes.

The review rule: a re-import never changes a published agreement, amendment,
disbursement or indicator, nor a submitted or approved result; it lists what it left
alone and why. Everything it writes carries the reason "IATI import of <file>,
<date>" in the history.
Re-importing updates the agreement with the same IATI identifier, never duplicates it.
"""

import hashlib
import logging
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django_countries import countries as country_codes
from lxml import etree
from simple_history.utils import bulk_create_with_history

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import languages, ledger
from grants.cache import bump_public_version
from grants.models import (
    CODE_RE,
    Agreement,
    AgreementKind,
    AgreementSector,
    Amendment,
    Budget,
    BudgetStatus,
    BudgetType,
    Disbursement,
    Organization,
    OrganizationKind,
    Participation,
    ProgramArea,
    PublicationState,
    RecipientArea,
    SourceDocument,
    paid_by_now,
)
from grants.money import MONEY_LIMIT
from indicators.models import (
    Aggregation,
    Direction,
    Indicator,
    Measure,
    Result,
    ResultStatus,
    ResultType,
    Unit,
)

from . import codelists
from .parse import (  # noqa: F401 (parse_decimal: part of this module's API)
    ActivityRecord,
    OrgRecord,
    parse_activity,
    parse_decimal,
)

logger = logging.getLogger(__name__)

TWO_PLACES = Decimal("0.01")
IMPORTED_AREA_CODE = "imported-from-iati"
REVIEWED_RESULTS = (ResultStatus.SUBMITTED, ResultStatus.APPROVED)


class SkipActivity(Exception):
    """The activity cannot be imported whole; the message says why."""


# Labels for the admin page; the codes stay English in the command's output.
OUTCOME_LABELS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "left alone": gettext_lazy("left alone"),
    "skipped": gettext_lazy("skipped"),
}
CREATED_LABELS = {
    "organizations": gettext_lazy("organizations"),
    "participants": gettext_lazy("participants"),
    "program areas": gettext_lazy("program areas"),
    "source documents": gettext_lazy("source documents"),
    "amendments": gettext_lazy("amendments"),
    "disbursements": gettext_lazy("disbursements"),
    "budgets": gettext_lazy("budgets"),
    "indicators": gettext_lazy("indicators"),
    "results": gettext_lazy("results"),
}


@dataclass
class ActivityReport:
    identifier: str
    outcome: str = ""  # created, updated, unchanged, left alone or skipped
    reason: str = ""
    agreement_code: str = ""
    created: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    # What the review rule kept from the file's version, and why.
    left_alone: list[str] = field(default_factory=list)
    # Organisations whose reference another organisation (with another name) holds.
    conflicts: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.outcome == "skipped"

    @property
    def created_summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()))

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))

    @property
    def created_label(self) -> str:
        return ", ".join(
            f"{n} {CREATED_LABELS.get(what, what)}"
            for what, n in sorted(self.created.items())
        )

    def lines(self) -> list[str]:
        if self.skipped:
            head = f"{self.identifier or '(no identifier)'}: skipped: {self.reason}"
        elif self.outcome == "left alone":
            head = f"{self.identifier}: left alone: {self.reason}"
        else:
            head = (
                f"{self.identifier}: {self.outcome} as agreement {self.agreement_code}"
            )
            if self.created:
                head += f" ({self.created_summary})"
        return [
            head,
            *(f"  - left alone: {line}" for line in self.left_alone),
            *(f"  - {line}" for line in self.conflicts),
            *(f"  - {note}" for note in self.notes),
        ]


@dataclass
class FileReport:
    name: str
    error: str = ""
    activities: list[ActivityReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(a.outcome for a in self.activities)

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.name}: not imported: {self.error}"]
        counts = self.counts()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines = [
            f"{self.name}: {len(self.activities)} activities ({summary or 'none'})"
        ]
        lines += [f"  - {note}" for note in self.notes]
        for activity in self.activities:
            lines += ["  " + line for line in activity.lines()]
        return lines


def import_files(
    sources, *, dry_run: bool = False, progress=None, user=None
) -> list[FileReport]:
    """Import each (name, bytes or file) source. With `dry_run` nothing is kept: the
    reports say what would happen (the admin's preview). `progress`: see
    import_file()."""
    reports = []
    with transaction.atomic():
        for name, source in sources:
            reports.append(import_file(name, source, progress=progress, user=user))
        if dry_run:
            transaction.set_rollback(True)
    return reports


def import_file(name: str, source, *, progress=None, user=None) -> FileReport:
    """Import one file. Outside a transaction each activity is committed on its own.
    `progress(done, total)`, if given, is called after each activity (a job's
    progress bar); `user` is named in the history of what the import writes."""
    report = FileReport(name)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, parser)
        else:
            root = etree.parse(source, parser).getroot()
    except (etree.XMLSyntaxError, ValueError) as error:
        report.error = f"not a readable XML file ({error})"
        return report
    if root.tag != "iati-activities":
        report.error = (
            f"the root element is <{root.tag}>, not <iati-activities>: this is not an "
            "IATI activity file"
        )
        return report
    version = root.get("version", "")
    context = ImportContext(file_name=name, user=user)
    pending_parents = []
    elements = root.findall("iati-activity")
    for element in elements:
        record = parse_activity(element, file_version=version)
        activity = ActivityImport(record, context)
        report.activities.append(activity.run())
        if record.parent and activity.agreement is not None:
            pending_parents.append((activity, record.parent))
        if progress is not None:
            progress(len(report.activities), len(elements))
    for activity, parent in pending_parents:
        activity.link_framework(parent)
    if not report.activities:
        report.notes.append("the file has no <iati-activity> element")
    return report


class ImportContext:
    """What every activity of one file shares: the reason written into the
    history, who imports, and the organisations seen so far."""

    def __init__(self, *, file_name: str, user=None):
        # The file's own name: never a path of the machine it was read on.
        file_name = os.path.basename(file_name) or file_name
        self.file_name = file_name[:255]
        self.user = user
        self.now = timezone.now()
        # The date where the site is (TIME_ZONE), not in UTC: an import at 8 pm in
        # Lima is that day's.
        self.reason = (
            f"IATI import of {file_name}, {timezone.localdate(self.now).isoformat()}"
        )
        self.own_ref = (getattr(settings, "IATI_REPORTING_ORG_REF", "") or "").strip()
        self.names: dict[str, list[int]] | None = None
        self.created: list[tuple[str, int]] = []

    def organizations_named(self, name: str) -> list[int]:
        """Ids of the organisations whose name normalizes to `name`'s, oldest
        first (read once per file, then kept up to date by `remember`)."""
        if self.names is None:
            self.names = {}
            for pk, stored in Organization.objects.order_by("pk").values_list(
                "pk", "name"
            ):
                self.names.setdefault(normalized_name(stored), []).append(pk)
        return self.names.get(normalized_name(name), [])

    def remember(self, organization):
        if self.names is not None:
            key = normalized_name(organization.name)
            self.names.setdefault(key, []).append(organization.pk)
            self.created.append((key, organization.pk))

    def begin_activity(self):
        self.created = []

    def forget_activity(self):
        """After a rolled-back activity: the organisations it created are gone."""
        for key, pk in self.created:
            if pk in self.names.get(key, ()):
                self.names[key].remove(pk)
        self.created = []


def normalized_name(name: str) -> str:
    """A name as compared: accents, case, punctuation and spacing do not count,
    and "&" is "and" (`&amp;` as some files double-escape it)."""
    text = (name or "").replace("&amp;", "&").replace("&", " and ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def is_trusted_ref(ref: str, publishers: set[str]) -> bool:
    """A reference is an organisation's identity when it is a well-formed
    organisation identifier (a known registration agency, then an identifier) or the
    reference of an IATI publisher (this file's reporting organisation, or ours)."""
    if not ref or " " in ref:
        return False
    if ref in publishers:
        return True
    return any(
        ref.startswith(agency + "-") and len(ref) > len(agency) + 1
        for agency in codelists.REGISTRATION_AGENCIES
    )


class ActivityImport:
    """Map and write one parsed activity; `run()` gives its report."""

    def __init__(self, record: ActivityRecord, context: ImportContext):
        self.record = record
        self.context = context
        self.report = ActivityReport(record.identifier, notes=list(record.notes))
        self.agreement = None
        self.changed = False
        reporting = record.reporting
        self.own = bool(
            reporting and context.own_ref and reporting.ref == context.own_ref
        )
        self.publishers = {r for r in (context.own_ref,) if r}
        if reporting and reporting.ref:
            self.publishers.add(reporting.ref)

    # Running -----------------------------------------------------------------

    def run(self) -> ActivityReport:
        report = self.report
        self.context.begin_activity()
        try:
            if self.record.skip_reason:
                raise SkipActivity(self.record.skip_reason)
            with transaction.atomic():
                self.write()
        except SkipActivity as reason:
            self.skip(str(reason))
        except ValidationError as error:
            self.skip("; ".join(error.messages))
        except DatabaseError as error:
            self.skip(f"the database refused it ({error})")
        except Exception as error:  # keep going with the next activity
            logger.exception("IATI import of %s failed", report.identifier)
            self.skip(f"unexpected error ({type(error).__name__}: {error})")
        return report

    def skip(self, reason):
        self.report.outcome, self.report.reason = "skipped", reason
        self.report.created.clear()
        self.agreement = None
        self.context.forget_activity()

    def save(self, obj, *, update_fields=None):
        """Every write of the import: validated, with its reason in the history."""
        obj._change_reason = self.context.reason
        if self.context.user is not None:
            obj._history_user = self.context.user
        if update_fields is None:
            obj.full_clean()
            obj.save()
        else:
            obj.save(update_fields=update_fields)
        self.changed = True

    def delete(self, obj):
        obj._change_reason = self.context.reason
        if self.context.user is not None:
            obj._history_user = self.context.user
        obj.delete()
        self.changed = True

    def assign(self, obj, values) -> bool:
        changed = [
            name for name, value in values.items() if getattr(obj, name, None) != value
        ]
        for name in changed:
            setattr(obj, name, values[name])
        return bool(changed) or obj.pk is None

    # Map and write -----------------------------------------------------------

    def write(self):
        record, report = self.record, self.report
        existing = Agreement.objects.filter(iati_identifier=record.identifier).first()
        if existing and existing.publication != PublicationState.DRAFT:
            report.outcome = "left alone"
            report.agreement_code = existing.code
            report.reason = _(
                "agreement %(code)s is published: a re-import never changes it "
                "(unpublish it first to take the file's version)"
            ) % {"code": existing.code}
            return
        currency = record.currency
        if not currency:
            currency = next((c.currency for c in record.commitments if c.currency), "")
            if record.commitments and not currency:
                raise SkipActivity("its commitments state no currency")
            currency = currency or "USD"
        foreign = {
            c.currency
            for c in record.commitments
            if c.currency and c.currency != currency
        }
        if foreign:
            raise SkipActivity(
                f"commitments in {', '.join(sorted(foreign))} besides {currency}: "
                "totals in different currencies are never added"
            )
        if record.other_transactions:
            report.notes.append(
                "transactions not imported (the tracker records commitments, "
                "disbursements and expenditure): "
                + ", ".join(
                    f"{n} {codelists.TRANSACTION_TYPE_NAMES.get(t, 'of type ' + repr(t))}"
                    for t, n in sorted(
                        record.other_transactions.items(), key=lambda i: i[0].zfill(3)
                    )
                )
            )
        payments = self.usable_payments(currency)
        opening_unknown = self.opening_unknown(currency, payments)

        donor_data = (
            next((p for p in record.participants if p.role == "1"), None)
            or record.reporting
        )
        if donor_data is None:
            raise SkipActivity("it names no funding or reporting organisation")
        donor = self.organization(donor_data)
        recipient = self.recipient(donor)

        agreement = existing or Agreement(iati_identifier=record.identifier)
        extension = record.extension
        values = {
            **text_values("title", (record.title or record.identifier)[:500]),
            **text_values("summary", record.summary),
            "donor": donor,
            "recipient": recipient,
            "currency": currency,
            "status": self.status(),
            "start_on": extension.start_on if extension else record.start_on,
            "end_on": extension.end_on if extension else record.end_on,
            "earlier_transactions_unpublished": opening_unknown,
            "reporting_org_ref": ""
            if self.own or record.reporting is None
            else record.reporting.ref[:100],
            "reporting_org_name": ""
            if self.own or record.reporting is None
            else record.reporting.name[:255],
        }
        if extension:
            values["signed_on"] = extension.signed_on
            if extension.kind in AgreementKind.values:
                values["kind"] = extension.kind
        if existing is None:
            values["code"] = self.choose_code()
            values.setdefault("kind", AgreementKind.OTHER)
            values["publication"] = PublicationState.DRAFT
        # A file that now starts at the beginning clears the mark only once the
        # amendments it replaces are gone (the database refuses negative totals on
        # an unmarked agreement).
        clears_mark = agreement.earlier_transactions_unpublished and not opening_unknown
        if clears_mark:
            values["earlier_transactions_unpublished"] = True
        if self.assign(agreement, values):
            agreement.source_file = self.context.file_name
            agreement.imported_at = self.context.now
            self.save(agreement)
        self.agreement = agreement
        report.agreement_code = agreement.code

        self.write_participants(agreement, donor, recipient)
        self.write_areas(agreement)
        areas = self.write_sectors(agreement)
        self.write_documents(agreement)
        with ledger.batch():
            self.write_amendments(agreement)
            self.write_payments(agreement, payments)
        if clears_mark:
            agreement.earlier_transactions_unpublished = False
            # Not full_clean(): this copy's figures are the ones before the batch;
            # the database checks the stored ones.
            self.save(agreement, update_fields=["earlier_transactions_unpublished"])
            # The rule again, now without the exception, and the amendments' copy.
            ledger.recompute([agreement.pk])
        self.write_budgets(agreement, currency)
        self.write_results(agreement, areas)
        if existing is None:
            report.outcome = "created"
        elif self.changed:
            report.outcome = "updated"
            if agreement.source_file != self.context.file_name:
                agreement.source_file = self.context.file_name
                agreement.imported_at = self.context.now
                self.save(agreement, update_fields=["source_file", "imported_at"])
        else:
            report.outcome = "unchanged"

    def status(self) -> str:
        code = self.record.status_code
        status = codelists.STATUS_FROM_ACTIVITY_STATUS.get(code)
        if status is None:
            self.report.notes.append(
                f"activity status {code or 'missing'}: recorded as active"
            )
            return "active"
        return status

    def choose_code(self) -> str:
        record = self.record
        wanted = [record.extension.code] if record.extension else []
        wanted += record.internal_ids
        for ref in wanted:
            if (
                re.match(CODE_RE, ref or "")
                and len(ref) <= 60
                and not Agreement.objects.filter(code=ref).exists()
            ):
                return ref
        identifier = record.identifier
        reporting = record.reporting
        prefix = (reporting.ref + "-") if reporting and reporting.ref else ""
        if prefix and identifier.startswith(prefix) and len(identifier) > len(prefix):
            identifier = identifier[len(prefix) :]
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", identifier).strip("-._")[:55] or "iati"
        code, n = base, 1
        while Agreement.objects.filter(code=code).exists():
            n += 1
            code = f"{base}-{n}"
        return code

    def link_framework(self, parent_identifier: str):
        """Set the framework once every activity of the file is in (the parent may
        come later in the file)."""
        agreement = self.agreement
        parent = (
            Agreement.objects.filter(iati_identifier=parent_identifier)
            .exclude(pk=agreement.pk)
            .first()
        )
        if parent is None:
            self.report.notes.append(
                f"parent activity {parent_identifier} is not in the database: "
                "framework left empty"
            )
            return
        if agreement.framework_id != parent.pk:
            agreement.framework = parent
            try:
                with transaction.atomic():
                    agreement.full_clean()
                    self.save(agreement, update_fields=["framework", "updated_at"])
            except ValidationError as error:
                self.report.notes.append(
                    "framework not set: " + "; ".join(error.messages)
                )
            else:
                if self.report.outcome == "unchanged":
                    self.report.outcome = "updated"

    # Money: the window rule ----------------------------------------------------

    def usable_payments(self, currency):
        """The activity's payments that can be kept: in the agreement's currency
        and not dated in the future (each left out is noted)."""
        kept, foreign = [], Counter()
        for payment in self.record.payments:
            name = codelists.TRANSACTION_TYPE_NAMES[
                codelists.PAYMENT_TRANSACTION_TYPE[payment.kind]
            ]
            if payment.currency != currency:
                foreign[payment.currency] += 1
            elif payment.date > paid_by_now():
                self.report.notes.append(
                    f"{name} #{payment.position + 1} dated "
                    f"{payment.date.isoformat()}, in the future: left out"
                )
            else:
                kept.append(payment)
        if foreign:
            self.report.notes.append(
                "payments in another currency than the agreement's left out: "
                + ", ".join(f"{n} in {code}" for code, n in sorted(foreign.items()))
            )
        return kept

    def opening_unknown(self, currency, payments) -> bool:
        """Whether the file starts mid-agreement: its running, disbursed or spent
        total goes below zero (the publisher gives only a recent window of
        transactions). Our own record says so itself."""
        if self.record.extension is not None:
            return self.record.extension.earlier_transactions_unpublished
        try:
            ledger.check(
                [
                    ledger.Entry(sequence=n, amount=c.amount, published=False)
                    for n, c in enumerate(self.record.commitments, 1)
                ],
                currency=currency,
                payments=[
                    ledger.Payment(p.kind, p.date, p.amount, published=False)
                    for p in payments
                ],
            )
        except ValidationError as error:
            self.report.notes.append(
                _(
                    "earlier transactions not published by the source: %(why)s; the "
                    "agreement is marked so, and its totals are the net change since "
                    "the first published transaction"
                )
                % {"why": "; ".join(error.messages)}
            )
            return True
        return False

    # Organisations -----------------------------------------------------------

    def recipient(self, donor):
        """The first implementing, else accountable, else extending organisation
        other than the donor; else the donor itself (an organisation may fund and
        implement its own activity)."""
        by_role = {}
        for data in self.record.participants:
            by_role.setdefault(data.role, []).append(data)
        for role in ("4", "2", "3"):
            for data in by_role.get(role, []):
                candidate = self.organization(data)
                if candidate != donor:
                    return candidate
        if self.own:
            raise SkipActivity(
                "no implementing, accountable or extending organisation distinct "
                "from the donor to record as recipient"
            )
        self.report.notes.append(
            _("the donor also implements this activity: recorded as its recipient")
        )
        return donor

    def organization(self, data: OrgRecord) -> Organization:
        """The organisation `data` names. A reference is trusted only when it is a
        well-formed identifier (is_trusted_ref); else by normalized name and type.
        An organisation whose stored name differs is never given this name: a new
        one is created and the conflict reported."""
        ref, name = data.ref[:100], (data.name or data.ref)[:255]
        kind = data.kind or codelists.KIND_FROM_ORGANISATION_TYPE.get(
            data.type, OrganizationKind.OTHER
        )
        # Our own file names organisations by the identifiers we hold for them.
        trusted = bool(ref) and (self.own or is_trusted_ref(ref, self.publishers))
        if trusted:
            found = Organization.objects.filter(iati_identifier=ref).first()
            if found is not None:
                if not data.name or normalized_name(found.name) == normalized_name(
                    data.name
                ):
                    return found
                return self.conflicting(data, found, kind)
        else:
            found = self.by_name(name, data.type, kind)
            if found is not None:
                return found
        return self.create_organization(
            name=name,
            iati_identifier=ref if trusted else None,
            reported_ref="" if trusted else ref,
            kind=kind,
            data=data,
        )

    def by_name(self, name, type_code, kind):
        ids = self.context.organizations_named(name)
        if not ids:
            return None
        candidates = list(Organization.objects.filter(pk__in=ids).order_by("pk"))
        if type_code:
            same_kind = [o for o in candidates if o.kind == kind]
            return same_kind[0] if same_kind else None
        return candidates[0] if candidates else None

    def conflicting(self, data, holder, kind):
        """Another name under a reference an organisation already holds: the
        organisation of that name and reference from an earlier import, else a new
        one, and the conflict in the report (and the admin's filter)."""
        ref = data.ref[:100]
        for candidate in Organization.objects.filter(reported_ref=ref):
            if normalized_name(candidate.name) == normalized_name(data.name):
                return candidate
        organization = self.create_organization(
            name=data.name[:255],
            iati_identifier=None,
            reported_ref=ref,
            kind=kind,
            data=data,
        )
        self.report.conflicts.append(
            _(
                "reference %(ref)s names “%(name)s” here but belongs to “%(holder)s”: "
                "recorded as another organization (Organizations, filter “same "
                "reference, different names”, to merge them)"
            )
            % {"ref": ref, "name": data.name, "holder": holder.name}
        )
        return organization

    def create_organization(self, *, name, iati_identifier, reported_ref, kind, data):
        country = (data.country or "").upper()
        organization = Organization(
            **text_values("name", name),
            iati_identifier=iati_identifier or None,
            reported_ref=reported_ref,
            kind=kind if kind in OrganizationKind.values else OrganizationKind.OTHER,
            acronym=data.acronym[:50],
            country=country if country in country_codes else "",
        )
        self.save(organization)
        self.context.remember(organization)
        self.report.created["organizations"] += 1
        return organization

    def write_participants(self, agreement, donor, recipient):
        wanted = []
        for data in self.record.participants:
            organization = self.organization(data)
            pair = (organization.pk, data.role)
            if pair in ((donor.pk, "1"), (recipient.pk, "4")) or pair in wanted:
                continue
            wanted.append(pair)
        existing = {
            (p.organization_id, p.role): p for p in agreement.participations.all()
        }
        for pair, participation in existing.items():
            if pair not in wanted:
                self.delete(participation)
        for organization_id, role in wanted:
            if (organization_id, role) not in existing:
                self.save(
                    Participation(
                        agreement=agreement, organization_id=organization_id, role=role
                    )
                )
                self.report.created["participants"] += 1

    # Geography, sectors, documents ---------------------------------------------

    def write_areas(self, agreement):
        wanted = []
        for area in self.record.areas:
            if area.kind == "country" and area.code not in country_codes:
                self.report.notes.append(
                    _(
                        "recipient country %(code)s is not an ISO 3166-1 code: left "
                        "out (the rest of the activity is imported)"
                    )
                    % {"code": area.code}
                )
                continue
            wanted.append(
                (
                    area.kind,
                    area.code[:20],
                    area.vocabulary[:10],
                    area.percentage,
                    area.name[:255],
                )
            )
        self.replace_rows(
            agreement.recipient_areas.order_by("position", "pk"),
            wanted,
            ("kind", "code", "vocabulary", "percentage", "name"),
            lambda values, position: RecipientArea(
                agreement=agreement, position=position, **values
            ),
        )

    def replace_rows(self, existing, wanted, names, make):
        """Rows of information (areas, sectors, budgets: validated when read) in
        place of the stored ones when they differ, in bulk (a World Bank activity
        has 150 budgets); those with a history get the import's reason there."""
        existing = list(existing)
        if [tuple(getattr(row, n) for n in names) for row in existing] == wanted:
            return 0
        for row in existing:
            self.delete(row)
        rows = [
            make(dict(zip(names, values, strict=True)), position)
            for position, values in enumerate(wanted)
        ]
        if rows:
            model = type(rows[0])
            if hasattr(model, "history"):
                bulk_create_with_history(
                    rows,
                    model,
                    default_user=self.context.user,
                    default_change_reason=self.context.reason,
                )
            else:
                model.objects.bulk_create(rows)
            # Bulk inserts send no signal: cached public pages must not outlive them.
            bump_public_version()
        self.changed = True
        return len(wanted)

    def write_sectors(self, agreement) -> list[ProgramArea]:
        """Our own record: its program areas (from our extension). Another
        publisher's: every sector kept as given (vocabulary, code, percentage), and
        the DAC 5-digit ones also as program areas."""
        extension = self.record.extension
        if extension is not None:
            areas = [self.program_area(a) for a in extension.program_areas if a.linked]
            self.replace_rows(agreement.sectors.all(), [], (), None)
        else:
            self.replace_rows(
                agreement.sectors.order_by("position", "pk"),
                [
                    (
                        s.vocabulary[:10],
                        s.vocabulary_uri[:1000],
                        s.code,
                        s.name or sector_name(s),
                        s.percentage,
                    )
                    for s in self.record.sectors
                ],
                ("vocabulary", "vocabulary_uri", "code", "name", "percentage"),
                lambda values, position: AgreementSector(
                    agreement=agreement, position=position, **values
                ),
            )
            areas = []
            for sector in self.record.sectors:
                if (
                    sector.vocabulary == codelists.SECTOR_VOCABULARY_DAC
                    and re.fullmatch(r"[0-9]{5}", sector.code)
                ):
                    area = self.dac_area(sector.code)
                    if area not in areas:
                        areas.append(area)
        if {a.pk for a in areas} != set(
            agreement.program_areas.values_list("pk", flat=True)
        ):
            agreement.program_areas.set(areas)
            self.changed = True
        return areas

    def dac_area(self, code):
        area = ProgramArea.objects.filter(dac_sector_code=code).order_by("pk").first()
        if area is None:
            area = ProgramArea.objects.filter(code=f"dac-{code}").first()
        if area is None:
            name = codelists.dac_sector_names().get(code, f"DAC sector {code}")
            area = ProgramArea(
                code=f"dac-{code}", name=name[:255], dac_sector_code=code
            )
            self.save(area)
            self.report.created["program areas"] += 1
        return area

    def program_area(self, data):
        """A program area of our own record, found by its code (created with its
        name, DAC code and parent when missing; an existing one is left as it is)."""
        area = ProgramArea.objects.filter(code=data.code).first()
        if area is not None:
            return area
        parent = None
        if data.parent:
            parent = ProgramArea.objects.filter(code=data.parent).first()
            if parent is None:
                parent_data = next(
                    (
                        a
                        for a in self.record.extension.program_areas
                        if a.code == data.parent
                    ),
                    None,
                )
                if parent_data is not None:
                    parent = self.program_area(parent_data)
        area = ProgramArea(
            code=data.code,
            **text_values("name", data.name or data.code),
            dac_sector_code=data.dac_sector_code,
            parent=parent,
        )
        if data.display_order is not None:
            area.display_order = data.display_order
        self.save(area)
        self.report.created["program areas"] += 1
        return area

    def write_documents(self, agreement):
        documents = []
        for link in self.record.documents:
            document = (
                SourceDocument.objects.filter(url=link.url).order_by("pk").first()
            )
            if document is None:
                document = SourceDocument(
                    url=link.url,
                    **text_values("title", link.title),
                    published_on=link.published_on,
                    **text_values("notes", "Imported from an IATI document-link."),
                )
                self.save(document)
                self.report.created["source documents"] += 1
            documents.append(document)
        if {d.pk for d in documents} != set(
            agreement.source_documents.values_list("pk", flat=True)
        ):
            agreement.source_documents.set(documents)
            self.changed = True

    # Amendments and payments ---------------------------------------------------

    def write_amendments(self, agreement):
        """The file's commitments in place of the agreement's amendments, matched by
        sequence; none is touched when one of them is published."""
        existing = list(agreement.amendments.order_by("sequence"))
        published = [a for a in existing if a.publication != PublicationState.DRAFT]
        wanted = []
        for n, commitment in enumerate(self.record.commitments, 1):
            values = {
                "sequence": commitment.sequence or n,
                **text_values("title", commitment.title),
                "amount": commitment.amount.quantize(TWO_PLACES),
            }
            if commitment.recorded:
                values |= {
                    "signed_on": commitment.signed_on,
                    "period_start": commitment.period_start,
                    "period_end": commitment.period_end,
                    "stated_cumulative_total": commitment.stated_cumulative_total,
                    "amount_is_derived": commitment.amount_is_derived,
                    **text_values("description", commitment.description),
                }
            else:
                values |= {
                    "signed_on": commitment.date,
                    **text_values(
                        "description", "Imported from an IATI commitment transaction."
                    ),
                }
            wanted.append(values)
        if published:
            if self.differs(existing, wanted):
                self.report.left_alone.append(
                    _(
                        "the amendments (%(numbers)s published): the file's "
                        "commitments are not applied; unpublish to take them"
                    )
                    % {"numbers": ", ".join(f"#{a.sequence}" for a in published)}
                )
            return
        by_sequence = {a.sequence: a for a in existing}
        for values in wanted:
            amendment = by_sequence.pop(values["sequence"], None) or Amendment(
                agreement=agreement, publication=PublicationState.DRAFT
            )
            is_new = amendment.pk is None
            if self.assign(amendment, values):
                self.save(amendment)
                self.report.created["amendments"] += is_new
        for amendment in by_sequence.values():
            self.delete(amendment)

    def differs(self, existing, wanted) -> bool:
        return [
            {name: getattr(a, name) for name in values}
            for a, values in zip(existing, wanted, strict=False)
        ] != wanted or len(existing) != len(wanted)

    def write_payments(self, agreement, payments):
        """The activity's payments in place of the agreement's (drafts, as amendments
        are); none is touched when one of them is published."""

        def key(p):
            return (
                p.kind,
                p.date,
                p.amount,
                tuple(languages.texts_of(p, "description").values()),
                p.provider_id,
                p.receiver_id,
            )

        rows = [
            Disbursement(
                agreement=agreement,
                kind=p.kind,
                date=p.date,
                amount=p.amount.quantize(TWO_PLACES),
                **text_values("description", p.description),
                provider=self.organization(p.provider) if p.provider else None,
                receiver=self.organization(p.receiver) if p.receiver else None,
                publication=PublicationState.DRAFT,
            )
            for p in payments
        ]
        existing = list(agreement.disbursements.order_by("date", "pk"))
        if sorted(map(key, existing), key=str) == sorted(map(key, rows), key=str):
            return
        if any(p.publication != PublicationState.DRAFT for p in existing):
            self.report.left_alone.append(
                _(
                    "the disbursements and expenditure (some are published): the "
                    "file's payments are not applied; unpublish them to take them"
                )
            )
            return
        for payment in existing:
            self.delete(payment)
        for payment in rows:
            self.save(payment)
        if rows:
            self.report.created["disbursements"] += len(rows)

    def write_budgets(self, agreement, currency):
        wanted = []
        for budget in self.record.budgets:
            position = budget.position
            if (
                budget.budget_type not in BudgetType.values
                or budget.status not in BudgetStatus.values
            ):
                self.report.notes.append(
                    f"budget #{position}: type {budget.budget_type!r} or status "
                    f"{budget.status!r} not in the codelist, left out"
                )
                continue
            values = {
                "budget_type": budget.budget_type,
                "status": budget.status,
                "period_start": budget.period_start,
                "period_end": budget.period_end,
                "amount": budget.amount,
                "currency": budget.currency or currency,
                "value_date": budget.value_date,
            }
            # Budgets are information: a bad one is left out, not the activity.
            # Their check constraints (type and status in the codelist, period in
            # order) hold by now, but the amount's range is checked here: asking
            # the database for every constraint of 150 budgets is what is slow.
            try:
                if abs(budget.amount) > MONEY_LIMIT:
                    raise ValidationError(_("The amount is out of range."))
                Budget(agreement=agreement, **values).full_clean(
                    validate_constraints=False
                )
            except ValidationError as error:
                self.report.notes.append(
                    f"budget #{position} left out: {' '.join(error.messages)}"
                )
                continue
            wanted.append(tuple(values.values()))
        names = (
            "budget_type",
            "status",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "value_date",
        )
        written = self.replace_rows(
            agreement.budgets.order_by("pk"),
            wanted,
            names,
            lambda values, position: Budget(agreement=agreement, **values),
        )
        if written:
            self.report.created["budgets"] += written

    # Results -----------------------------------------------------------------

    def write_results(self, agreement, areas):
        area = areas[0] if areas else None
        for data in self.record.indicators:
            indicator_area = area
            if data.program_area is not None:
                indicator_area = self.program_area(data.program_area)
            if indicator_area is None:
                indicator_area = ProgramArea.objects.filter(
                    code=IMPORTED_AREA_CODE
                ).first()
                if indicator_area is None:
                    indicator_area = ProgramArea(
                        code=IMPORTED_AREA_CODE,
                        name="Imported from IATI (to be classified)",
                    )
                    self.save(indicator_area)
                    self.report.created["program areas"] += 1
                area = indicator_area
            self.write_indicator(agreement, indicator_area, data)

    def write_indicator(self, agreement, area, data):
        description = data.description
        code = data.code or indicator_code(self.record.identifier, *data.position)
        indicator = Indicator.objects.filter(code=code).first()
        measure = data.measure or (
            Measure.PERCENTAGE if data.measure_code == "2" else Measure.NUMBER
        )
        values = {
            **text_values("name", data.name),
            **text_values("description", description),
            "measure": measure,
            "direction": Direction.INCREASE if data.ascending else Direction.DECREASE,
            "aggregation": data.aggregation
            or (Aggregation.SUM if data.summable else Aggregation.NONE),
            "result_type": data.result_type
            if data.result_type in ResultType.values
            else ResultType.OTHER,
        }
        if data.unit:
            values["unit"] = data.unit
        if indicator is not None and indicator.publication != PublicationState.DRAFT:
            if any(getattr(indicator, n) != v for n, v in values.items()):
                self.report.left_alone.append(
                    _(
                        "indicator %(code)s is published: its name, description and "
                        "definition are not changed"
                    )
                    % {"code": code}
                )
        else:
            if indicator is None:
                indicator = Indicator(
                    code=code,
                    program_area=area,
                    unit=data.unit
                    or (Unit.PERCENT if measure == "percentage" else Unit.OTHER),
                    publication=PublicationState.DRAFT,
                )
            is_new = indicator.pk is None
            if self.assign(indicator, values):
                try:
                    with transaction.atomic():
                        self.save(indicator)
                except ValidationError as error:
                    self.report.notes.append(
                        f"{data.where} left out: {' '.join(error.messages)}"
                    )
                    return
                self.report.created["indicators"] += is_new
        self.write_result_rows(agreement, indicator, data)

    def write_result_rows(self, agreement, indicator, data):
        kept = []
        for row_data in data.rows:
            key = {
                "indicator": indicator,
                "agreement": agreement,
                "period_start": row_data.period_start,
                "period_end": row_data.period_end,
                "location": row_data.location,
                "disaggregation": row_data.disaggregation,
            }
            values = {
                "actual_value": row_data.actual_value,
                "target_value": row_data.target_value,
                "baseline_year": row_data.baseline_year,
                "baseline_value": row_data.baseline_value,
                **text_values("comment", row_data.comment),
            }
            row = Result.objects.filter(**key).first()
            label = f"{data.where} {row_data.period_start}–{row_data.period_end}" + (
                f" {row_data.disaggregation}" if row_data.disaggregation else ""
            )
            if row is not None and row.pk in kept:
                self.report.notes.append(f"{label}: a second actual left out")
                continue
            if row is not None and row.status in REVIEWED_RESULTS:
                kept.append(row.pk)
                if any(getattr(row, n) != v for n, v in values.items()):
                    self.report.left_alone.append(
                        _("result %(what)s is %(status)s: not changed")
                        % {"what": label, "status": row.get_status_display()}
                    )
                continue
            if row is None:
                row = Result(**key, status=ResultStatus.DRAFT)
            is_new = row.pk is None
            if self.assign(row, values):
                row.status = ResultStatus.DRAFT
                row.return_reason = ""
                try:
                    with transaction.atomic():
                        self.save(row)
                except ValidationError as error:
                    self.report.notes.append(
                        f"{label} left out: {' '.join(error.messages)}"
                    )
                    continue
                self.report.created["results"] += is_new
            kept.append(row.pk)
        stale = Result.objects.filter(indicator=indicator, agreement=agreement).exclude(
            pk__in=kept
        )
        for row in stale:
            if row.status in REVIEWED_RESULTS:
                self.report.left_alone.append(
                    _("result %(what)s is %(status)s and not in the file: kept")
                    % {
                        "what": f"{row.period_start}–{row.period_end}",
                        "status": row.get_status_display(),
                    }
                )
            else:
                self.delete(row)


def sector_name(sector) -> str:
    """A DAC sector's name from the codelist when the file gives none."""
    if sector.vocabulary == codelists.SECTOR_VOCABULARY_DAC:
        return codelists.dac_sector_names().get(sector.code, "")[:500]
    return ""


def indicator_code(identifier: str, result_index: int, indicator_index: int) -> str:
    """A stable indicator code: the same activity, result and position give the same
    code on every import."""
    digest = hashlib.sha1(identifier.encode()).hexdigest()[:8]
    return (
        f"iati-{slugify(identifier)[:50]}-{digest}"
        f"-r{result_index:03d}-i{indicator_index:03d}"
    )


def text_values(field, text) -> dict[str, str]:
    """The per-language columns of a translated `field` from a text of the file
    (grants/languages.py): each language the file gives it in ("" for the others);
    a text in none of the record's languages (or written by the importer itself)
    goes in the original language's column, so nothing read is lost."""
    texts = dict(getattr(text, "texts", None) or {})
    if not texts and text:
        texts = {languages.original_language(): str(text)}
    return {
        languages.column(field, language): texts.get(language, "")
        for language in languages.codes()
    }
