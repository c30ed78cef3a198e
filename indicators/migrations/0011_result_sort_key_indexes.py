# The indexes of the results' sort keys, in a migration of their own: PostgreSQL
# creates no index on a table with row changes of the same transaction still to check
# ("pending trigger events"), which filling the keys (0010) leaves.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0010_result_sort_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['indicator_name', 'period_start', 'id'], name='indicators_res_ind_sort'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['program_area_name', 'id'], name='indicators_res_area_sort'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['indicator_unit', 'id'], name='indicators_res_unit_sort'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['agreement_code', 'id'], name='indicators_res_agreement_sort'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['indicator_name_en', 'period_start', 'id'], name='indicators_res_ind_sort-en'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['indicator_name_es', 'period_start', 'id'], name='indicators_res_ind_sort-es'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['program_area_name_en', 'id'], name='indicators_res_area_sort-en'),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['program_area_name_es', 'id'], name='indicators_res_area_sort-es'),
        ),
    ]
