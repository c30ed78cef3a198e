"""Step 3 of an IATI import: write one activity's plan (mapping.py) in a
transaction of its own (a savepoint), all of it or none, and fill its report.

Every write is validated and carries the import's reason ("IATI import of <file>,
<date>") and user in the history (`ActivityWriter.save`). What depends on the
stored rows is decided here: which organisation the file names (by a trusted
reference, else by name), and the review rule: a re-import never changes a
published agreement, amendment, disbursement or indicator, nor a submitted or
approved result; it lists what it left alone and why.
"""

import logging
import os

from django_countries import countries as country_codes
from simple_history.utils import bulk_create_with_history

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import languages, ledger
from grants.cache import bump_public_version
from grants.models import (
    Agreement,
    AgreementKind,
    AgreementSector,
    Amendment,
    Budget,
    Disbursement,
    Organization,
    OrganizationKind,
    Participation,
    ProgramArea,
    RecipientArea,
    SourceDocument,
)
from grants.workflow import (
    INITIAL_PUBLICATION,
    publication_is_locked,
    record_change,
)
from indicators.models import Indicator, Result
from indicators.workflow import INITIAL_STATUS, result_as_imported, result_is_locked

from . import codelists
from .mapping import (
    AREA_FIELDS,
    BUDGET_FIELDS,
    SECTOR_FIELDS,
    TWO_PLACES,
    ActivityPlan,
    IndicatorPlan,
    SkipActivity,
    agreement_code,
    fields_of,
    is_trusted_ref,
    map_activity,
    normalized_name,
    text_values,
)
from .parse import ActivityRecord, OrgRecord
from .report import ActivityReport

logger = logging.getLogger(__name__)

IMPORTED_AREA_CODE = "imported-from-iati"


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
        # Normalized name → organisation ids; None until first asked.
        self.names: dict[str, list[int]] | None = None
        # The organisations the current activity created: (normalized name, id).
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


class ActivityWriter:
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
            report.notes += reason.notes
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
        record_change(obj, user=self.context.user, reason=self.context.reason)
        if update_fields is None:
            obj.full_clean()
            obj.save()
        else:
            obj.save(update_fields=update_fields)
        self.changed = True

    def save_part(self, obj, what: str) -> bool:
        """Save a part the activity can do without (an indicator, a result): one
        the record refuses is left out, with a note saying why."""
        try:
            with transaction.atomic():
                self.save(obj)
        except ValidationError as error:
            self.report.notes.append(f"{what} left out: {' '.join(error.messages)}")
            return False
        return True

    def delete(self, obj):
        record_change(obj, user=self.context.user, reason=self.context.reason)
        obj.delete()
        self.changed = True

    def assign(self, obj, values) -> bool:
        changed = [
            name for name, value in values.items() if getattr(obj, name, None) != value
        ]
        for name in changed:
            setattr(obj, name, values[name])
        return bool(changed) or obj.pk is None

    # The agreement -----------------------------------------------------------

    def write(self):
        record, report = self.record, self.report
        existing = Agreement.objects.filter(iati_identifier=record.identifier).first()
        if existing and publication_is_locked(existing):
            report.outcome = "left alone"
            report.agreement_code = existing.code
            report.reason = _(
                "agreement %(code)s is published: a re-import never changes it "
                "(unpublish it first to take the file's version)"
            ) % {"code": existing.code}
            return
        plan = map_activity(record, own=self.own)
        report.notes += plan.money_notes
        donor = self.organization(plan.donor)
        recipient = self.recipient(donor)

        agreement = existing or Agreement(iati_identifier=record.identifier)
        report.notes += plan.agreement_notes
        values = {**plan.agreement_values, "donor": donor, "recipient": recipient}
        if existing is None:
            values["code"] = agreement_code(record)
            values.setdefault("kind", AgreementKind.OTHER)
            values["publication"] = INITIAL_PUBLICATION
        # A file that now starts at the beginning clears the mark only once the
        # amendments it replaces are gone (the database refuses negative totals on
        # an unmarked agreement).
        opening_unknown = values["earlier_transactions_unpublished"]
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
        report.notes += plan.area_notes
        self.replace_rows(
            agreement, RecipientArea, plan.areas, AREA_FIELDS, positioned=True
        )
        areas = self.write_sectors(agreement, plan)
        self.write_documents(agreement)
        with ledger.batch():
            self.write_amendments(agreement, plan.amendments)
            self.write_payments(agreement, plan.payments)
        if clears_mark:
            agreement.earlier_transactions_unpublished = False
            # Not full_clean(): this copy's figures are the ones before the batch;
            # the database checks the stored ones.
            self.save(agreement, update_fields=["earlier_transactions_unpublished"])
            # The rule again, now without the exception, and the amendments' copy.
            ledger.recompute([agreement.pk])
        report.notes += plan.budget_notes
        written = self.replace_rows(
            agreement, Budget, plan.budgets, BUDGET_FIELDS, positioned=False
        )
        if written:
            report.created["budgets"] += written
        self.write_results(agreement, areas, plan.indicators)
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
        # (organisation id, role) of each participation the file gives.
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

    # Rows of information, program areas, documents ---------------------------

    def replace_rows(self, agreement, model, wanted, names, *, positioned) -> int:
        """Rows of information (areas, sectors, budgets: validated when mapped) in
        place of the agreement's stored ones when their fields (`names`) differ, in
        bulk (a World Bank activity has 150 budgets), numbered in order when
        `positioned`; those with a history get the import's reason there."""
        ordering = ("position", "pk") if positioned else ("pk",)
        existing = list(model.objects.filter(agreement=agreement).order_by(*ordering))
        if [fields_of(row, names) for row in existing] == [
            fields_of(row, names) for row in wanted
        ]:
            return 0
        for row in existing:
            self.delete(row)
        rows = []
        for position, row in enumerate(wanted):
            values = fields_of(row, names)
            if positioned:
                values["position"] = position
            rows.append(model(agreement=agreement, **values))
        if rows:
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

    def write_sectors(self, agreement, plan: ActivityPlan) -> list[ProgramArea]:
        """Another publisher's sectors as given (none for our own record), and the
        program areas: our own record's, else the DAC 5-digit sectors'."""
        self.replace_rows(
            agreement, AgreementSector, plan.sectors, SECTOR_FIELDS, positioned=True
        )
        if self.record.extension is not None:
            areas = [self.program_area(a) for a in plan.program_areas]
        else:
            areas = []
            for code in plan.dac_sector_codes:
                area = self.dac_area(code)
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

    def write_amendments(self, agreement, wanted: list[dict]):
        """The file's commitments in place of the agreement's amendments, matched by
        sequence; none is touched when one of them is published."""
        existing = list(agreement.amendments.order_by("sequence"))
        published = [a for a in existing if publication_is_locked(a)]
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
                agreement=agreement, publication=INITIAL_PUBLICATION
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
                publication=INITIAL_PUBLICATION,
            )
            for p in payments
        ]
        existing = list(agreement.disbursements.order_by("date", "pk"))
        if sorted(map(key, existing), key=str) == sorted(map(key, rows), key=str):
            return
        if any(publication_is_locked(p) for p in existing):
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

    # Results -----------------------------------------------------------------

    def write_results(self, agreement, areas, indicators: list[IndicatorPlan]):
        area = areas[0] if areas else None
        for plan in indicators:
            indicator_area = area
            if plan.program_area is not None:
                indicator_area = self.program_area(plan.program_area)
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
            self.write_indicator(agreement, indicator_area, plan)

    def write_indicator(self, agreement, area, plan: IndicatorPlan):
        code, values = plan.code, plan.values
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is not None and publication_is_locked(indicator):
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
                    unit=plan.unit,
                    publication=INITIAL_PUBLICATION,
                )
            is_new = indicator.pk is None
            if self.assign(indicator, values):
                if not self.save_part(indicator, plan.where):
                    return
                self.report.created["indicators"] += is_new
        self.write_result_rows(agreement, indicator, plan)

    def write_result_rows(self, agreement, indicator, plan: IndicatorPlan):
        kept = []
        for result in plan.results:
            key = {"indicator": indicator, "agreement": agreement, **result.key}
            values, label = result.values, result.label
            row = Result.objects.filter(**key).first()
            if row is not None and row.pk in kept:
                self.report.notes.append(f"{label}: a second actual left out")
                continue
            if row is not None and result_is_locked(row):
                kept.append(row.pk)
                if any(getattr(row, n) != v for n, v in values.items()):
                    self.report.left_alone.append(
                        _("result %(what)s is %(status)s: not changed")
                        % {"what": label, "status": row.get_status_display()}
                    )
                continue
            if row is None:
                row = Result(**key, status=INITIAL_STATUS)
            is_new = row.pk is None
            if self.assign(row, values):
                # No entered_by: the file's publisher entered it, not the official
                # who imports (the history names them).
                result_as_imported(row, user=None)
                if not self.save_part(row, label):
                    continue
                self.report.created["results"] += is_new
            kept.append(row.pk)
        stale = Result.objects.filter(indicator=indicator, agreement=agreement).exclude(
            pk__in=kept
        )
        for row in stale:
            if result_is_locked(row):
                self.report.left_alone.append(
                    _("result %(what)s is %(status)s and not in the file: kept")
                    % {
                        "what": f"{row.period_start}–{row.period_end}",
                        "status": row.get_status_display(),
                    }
                )
            else:
                self.delete(row)
