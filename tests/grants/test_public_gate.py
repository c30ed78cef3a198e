"""The public gate is decided in the models only: every other module asks `public()`
or `visible(include_drafts=...)` (or `published_q()` for a count over a relation),
never filters on a publication state itself."""

import ast
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from grants.models import Agreement, Amendment, Disbursement, Organization
from indicators.models import Indicator, Result

# Calls that read rows; a keyword naming a publication field in one is a gate.
READING_CALLS = {"filter", "exclude", "get", "Q", "When", "Exists"}
GATE_MODULES = {"grants/models.py", "indicators/models.py"}


def publication_filters(source: str):
    """(line, keyword) of each publication lookup in a reading call of `source`."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in READING_CALLS:
            continue
        for keyword in node.keywords:
            if keyword.arg and "publication" in keyword.arg.split("__"):
                yield node.lineno, keyword.arg


class PublicGateInOnePlaceTests(SimpleTestCase):
    def test_no_publication_filter_outside_the_models(self):
        base = Path(settings.BASE_DIR)
        found = []
        for app in ("grants", "indicators"):
            for path in sorted((base / app).rglob("*.py")):
                relative = path.relative_to(base).as_posix()
                if "/migrations/" in relative or relative in GATE_MODULES:
                    continue
                found += [
                    f"{relative}:{line} {arg}"
                    for line, arg in publication_filters(path.read_text())
                ]
        self.assertEqual(found, [], "Ask the model's public() or visible() instead.")

    def test_the_check_finds_a_publication_filter(self):
        source = (
            "Agreement.objects.filter(publication='published')\n"
            "Q(agreements__publication=PUBLISHED)\n"
            "Amendment(publication='draft')\n"
        )
        self.assertEqual(
            list(publication_filters(source)),
            [(1, "publication"), (2, "agreements__publication")],
        )

    def test_gated_models_answer_visible_and_ungated_ones_have_no_gate(self):
        for model in (Agreement, Amendment, Disbursement, Indicator, Result):
            with self.subTest(model=model.__name__):
                manager = model._default_manager
                self.assertEqual(
                    str(manager.visible(include_drafts=False).query),
                    str(manager.public().query),
                )
                self.assertEqual(
                    str(manager.visible(include_drafts=True).query),
                    str(manager.all().query),
                )
        self.assertFalse(hasattr(Organization.objects, "public"))
