"""Turn an admin change page (GET response) into the POST data its form would send, so
tests post exactly what a browser would, then change a few fields."""


def _value(bound_field):
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def _form_data(form, data):
    for name in form.fields:
        value = _value(form[name])
        if value is not None:
            data[form.add_prefix(name)] = value


def admin_post_data(response, **changes):
    data = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name])
        for form in formset.forms:
            _form_data(form, data)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
