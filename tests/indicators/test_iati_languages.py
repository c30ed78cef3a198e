"""IATI narratives per language: the export writes each language of a text, the
import keeps every language the file has that the site keeps."""

import io

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from grants.models import Agreement
from indicators.iati.codelists import schema_errors
from indicators.iati.importer import import_files
from indicators.models import Result
from tests.indicators.test_iati_export import REPORTING, activities

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def narratives(element):
    return [(n.get(XML_LANG), n.text) for n in element.findall("narrative")]


@override_settings(**REPORTING)
class ExportNarrativesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_seed", stdout=io.StringIO())
        cls.agreement = Agreement.objects.get(code="527-0427")

    def test_the_export_has_a_narrative_per_language_and_is_valid(self):
        root, by_id = activities(self.client.get(reverse("iati:activities")))
        self.assertEqual(schema_errors(root), [])
        activity = by_id["XM-TEST-527-0427"]
        self.assertEqual(activity.get(XML_LANG), "en")
        self.assertEqual(
            narratives(activity.find("title")),
            [(None, self.agreement.title_en), ("es", self.agreement.title_es)],
        )
        self.assertEqual(
            narratives(activity.find("description")),
            [(None, self.agreement.summary_en), ("es", self.agreement.summary_es)],
        )
        comments = activity.findall("result/indicator/period/actual/comment")
        self.assertTrue(comments)
        for comment in comments:
            self.assertEqual([lang for lang, _t in narratives(comment)], [None, "es"])

    def test_a_text_in_spanish_only_has_one_narrative_marked_es(self):
        Agreement.objects.filter(pk=self.agreement.pk).update(title_en="")
        root, by_id = activities(self.client.get(reverse("iati:activities")))
        self.assertEqual(schema_errors(root), [])
        title = by_id["XM-TEST-527-0427"].find("title")
        self.assertEqual(narratives(title), [("es", self.agreement.title_es)])


BILINGUAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
  <iati-activity default-currency="USD" xml:lang="en">
    <iati-identifier>ZZ-TEST-1-BILINGUAL</iati-identifier>
    <reporting-org ref="ZZ-TEST-1" type="10"><narrative>Test Agency</narrative></reporting-org>
    <title>
      <narrative>Clean water for the valley</narrative>
      <narrative xml:lang="es">Agua limpia para el valle</narrative>
      <narrative xml:lang="fr">Eau propre pour la vall\xc3\xa9e</narrative>
    </title>
    <description type="1">
      <narrative xml:lang="ES">Agua potable para los pueblos.</narrative>
      <narrative>Drinking water for the towns.</narrative>
    </description>
    <participating-org ref="ZZ-TEST-1" type="10" role="1"><narrative>Test Agency</narrative></participating-org>
    <participating-org type="22" role="4"><narrative>Valley Water Board</narrative></participating-org>
    <activity-status code="2"/>
    <transaction>
      <transaction-type code="2"/>
      <transaction-date iso-date="2021-01-10"/>
      <value currency="USD" value-date="2021-01-10">1000</value>
      <description>
        <narrative>First obligation</narrative>
        <narrative xml:lang="es">Primera obligaci\xc3\xb3n</narrative>
      </description>
    </transaction>
    <result type="1">
      <title><narrative>Households connected</narrative><narrative xml:lang="es">Hogares conectados</narrative></title>
      <indicator measure="1" ascending="1">
        <title><narrative>Households connected</narrative></title>
        <period>
          <period-start iso-date="2021-01-01"/>
          <period-end iso-date="2021-12-31"/>
          <actual value="40"><comment><narrative>From the census</narrative><narrative xml:lang="es">Del censo</narrative></comment></actual>
        </period>
      </indicator>
    </result>
  </iati-activity>
</iati-activities>
"""


class ImportNarrativesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        [cls.report] = import_files([("bilingual.xml", BILINGUAL)])
        cls.agreement = Agreement.objects.get(iati_identifier="ZZ-TEST-1-BILINGUAL")

    def test_a_file_with_es_and_en_narratives_keeps_both(self):
        agreement = self.agreement
        self.assertEqual(agreement.title_en, "Clean water for the valley")
        self.assertEqual(agreement.title_es, "Agua limpia para el valle")
        self.assertEqual(agreement.summary_en, "Drinking water for the towns.")
        self.assertEqual(agreement.summary_es, "Agua potable para los pueblos.")
        [amendment] = agreement.amendments.all()
        self.assertEqual(amendment.title_en, "First obligation")
        self.assertEqual(amendment.title_es, "Primera obligación")
        [result] = Result.objects.filter(agreement=agreement)
        self.assertEqual(
            (result.comment_en, result.comment_es), ("From the census", "Del censo")
        )

    def test_only_the_languages_left_out_are_reported(self):
        [activity] = self.report.activities
        notes = " ".join(activity.notes)
        self.assertIn("not kept (fr)", notes)
        self.assertNotIn("(es", notes)

    def test_an_unmarked_narrative_is_in_the_activitys_language(self):
        spanish = BILINGUAL.replace(b'xml:lang="en">', b'xml:lang="es">', 1)
        spanish = spanish.replace(b"ZZ-TEST-1-BILINGUAL", b"ZZ-TEST-1-ES")
        spanish = spanish.replace(
            b"<narrative>Clean water for the valley</narrative>\n      "
            b'<narrative xml:lang="es">Agua limpia para el valle</narrative>',
            b"<narrative>Agua limpia para el valle</narrative>\n      "
            b'<narrative xml:lang="en">Clean water for the valley</narrative>',
        )
        import_files([("es.xml", spanish)])
        untidy = Agreement.objects.get(iati_identifier="ZZ-TEST-1-ES")
        self.assertEqual(untidy.title_es, "Agua limpia para el valle")
        self.assertEqual(untidy.title_en, "Clean water for the valley")

    def test_reimporting_the_same_file_changes_nothing(self):
        [report] = import_files([("bilingual.xml", BILINGUAL)])
        self.assertEqual(report.activities[0].outcome, "unchanged")
