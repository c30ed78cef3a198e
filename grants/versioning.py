"""Optimistic locking: a `version` column checked on every save, so that of two people
editing the same record from the same starting point the second save is refused.

Written by hand rather than with django-concurrency: it is one conditional UPDATE that
behaves the same on SQLite and PostgreSQL, needs no triggers, and keeps `save()` (and so
django-simple-history's signals) the only write path.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class StaleRecordError(Exception):
    """Raised by `save()` when the row changed (or vanished) since this copy was read."""

    def __init__(self, instance):
        self.instance = instance
        super().__init__(stale_message(instance))


def stale_message(instance) -> str:
    return str(
        _(
            "Someone else changed “%(object)s” after you opened it, so your changes were "
            "not saved (nothing was lost on their side). Reload the page to see the "
            "current version, then make your changes again."
        )
        % {"object": instance}
    )


# Characters XML 1.0 cannot carry (control characters other than tab, LF and CR,
# surrogates, U+FFFE and U+FFFF): refused at input, so they never reach an export.
XML_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe_validator(value):
    """Refuse text that XML (the IATI export, the CSV's readers) cannot carry."""
    if isinstance(value, str) and (found := XML_UNSAFE_RE.search(value)):
        raise ValidationError(
            _(
                "This text contains a control character (U+%(code)s) that cannot be "
                "published: delete it and type the text again."
            ),
            code="xml_unsafe",
            params={"code": f"{ord(found.group()):04X}"},
        )


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        # Also a database default, so rows inserted by raw SQL (COPY, bulk loaders)
        # start at version 1 too.
        db_default=1,
        help_text=_(
            "Goes up by one at every save; a save from an older version is refused."
        ),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or self.pk is None or kwargs.get("force_insert"):
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        expected = self.version
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        with transaction.atomic(using=using):
            # The conditional UPDATE also takes the row lock on PostgreSQL: a concurrent
            # saver waits here, then finds the version moved on and is refused.
            bumped = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk, version=expected)
                .update(version=F("version") + 1)
            )
            if bumped != 1:
                raise StaleRecordError(self)
            self.version = expected + 1
            try:
                return super().save(*args, **kwargs)
            except BaseException:
                self.version = expected
                raise

    def clean_fields(self, exclude=None):
        """Every text field of the record refuses what XML cannot carry: the one
        place for that rule (admin forms, spreadsheet and IATI imports all call
        full_clean)."""
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if exclude and field.name in exclude or field.name in errors:
                continue
            if isinstance(field, models.CharField | models.TextField):
                try:
                    xml_safe_validator(getattr(self, field.attname))
                except ValidationError as error:
                    errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)
