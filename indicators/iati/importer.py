"""Import IATI activity files: activities become draft agreements.

Real files are untidy, so the importer reads what it can and reports the rest:
- each activity is imported in its own transaction (a savepoint): all of it or none;
- an activity that cannot be imported whole (no identifier, an unreadable commitment,
  commitments in another currency, a running total below zero, no recipient distinct
  from the donor, a published agreement with this identifier) is skipped with a reason;
- parts that cannot be kept (a budget without dates, a result value such as "Yes") are
  left out and listed in the activity's notes;
- elements in foreign namespaces (e.g. USAID's usg:) are ignored: only elements of the
  IATI (empty) namespace are read.
Re-importing updates the agreement with the same IATI identifier, never duplicates it.
"""

import datetime
import functools
import hashlib
import logging
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from grants import languages, ledger
from grants.models import (
    CODE_RE,
    Agreement,
    AgreementKind,
    Amendment,
    Budget,
    BudgetStatus,
    BudgetType,
    Disbursement,
    Organization,
    OrganizationKind,
    ParticipantRole,
    Participation,
    ProgramArea,
    PublicationState,
    SourceDocument,
    paid_by_now,
)
from indicators.models import (
    Aggregation,
    Direction,
    Indicator,
    Measure,
    Result,
    ResultStatus,
    Unit,
)

from . import codelists

logger = logging.getLogger(__name__)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TWO_PLACES = Decimal("0.01")
IMPORTED_AREA_CODE = "imported-from-iati"
BUDGET_FIELDS = [
    "budget_type",
    "status",
    "period_start",
    "period_end",
    "amount",
    "currency",
    "value_date",
]
NO_ACTUAL_HEADER = "From IATI, periods without a numeric actual value:"


class SkipActivity(Exception):
    """The activity cannot be imported whole; the message says why."""


# Labels for the admin page; the codes stay English in the command's output.
OUTCOME_LABELS = {
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "skipped": _("skipped"),
}
CREATED_LABELS = {
    "organizations": _("organizations"),
    "participants": _("participants"),
    "program areas": _("program areas"),
    "source documents": _("source documents"),
    "amendments": _("amendments"),
    "budgets": _("budgets"),
    "indicators": _("indicators"),
    "results": _("results"),
}


@dataclass
class ActivityReport:
    identifier: str
    outcome: str = ""  # created, updated, unchanged or skipped
    reason: str = ""
    agreement_code: str = ""
    created: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

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
        else:
            head = (
                f"{self.identifier}: {self.outcome} as agreement {self.agreement_code}"
            )
            if self.created:
                head += f" ({self.created_summary})"
        return [head, *(f"  - {note}" for note in self.notes)]


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


def import_files(sources, *, dry_run: bool = False, progress=None) -> list[FileReport]:
    """Import each (name, bytes or file) source. With `dry_run` nothing is kept: the
    reports say what would happen (the admin's preview). `progress`: see
    import_file()."""
    reports = []
    with transaction.atomic():
        for name, source in sources:
            reports.append(import_file(name, source, progress=progress))
        if dry_run:
            transaction.set_rollback(True)
    return reports


def import_file(name: str, source, *, progress=None) -> FileReport:
    """Import one file. Outside a transaction each activity is committed on its own.
    `progress(done, total)`, if given, is called after each activity (a job's
    progress bar)."""
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
    if not version.startswith("2."):
        report.notes.append(
            f"IATI version {version or 'not stated'}: read as 2.03, expect more skips"
        )
    pending_parents = []
    elements = root.findall("iati-activity")
    for element in elements:
        activity = ActivityImport(element)
        report.activities.append(activity.run())
        if activity.parent_identifier and activity.agreement is not None:
            pending_parents.append((activity, activity.parent_identifier))
        if progress is not None:
            progress(len(report.activities), len(elements))
    for activity, parent in pending_parents:
        activity.link_framework(parent)
    if not report.activities:
        report.notes.append("the file has no <iati-activity> element")
    return report


class ActivityImport:
    def __init__(self, element):
        self.element = element
        self.language = element.get(XML_LANG) or ""
        self.report = ActivityReport(self._text(element.find("iati-identifier")))
        self.agreement = None
        self.parent_identifier = ""
        self.skipped_languages = set()
        self.organization_names = {}
        self.changed = False

    # Reading -----------------------------------------------------------------

    def _text(self, element) -> str:
        return " ".join((element.text or "").split()) if element is not None else ""

    def narratives(self, element) -> dict[str, str]:
        """Every narrative of `element` as {language: text}: a narrative without
        xml:lang is in the activity's language, else in the site's original one;
        the first text of a language is kept."""
        found = {}
        if element is None:
            return found
        for narrative in element.findall("narrative"):
            text = self._text(narrative)
            code = narrative.get(XML_LANG) or self.language
            language = languages.site_language(code) if code else None
            if text:
                key = language or (code or "?").strip().lower()
                if not code:
                    key = languages.original_language()
                found.setdefault(key, text)
        return found

    def site_narratives(self, element) -> dict[str, str]:
        """The narratives of `element` in the languages the site keeps, as
        {language: text}; the other languages are noted once per activity."""
        found = self.narratives(element)
        site = languages.codes()
        self.skipped_languages.update(lang for lang in found if lang not in site)
        return {lang: text for lang, text in found.items() if lang in site}

    def texts(self, field, element, *, default="", limit=None) -> dict[str, str]:
        """The narratives of `element` as the values of `field`'s per-language
        columns ({"title_en": ..., "title_es": ...}, "" for a language the file does
        not give); `default` in the original language when it gives none."""
        found = self.site_narratives(element)
        values = {
            languages.column(field, language): found.get(language, "")[:limit]
            for language in languages.codes()
        }
        if default and not any(values.values()):
            values[languages.column(field, languages.original_language())] = default[
                :limit
            ]
        return values

    def narrative(self, element) -> str:
        """One text of `element` where the record keeps one (an organisation's name
        to match, a document's title): the original language's, else the
        activity's, else the first; the languages left out are noted."""
        found = self.narratives(element)
        if not found:
            return ""
        for wanted in (languages.original_language(), self.language.lower()):
            for language, text in found.items():
                if wanted and language.startswith(wanted):
                    self.skipped_languages.update(set(found) - {language})
                    return text
        first = next(iter(found))
        self.skipped_languages.update(set(found) - {first})
        return found[first]

    # Running -----------------------------------------------------------------

    def run(self) -> ActivityReport:
        report = self.report
        try:
            if not report.identifier:
                raise SkipActivity("it has no iati-identifier")
            with transaction.atomic():
                self.write()
        except SkipActivity as reason:
            report.outcome, report.reason = "skipped", str(reason)
            self.agreement = None
        except ValidationError as error:
            report.outcome, report.reason = "skipped", "; ".join(error.messages)
            self.agreement = None
        except DatabaseError as error:
            report.outcome = "skipped"
            report.reason = f"the database refused it ({error})"
            self.agreement = None
        except Exception as error:  # keep going with the next activity
            logger.exception("IATI import of %s failed", report.identifier)
            report.outcome = "skipped"
            report.reason = f"unexpected error ({type(error).__name__}: {error})"
            self.agreement = None
        else:
            if self.skipped_languages:
                report.notes.append(
                    "narratives in other languages not kept ("
                    + ", ".join(sorted(self.skipped_languages))
                    + "): the record keeps "
                    + ", ".join(languages.codes())
                )
        return report

    def write(self):
        element, report = self.element, self.report
        existing = Agreement.objects.filter(iati_identifier=report.identifier).first()
        if existing and existing.publication != PublicationState.DRAFT:
            raise SkipActivity(
                f"agreement {existing.code} with this identifier is published; a "
                "re-import only updates drafts"
            )
        currency = (element.get("default-currency") or "").strip().upper()
        commitments = self.read_commitments(currency)
        if not currency:
            currency = next((c for _d, _a, c, _t in commitments if c), "") or "USD"
            if commitments and not any(c for _d, _a, c, _t in commitments):
                raise SkipActivity("its commitments state no currency")
        foreign = {c for _d, _a, c, _t in commitments if c and c != currency}
        if foreign:
            raise SkipActivity(
                f"commitments in {', '.join(sorted(foreign))} besides {currency}: "
                "totals in different currencies are never added"
            )
        # Imported amendments are drafts: the rule over all of them.
        entries = [
            ledger.Entry(sequence=n, amount=amount, published=False)
            for n, (_d, amount, _c, _t) in enumerate(commitments, 1)
        ]
        try:
            ledger.check(entries, currency=currency)
        except ValidationError as error:
            raise SkipActivity(
                "; ".join(error.messages)
                + " (the file may publish only a recent window of transactions)"
            ) from None

        reporting = self.read_org(element.find("reporting-org"))
        participants = self.read_participants()
        # Some publishers (USAID) give countries and sectors on each transaction only.
        countries = sorted(
            {
                c.get("code", "").strip().upper()
                for c in element.findall("recipient-country")
                or element.findall("transaction/recipient-country")
                if c.get("code")
            }
        )
        donor_data = next((p for p in participants if p[3] == "1"), None) or reporting
        if donor_data is None:
            raise SkipActivity("it names no funding or reporting organisation")
        donor = self.organization(donor_data)
        recipient = None
        for role in ("4", "2", "3"):
            for data in participants:
                if data[3] == role:
                    candidate = self.organization(
                        data, country=countries[0] if len(countries) == 1 else ""
                    )
                    if candidate != donor:
                        recipient = candidate
                        break
            if recipient:
                break
        if recipient is None:
            raise SkipActivity(
                "no implementing, accountable or extending organisation distinct "
                "from the donor to record as recipient"
            )

        agreement = existing or Agreement(iati_identifier=report.identifier)
        values = {
            **self.texts(
                "title", element.find("title"), default=report.identifier, limit=500
            ),
            **self.read_summary(),
            "donor": donor,
            "recipient": recipient,
            "currency": currency,
            "status": self.read_status(),
            **self.read_dates(),
        }
        if existing is None:
            values["code"] = self.choose_code(reporting)
            values["kind"] = AgreementKind.OTHER
            values["publication"] = PublicationState.DRAFT
        self.assign(agreement, values)
        agreement.full_clean()
        agreement.save()
        self.agreement = agreement
        report.agreement_code = agreement.code
        report.outcome = "updated" if existing else "created"

        self.write_participants(agreement, participants, donor, recipient)
        areas = self.write_sectors(agreement)
        self.write_documents(agreement)
        self.write_amendments(agreement, commitments)
        self.write_payments(agreement, self.read_payments(currency))
        self.write_budgets(agreement, currency)
        self.write_results(agreement, areas)
        self.read_parent()
        if existing and not self.changed:
            report.outcome = "unchanged"

    def assign(self, obj, values) -> bool:
        changed = [
            name for name, value in values.items() if getattr(obj, name, None) != value
        ]
        for name in changed:
            setattr(obj, name, values[name])
        if changed or obj.pk is None:
            self.changed = True
        return bool(changed)

    # Agreement ---------------------------------------------------------------

    def read_summary(self) -> dict[str, str]:
        descriptions = self.element.findall("description")
        chosen = next((d for d in descriptions if d.get("type") in (None, "1")), None)
        return self.texts(
            "summary", chosen if chosen is not None else (descriptions or [None])[0]
        )

    def read_status(self) -> str:
        code = child_attr(self.element, "activity-status", "code")
        status = codelists.STATUS_FROM_ACTIVITY_STATUS.get((code or "").strip())
        if status is None:
            self.report.notes.append(
                f"activity status {code or 'missing'}: recorded as active"
            )
            return "active"
        return status

    def read_dates(self) -> dict:
        found = {}
        for element in self.element.findall("activity-date"):
            date = parse_date(element.get("iso-date"))
            if date is None:
                self.report.notes.append(
                    f"activity-date type {element.get('type')}: unreadable date "
                    f"{element.get('iso-date')!r} left out"
                )
                continue
            found.setdefault(element.get("type"), date)
        start = found.get("2") or found.get("1")
        end = found.get("4") or found.get("3")
        if start and end and end < start:
            self.report.notes.append(f"end date {end} before start {start}: left out")
            end = None
        return {"start_on": start, "end_on": end}

    def choose_code(self, reporting) -> str:
        for other in self.element.findall("other-identifier"):
            ref = (other.get("ref") or "").strip()
            if (
                other.get("type") == codelists.OTHER_IDENTIFIER_INTERNAL
                and re.match(CODE_RE, ref)
                and len(ref) <= 60
                and not Agreement.objects.filter(code=ref).exists()
            ):
                return ref
        identifier = self.report.identifier
        prefix = (reporting[0] + "-") if reporting and reporting[0] else ""
        if prefix and identifier.startswith(prefix) and len(identifier) > len(prefix):
            identifier = identifier[len(prefix) :]
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", identifier).strip("-._")[:55] or "iati"
        code, n = base, 1
        while Agreement.objects.filter(code=code).exists():
            n += 1
            code = f"{base}-{n}"
        return code

    def read_parent(self):
        for related in self.element.findall("related-activity"):
            if related.get("type") == codelists.RELATED_ACTIVITY_PARENT:
                self.parent_identifier = (related.get("ref") or "").strip()
                return

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
                    agreement.save(update_fields=["framework", "updated_at"])
            except ValidationError as error:
                self.report.notes.append(
                    "framework not set: " + "; ".join(error.messages)
                )
            else:
                if self.report.outcome == "unchanged":
                    self.report.outcome = "updated"

    # Organisations -----------------------------------------------------------

    def read_org(self, element):
        """(ref, type, name, role) or None when it has neither a ref nor a name."""
        if element is None:
            return None
        ref = (element.get("ref") or "").strip()
        name = self.narrative(element)
        if not ref and not name:
            return None
        # Its name in every language, for an organisation created from it.
        self.organization_names[(ref, name)] = self.texts("name", element, limit=255)
        return (ref, (element.get("type") or "").strip(), name, element.get("role", ""))

    def read_participants(self):
        participants = []
        for element in self.element.findall("participating-org"):
            data = self.read_org(element)
            role = (element.get("role") or "").strip()
            if data is None:
                self.report.notes.append(
                    f"participating-org (role {role or '?'}) without a ref or a name "
                    "left out"
                )
            elif role not in ParticipantRole.values:
                self.report.notes.append(
                    f"participating-org {data[2] or data[0]}: role {role!r} is not "
                    "1 to 4, left out"
                )
            else:
                participants.append((data[0], data[1], data[2], role))
        return participants

    def organization(self, data, *, country: str = "") -> Organization:
        ref, type_code, name, _role = data
        found = None
        if ref:
            found = Organization.objects.filter(iati_identifier=ref).first()
        if found is None and name:
            # The same name in any language of the record.
            same_name = Organization.objects.filter(
                functools.reduce(
                    operator.or_,
                    (
                        Q(**{f"{column}__iexact": name[:255]})
                        for column in languages.column_names("name")
                    ),
                )
            )
            if ref:
                # A namesake with another IATI identifier is another organisation.
                same_name = same_name.filter(iati_identifier__isnull=True)
            found = same_name.order_by("pk").first()
        if found is not None:
            return found
        names = self.organization_names.get((ref, name)) or {}
        if not any(names.values()):
            names = {"name": (name or ref)[:255]}
        organization = Organization(
            **names,
            iati_identifier=ref[:100] or None,
            kind=codelists.KIND_FROM_ORGANISATION_TYPE.get(
                type_code, OrganizationKind.OTHER
            ),
            country=country if re.fullmatch(r"[A-Z]{2}", country or "") else "",
        )
        organization.full_clean()
        organization.save()
        self.report.created["organizations"] += 1
        self.changed = True
        return organization

    def write_participants(self, agreement, participants, donor, recipient):
        wanted = []
        for data in participants:
            organization = self.organization(data)
            pair = (organization.pk, data[3])
            if pair in ((donor.pk, "1"), (recipient.pk, "4")) or pair in wanted:
                continue
            wanted.append(pair)
        existing = {
            (p.organization_id, p.role): p for p in agreement.participations.all()
        }
        for pair, participation in existing.items():
            if pair not in wanted:
                participation.delete()
                self.changed = True
        for organization_id, role in wanted:
            if (organization_id, role) not in existing:
                Participation.objects.create(
                    agreement=agreement, organization_id=organization_id, role=role
                )
                self.report.created["participants"] += 1
                self.changed = True

    # Sectors and documents ---------------------------------------------------

    def write_sectors(self, agreement) -> list[ProgramArea]:
        codes, other = [], Counter()
        sectors = self.element.findall("sector") or self.element.findall(
            "transaction/sector"
        )
        for sector in sectors:
            vocabulary = (sector.get("vocabulary") or "1").strip()
            code = (sector.get("code") or "").strip()
            if vocabulary == "1" and re.fullmatch(r"[0-9]{5}", code):
                if code not in codes:
                    codes.append(code)
            else:
                other[vocabulary] += 1
        if other:
            self.report.notes.append(
                "sectors not kept (only DAC 5-digit codes become program areas): "
                + ", ".join(f"{n} of vocabulary {v}" for v, n in sorted(other.items()))
            )
        areas = []
        for code in codes:
            area = (
                ProgramArea.objects.filter(dac_sector_code=code).order_by("pk").first()
            )
            if area is None:
                name = codelists.dac_sector_names().get(code, f"DAC sector {code}")
                area, created = ProgramArea.objects.get_or_create(
                    code=f"dac-{code}",
                    defaults={"name": name[:255], "dac_sector_code": code},
                )
                if created:
                    self.report.created["program areas"] += 1
            areas.append(area)
        if {a.pk for a in areas} != set(
            agreement.program_areas.values_list("pk", flat=True)
        ):
            agreement.program_areas.set(areas)
            self.changed = True
        return areas

    def write_documents(self, agreement):
        documents, validate = [], URLValidator()
        for link in self.element.findall("document-link"):
            url = (link.get("url") or "").strip()
            try:
                validate(url)
                if len(url) > 1000:
                    raise ValidationError("too long")
            except ValidationError:
                self.report.notes.append(f"document-link with address {url!r} left out")
                continue
            document = SourceDocument.objects.filter(url=url).order_by("pk").first()
            if document is None:
                document = SourceDocument.objects.create(
                    url=url,
                    **self.texts("title", link.find("title"), default=url, limit=500),
                    published_on=parse_date(
                        child_attr(link, "document-date", "iso-date")
                    ),
                    notes="Imported from an IATI document-link.",
                )
                self.report.created["source documents"] += 1
            documents.append(document)
        if {d.pk for d in documents} != set(
            agreement.source_documents.values_list("pk", flat=True)
        ):
            agreement.source_documents.set(documents)
            self.changed = True

    # Money -------------------------------------------------------------------

    def read_commitments(self, default_currency):
        """(date, amount, currency, title) of each commitment, in date order. Outgoing
        commitments (type 2); incoming ones (type 11) only when there is no type 2."""
        by_type, skipped = {}, Counter()
        for position, element in enumerate(self.element.findall("transaction")):
            type_code = child_attr(element, "transaction-type", "code")
            by_type.setdefault(type_code.strip(), []).append((position, element))
        kept = codelists.OUTGOING_COMMITMENT
        if kept not in by_type and codelists.INCOMING_COMMITMENT in by_type:
            kept = codelists.INCOMING_COMMITMENT
        for type_code, elements in by_type.items():
            if type_code != kept and type_code not in codelists.PAYMENT_KIND:
                skipped[type_code] += len(elements)
        if skipped:
            self.report.notes.append(
                "transactions not imported (the tracker records commitments, "
                "disbursements and expenditure): "
                + ", ".join(
                    f"{n} {codelists.TRANSACTION_TYPE_NAMES.get(t, 'of type ' + repr(t))}"
                    for t, n in sorted(skipped.items(), key=lambda i: i[0].zfill(3))
                )
            )
        commitments = []
        for position, element in by_type.get(kept, []):
            date, amount, currency = transaction_value(element, default_currency)
            if date is None or amount is None:
                raise SkipActivity(
                    f"commitment #{position + 1} has an unreadable date or amount "
                    f"({self._text(element.find('value'))!r}): the total would be wrong"
                )
            title = self.texts(
                "title",
                element.find("description"),
                default=f"{codelists.TRANSACTION_TYPE_NAMES[kept]} of {date.isoformat()}",
                limit=500,
            )
            commitments.append((date, position, amount, currency, title))
        commitments.sort(key=lambda c: (c[0], c[1]))
        return [(d, a, c, t) for d, _p, a, c, t in commitments]

    def read_payments(self, currency):
        """Disbursements (type 3) and expenditure (type 4) as unsaved Disbursement
        rows, in date order, provider and receiver kept. One in another currency
        than the agreement's, or unreadable, is left out with a note (its amount
        cannot be added to the others)."""
        payments, foreign = [], Counter()
        for position, element in enumerate(self.element.findall("transaction")):
            type_code = child_attr(element, "transaction-type", "code").strip()
            kind = codelists.PAYMENT_KIND.get(type_code)
            if kind is None:
                continue
            date, amount, paid_in = transaction_value(element, currency)
            if date is None or amount is None:
                self.report.notes.append(
                    f"{codelists.TRANSACTION_TYPE_NAMES[type_code]} #{position + 1}: "
                    "unreadable date or amount "
                    f"({self._text(element.find('value'))!r}) left out"
                )
                continue
            if paid_in != currency:
                foreign[paid_in] += 1
                continue
            if date > paid_by_now():
                self.report.notes.append(
                    f"{codelists.TRANSACTION_TYPE_NAMES[type_code]} #{position + 1} "
                    f"dated {date.isoformat()}, in the future: left out"
                )
                continue
            provider = self.read_org(element.find("provider-org"))
            receiver = self.read_org(element.find("receiver-org"))
            payments.append(
                (
                    date,
                    position,
                    Disbursement(
                        kind=kind,
                        date=date,
                        amount=amount.quantize(TWO_PLACES),
                        **self.texts("description", element.find("description")),
                        provider=self.organization(provider) if provider else None,
                        receiver=self.organization(receiver) if receiver else None,
                        publication=PublicationState.DRAFT,
                    ),
                )
            )
        if foreign:
            self.report.notes.append(
                "payments in another currency than the agreement's left out: "
                + ", ".join(f"{n} in {code}" for code, n in sorted(foreign.items()))
            )
        payments.sort(key=lambda p: (p[0], p[1]))
        return [payment for _d, _p, payment in payments]

    def write_payments(self, agreement, payments):
        """The activity's payments in place of the agreement's (drafts, as amendments
        are). Payments whose totals the ledger refuses (a reimbursement of more than
        the file shows paid) are all left out, with the reason."""
        key = lambda p: (  # noqa: E731
            p.kind,
            p.date,
            p.amount,
            languages.texts_of(p, "description"),
            p.provider_id,
            p.receiver_id,
        )
        existing = list(agreement.disbursements.order_by("date", "pk"))
        if sorted(map(key, existing), key=str) == sorted(map(key, payments), key=str):
            return
        try:
            ledger.check(
                [],
                currency=agreement.currency,
                payments=[
                    ledger.Payment(p.kind, p.date, p.amount, published=False)
                    for p in payments
                ],
            )
        except ValidationError as error:
            self.report.notes.append(
                "disbursements not imported: " + "; ".join(error.messages)
            )
            payments = []
        with ledger.batch():
            for payment in existing:
                payment.delete()
            for payment in payments:
                payment.agreement = agreement
                payment.full_clean()
                payment.save()
        self.report.created["disbursements"] += len(payments)
        self.changed = True

    def write_amendments(self, agreement, commitments):
        wanted = [
            (n, date, amount.quantize(TWO_PLACES), title)
            for n, (date, amount, _c, title) in enumerate(commitments, 1)
        ]
        existing = list(agreement.amendments.order_by("sequence"))
        if [
            (a.sequence, a.signed_on, a.amount, languages.texts_of(a, "title"))
            for a in existing
        ] == wanted:
            return
        with ledger.batch():
            self.replace_amendments(agreement, existing, wanted)
        self.report.created["amendments"] += len(wanted)
        self.changed = True

    def replace_amendments(self, agreement, existing, wanted):
        """The activity's commitments in place of the agreement's amendments; one step
        for the ledger (its figures computed once, at the end)."""
        for amendment in reversed(existing):
            amendment.delete()
        for sequence, date, amount, title in wanted:
            amendment = Amendment(
                agreement=agreement,
                sequence=sequence,
                **title,
                signed_on=date,
                amount=amount,
                description="Imported from an IATI commitment transaction.",
                publication=PublicationState.DRAFT,
            )
            amendment.full_clean()
            amendment.save()

    def write_budgets(self, agreement, currency):
        wanted = []
        for position, element in enumerate(self.element.findall("budget"), 1):
            value = element.find("value")
            start = parse_date(child_attr(element, "period-start", "iso-date"))
            end = parse_date(child_attr(element, "period-end", "iso-date"))
            amount = parse_decimal(value.text if value is not None else None)
            budget_type = (element.get("type") or "1").strip()
            status = (element.get("status") or "1").strip()
            if None in (start, end, amount) or end < start:
                self.report.notes.append(
                    f"budget #{position}: unreadable period or value, left out"
                )
                continue
            if (
                budget_type not in BudgetType.values
                or status not in BudgetStatus.values
            ):
                self.report.notes.append(
                    f"budget #{position}: type {budget_type!r} or status {status!r} "
                    "not in the codelist, left out"
                )
                continue
            row = (
                budget_type,
                status,
                start,
                end,
                amount,
                (value.get("currency") or currency).strip().upper(),
                parse_date(value.get("value-date")),
            )
            # Budgets are information: a bad one is left out, not the activity.
            try:
                Budget(
                    agreement=agreement, **dict(zip(BUDGET_FIELDS, row, strict=True))
                ).full_clean()
            except ValidationError as error:
                self.report.notes.append(
                    f"budget #{position} left out: {' '.join(error.messages)}"
                )
                continue
            wanted.append(row)
        existing = list(agreement.budgets.order_by("pk"))
        if [tuple(getattr(b, f) for f in BUDGET_FIELDS) for b in existing] == wanted:
            return
        agreement.budgets.all().delete()
        Budget.objects.bulk_create(
            Budget(agreement=agreement, **dict(zip(BUDGET_FIELDS, row, strict=True)))
            for row in wanted
        )
        self.report.created["budgets"] += len(wanted)
        self.changed = True

    # Results -----------------------------------------------------------------

    def write_results(self, agreement, areas):
        area = areas[0] if areas else None
        for r_index, result in enumerate(self.element.findall("result"), 1):
            result_titles = self.site_narratives(result.find("title"))
            indicators = result.findall("indicator")
            if not indicators:
                shown = next(iter(result_titles.values()), "")
                self.report.notes.append(
                    f"result #{r_index} {shown!r} has no indicator, left out"
                )
            for i_index, element in enumerate(indicators, 1):
                if area is None:
                    area, created = ProgramArea.objects.get_or_create(
                        code=IMPORTED_AREA_CODE,
                        defaults={"name": "Imported from IATI (to be classified)"},
                    )
                    if created:
                        self.report.created["program areas"] += 1
                self.write_indicator(
                    agreement, area, result, result_titles, element, (r_index, i_index)
                )

    def write_indicator(self, agreement, area, result, result_titles, element, index):
        where = f"result #{index[0]} indicator #{index[1]}"
        titles = self.site_narratives(element.find("title"))
        single = len(result.findall("indicator")) == 1
        names = {}
        for language in languages.codes():
            result_title = result_titles.get(language, "")
            title = titles.get(language, "")
            if single and (not title or title == result_title):
                names[language] = (result_title or title)[:500]
            else:
                names[language] = " — ".join(t for t in (result_title, title) if t)[
                    :500
                ]
        if not any(names.values()):
            names[languages.original_language()] = where
        name = next(text for text in names.values() if text)
        measure_code = (element.get("measure") or "1").strip()
        no_actual, rows = [], []
        baselines = self.read_baselines(element, where)
        for p_index, period in enumerate(element.findall("period"), 1):
            start = parse_date(child_attr(period, "period-start", "iso-date"))
            end = parse_date(child_attr(period, "period-end", "iso-date"))
            if start is None or end is None or end < start:
                self.report.notes.append(
                    f"{where} period #{p_index}: unreadable or reversed dates, left out"
                )
                continue
            targets = {
                self.dimensions(t): t.get("value") for t in period.findall("target")
            }
            actuals = period.findall("actual")
            if not actuals:
                for dimensions, target in targets.items():
                    label = f" ({dimensions})" if dimensions else ""
                    no_actual.append(f"{start}–{end}{label}: target {target or '?'}")
                continue
            for actual in actuals:
                dimensions = self.dimensions(actual)
                value = parse_decimal(actual.get("value"))
                if value is None:
                    self.report.notes.append(
                        f"{where} period {start}–{end}: actual "
                        f"{actual.get('value')!r} is not a number, left out"
                    )
                    target = targets.get(dimensions, targets.get(""))
                    no_actual.append(
                        f"{start}–{end}: actual {actual.get('value')!r}, "
                        f"target {target or '?'}"
                    )
                    continue
                target_text = targets.get(dimensions, targets.get(""))
                target = parse_decimal(target_text)
                if target_text and target is None:
                    self.report.notes.append(
                        f"{where} period {start}–{end}: target {target_text!r} is not "
                        "a number, left out"
                    )
                year, baseline = self.baseline_for(baselines, start)
                rows.append(
                    {
                        "period_start": start,
                        "period_end": end,
                        "disaggregation": dimensions[:255],
                        "actual_value": value.quantize(TWO_PLACES),
                        "target_value": target.quantize(TWO_PLACES)
                        if target is not None
                        else None,
                        "baseline_year": year,
                        "baseline_value": baseline,
                        **self.texts("comment", actual.find("comment")),
                    }
                )
        description = self.narrative(element.find("description"))
        if no_actual:
            self.report.notes.append(
                f"{where} {name[:60]!r}: {len(no_actual)} period(s) without a numeric "
                "actual value kept in the indicator's description, not as results"
            )
            description = "\n".join(
                part for part in (description, NO_ACTUAL_HEADER, *no_actual) if part
            )
        code = indicator_code(self.report.identifier, *index)
        indicator = Indicator.objects.filter(code=code).first()
        values = {
            **{languages.column("name", lang): text for lang, text in names.items()},
            "description": description,
            "measure": Measure.PERCENTAGE if measure_code == "2" else Measure.NUMBER,
            "direction": Direction.DECREASE
            if (element.get("ascending") or "").strip() in ("0", "false")
            else Direction.INCREASE,
            "aggregation": Aggregation.NONE
            if (result.get("aggregation-status") or "").strip() in ("0", "false")
            else Aggregation.SUM,
        }
        if indicator is None:
            indicator = Indicator(
                code=code,
                program_area=area,
                unit=Unit.PERCENT if measure_code == "2" else Unit.OTHER,
                publication=PublicationState.DRAFT,
            )
        changed_before = self.changed
        if self.assign(indicator, values) or indicator.pk is None:
            is_new = indicator.pk is None
            try:
                indicator.full_clean()
            except ValidationError as error:
                self.report.notes.append(
                    f"{where} left out: {' '.join(error.messages)}"
                )
                self.changed = changed_before or not is_new
                return
            indicator.save()
            self.report.created["indicators"] += is_new
        self.write_result_rows(agreement, indicator, rows, where)

    def write_result_rows(self, agreement, indicator, rows, where):
        kept = []
        for values in rows:
            key = {
                "indicator": indicator,
                "agreement": agreement,
                "period_start": values.pop("period_start"),
                "period_end": values.pop("period_end"),
                "location": "",
                "disaggregation": values.pop("disaggregation"),
            }
            row = Result.objects.filter(**key).first()
            if row is not None and row.pk in kept:
                self.report.notes.append(
                    f"{where}: a second actual for {key['period_start']}–"
                    f"{key['period_end']} {key['disaggregation']} left out"
                )
                continue
            if row is None:
                row = Result(**key, status=ResultStatus.DRAFT)
            changed_before = self.changed
            if self.assign(row, values) or row.pk is None:
                is_new = row.pk is None
                row.status = ResultStatus.DRAFT
                row.return_reason = ""
                try:
                    row.full_clean()
                except ValidationError as error:
                    self.report.notes.append(
                        f"{where} period {key['period_start']}–{key['period_end']} "
                        f"left out: {' '.join(error.messages)}"
                    )
                    self.changed = changed_before or not is_new
                    continue
                row.save()
                self.report.created["results"] += is_new
            kept.append(row.pk)
        stale = Result.objects.filter(indicator=indicator, agreement=agreement).exclude(
            pk__in=kept
        )
        if stale.exists():
            stale.delete()
            self.changed = True

    def read_baselines(self, element, where):
        baselines = []
        for baseline in element.findall("baseline"):
            year_text = (baseline.get("year") or "").strip()
            year = int(year_text) if year_text.isdigit() else None
            if year is not None and not 1900 < year <= 2100:
                self.report.notes.append(
                    f"{where}: baseline year {year} looks like a placeholder, left out"
                )
                year = None
            value_text = baseline.get("value")
            value = parse_decimal(value_text)
            if value_text and value is None:
                self.report.notes.append(
                    f"{where}: baseline value {value_text!r} is not a number, left out"
                )
            if year is not None or value is not None:
                baselines.append(
                    (year, value.quantize(TWO_PLACES) if value is not None else None)
                )
        return baselines

    def baseline_for(self, baselines, start):
        """The latest baseline of a year up to the period's start, else the first."""
        usable = [b for b in baselines if b[0] is None or b[0] <= start.year]
        if usable:
            return max(usable, key=lambda b: b[0] or 0)
        return baselines[0] if baselines else (None, None)

    def dimensions(self, element) -> str:
        parts = []
        for dimension in element.findall("dimension"):
            name = (dimension.get("name") or "").strip()
            value = (dimension.get("value") or "").strip()
            parts.append(value if name == "disaggregation" else f"{name}: {value}")
        return "; ".join(parts)


def transaction_value(element, default_currency: str):
    """(date, amount, currency) of a transaction: its transaction-date, else its
    value-date; None for what cannot be read."""
    value = element.find("value")
    date = parse_date(child_attr(element, "transaction-date", "iso-date"))
    if date is None and value is not None:
        date = parse_date(value.get("value-date"))
    amount = parse_decimal(value.text if value is not None else None)
    currency = default_currency
    if value is not None:
        currency = (value.get("currency") or default_currency).strip().upper()
    return date, amount, currency


def child_attr(element, tag: str, name: str) -> str:
    """An attribute of the first child `tag`, or "" (an lxml element without
    children is falsy, so `find(...) or default` would be wrong)."""
    child = element.find(tag)
    return (child.get(name) or "") if child is not None else ""


def indicator_code(identifier: str, result_index: int, indicator_index: int) -> str:
    """A stable indicator code: the same activity, result and position give the same
    code on every import."""
    digest = hashlib.sha1(identifier.encode()).hexdigest()[:8]
    return (
        f"iati-{slugify(identifier)[:50]}-{digest}"
        f"-r{result_index:03d}-i{indicator_index:03d}"
    )


def parse_date(text) -> datetime.date | None:
    text = (text or "").strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", text)
    if not match:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def parse_decimal(text) -> Decimal | None:
    """A number as publishers write it: 1234.5, 6,314,000.00, 1.234,5 or 97,5. None
    for anything else ("Yes", "8,386413", empty); rounded to two places."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        number = text
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        number = text.replace(",", "")
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text):
        number = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d+,\d{1,2}", text):
        number = text.replace(",", ".")
    else:
        return None
    try:
        return Decimal(number).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
