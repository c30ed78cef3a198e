"""Load the facts of the seed article: Peru–United States Donation Agreement 527-0427.

Only what the article says is recorded; unknown dates stay empty and derived values say
so. Every row is keyed by a natural key, so running the command again changes nothing.
"""

import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from grants import languages
from grants.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Amendment,
    Organization,
    OrganizationKind,
    ParticipantRole,
    Participation,
    ProgramArea,
    PublicationState,
    SourceDocument,
)
from indicators.models import (
    Aggregation,
    Indicator,
    Measure,
    Result,
    ResultStatus,
    Unit,
)

# The record's texts in English (the original: the source article is in English) and
# Spanish. The Spanish is the team's translation where it is not quoted (the source
# notes say so); the agreements' and areas' Spanish names follow the Peruvian
# government's usage ("Convenio de Donación", "Convenio General de Cooperación
# Técnica").
TRANSLATION_NOTE = (
    "The Spanish wording of this record is the team's translation where it is not "
    "quoted.",
    "La redacción en español de este registro es traducción del equipo donde no se "
    "cita textualmente.",
)


def texts(field, english, spanish):
    """`field`'s values in English and Spanish, as their columns."""
    return {
        languages.column(field, "en"): english,
        languages.column(field, "es"): spanish,
    }


SOURCE_TITLE = (
    "Peru and the United States: Donation Agreement 527-0427 amended",
    "Perú y Estados Unidos: se modifica el Convenio de Donación 527-0427",
)
SOURCE = {
    **texts("title", *SOURCE_TITLE),
    "publisher": "Peru News",
    **texts(
        "notes",
        "News item on Peru–United States cooperation. It states the +92.5 million USD "
        "amendment for 2023–2024, the cumulative 202.9 million, the program areas and "
        "the results below. It gives no URL or date in our copy; the title is "
        "descriptive. " + TRANSLATION_NOTE[0],
        "Nota de prensa sobre la cooperación entre el Perú y los Estados Unidos. "
        "Informa la enmienda de +92,5 millones de USD para 2023–2024, el total "
        "acumulado de 202,9 millones, las áreas de programa y los resultados "
        "siguientes. Nuestra copia no da dirección web ni fecha; el título es "
        "descriptivo. " + TRANSLATION_NOTE[1],
    ),
}

# code, (English name, Spanish name)
PROGRAM_AREAS = [
    (
        "social-economic-development",
        ("Social and economic development", "Desarrollo social y económico"),
    ),
    (
        "natural-resources",
        (
            "Sustainable management of natural resources",
            "Manejo sostenible de los recursos naturales",
        ),
    ),
    (
        "environmental-crimes",
        ("Fight against environmental crimes", "Lucha contra los delitos ambientales"),
    ),
    (
        "anti-corruption-governance",
        (
            "Anti-corruption, transparency, governance and human rights",
            "Lucha contra la corrupción, transparencia, gobernabilidad y derechos "
            "humanos",
        ),
    ),
    (
        "illicit-drugs",
        (
            "Fight against illicit drug trafficking",
            "Lucha contra el tráfico ilícito de drogas",
        ),
    ),
    (
        "migrant-integration",
        (
            "Socioeconomic integration of migrants and refugees",
            "Integración socioeconómica de migrantes y refugiados",
        ),
    ),
]

PERIOD_2018_2022 = (datetime.date(2018, 1, 1), datetime.date(2022, 12, 31))
PERIOD_2022 = (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31))
IMPLIED = (
    "The article does not state the period; 2018–2022 is implied by the context.",
    "El artículo no indica el período; 2018–2022 se deduce del contexto.",
)
YEARS_AS_DATES = (
    "The article gives years only; recorded as 1 January to 31 December.",
    "El artículo da solo años; se registra del 1 de enero al 31 de diciembre.",
)

# code, (name in English, Spanish), area, unit, measure, aggregation, value, period,
# (comment in English, Spanish)
INDICATORS = [
    (
        "rural-families-improved-living",
        (
            "Rural families with improved living conditions (coffee and cacao)",
            "Familias rurales con mejores condiciones de vida (café y cacao)",
        ),
        "social-economic-development",
        Unit.FAMILIES,
        Measure.NUMBER,
        Aggregation.LATEST,
        Decimal("87000"),
        PERIOD_2018_2022,
        (
            "The article says “more than 87,000 families”. " + YEARS_AS_DATES[0],
            "El artículo dice «más de 87 000 familias». " + YEARS_AS_DATES[1],
        ),
    ),
    (
        "rural-families-income-increase",
        (
            "Increase in income of rural families (coffee and cacao)",
            "Aumento de los ingresos de las familias rurales (café y cacao)",
        ),
        "social-economic-development",
        Unit.PERCENT,
        Measure.PERCENTAGE,
        Aggregation.NONE,
        Decimal("97.5"),
        PERIOD_2018_2022,
        YEARS_AS_DATES,
    ),
    (
        "rural-communities-connected",
        (
            "Rural communities connected to internet and markets",
            "Comunidades rurales conectadas a internet y a los mercados",
        ),
        "social-economic-development",
        Unit.COMMUNITIES,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("117"),
        PERIOD_2018_2022,
        IMPLIED,
    ),
    (
        "forest-area-better-managed",
        (
            "Forest area with better resource management",
            "Superficie de bosque con mejor manejo de los recursos",
        ),
        "natural-resources",
        Unit.HECTARES,
        Measure.NUMBER,
        Aggregation.LATEST,
        Decimal("2000000"),
        PERIOD_2022,
        YEARS_AS_DATES,
    ),
    (
        "people-trained-natural-resources",
        (
            "People trained, including native-community members and public officials",
            "Personas capacitadas, entre ellas miembros de comunidades nativas y funcionarios públicos",
        ),
        "natural-resources",
        Unit.PEOPLE,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("5600"),
        PERIOD_2018_2022,
        IMPLIED,
    ),
    (
        "ghg-emissions-reduced",
        (
            "Greenhouse-gas emissions reduced",
            "Emisiones de gases de efecto invernadero reducidas",
        ),
        "natural-resources",
        Unit.TCO2E,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("17100000"),
        PERIOD_2018_2022,
        IMPLIED,
    ),
    (
        "external-supervision-mechanisms",
        (
            "External supervision mechanisms for public resources supported",
            "Mecanismos de vigilancia externa de los recursos públicos apoyados",
        ),
        "anti-corruption-governance",
        Unit.MECHANISMS,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("26"),
        PERIOD_2022,
        YEARS_AS_DATES,
    ),
    (
        "trafficking-victims-supported",
        (
            "Human-trafficking victims given psychological, social and legal support",
            "Víctimas de trata de personas con apoyo psicológico, social y legal",
        ),
        "anti-corruption-governance",
        Unit.PEOPLE,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("384"),
        PERIOD_2022,
        YEARS_AS_DATES,
    ),
    (
        "migrants-employability-business",
        (
            "Migrants and refugees helped with employability or a business",
            "Migrantes y refugiados apoyados en su empleabilidad o emprendimiento",
        ),
        "migrant-integration",
        Unit.PEOPLE,
        Measure.NUMBER,
        Aggregation.SUM,
        Decimal("8981"),
        PERIOD_2022,
        YEARS_AS_DATES,
    ),
]


def upsert(model, lookup, **values):
    """get_or_create, then write only the fields that differ (so a re-run saves nothing)."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    if created:
        return obj, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save()
    return obj, bool(changed)


class Command(BaseCommand):
    help = "Loads the seed data (Donation Agreement 527-0427). Running it twice changes nothing."

    @transaction.atomic
    def handle(self, *args, **options):
        self.changes = 0

        original = languages.column("title", "en")
        source = self.put(
            SourceDocument,
            {original: SOURCE[original]},
            **_without(SOURCE, original),
        )
        peru = self.put(
            Organization,
            {languages.column("name", "en"): "Government of Peru"},
            **texts("name", "Government of Peru", "Gobierno del Perú"),
            kind=OrganizationKind.GOVERNMENT,
            country="PE",
        )
        usa = self.put(
            Organization,
            {
                languages.column(
                    "name", "en"
                ): "Government of the United States of America"
            },
            **texts(
                "name",
                "Government of the United States of America",
                "Gobierno de los Estados Unidos de América",
            ),
            **texts("acronym", "USG", "USG"),
            kind=OrganizationKind.GOVERNMENT,
            country="US",
        )
        usaid = self.put(
            Organization,
            # By its identifier: generate_demo's donors include a namesake.
            {"iati_identifier": "US-GOV-1"},
            **texts(
                "name",
                "United States Agency for International Development",
                "Agencia de los Estados Unidos para el Desarrollo Internacional",
            ),
            **texts("acronym", "USAID", "USAID"),
            kind=OrganizationKind.BILATERAL,
            country="US",
            iati_identifier="US-GOV-1",
        )

        areas = {}
        for order, (code, name) in enumerate(PROGRAM_AREAS, start=1):
            areas[code] = self.put(
                ProgramArea, {"code": code}, **texts("name", *name), display_order=order
            )

        published = {"publication": PublicationState.PUBLISHED}
        framework = self.put(
            Agreement,
            {"code": "PE-US-1951"},
            **texts(
                "title",
                "General Agreement on Technical Cooperation between Peru and the "
                "United States (1951)",
                "Convenio General de Cooperación Técnica de 1951 entre el Perú y los "
                "Estados Unidos de América",
            ),
            kind=AgreementKind.FRAMEWORK,
            donor=usa,
            recipient=peru,
            currency="USD",
            status=AgreementStatus.ACTIVE,
            **texts(
                "summary",
                "The 1951 framework under which Peru–United States technical "
                "cooperation agreements are signed. The code PE-US-1951 is ours: the "
                "article gives none, nor the exact signing date.",
                "El marco de 1951 bajo el cual se firman los convenios de cooperación "
                "técnica entre el Perú y los Estados Unidos. El código PE-US-1951 es "
                "nuestro: el artículo no da ninguno, ni la fecha exacta de la firma.",
            ),
            **published,
        )
        donation = self.put(
            Agreement,
            {"code": "527-0427"},
            **texts(
                "title",
                "Donation Agreement between the Government of Peru and the Government "
                "of the United States of America",
                "Convenio de Donación 527-0427 entre el Gobierno de la República del "
                "Perú y el Gobierno de los Estados Unidos de América",
            ),
            kind=AgreementKind.DONATION,
            framework=framework,
            donor=usa,
            recipient=peru,
            currency="USD",
            status=AgreementStatus.ACTIVE,
            **texts(
                "summary",
                "Donation agreement through USAID, under the 1951 General Agreement on "
                "Technical Cooperation, funding six program areas.",
                "Convenio de donación a través de USAID, en el marco del Convenio "
                "General de Cooperación Técnica de 1951, que financia seis áreas de "
                "programa.",
            ),
            **published,
        )
        for agreement in (framework, donation):
            if not agreement.source_documents.filter(pk=source.pk).exists():
                agreement.source_documents.add(source)
                self.changes += 1
        if not Participation.objects.filter(
            agreement=donation, organization=usaid
        ).exists():
            Participation.objects.create(
                agreement=donation, organization=usaid, role=ParticipantRole.EXTENDING
            )
            self.changes += 1
        missing = set(areas.values()) - set(donation.program_areas.all())
        if missing:
            donation.program_areas.add(*missing)
            self.changes += 1

        self.put(
            Amendment,
            {"agreement": donation, "sequence": 1},
            **texts(
                "title",
                "Obligations before this amendment",
                "Obligaciones anteriores a esta enmienda",
            ),
            amount=Decimal("110400000.00"),
            amount_is_derived=True,
            **texts(
                "description",
                "Derived: 202.9 million stated to date − 92.5 million added by this "
                "amendment. The article does not itemize earlier obligations.",
                "Derivado: 202,9 millones declarados a la fecha − 92,5 millones "
                "añadidos por esta enmienda. El artículo no detalla las obligaciones "
                "anteriores.",
            ),
            source=source,
            **published,
        )
        self.put(
            Amendment,
            {"agreement": donation, "sequence": 2},
            **texts(
                "title",
                "Amendment adding 92.5 million USD for 2023–2024",
                "Enmienda que añade 92,5 millones de USD para 2023–2024",
            ),
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2024, 12, 31),
            amount=Decimal("92500000.00"),
            stated_cumulative_total=Decimal("202900000.00"),
            **texts(
                "description",
                "The article states the period as 2023–2024 (years only).",
                "El artículo indica el período 2023–2024 (solo años).",
            ),
            source=source,
            **published,
        )

        for (
            code,
            name,
            area,
            unit,
            measure,
            aggregation,
            value,
            period,
            comment,
        ) in INDICATORS:
            indicator = self.put(
                Indicator,
                {"code": code},
                **texts("name", *name),
                program_area=areas[area],
                unit=unit,
                measure=measure,
                aggregation=aggregation,
                **published,
            )
            self.put(
                Result,
                {
                    "indicator": indicator,
                    "agreement": donation,
                    "period_start": period[0],
                    "period_end": period[1],
                    "location": "",
                    languages.column("disaggregation", "en"): "",
                },
                actual_value=value,
                **texts("comment", *comment),
                source=source,
                status=ResultStatus.APPROVED,
            )

        if self.changes:
            self.stdout.write(
                self.style.SUCCESS(f"Seed data loaded ({self.changes} changes).")
            )
        else:
            self.stdout.write("Seed data already up to date: nothing changed.")

    def put(self, model, lookup, **values):
        obj, changed = upsert(model, lookup, **values)
        self.changes += changed
        stamp = {"published_at": "publication", "approved_at": "status"}
        for field, state_field in stamp.items():
            state = getattr(obj, state_field, None)
            if (
                hasattr(obj, field)
                and getattr(obj, field) is None
                and state
                in {
                    PublicationState.PUBLISHED,
                    ResultStatus.APPROVED,
                }
            ):
                setattr(obj, field, timezone.now())
                obj.save(update_fields=[field])
                self.changes += 1
        return obj


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}
