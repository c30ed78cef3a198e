from django import template
from django.urls import reverse

from .. import formatting, languages

register = template.Library()

register.filter("money", formatting.money)
register.filter("quantity", formatting.quantity)
register.filter("reconciled", formatting.reconciled)
register.filter("reported", formatting.reported)
register.filter("share", formatting.share_text)
register.filter("unreconciled_sentence", formatting.unreconciled_sentence)


@register.simple_tag
def period(start, end):
    return formatting.period(start, end)


@register.simple_tag
def admin_change_url(obj):
    """The admin page that edits `obj`. (Not `admin_urlname`: that needs the model's
    `_meta`, which a template cannot read from a record.)"""
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


@register.simple_tag
def record_text(obj, field, plain=False):
    """A text of the record in the visitor's language, or marked with `lang` and
    "solo en inglés" / "Spanish only" where only another language has it. `obj` is a
    record with the translated `field`; `field=None` shows `str(obj)` (an
    organization) marked the same way. `plain=True` for `<title>`."""
    if obj is None or obj == "":
        return ""
    if field is None:
        return languages.marked(str(obj), languages.label_language(obj), plain=plain)
    return languages.text_html(obj, field, plain=plain)
