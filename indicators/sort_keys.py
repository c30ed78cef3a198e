"""The results list's sorts by a related name, read from the result's own row.

A sort by indicator, program area, unit or agreement joined a million results to
their indicators and agreements and sorted them all (2-3 s). Each result therefore
stores its sort keys: its indicator's name (per language, as the indicator keeps it),
its program area's name (per language), its indicator's unit and its agreement's
code, each with an index beside the primary key (indicators.Result.Meta), so a page
of any of those sorts is read from an index.

The keys are kept true here, in every write that can change them, inside the write's
transaction: a result's save (`fill`), bulk inserts and changes of a result's
indicator or agreement (ResultQuerySet), and saves of indicators, program areas and
agreements (`connect`, post_save). Bulk loads that write SQL of their own call
`refresh()` (generate_demo). Changed keys move the results table's cache version.
"""

from modeltranslation.utils import build_localized_fieldname

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_save


def language_codes():
    return [code for code, _name in settings.LANGUAGES]


def indicator_keys(indicator) -> dict:
    """The keys of a result of `indicator` (its program area read with it)."""
    keys = {"indicator_unit": indicator.unit}
    area = indicator.program_area
    for code in language_codes():
        keys[build_localized_fieldname("indicator_name", code)] = getattr(
            indicator, build_localized_fieldname("name", code)
        )
        keys[build_localized_fieldname("program_area_name", code)] = getattr(
            area, build_localized_fieldname("name", code)
        )
    return keys


def fill(result) -> None:
    """Set the keys on a result about to be saved."""
    for name, value in indicator_keys(result.indicator).items():
        setattr(result, name, value)
    result.agreement_code = result.agreement.code if result.agreement_id else None


def key_names() -> list[str]:
    names = ["indicator_unit", "agreement_code"]
    for code in language_codes():
        names.append(build_localized_fieldname("indicator_name", code))
        names.append(build_localized_fieldname("program_area_name", code))
    return names


def refresh(results, *, indicator_model=None, agreement_model=None) -> int:
    """Make the keys of `results` (a Result queryset) true, in a few statements
    whatever their number: one per indicator, one for the agreements' codes. Rows
    already true are not written. Returns how many rows changed. (The models are
    parameters so that a migration can pass its historical ones.)"""
    from grants.cache import bump_tables

    if indicator_model is None:
        from grants.models import Agreement as agreement_model

        from .models import Indicator as indicator_model
    changed = 0
    indicators = indicator_model._base_manager.using(results.db).filter(
        pk__in=results.values("indicator_id")
    )
    for indicator in indicators.select_related("program_area"):
        keys = indicator_keys(indicator)
        stale = results.filter(indicator_id=indicator.pk).exclude(**keys)
        changed += stale.update(**keys)
    codes = agreement_model._base_manager.using(results.db).filter(
        pk=OuterRef("agreement_id")
    )
    code = Subquery(codes.order_by().values("code")[:1])
    changed += (
        results.filter(agreement_id__isnull=False)
        .exclude(agreement_code=code)
        .update(agreement_code=code)
    )
    changed += (
        results.filter(agreement_id__isnull=True)
        .exclude(agreement_code=None)
        .update(agreement_code=None)
    )
    if changed:
        bump_tables([results.model._meta.db_table], using=results.db)
    return changed


# A row just created has no results yet: a result's own save reads its indicator's
# and its agreement's keys (`fill`), so it is written after them.
def _indicator_saved(sender, instance, created, using=None, raw=False, **kwargs):
    if not raw and not created:
        refresh(instance.results.using(using).all())


def _area_saved(sender, instance, created, using=None, raw=False, **kwargs):
    from .models import Result

    if not raw and not created:
        refresh(Result.objects.using(using).filter(indicator__program_area=instance))


def _agreement_saved(sender, instance, created, using=None, raw=False, **kwargs):
    from .models import Result

    if not raw and not created:
        refresh(Result.objects.using(using).filter(agreement=instance))


def connect() -> None:
    from grants.models import Agreement, ProgramArea

    from .models import Indicator

    for model, handler in (
        (Indicator, _indicator_saved),
        (ProgramArea, _area_saved),
        (Agreement, _agreement_saved),
    ):
        post_save.connect(
            handler, sender=model, dispatch_uid=f"result-sort-keys:{model.__name__}"
        )
