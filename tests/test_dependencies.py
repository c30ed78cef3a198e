"""The dependency rule of README.md ("Layout"), checked on every module's imports
(at the top and inside functions alike):

- The site (`grants/project/`: settings, URLs, middleware, the whole-record
  commands) may import both apps; neither app imports it.
- `indicators` may import `grants`; no other module of `grants` imports `indicators`.
- Where `grants` names the indicators app without importing it (its label in the
  settings, a URL include, the cache's list of record apps, `apps.get_model`, a
  reverse relation), it is in one of the modules listed in NAMES_INDICATORS, each
  with its reason: the dependencies a plain import check would not show.
- The record's core in `grants` (DOMAIN: models, the ledger, money, versions,
  languages, the workflow rules, the cache) imports no page, admin, API or export
  module: those are built on it, never the other way round.
"""

import ast
import re
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

BASE = Path(settings.BASE_DIR)

DOMAIN = {
    "grants.cache",
    "grants.formatting",
    "grants.jobs.models",
    "grants.languages",
    "grants.ledger",
    "grants.links",
    "grants.models",
    "grants.money",
    "grants.related_rows",
    "grants.search",
    "grants.versioning",
    "grants.workflow",
}

SITE = "grants/project"

NAMES_INDICATORS = {
    "grants/cache.py": "a write to either app's models moves the public version",
    "grants/views.py": "the overview and an area's page show results (get_model)",
    "grants/filters.py": "the areas list counts each area's indicators (a relation)",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(BASE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved."""
    package = (
        module_name(path).rsplit(".", 1)[0]
        if path.name != "__init__.py"
        else module_name(path)
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def app_modules(app: str):
    """The app's modules, the site's (grants/project/) apart."""
    for path in sorted((BASE / app).rglob("*.py")):
        if "migrations" in path.parts or path.is_relative_to(BASE / SITE):
            continue
        yield path


def imports_of(paths, package):
    return [
        f"{path.relative_to(BASE)}: {name}"
        for path in paths
        for name in sorted(imported_modules(path))
        if name == package or name.startswith(f"{package}.")
    ]


class DependencyRuleTests(SimpleTestCase):
    def test_grants_imports_nothing_from_indicators(self):
        self.assertEqual(imports_of(app_modules("grants"), "indicators"), [])

    def test_neither_app_imports_the_site(self):
        modules = [*app_modules("grants"), *app_modules("indicators")]
        self.assertEqual(imports_of(modules, "grants.project"), [])

    def test_the_site_is_not_skipped_by_accident(self):
        # The whole-record commands import both apps, so the rule above has
        # something to exempt; the apps' own modules are all still checked.
        site = sorted((BASE / SITE).rglob("*.py"))
        self.assertTrue(imports_of(site, "indicators"))
        self.assertIn(BASE / "grants" / "models.py", list(app_modules("grants")))

    def test_grants_names_the_indicators_app_only_where_listed(self):
        naming = re.compile(r"""["']indicators[".:']""")
        found = {
            path.relative_to(BASE).as_posix()
            for path in app_modules("grants")
            if naming.search(path.read_text())
        }
        self.assertEqual(found, set(NAMES_INDICATORS))

    def test_the_core_imports_no_page_admin_api_or_export(self):
        found = []
        for path in app_modules("grants"):
            if module_name(path) not in DOMAIN:
                continue
            for name in sorted(imported_modules(path)):
                if name.startswith("grants.") and not any(
                    name == core or name.startswith(f"{core}.") for core in DOMAIN
                ):
                    found.append(f"{module_name(path)} imports {name}")
        self.assertEqual(found, [])

    def test_the_check_resolves_relative_imports(self):
        self.assertIn("grants.models", imported_modules(BASE / "grants" / "ledger.py"))
        self.assertIn(
            "grants.models.PublicationState",
            imported_modules(BASE / "grants" / "workflow.py"),
        )
