from django.db import migrations

from grants.migrations import _postgres


class Migration(migrations.Migration):
    """Trigram indexes for the results' searched text (see grants 0006)."""

    dependencies = [
        ("grants", "0006_search_trigram_indexes"),
        ("indicators", "0005_result_newest_indexes"),
    ]

    operations = [
        _postgres.create_trigram_indexes(
            [
                ("indicators_result_location_trgm", "indicators_result", "location"),
                (
                    "indicators_result_disaggregation_trgm",
                    "indicators_result",
                    "disaggregation",
                ),
            ]
        ),
        _postgres.analyze("indicators_result"),
    ]
