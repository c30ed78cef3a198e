"""Form fields the staff type figures into: amounts read as the official meant them."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .formatting import money, money_words
from .money import AmountError, parse_amount


def plain_number(value: Decimal) -> str:
    """A reading as the staff's language writes it, without grouping: 92500 / 92,5."""
    return number_format(value, use_l10n=True)


def read_amount(text: str, decimal: str | None = None) -> Decimal:
    """`parse_amount` with the messages a person typing it needs (in a form, or in a
    spreadsheet whose convention is `decimal`)."""
    try:
        return parse_amount(text, decimal)
    except AmountError as error:
        if error.decimal is not None:
            example = Decimal("92500000.50")
            raise ValidationError(
                _(
                    "“%(value)s” is not a number as this file writes them (decimal "
                    "%(separator)s, e.g. %(example)s or %(plain)s). Correct the cell "
                    "so it is written the same way."
                ),
                code="convention",
                params={
                    "value": error.text,
                    "separator": _("comma") if error.decimal == "," else _("point"),
                    "example": in_convention(f"{example:,}", error.decimal),
                    "plain": in_convention(str(example), error.decimal),
                },
            ) from None
        if error.readings:
            many, few = error.readings
            raise ValidationError(
                _(
                    "“%(value)s” can be read as %(many)s or as %(few)s, depending on "
                    "the convention. Type %(many_typed)s, or %(few_typed)s, so that it "
                    "reads one way only."
                ),
                code="ambiguous",
                params={
                    "value": error.text,
                    "many": plain_number(many.normalize()),
                    "few": plain_number(few.normalize()),
                    "many_typed": money(many),
                    "few_typed": plain_number(few.normalize()),
                },
            ) from None
        raise ValidationError(
            _(
                "“%(value)s” is not a number. Type digits, with a decimal comma or "
                "point and, if you like, thousands separators: %(example)s."
            ),
            code="invalid",
            params={
                "value": error.text,
                "example": money(Decimal("92500000.00")),
            },
        ) from None


def in_convention(number: str, decimal: str) -> str:
    """A number written with "." decimals and "," groups, in the `decimal` convention."""
    if decimal == ".":
        return number
    return number.translate(str.maketrans(".,", ",."))


def amount_preview(text: str) -> dict:
    """What the field will store for `text`, as the staff's language writes it, with
    its scale in words ("92,5 millones"), or the reason it cannot be read."""
    if not (text or "").strip():
        return {"text": "", "error": False}
    try:
        value = read_amount(text)
    except ValidationError as error:
        return {"text": " ".join(error.messages), "error": True}
    text = _("Will be stored as %(amount)s") % {"amount": money(value)}
    if abs(value) >= 1_000_000:
        text = f"{text} ({money_words(value)})"
    return {"text": text, "error": False}


class AmountInput(forms.TextInput):
    """A text input, not a number input: a browser's number input drops what it does
    not understand (92,5 arrived as 925). The mobile keyboard still shows digits
    (`inputmode`). Below it, what will be stored, kept up to date as the official
    types by static/grants/amount-preview.js, and written here for the page as
    served (after an error too)."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "inputmode": "decimal",
                "autocomplete": "off",
                "class": "amount",
                **(attrs or {}),
            }
        )

    class Media:
        js = ["grants/amount-preview.js"]
        css = {"all": ["grants/amount-preview.css"]}

    def format_value(self, value):
        if isinstance(value, Decimal):
            return money(value)
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "data-amount-preview": reverse("amount-preview")}
        field_id = attrs.get("id") or self.attrs.get("id") or name
        preview_id = f"{field_id}_preview"
        attrs["aria-describedby"] = " ".join(
            filter(None, [attrs.get("aria-describedby"), preview_id])
        )
        html = super().render(name, value, attrs, renderer)
        preview = amount_preview(self.format_value(value) or "")
        return format_html(
            '{}<output id="{}" class="amount-preview{}" for="{}" aria-live="polite">'
            "{}</output>",
            html,
            preview_id,
            " error" if preview["error"] else "",
            field_id,
            preview["text"],
        )


class AmountField(forms.DecimalField):
    """A money amount (two decimals) typed in either convention
    (grants.money.parse_amount), refused with both readings when it could mean two
    amounts."""

    widget = AmountInput

    def __init__(self, *, max_digits=None, decimal_places=None, **kwargs):
        kwargs.pop("localize", None)
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        return read_amount(str(value).strip())

    def widget_attrs(self, widget):
        # Not DecimalField's: `step` and `min`/`max` belong to number inputs.
        return forms.Field.widget_attrs(self, widget)
