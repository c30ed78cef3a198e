"""IATI without loss (issue 18): real files imported whole, organisations identified
honestly, geography and sectors kept, publisher honesty, the review rule, a lossless
round trip of our own records, and the streamed export."""

import csv as csv_module
import datetime
import io
from decimal import Decimal

from lxml import etree

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from grants.models import (
    Agreement,
    Amendment,
    Disbursement,
    Organization,
    PublicationState,
)
from indicators.iati.codelists import schema_errors
from indicators.iati.importer import import_files
from indicators.models import Indicator, Result, ResultStatus
from tests.factories import make_indicator, make_result, make_staff_user
from tests.indicators.iati_rules import ruleset_errors
from tests.indicators.iati_support import (
    canonical_activities,
    make_generated_data,
    shared_iati_dir,
)
from tests.indicators.test_iati_import import (
    PLAIN_STATIC,
    REPORTING,
    empty_the_database,
    publish_everything,
)

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<iati-activities version="2.03" generated-datetime="2025-01-01T00:00:00Z">'
)
TAIL = b"</iati-activities>"


def activity(body: str, *, identifier="XM-DAC-928-BRA-1", reporter="XM-DAC-928"):
    return f"""
  <iati-activity default-currency="USD" xml:lang="en">
    <iati-identifier>{identifier}</iati-identifier>
    <reporting-org ref="{reporter}" type="40"><narrative>World Health Organization</narrative></reporting-org>
    <title><narrative>Activity {identifier}</narrative></title>
    <activity-status code="2"/>
    <activity-date type="1" iso-date="2022-01-01"/>
    {body}
  </iati-activity>"""


def file_of(*activities: str) -> bytes:
    return HEAD + "".join(activities).encode() + TAIL


def only(reports):
    [report] = reports
    return report


SELF_IMPLEMENTED = activity(
    """
    <participating-org ref="XM-DAC-928" type="40" role="1"><narrative>World Health Organization</narrative></participating-org>
    <participating-org ref="XM-DAC-928" type="40" role="4"><narrative>World Health Organization</narrative></participating-org>
    <recipient-country code="BR" percentage="60"/>
    <recipient-country code="XX" percentage="10"/>
    <recipient-region code="489" vocabulary="1" percentage="30"><narrative>South America, regional</narrative></recipient-region>
    <sector vocabulary="1" code="12110" percentage="5"/>
    <sector vocabulary="1" code="12220" percentage="50"/>
    <sector vocabulary="1" code="12250" percentage="10"/>
    <sector vocabulary="1" code="12261" percentage="35"/>
    <sector vocabulary="99" vocabulary-uri="https://example.org/who-sectors" code="OUT-3" percentage="100"><narrative>Output 3</narrative></sector>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2022-02-01"/><value value-date="2022-02-01">1000</value></transaction>
    <document-link url="https://example.org/reports/annual report 2022.pdf" format="application/pdf">
      <title><narrative>Annual report</narrative></title><category code="A12"/>
    </document-link>"""
)


class NothingRealIsSkippedTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = only(import_files([("who.xml", file_of(SELF_IMPLEMENTED))]))
        cls.agreement = Agreement.objects.get(iati_identifier="XM-DAC-928-BRA-1")

    def test_a_self_funded_self_implemented_activity_is_imported(self):
        [activity_report] = self.report.activities
        self.assertEqual(activity_report.outcome, "created", activity_report.lines())
        self.assertEqual(self.agreement.donor, self.agreement.recipient)
        self.assertEqual(self.agreement.donor.iati_identifier, "XM-DAC-928")

    def test_an_invalid_country_code_is_left_out_not_the_activity(self):
        [activity_report] = self.report.activities
        self.assertTrue(any("XX" in note for note in activity_report.notes))
        self.assertEqual(
            list(
                self.agreement.recipient_areas.values_list(
                    "kind", "code", "vocabulary", "percentage"
                )
            ),
            [
                ("country", "BR", "", Decimal("60.00")),
                ("region", "489", "1", Decimal("30.00")),
            ],
        )

    def test_sector_shares_and_other_vocabularies_are_kept(self):
        self.assertEqual(
            list(
                self.agreement.sectors.values_list("vocabulary", "code", "percentage")
            ),
            [
                ("1", "12110", Decimal("5.00")),
                ("1", "12220", Decimal("50.00")),
                ("1", "12250", Decimal("10.00")),
                ("1", "12261", Decimal("35.00")),
                ("99", "OUT-3", Decimal("100.00")),
            ],
        )
        # DAC codes still map to program areas.
        self.assertEqual(
            sorted(
                self.agreement.program_areas.values_list("dac_sector_code", flat=True)
            ),
            ["12110", "12220", "12250", "12261"],
        )

    def test_a_document_address_with_spaces_is_percent_encoded(self):
        self.assertEqual(
            list(self.agreement.source_documents.values_list("url", flat=True)),
            ["https://example.org/reports/annual%20report%202022.pdf"],
        )

    def test_provenance_is_stored(self):
        agreement = self.agreement
        self.assertEqual(agreement.reporting_org_ref, "XM-DAC-928")
        self.assertEqual(agreement.reporting_org_name, "World Health Organization")
        self.assertEqual(agreement.source_file, "who.xml")
        self.assertIsNotNone(agreement.imported_at)

    def test_history_names_the_import_and_its_date(self):
        reasons = set(
            self.agreement.history.values_list("history_change_reason", flat=True)
        )
        today = timezone.localdate().isoformat()
        self.assertIn(f"IATI import of who.xml, {today}", reasons)
        amendment = self.agreement.amendments.get()
        self.assertEqual(
            amendment.history.first().history_change_reason,
            f"IATI import of who.xml, {today}",
        )

    @override_settings(**REPORTING)
    def test_export_is_true_to_the_file_and_honest_about_its_publisher(self):
        Agreement.objects.update(publication=PublicationState.PUBLISHED)
        Amendment.objects.update(publication=PublicationState.PUBLISHED)
        body = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(schema_errors(body), [])
        [element] = etree.fromstring(body).findall("iati-activity")
        # Their identifier, not ours; our reporting-org as a secondary reporter.
        self.assertEqual(element.findtext("iati-identifier"), "XM-DAC-928-BRA-1")
        reporting = element.find("reporting-org")
        self.assertEqual(reporting.get("ref"), REPORTING["IATI_REPORTING_ORG_REF"])
        self.assertEqual(reporting.get("secondary-reporter"), "1")
        self.assertEqual(
            [
                (s.get("vocabulary"), s.get("code"), s.get("percentage"))
                for s in element.findall("sector")
            ],
            [
                ("1", "12110", "5"),
                ("1", "12220", "50"),
                ("1", "12250", "10"),
                ("1", "12261", "35"),
                ("99", "OUT-3", "100"),
            ],
        )
        self.assertEqual(
            [
                (c.get("code"), c.get("percentage"))
                for c in element.findall("recipient-country")
            ],
            [("BR", "60")],
        )
        self.assertEqual(element.find("recipient-region").get("percentage"), "30")
        self.assertEqual(
            element.find("document-link").get("url"),
            "https://example.org/reports/annual%20report%202022.pdf",
        )


WINDOW = activity(
    """
    <participating-org ref="US-GOV-1" type="10" role="1"><narrative>USAID</narrative></participating-org>
    <participating-org type="10" role="4"><narrative>Government of Bolivia</narrative></participating-org>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2024-01-01"/><value value-date="2024-01-01">3796.00</value></transaction>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2024-02-01"/><value value-date="2024-02-01">-10000.00</value></transaction>
    <transaction><transaction-type code="3"/><transaction-date iso-date="2024-03-01"/><value value-date="2024-03-01">-500.00</value></transaction>""",
    identifier="US-GOV-1-WINDOW",
    reporter="US-GOV-1",
)


class TransactionWindowTests(TestCase):
    def test_a_window_starting_mid_agreement_is_imported_as_it_is_and_marked(self):
        report = only(import_files([("usaid.xml", file_of(WINDOW))]))
        self.assertEqual(report.counts(), {"created": 1}, report.lines())
        agreement = Agreement.objects.get(iati_identifier="US-GOV-1-WINDOW")
        self.assertIs(agreement.earlier_transactions_unpublished, True)
        self.assertEqual(agreement.total, Decimal("-6204.00"))
        self.assertEqual(agreement.disbursed, Decimal("-500.00"))
        self.assertEqual(
            list(agreement.amendments.values_list("running_total", flat=True)),
            [Decimal("3796.00"), Decimal("-6204.00")],
        )

    def test_the_page_and_csv_say_so(self):
        import_files([("usaid.xml", file_of(WINDOW))])
        agreement = Agreement.objects.get(iati_identifier="US-GOV-1-WINDOW")
        Agreement.objects.update(publication=PublicationState.PUBLISHED)
        Amendment.objects.update(publication=PublicationState.PUBLISHED)
        page = self.client.get(agreement.get_absolute_url())
        self.assertContains(page, 'data-testid="earlier-transactions"')
        self.assertContains(page, "net change since the first published transaction")
        self.assertContains(
            page, "World Health Organization (US-GOV-1), in IATI: usaid.xml"
        )
        csv = self.client.get(reverse("grants:agreement-list") + "?format=csv")
        text = b"".join(csv.streaming_content).decode("utf-8-sig")
        header, row = list(csv_module.reader(io.StringIO(text)))[:2]
        columns = dict(zip(header, row, strict=True))
        self.assertEqual(columns["earlier_transactions_unpublished"], "true")
        self.assertEqual(columns["published_by_ref"], "US-GOV-1")


ORGANIZATIONS = activity(
    """
    <participating-org ref="US-USAGOV" type="10" role="1"><narrative>Centers for Disease Control and Prevention (CDC), United States of America</narrative></participating-org>
    <participating-org ref="US-USAGOV" type="10" role="1"><narrative>United States Department of State (USDOS)</narrative></participating-org>
    <participating-org ref="N/A" type="22" role="4"><narrative>Fundación Salud</narrative></participating-org>
    <participating-org ref="1" type="22" role="2"><narrative>Fundacion  SALUD</narrative></participating-org>
    <participating-org ref="US-GOV-1" type="10" role="3"><narrative>U.S. Government - U.S. Agency for International Development</narrative></participating-org>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2022-02-01"/><value value-date="2022-02-01">1000</value></transaction>""",
    identifier="XM-DAC-928-ORGS",
)


class OrganizationIdentityTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.usaid = Organization.objects.create(
            name="U.S. Agency for International Development", iati_identifier="US-GOV-1"
        )
        cls.report = only(import_files([("orgs.xml", file_of(ORGANIZATIONS))]))

    def test_an_agency_code_alone_is_not_an_identity(self):
        names = set(
            Organization.objects.filter(reported_ref="US-USAGOV").values_list(
                "name", flat=True
            )
        )
        self.assertEqual(
            names,
            {
                "Centers for Disease Control and Prevention (CDC), United States of America",
                "United States Department of State (USDOS)",
            },
        )

    def test_placeholders_are_matched_by_normalized_name_and_type(self):
        self.assertEqual(
            Organization.objects.filter(name__icontains="salud").count(), 1
        )
        agreement = Agreement.objects.get(iati_identifier="XM-DAC-928-ORGS")
        self.assertEqual(agreement.recipient.name, "Fundación Salud")
        self.assertIsNone(agreement.recipient.iati_identifier)

    def test_a_name_is_never_attached_to_an_organization_named_otherwise(self):
        self.usaid.refresh_from_db()
        self.assertEqual(self.usaid.name, "U.S. Agency for International Development")
        other = Organization.objects.get(
            name="U.S. Government - U.S. Agency for International Development"
        )
        self.assertIsNone(other.iati_identifier)
        self.assertEqual(other.reported_ref, "US-GOV-1")
        [activity_report] = self.report.activities
        self.assertTrue(
            any("US-GOV-1" in line for line in activity_report.conflicts),
            activity_report.lines(),
        )

    @override_settings(STORAGES=PLAIN_STATIC)
    def test_the_admin_filter_lists_both_sides_of_a_conflict(self):
        self.client.force_login(make_staff_user(is_superuser=True))
        response = self.client.get(
            reverse("admin:grants_organization_changelist"), {"reference": "conflict"}
        )
        found = {o.name for o in response.context["cl"].result_list}
        self.assertEqual(
            found,
            {
                "U.S. Agency for International Development",
                "U.S. Government - U.S. Agency for International Development",
                # One placeholder reference given to two organisations.
                "Centers for Disease Control and Prevention (CDC), United States of America",
                "United States Department of State (USDOS)",
            },
        )
        self.assertContains(response, "same reference, different names")


LEGACY = """
  <iati-activity version="1.05" default-currency="EUR" xml:lang="en">
    <iati-identifier>XM-DAC-7-OLD</iati-identifier>
    <reporting-org ref="XM-DAC-7" type="10">Netherlands Ministry of Foreign Affairs</reporting-org>
    <title>An activity of 2012</title>
    <description>Published in version 1.05.</description>
    <participating-org ref="XM-DAC-7" role="Funding" type="10">Netherlands Ministry of Foreign Affairs</participating-org>
    <participating-org role="Implementing" type="22">Local partner</participating-org>
    <activity-status code="2"/>
    <activity-date type="start-planned" iso-date="2012-01-01"/>
    <transaction><transaction-type code="C"/><transaction-date iso-date="2012-02-01"/><value value-date="2012-02-01">5000</value></transaction>
    <transaction><transaction-type code="D"/><transaction-date iso-date="2012-03-01"/><value value-date="2012-03-01">2000</value></transaction>
  </iati-activity>"""


class MixedVersionTests(TestCase):
    def test_a_1_0x_activity_in_a_mixed_file_is_imported_with_its_content(self):
        report = only(import_files([("mixed.xml", file_of(SELF_IMPLEMENTED, LEGACY))]))
        self.assertEqual(report.counts(), {"created": 2}, report.lines())
        old = Agreement.objects.get(iati_identifier="XM-DAC-7-OLD")
        self.assertEqual(old.title, "An activity of 2012")
        self.assertEqual(old.summary, "Published in version 1.05.")
        self.assertEqual(old.recipient.name, "Local partner")
        self.assertEqual(old.start_on, datetime.date(2012, 1, 1))
        self.assertEqual(old.total, Decimal("5000.00"))
        self.assertEqual(old.disbursed, Decimal("2000.00"))


RESULTS = activity(
    """
    <participating-org ref="XM-DAC-928" type="40" role="1"><narrative>World Health Organization</narrative></participating-org>
    <participating-org type="10" role="4"><narrative>Ministry of Health</narrative></participating-org>
    <transaction><transaction-type code="2"/><transaction-date iso-date="2022-02-01"/><value value-date="2022-02-01">{amount}</value></transaction>
    <result type="1" aggregation-status="1">
      <title><narrative>{title}</narrative></title>
      <indicator measure="1" ascending="1">
        <title><narrative>{title}</narrative></title>
        <period><period-start iso-date="2022-01-01"/><period-end iso-date="2022-12-31"/><actual value="{actual}"/></period>
        <period><period-start iso-date="2023-01-01"/><period-end iso-date="2023-12-31"/><actual value="{actual}"/></period>
      </indicator>
    </result>""",
    identifier="XM-DAC-928-REVIEW",
)


def results_file(*, amount="1000", title="Clinics equipped", actual="10"):
    return file_of(RESULTS.format(amount=amount, title=title, actual=actual))


class ReviewRuleTests(TestCase):
    def setUp(self):
        import_files([("review.xml", results_file())])
        self.agreement = Agreement.objects.get(iati_identifier="XM-DAC-928-REVIEW")
        self.indicator = Indicator.objects.get()

    def test_a_re_import_never_renames_a_published_indicator(self):
        Indicator.objects.update(publication=PublicationState.PUBLISHED)
        report = only(import_files([("review.xml", results_file(title="Renamed"))]))
        self.indicator.refresh_from_db()
        self.assertEqual(self.indicator.name, "Clinics equipped")
        [activity_report] = report.activities
        self.assertTrue(
            any(self.indicator.code in line for line in activity_report.left_alone)
        )

    def test_a_re_import_never_changes_an_approved_result(self):
        approver = make_staff_user(username="approver")
        Result.objects.filter(period_start__year=2022).update(
            status=ResultStatus.APPROVED, approved_by=approver
        )
        report = only(import_files([("review.xml", results_file(actual="99"))]))
        approved = Result.objects.get(period_start__year=2022)
        self.assertEqual(approved.actual_value, Decimal("10.00"))
        self.assertEqual(approved.status, ResultStatus.APPROVED)
        draft = Result.objects.get(period_start__year=2023)
        self.assertEqual(draft.actual_value, Decimal("99.00"))
        [activity_report] = report.activities
        self.assertTrue(
            any("2022-01-01" in line for line in activity_report.left_alone),
            activity_report.lines(),
        )

    def test_a_re_import_never_touches_a_published_amendment(self):
        amendment = self.agreement.amendments.get()
        Amendment.objects.update(publication=PublicationState.PUBLISHED)
        report = only(import_files([("review.xml", results_file(amount="2000"))]))
        self.assertEqual(self.agreement.amendments.get().pk, amendment.pk)
        self.assertEqual(self.agreement.amendments.get().amount, Decimal("1000.00"))
        [activity_report] = report.activities
        self.assertTrue(
            any("#1" in line for line in activity_report.left_alone),
            activity_report.lines(),
        )

    def test_a_published_agreement_is_left_alone_and_listed(self):
        Agreement.objects.update(publication=PublicationState.PUBLISHED)
        report = only(import_files([("review.xml", results_file(title="Renamed"))]))
        self.assertEqual(report.counts(), {"left alone": 1})
        self.assertEqual(self.indicator.result_type, "1")

    def test_a_draft_result_changed_by_a_re_import_says_why_in_its_history(self):
        import_files([("review-2.xml", results_file(actual="12"))])
        row = Result.objects.get(period_start__year=2022)
        self.assertTrue(
            row.history.first().history_change_reason.startswith(
                "IATI import of review-2.xml, "
            )
        )


@override_settings(**REPORTING)
class LosslessRoundTripTests(TestCase):
    """Export, import into an empty database, export: the same data field by field,
    for the seed with a hand-made sample and for a generate_demo sample."""

    maxDiff = None

    def round_trip(self):
        first = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(schema_errors(first), [])
        self.assertEqual(ruleset_errors(first), [])
        before = public_record()
        empty_the_database()
        report = only(import_files([("export.xml", first)]))
        self.assertEqual(set(report.counts()), {"created"}, "\n".join(report.lines()))
        publish_everything()
        self.assertEqual(public_record(), before)
        second = self.client.get(reverse("iati:activities")).getvalue()
        self.assertEqual(canonical_activities(second), canonical_activities(first))

    def test_the_seed_and_a_hand_made_sample(self):
        call_command("load_seed", stdout=io.StringIO())
        make_generated_data()
        # What IATI alone cannot say: an undated amendment between dated ones,
        # the agreement kind, latest-value aggregation, a unit, a result type.
        agreement = Agreement.objects.get(code="527-0427")
        Indicator.objects.filter(code__startswith="rural").update(
            aggregation="latest", unit="hectares", result_type="2"
        )
        agreement.amendments.filter(sequence=1).update(
            signed_on=None, period_start=None
        )
        # Targets only: an output indicator planned and not reported yet, and a
        # period still to come beside an indicator's reported ones.
        planned = make_indicator(
            code="clinics-planned",
            name="Clinics to be equipped",
            program_area=agreement.program_areas.first(),
            unit="other",
            result_type="1",
        )
        for year, target in ((2026, "40"), (2027, "75")):
            make_result(
                indicator=planned,
                agreement=agreement,
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                actual_value=None,
                target_value=Decimal(target),
                location="Ucayali",
                comment="Planned in the work plan.",
            )
        make_result(
            indicator=Indicator.objects.get(code="rural-families-improved-living"),
            agreement=agreement,
            period_start=datetime.date(2027, 1, 1),
            period_end=datetime.date(2027, 12, 31),
            actual_value=None,
            target_value=Decimal("95000"),
            disaggregation="women",
        )
        self.round_trip()
        targets_only = Result.objects.filter(actual_value__isnull=True)
        self.assertEqual(targets_only.count(), 3)
        self.assertEqual(Indicator.objects.get(code="clinics-planned").result_type, "1")

    def test_a_generate_demo_sample(self):
        call_command(
            "generate_demo", agreements=12, results=60, seed=3, stdout=io.StringIO()
        )
        self.round_trip()


def public_record():
    """Every public fact the export carries, by natural keys (no primary keys)."""

    def org(o):
        if o is None:
            return None
        return (o.name, o.acronym, o.kind, str(o.country), o.iati_identifier)

    agreements = {}
    for a in Agreement.objects.public().select_related(
        "donor", "recipient", "framework"
    ):
        agreements[a.code] = {
            "fields": (
                a.title,
                a.kind,
                a.status,
                a.summary,
                a.signed_on,
                a.start_on,
                a.end_on,
                a.currency,
                a.framework.code if a.framework else None,
                a.earlier_transactions_unpublished,
            ),
            "donor": org(a.donor),
            "recipient": org(a.recipient),
            "participants": sorted(
                (org(p.organization), p.role) for p in a.participations.all()
            ),
            "program_areas": sorted(
                (p.code, p.name, p.dac_sector_code, p.parent.code if p.parent else None)
                for p in a.program_areas.all()
            ),
            "documents": sorted(
                (d.url, d.title, d.published_on)
                for d in a.source_documents.exclude(url="")
            ),
            "budgets": sorted(
                (b.budget_type, b.status, b.period_start, b.period_end, b.amount)
                for b in a.budgets.all()
            ),
            "amendments": [
                (
                    m.sequence,
                    m.title,
                    m.signed_on,
                    m.period_start,
                    m.period_end,
                    m.amount,
                    m.amount_is_derived,
                    m.stated_cumulative_total,
                    m.description,
                    m.public_running_total,
                )
                for m in a.amendments.public().order_by("sequence")
            ],
            "payments": [
                (
                    p.kind,
                    p.date,
                    p.amount,
                    p.description,
                    org(p.provider),
                    org(p.receiver),
                )
                for p in Disbursement.objects.public()
                .filter(agreement=a)
                .order_by("date", "kind", "amount", "description")
            ],
            "totals": (a.public_total, a.public_disbursed, a.public_spent),
        }
    results = sorted(
        (
            r.agreement.code,
            r.indicator.code,
            r.indicator.name,
            r.indicator.description,
            r.indicator.unit,
            r.indicator.measure,
            r.indicator.direction,
            r.indicator.aggregation,
            r.indicator.result_type,
            r.indicator.program_area.code,
            r.period_start,
            r.period_end,
            r.baseline_year,
            r.baseline_value,
            r.target_value,
            r.actual_value,
            r.location,
            r.disaggregation,
            r.comment,
        )
        for r in Result.objects.public()
        .filter(agreement__in=Agreement.objects.public())
        .select_related("agreement", "indicator__program_area")
    )
    return {"agreements": agreements, "results": results}


class WholeFileTests(TestCase):
    """One whole real file (shared/iati/real/full-usaid-bo.xml, 63 activities),
    for the real size; the trimmed files keep the other tests fast."""

    def test_every_activity_of_a_whole_usaid_file_is_imported(self):
        folder = shared_iati_dir()
        path = folder / "real" / "full-usaid-bo.xml" if folder else None
        if path is None or not path.exists():
            self.skipTest("shared/iati/real is not available")
        report = only(import_files([(path.name, path.read_bytes())]))
        self.assertEqual(report.counts(), {"created": 63}, "\n".join(report.lines()))
        windows = Agreement.objects.filter(earlier_transactions_unpublished=True)
        self.assertGreater(windows.count(), 0)
        self.assertFalse(
            any("unexpected" in a.reason for a in report.activities), report.lines()
        )
        # Countries given on transactions only (USAID) are kept, without shares.
        self.assertEqual(
            set(Agreement.objects.values_list("recipient_areas__code", flat=True)),
            {"BO"},
        )


class StreamedExportTests(TestCase):
    @override_settings(**REPORTING)
    def test_an_unchanged_export_answers_not_modified(self):
        call_command("load_seed", stdout=io.StringIO())
        response = self.client.get(reverse("iati:activities"))
        self.assertTrue(response.streaming)
        etag = response["ETag"]
        again = self.client.get(reverse("iati:activities"), HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(again.status_code, 304)
        # A query string changes nothing: same ETag, and nothing is cached.
        other = self.client.get(reverse("iati:activities") + "?x=1")
        self.assertEqual(other["ETag"], etag)
        self.assertNotIn("X-Public-Cache", other)
        Agreement.objects.filter(code="527-0427").update(title="Changed")
        from grants.cache import bump_public_version

        bump_public_version()
        changed = self.client.get(reverse("iati:activities"), HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(changed.status_code, 200)

    def test_a_control_character_is_refused_at_input(self):
        organization = Organization(name="Ministry\x0bof Health")
        with self.assertRaisesMessage(Exception, "U+000B"):
            organization.full_clean()

    @override_settings(STORAGES=PLAIN_STATIC)
    def test_the_admin_form_refuses_a_control_character(self):
        user = make_staff_user(is_superuser=True)
        self.client.force_login(user)
        response = self.client.post(
            reverse("admin:grants_organization_add"),
            {"name_en": "Ministry\x0bof Health", "kind": "government", "version": 1},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "U+000B")
        self.assertFalse(Organization.objects.exists())


class WindowClosedTests(TestCase):
    def test_a_later_whole_file_clears_the_mark(self):
        import_files([("usaid.xml", file_of(WINDOW))])
        whole = WINDOW.replace(
            '<transaction><transaction-type code="2"/><transaction-date iso-date="2024-01-01"/>',
            '<transaction><transaction-type code="2"/><transaction-date iso-date="2023-01-01"/>'
            '<value value-date="2023-01-01">20000.00</value></transaction>'
            '<transaction><transaction-type code="2"/><transaction-date iso-date="2024-01-01"/>',
        ).replace(">-500.00<", ">500.00<")
        report = only(import_files([("usaid-whole.xml", file_of(whole))]))
        self.assertEqual(report.counts(), {"updated": 1}, report.lines())
        agreement = Agreement.objects.get(iati_identifier="US-GOV-1-WINDOW")
        self.assertIs(agreement.earlier_transactions_unpublished, False)
        self.assertEqual(agreement.total, Decimal("13796.00"))
        self.assertFalse(agreement.amendments.filter(opening_unknown=True).exists())
