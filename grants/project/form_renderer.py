"""The forms' renderer (settings.FORM_RENDERER): Django's own templates, but a select
written out here in Python, with the bytes Django's select.html gives.

Django's select.html includes a template per option, and each option includes
attrs.html: rendering the 250 countries of the agreements' filter took about 6 ms of a
30 ms page (docs/performance.md). A select whose options use another template than
Django's (a widget's `option_template_name`) is rendered by its templates as usual.
tests/grants/test_widgets.py compares the two, to the byte, for every select of every
public filter and model form.
"""

from django.forms import Select
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

OPTION_TEMPLATE = Select.option_template_name


def as_text(value):
    """`{{ value }}` in a template: a local time, localized, escaped unless safe."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def as_string_format(value):
    """`{{ value|stringformat:'s' }}`: str(), escaped unless it was safe."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
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
    parts.append("\n</select>")  # the renderer strips the file's last line end
    return "".join(parts)


class SiteFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == Select.template_name:
            html = select_html(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)
