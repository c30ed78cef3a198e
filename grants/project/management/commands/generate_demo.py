"""Synthetic but plausible data at a chosen scale, for load and performance work.

    python manage.py generate_demo --agreements 1000 --results 1000000 --seed 1

Several donors, recipients and currencies; nested program areas; amendments with
de-obligations (running totals never below zero, for all amendments and for the
published ones alone); indicators of every unit, measure and aggregation; results with
and without targets; some drafts. The same seed gives the same data. Rows are written
with bulk inserts, which bypass `save()`, so the data is made valid here.

Demo rows are recognisable (agreement codes DEMO-…, indicator and area codes demo-…,
organization identifiers DEMO-ORG-…, source titles "Demo: …"); `--replace` deletes
them before generating again. Nothing else in the database is touched.
"""

import datetime
import math
import random
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from grants import languages
from grants.cache import bump_public_version
from grants.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Amendment,
    Disbursement,
    DisbursementKind,
    Organization,
    ParticipantRole,
    Participation,
    ProgramArea,
    PublicationState,
    SourceDocument,
)
from indicators import sort_keys
from indicators.models import (
    Aggregation,
    Direction,
    Indicator,
    Measure,
    Result,
    ResultStatus,
    Unit,
)

BATCH_SIZE = 5000
PUBLISHED, DRAFT = PublicationState.PUBLISHED, PublicationState.DRAFT
UTC = datetime.UTC

# (name, acronym, kind, country, currency of its agreements, amount scale vs USD)
DONORS = [
    ("United States Agency for International Development", "USAID", "bilateral", "US", "USD", 1),
    ("Deutsche Gesellschaft für Internationale Zusammenarbeit", "GIZ", "bilateral", "DE", "EUR", 1),
    ("Japan International Cooperation Agency", "JICA", "bilateral", "JP", "JPY", 150),
    ("Agencia Española de Cooperación Internacional para el Desarrollo", "AECID", "bilateral", "ES", "EUR", 1),
    ("Korea International Cooperation Agency", "KOICA", "bilateral", "KR", "KRW", 1300),
    ("European Union", "EU", "multilateral", "", "EUR", 1),
    ("Inter-American Development Bank", "IDB", "multilateral", "", "USD", 1),
    ("Global Affairs Canada", "GAC", "bilateral", "CA", "CAD", 1),
]  # fmt: skip
RECIPIENTS = [
    ("Gobierno del Perú", "", "government", "PE"),
    ("Agencia Peruana de Cooperación Internacional", "APCI", "government", "PE"),
    ("Municipalidad de Ñuñoa", "", "government", "CL"),
    ("Gobierno de la República de Colombia", "", "government", "CO"),
    ("Gobierno de la República del Ecuador", "", "government", "EC"),
    ("Estado Plurinacional de Bolivia", "", "government", "BO"),
    ("Gobierno de la República del Paraguay", "", "government", "PY"),
]
IMPLEMENTERS = [
    ("Fundación Amazonía Viva", "FAV", "ngo", "PE"),
    ("Asociación Pro Derechos Humanos", "APRODEH", "ngo", "PE"),
    ("Cooperativa Agraria Cafetalera Señor de Huamantanga", "", "private", "PE"),
]
PEN_SCALE = Decimal("3.7")

# Top-level areas and their children: (code suffix, name, DAC sector code).
AREAS = [
    ("social-economic", "Desarrollo social y económico", "", [
        ("coffee-cacao", "Café y cacao sostenibles", "31163"),
        ("rural-connectivity", "Conectividad rural", "22040"),
    ]),
    ("natural-resources", "Manejo sostenible de recursos naturales", "41010", [
        ("forests", "Bosques y cambio climático", "41030"),
        ("water", "Agua y saneamiento", "14010"),
    ]),
    ("environmental-crimes", "Lucha contra los delitos ambientales", "", [
        ("illegal-mining", "Minería ilegal", ""),
    ]),
    ("governance", "Anticorrupción, transparencia y derechos humanos", "15150", [
        ("oversight", "Control y supervisión de recursos públicos", "15113"),
        ("trafficking", "Víctimas de trata de personas", "15180"),
    ]),
    ("illicit-drugs", "Lucha contra el tráfico ilícito de drogas", "16063", []),
    ("migration", "Integración de migrantes y refugiados", "15190", [
        ("employability", "Empleabilidad y emprendimiento", "16020"),
    ]),
]  # fmt: skip

# (unit, measure, aggregation, direction, name, low, high): every unit, measure and
# aggregation appears.
INDICATORS = [
    (Unit.FAMILIES, Measure.NUMBER, Aggregation.SUM, Direction.INCREASE, "Familias rurales con mejores condiciones de vida", 100, 90_000),
    (Unit.HOUSEHOLDS, Measure.NUMBER, Aggregation.SUM, Direction.INCREASE, "Hogares con acceso a agua segura", 50, 20_000),
    (Unit.PEOPLE, Measure.NUMBER, Aggregation.SUM, Direction.INCREASE, "Personas capacitadas", 10, 6_000),
    (Unit.PEOPLE, Measure.NUMBER, Aggregation.LATEST, Direction.INCREASE, "Víctimas de trata atendidas (acumulado)", 5, 400),
    (Unit.COMMUNITIES, Measure.NUMBER, Aggregation.LATEST, Direction.INCREASE, "Comunidades conectadas a internet y mercados", 1, 150),
    (Unit.ORGANIZATIONS, Measure.NUMBER, Aggregation.SUM, Direction.INCREASE, "Organizaciones fortalecidas", 1, 80),
    (Unit.MECHANISMS, Measure.NUMBER, Aggregation.SUM, Direction.INCREASE, "Mecanismos de supervisión externa apoyados", 1, 30),
    (Unit.HECTARES, Measure.NUMBER, Aggregation.LATEST, Direction.INCREASE, "Superficie de bosque con mejor manejo", 100, 2_000_000),
    (Unit.HECTARES, Measure.NUMBER, Aggregation.SUM, Direction.DECREASE, "Hectáreas deforestadas", 10, 50_000),
    (Unit.TCO2E, Measure.NUMBER, Aggregation.SUM, Direction.DECREASE, "Emisiones de gases de efecto invernadero", 1_000, 17_000_000),
    (Unit.PERCENT, Measure.PERCENTAGE, Aggregation.NONE, Direction.INCREASE, "Aumento del ingreso familiar", 1, 120),
    (Unit.PERCENT, Measure.PERCENTAGE, Aggregation.LATEST, Direction.DECREASE, "Tasa de informalidad laboral de migrantes", 5, 90),
    (Unit.CURRENCY, Measure.CURRENCY, Aggregation.SUM, Direction.INCREASE, "Ventas de productores asociados", 1_000, 10_000_000),
    (Unit.CURRENCY, Measure.CURRENCY, Aggregation.LATEST, Direction.INCREASE, "Crédito vigente de emprendedores", 500, 2_000_000),
    (Unit.OTHER, Measure.NUMBER, Aggregation.NONE, Direction.INCREASE, "Índice de transparencia municipal", 1, 100),
]  # fmt: skip

LOCATIONS = [
    "",
    "Amazonas",
    "Cusco",
    "Junín",
    "Loreto",
    "Madre de Dios",
    "San Martín",
    "Ucayali",
    "Región Ñuñoa",
    "Lima Metropolitana",
]
DISAGGREGATIONS = ["", "mujeres", "hombres", "jóvenes", "comunidades nativas"]
FIRST_YEAR, YEARS = 2012, 13  # results from 2012 to 2024


def periods():
    """Annual periods, then quarters: (start, end) pairs."""
    found = []
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        found.append((datetime.date(year, 1, 1), datetime.date(year, 12, 31)))
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        for quarter in range(4):
            start = datetime.date(year, 3 * quarter + 1, 1)
            following = datetime.date(
                year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1
            )
            found.append((start, following - datetime.timedelta(days=1)))
    return found


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def batched(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Command(BaseCommand):
    help = "Generate synthetic agreements, amendments, indicators and results."

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=int, default=50)
        parser.add_argument("--results", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the demo rows of an earlier run first.",
        )

    def handle(self, *args, agreements, results, seed, replace, **options):
        if agreements < 1 or results < 0:
            raise CommandError("Use at least 1 agreement and 0 or more results.")
        capacity = (agreements + 1) * len(INDICATORS) * len(periods())
        capacity *= len(LOCATIONS) * len(DISAGGREGATIONS)
        if results > capacity:
            raise CommandError(
                f"{agreements} agreements allow at most {capacity} distinct results; "
                "raise --agreements."
            )
        rng = random.Random(seed)
        with transaction.atomic():
            if demo_exists():
                if not replace:
                    raise CommandError(
                        "Demo data already exists; add --replace to generate it again."
                    )
                delete_demo()
            sources = make_sources()
            donors, recipients, implementers = make_organizations()
            areas = make_program_areas()
            agreement_rows = make_agreements(
                rng, agreements, donors, recipients, implementers, areas, sources
            )
            amendment_count = make_amendments(rng, agreement_rows, sources)
            payment_count = make_disbursements(rng, agreement_rows, sources)
            indicators = make_indicators(rng, areas)
            make_results(rng, results, agreement_rows, indicators, sources)
            # Bulk inserts send no signals: cached pages and values go stale here.
            bump_public_version()
        refresh_statistics()
        self.stdout.write(
            f"Generated {len(agreement_rows)} agreements, {amendment_count} amendments, "
            f"{payment_count} disbursements, {len(indicators)} indicators and "
            f"{results} results (seed {seed})."
        )


def refresh_statistics():
    """ANALYZE the tables just filled. Rows written by COPY leave PostgreSQL's
    statistics empty until autovacuum comes round, and a planner that expects 100 rows
    where there are 90,000 picks plans hundreds of times slower."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (
            Organization,
            ProgramArea,
            Agreement,
            Agreement.program_areas.through,
            Amendment,
            Disbursement,
            Indicator,
            Result,
        )
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def demo_exists() -> bool:
    return (
        Agreement.objects.filter(code__startswith="DEMO-").exists()
        or Indicator.objects.filter(code__startswith="demo-").exists()
        or ProgramArea.objects.filter(code__startswith="demo-").exists()
        or Organization.objects.filter(iati_identifier__startswith="DEMO-ORG-").exists()
    )


def delete_demo():
    agreements = Agreement.objects.filter(code__startswith="DEMO-")
    indicators = Indicator.objects.filter(code__startswith="demo-")
    Result.objects.filter(indicator__in=indicators).delete()
    Result.objects.filter(agreement__in=agreements).delete()
    Amendment.objects.filter(agreement__in=agreements).delete()
    Disbursement.objects.filter(agreement__in=agreements).delete()
    agreements.update(framework=None)
    agreements.delete()
    indicators.delete()
    areas = ProgramArea.objects.filter(code__startswith="demo-")
    areas.update(parent=None)
    areas.delete()
    Organization.objects.filter(iati_identifier__startswith="DEMO-ORG-").delete()
    SourceDocument.objects.filter(title__startswith="Demo: ").delete()


def make_sources():
    titles = [
        ("Demo: Informe anual de cooperación 2022", "APCI"),
        ("Demo: Annual results report 2023", "USAID"),
        ("Demo: Addendum to the agreement", ""),
        ("Demo: Nota de prensa", "Peru News"),
    ]
    return SourceDocument.objects.bulk_create(
        [
            SourceDocument(
                title=title,
                publisher=publisher,
                url=f"https://example.org/demo/{index}" if index % 2 == 0 else "",
                notes="Synthetic document for load and performance work.",
            )
            for index, (title, publisher) in enumerate(titles)
        ]
    )


def make_organizations():
    def organization(index, name, acronym, kind, country):
        return Organization(
            name=name,
            acronym=acronym,
            kind=kind,
            country=country,
            iati_identifier=f"DEMO-ORG-{index:02d}",
        )

    rows = [
        (name, acronym, kind, country) for name, acronym, kind, country, *_ in DONORS
    ]
    rows += RECIPIENTS + IMPLEMENTERS
    created = Organization.objects.bulk_create(
        [organization(index, *row) for index, row in enumerate(rows)]
    )
    donors = created[: len(DONORS)]
    recipients = created[len(DONORS) : len(DONORS) + len(RECIPIENTS)]
    return donors, recipients, created[len(DONORS) + len(RECIPIENTS) :]


def make_program_areas():
    tops = ProgramArea.objects.bulk_create(
        [
            ProgramArea(
                code=f"demo-{code}",
                name=name,
                dac_sector_code=dac,
                display_order=100 + index,
                description=f"Área de demostración: {name.lower()}.",
            )
            for index, (code, name, dac, _children) in enumerate(AREAS)
        ]
    )
    children = ProgramArea.objects.bulk_create(
        [
            ProgramArea(
                code=f"demo-{code}-{child_code}",
                name=child_name,
                dac_sector_code=child_dac,
                parent=top,
                display_order=index,
            )
            for top, (code, _name, _dac, kids) in zip(tops, AREAS, strict=True)
            for index, (child_code, child_name, child_dac) in enumerate(kids)
        ]
    )
    return tops + children


def random_date(rng, first_year, last_year):
    start = datetime.date(first_year, 1, 1).toordinal()
    return datetime.date.fromordinal(
        rng.randrange(start, datetime.date(last_year, 12, 31).toordinal() + 1)
    )


def make_agreements(rng, count, donors, recipients, implementers, areas, sources):
    """Agreements in batches; returns (pk, donor index, published, start, end) rows."""
    kinds = [kind for kind in AgreementKind.values if kind != AgreementKind.FRAMEWORK]
    statuses = AgreementStatus.values
    frameworks = {}  # donor index -> pk of a published framework agreement
    rows = []
    area_links, participations, source_links = [], [], []
    through = Agreement.program_areas.through
    sources_through = Agreement.source_documents.through
    # The first agreements are one framework per donor, created first so that later
    # agreements can be signed under them.
    first = min(count, len(DONORS))
    ranges = [range(0, first)] + [
        range(start, min(count, start + BATCH_SIZE))
        for start in range(first, count, BATCH_SIZE)
    ]
    for numbers in ranges:
        batch, meta = [], []
        for number in numbers:
            donor_index = number if number < len(DONORS) else rng.randrange(len(DONORS))
            donor_name, acronym, _kind, _country, currency, _scale = DONORS[donor_index]
            recipient = rng.choice(recipients)
            is_framework = number < len(DONORS) or rng.random() < 0.02
            kind = AgreementKind.FRAMEWORK if is_framework else rng.choice(kinds)
            if currency == "USD" and rng.random() < 0.1:
                currency = "PEN"
            signed = random_date(rng, 2005, 2023)
            start = signed + datetime.timedelta(days=rng.randrange(0, 120))
            end = start + datetime.timedelta(days=365 * rng.randrange(1, 7))
            published = rng.random() < 0.9
            framework_pk = None
            if not is_framework and donor_index in frameworks and rng.random() < 0.4:
                framework_pk = frameworks[donor_index]
            area = rng.choice(areas)
            summary = f"{acronym} apoya a {recipient.name} en {area.name.lower()}."
            if rng.random() < 0.02:
                summary = f"- Fase {rng.randrange(2, 5)}: {summary}"
            batch.append(
                Agreement(
                    code=f"DEMO-{number + 1:06d}",
                    title=f"{AgreementKind(kind).label} {acronym}–{recipient.name}: "
                    f"{area.name}",
                    kind=kind,
                    framework_id=framework_pk,
                    donor=donors[donor_index],
                    recipient=recipient,
                    signed_on=None if rng.random() < 0.05 else signed,
                    start_on=start,
                    end_on=None if rng.random() < 0.1 else end,
                    currency=currency,
                    status=rng.choice(statuses),
                    summary=summary,
                    publication=PUBLISHED if published else DRAFT,
                    published_at=(
                        datetime.datetime.combine(signed, datetime.time(12), UTC)
                        if published
                        else None
                    ),
                )
            )
            extra_areas = rng.sample(areas, rng.randrange(0, 3))
            meta.append(
                (donor_index, published, start, end, is_framework, [area, *extra_areas])
            )
        created = Agreement.objects.bulk_create(batch)
        for agreement, (
            donor_index,
            published,
            start,
            end,
            is_framework,
            linked,
        ) in zip(created, meta, strict=True):
            if is_framework and published:
                frameworks.setdefault(donor_index, agreement.pk)
            rows.append(
                (agreement.pk, donor_index, published, start, end, is_framework)
            )
            for area in {area.pk: area for area in linked}.values():
                area_links.append(
                    through(agreement_id=agreement.pk, programarea_id=area.pk)
                )
            if rng.random() < 0.3:
                participations.append(
                    Participation(
                        agreement_id=agreement.pk,
                        organization=rng.choice(implementers),
                        role=ParticipantRole.IMPLEMENTING,
                    )
                )
            if rng.random() < 0.5:
                source_links.append(
                    sources_through(
                        agreement_id=agreement.pk,
                        sourcedocument_id=rng.choice(sources).pk,
                    )
                )
    through.objects.bulk_create(area_links, batch_size=BATCH_SIZE)
    sources_through.objects.bulk_create(source_links, batch_size=BATCH_SIZE)
    Participation.objects.bulk_create(participations, batch_size=BATCH_SIZE)
    return rows


def make_amendments(rng, agreement_rows, sources):
    """1 to 6 amendments per agreement. A de-obligation never takes back more than the
    running total of all amendments nor of the published ones, so neither goes below
    zero (the public total is computed from published amendments only)."""

    def generate():
        for pk, donor_index, published, start, end, is_framework in agreement_rows:
            if is_framework:
                continue
            scale = DONORS[donor_index][5]
            all_total = public_total = 0
            for sequence in range(1, rng.randrange(2, 8)):
                room = min(all_total, public_total)
                if sequence == 1 or room < 100_000 or rng.random() < 0.75:
                    cents = rng.randrange(50_000, 5_000_000) * 1000 * scale
                else:
                    cents = -(rng.randrange(1000, room * 4 // 10) // 100 * 100)
                is_published = published and rng.random() < 0.92
                all_total += cents
                if is_published:
                    public_total += cents
                stated = None
                if is_published and rng.random() < 0.3:
                    stated = public_total
                    if rng.random() < 0.1:  # a document that rounds: unreconciled
                        stated = round(public_total, -8)
                period_start = start + datetime.timedelta(days=365 * (sequence - 1))
                yield Amendment(
                    agreement_id=pk,
                    sequence=sequence,
                    title=(
                        "Obligación inicial"
                        if sequence == 1
                        else f"Enmienda {sequence - 1}"
                        + (" (desobligación)" if cents < 0 else "")
                    ),
                    signed_on=period_start,
                    period_start=period_start,
                    period_end=max(period_start, end),
                    amount=money(cents),
                    amount_is_derived=rng.random() < 0.02,
                    stated_cumulative_total=None if stated is None else money(stated),
                    description="" if rng.random() < 0.7 else "Monto según adenda.",
                    source=rng.choice(sources) if rng.random() < 0.6 else None,
                    publication=PUBLISHED if is_published else DRAFT,
                )

    count = 0
    for batch in batched(generate(), BATCH_SIZE):
        Amendment.objects.bulk_create(batch)
        count += len(batch)
    return count


def make_disbursements(rng, agreement_rows, sources):
    """Payments that lag behind the commitments: about one agreement in six has none
    yet, some are fully disbursed, some barely, a few received more than committed,
    and a few had money reimbursed. Expenditure trails the disbursements. A payment
    is published only where every earlier one is, so that a reimbursement never
    takes the public totals below zero."""
    figures = {
        pk: (total_cents, donor, recipient)
        for pk, total_cents, donor, recipient in (
            Agreement.objects.filter(code__startswith="DEMO-", total__gt=0)
            .values_list("pk", "total", "donor_id", "recipient_id")
            .iterator(chunk_size=BATCH_SIZE)
        )
    }

    # One large program is paid every week for five years: an agreement page with
    # hundreds of payments (manage.py benchmark times it).
    weekly = {"first": True}

    # Payments are in the past: those that would fall after this date are not made
    # yet (a fixed date, so a seed always gives the same data).
    last_day = datetime.date(2025, 12, 31)

    def payments(pk, published, start, end, target, donor, recipient, kind):
        count = rng.randrange(1, 7)
        if weekly["first"] and kind == DisbursementKind.DISBURSEMENT and published:
            weekly["first"] = False
            count, end = 260, start + datetime.timedelta(days=5 * 365)
        days = max((end - start).days, 30)
        lag = rng.randrange(60, 240)
        paid = 0
        public = published
        for index in range(count):
            cents = target // count if index < count - 1 else target - paid
            day = start + datetime.timedelta(days=lag + days * index // max(count, 1))
            if day > last_day:
                break
            if cents <= 0:
                continue
            paid += cents
            public = public and (count > 100 or rng.random() < 0.93)
            yield Disbursement(
                agreement_id=pk,
                kind=kind,
                date=day,
                amount=money(cents),
                provider_id=donor if kind == DisbursementKind.DISBURSEMENT else None,
                receiver_id=recipient
                if kind == DisbursementKind.DISBURSEMENT
                else None,
                description=""
                if rng.random() < 0.8
                else f"Desembolso {index + 1} de {count}.",
                source=rng.choice(sources) if rng.random() < 0.3 else None,
                publication=PUBLISHED if public else DRAFT,
            )
        reimbursed_on = start + datetime.timedelta(days=lag + days + 30)
        if (
            kind == DisbursementKind.DISBURSEMENT
            and paid
            and reimbursed_on <= last_day
            and rng.random() < 0.04
        ):
            # A reimbursement of part of what was paid, published with the rest.
            yield Disbursement(
                agreement_id=pk,
                kind=kind,
                date=reimbursed_on,
                amount=money(-(paid * rng.randrange(1, 10) // 100 // 100 * 100)),
                description="Reembolso de fondos no utilizados.",
                publication=PUBLISHED if public else DRAFT,
            )

    def generate():
        for pk, _donor_index, published, start, end, is_framework in agreement_rows:
            if is_framework or pk not in figures:
                continue
            total, donor, recipient = figures[pk]
            total_cents = int(total * 100)
            draw = rng.random()
            if draw < 0.16:
                continue  # nothing paid yet
            if draw < 0.30:
                share = 100  # fully disbursed
            elif draw < 0.31:
                share = rng.randrange(101, 115)  # more than committed
            elif draw < 0.50:
                share = rng.randrange(2, 20)  # barely
            else:
                share = rng.randrange(25, 96)
            target = total_cents * share // 100
            yield from payments(
                pk,
                published,
                start,
                end,
                target,
                donor,
                recipient,
                DisbursementKind.DISBURSEMENT,
            )
            if rng.random() < 0.5:
                spent = target * rng.randrange(60, 100) // 100
                yield from payments(
                    pk,
                    published,
                    start + datetime.timedelta(days=90),
                    end + datetime.timedelta(days=90),
                    spent,
                    None,
                    None,
                    DisbursementKind.EXPENDITURE,
                )

    count = 0
    for batch in batched(generate(), BATCH_SIZE):
        Disbursement.objects.bulk_create(batch)
        count += len(batch)
    return count


def make_indicators(rng, areas):
    # Indices into `areas`: the top-level areas, then their children in AREAS order.
    by_unit_area = {
        Unit.FAMILIES: 6,
        Unit.HOUSEHOLDS: 9,
        Unit.PEOPLE: 3,
        Unit.COMMUNITIES: 7,
        Unit.ORGANIZATIONS: 3,
        Unit.MECHANISMS: 11,
        Unit.HECTARES: 8,
        Unit.TCO2E: 1,
        Unit.PERCENT: 13,
        Unit.CURRENCY: 0,
        Unit.OTHER: 3,
    }
    indicators = [
        Indicator(
            code=f"demo-{index + 1:03d}-{unit}",
            name=name,
            description=f"Indicador de demostración medido en {Unit(unit).label}.",
            program_area=areas[by_unit_area[unit]],
            unit=unit,
            measure=measure,
            direction=direction,
            aggregation=aggregation,
            publication=DRAFT if index % 7 == 6 else PUBLISHED,
        )
        for index, (unit, measure, aggregation, direction, name, *_) in enumerate(
            INDICATORS
        )
    ]
    created = Indicator.objects.bulk_create(indicators)
    return [
        (indicator.pk, measure == Measure.NUMBER, low, high)
        for indicator, (_unit, measure, *_, low, high) in zip(
            created, INDICATORS, strict=True
        )
    ]


def make_results(rng, count, agreement_rows, indicators, sources):
    """Distinct (agreement, indicator, period, location, group) facts, spread over the
    whole space by an affine permutation of the result number."""
    all_periods = periods()
    agreement_pks = [None] + [row[0] for row in agreement_rows]
    radices = [
        len(agreement_pks),
        len(indicators),
        len(all_periods),
        len(LOCATIONS),
        len(DISAGGREGATIONS),
    ]
    capacity = math.prod(radices)
    step = rng.randrange(capacity // 3, capacity) | 1
    while math.gcd(step, capacity) != 1:
        step += 2
    offset = rng.randrange(capacity)
    statuses = [ResultStatus.APPROVED] * 16 + [
        ResultStatus.DRAFT,
        ResultStatus.DRAFT,
        ResultStatus.SUBMITTED,
        ResultStatus.RETURNED,
    ]

    def generate():
        for number in range(count):
            slot = (step * number + offset) % capacity
            digits = []
            for radix in radices:
                slot, digit = divmod(slot, radix)
                digits.append(digit)
            agreement_index, indicator_index, period_index, location, group = digits
            indicator_pk, whole, low, high = indicators[indicator_index]
            unit = 100 if whole else 1  # counts of people are whole numbers
            period_start, period_end = all_periods[period_index]
            actual = rng.randrange(low * 100, high * 100 + 1) // unit * unit
            target = None
            if rng.random() < 0.6:
                target = max(unit, int(actual * rng.uniform(0.6, 1.5)) // unit * unit)
            baseline = baseline_year = None
            if rng.random() < 0.3:
                baseline = rng.randrange(0, actual + 1) // unit * unit
                baseline_year = period_start.year - rng.randrange(1, 4)
            status = rng.choice(statuses)
            comment = "" if rng.random() < 0.9 else "Cifra preliminar del socio."
            yield (
                indicator_pk,
                agreement_pks[agreement_index],
                adapt_date(period_start),
                adapt_date(period_end),
                None if baseline is None else money(baseline),
                baseline_year,
                None if target is None else money(target),
                money(actual),
                LOCATIONS[location],
                DISAGGREGATIONS[group],
                comment,
                # The same texts in their per-language columns, as the ORM writes
                # them (the original language's; grants.languages).
                DISAGGREGATIONS[group],
                comment,
                rng.choice(sources).pk if rng.random() < 0.7 else None,
                status,
                "Falta el documento de respaldo."
                if status == ResultStatus.RETURNED
                else "",
                now,
                now,
            )

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    insert_rows(Result, RESULT_FIELDS, generate())
    # Inserted by SQL of our own: the sort keys a save would have set.
    sort_keys.refresh(Result.objects.filter(indicator__in=indicators))


RESULT_FIELDS = [
    "indicator",
    "agreement",
    "period_start",
    "period_end",
    "baseline_value",
    "baseline_year",
    "target_value",
    "actual_value",
    "location",
    "disaggregation",
    "comment",
    languages.column("disaggregation", languages.original_language()),
    languages.column("comment", languages.original_language()),
    "source",
    "status",
    "return_reason",
    "created_at",
    "updated_at",
]


def insert_rows(model, field_names, rows):
    """Insert tuples of database values: by COPY on PostgreSQL, by executemany elsewhere.
    Several times faster than bulk_create, which prepares every field of every object
    in Python; the values here are already valid and adapted."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column)
        for name in field_names
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(field_names))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for batch in batched(rows, BATCH_SIZE):
            cursor.executemany(statement, batch)
