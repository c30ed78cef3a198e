from django import template
from django.urls import reverse

from .. import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("quantity", formatting.quantity)
register.filter("share", formatting.share_text)


@register.simple_tag
def period(start, end):
    return formatting.period(start, end)


@register.simple_tag
def admin_change_url(obj):
    """The admin page that edits `obj`."""
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
