"""The forms' renderer (settings.FORM_RENDERER): Django's own templates, but the three
a page renders most, a select, an input and a label, written out here in Python with
the bytes Django's templates give.

Django's select.html includes a template per option, and each option and input
includes attrs.html: the agreements' filter (14 fields, 250 countries) took 16 ms to
render with Django's templates, about half of its page, and 3.2 ms so
(docs/performance.md; `manage.py benchmark` prints the ratio). A select whose options
use another template
than Django's (a widget's `option_template_name`) and every other template are
rendered by the templates as usual. tests/grants/test_widgets.py compares the two, to
the byte, for every field and label of every public filter, model form and admin form.
"""

from django.forms import Select
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils.html import escape
from django.utils.safestring import SafeData

OPTION_TEMPLATE = Select.option_template_name
LABEL_TEMPLATE = "django/forms/label.html"
# Django's input widgets whose template is only `{% include ".../input.html" %}`
# (tests/grants/test_widgets.py reads each to check).
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
    )
)


# What the widget templates render in: autoescaped, the settings' time zone and formats.
TEMPLATE_CONTEXT = Context()


def as_text(value):
    """`{{ value }}` in a template, by the function Django's templates call."""
    return render_value_in_context(value, TEMPLATE_CONTEXT)


def as_string_format(value):
    """`{{ value|stringformat:'s' }}`: Django's filter, its result escaped unless the
    value was safe (the filter is `is_safe`)."""
    text = stringformat(value, "s")
    return text if isinstance(value, SafeData) else escape(text)


def attrs_html(attrs):
    """Django's forms/widgets/attrs.html."""
    return "".join(
        f" {as_text(name)}"
        if value is True
        else f' {as_text(name)}="{as_string_format(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget):
    """Django's forms/widgets/input.html."""
    value = widget["value"]
    value = "" if value is None else f' value="{as_string_format(value)}"'
    return (
        f'<input type="{as_text(widget["type"])}" name="{as_text(widget["name"])}"'
        f"{value}{attrs_html(widget['attrs'])}>"
    )


def label_html(context):
    """Django's forms/label.html."""
    if not context["use_tag"]:
        return as_text(context["label"])
    tag = as_text(context["tag"])
    attrs = attrs_html(context["attrs"] or {})
    return f"<{tag}{attrs}>{as_text(context['label'])}</{tag}>"


def select_html(widget):
    """Django's forms/widgets/select.html with select_option.html, or None when an
    option has a template of its own."""
    parts = [f'<select name="{as_text(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{as_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{as_string_format(option["value"])}"'
                f"{attrs_html(option['attrs'])}>{as_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class SiteFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        html = None
        if template_name == Select.template_name:
            html = select_html(context["widget"])
        elif template_name in INPUT_TEMPLATES:
            html = input_html(context["widget"])
        elif template_name == LABEL_TEMPLATE:
            html = label_html(context)
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()  # as Django's renderer strips a template's output
