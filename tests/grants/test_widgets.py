"""The forms' renderer writes selects, inputs and labels in Python instead of Django's
templates (grants/project/form_renderer.py) to render faster; the markup must stay
Django's, to the byte."""

import datetime

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test import RequestFactory, TestCase, override_settings
from django.urls import resolve
from django.utils.safestring import mark_safe

from grants.listing import ListPageView
from grants.project.form_renderer import INPUT_TEMPLATES, SiteFormRenderer
from tests.factories import make_agreement, make_user
from tests.public_pages import public_urls

STOCK = DjangoTemplates()  # Django's own form templates only


def assume_https(field, **kwargs):
    # As the admin's forms will from Django 6 (and without its warning).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class SameMarkupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agreement = make_agreement(code="527-0427")

    def assert_same_markup(self, form_class, data, **kwargs):
        """Every field of the form and its label, rendered both ways; returns the
        names of the fields compared."""
        ours = form_class(data=data, renderer=get_default_renderer(), **kwargs)
        stock = form_class(data=data, renderer=STOCK, **kwargs)
        for name in ours.fields:
            with self.subTest(form=form_class.__name__, field=name, data=data):
                self.assertEqual(str(ours[name]), str(stock[name]))
                self.assertEqual(ours[name].label_tag(), stock[name].label_tag())
                self.assertEqual(
                    ours[name].label_tag(attrs={"class": "x"}, tag="legend"),
                    stock[name].label_tag(attrs={"class": "x"}, tag="legend"),
                )
        return list(ours.fields)

    def test_the_renderer_is_the_sites(self):
        self.assertIsInstance(get_default_renderer(), SiteFormRenderer)

    def test_the_input_templates_written_out_only_include_input_html(self):
        for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
            with self.subTest(template=name):
                source = STOCK.get_template(name).template.source
                self.assertEqual(
                    source.strip(), '{% include "django/forms/widgets/input.html" %}'
                )

    def test_every_field_of_every_public_filter(self):
        checked = 0
        for url in public_urls().values():
            view = getattr(resolve(url).func, "view_class", None)
            if not (view and issubclass(view, ListPageView)):
                continue
            filterset_class = view.filterset_class
            queryset = filterset_class.base_queryset(include_drafts=False)
            for data in (
                {},
                {"country": "PE", "currency": "USD", "status": "active"},
                {"q": "\"<quoted> & '", "amount_min": "1,5", "year": "x"},
            ):
                filterset = filterset_class(data=data or None, queryset=queryset)
                checked += len(
                    self.assert_same_markup(type(filterset.form), data or None)
                )
        self.assertGreater(checked, 40)

    def test_every_field_of_every_model_form(self):
        checked = 0
        for app_label in ("grants", "indicators"):
            for model in apps.get_app_config(app_label).get_models():
                form_class = forms.modelform_factory(
                    model, fields="__all__", formfield_callback=assume_https
                )
                checked += len(self.assert_same_markup(form_class, None))
        self.assertGreater(checked, 100)

    def test_every_field_of_every_admin_form(self):
        """The admin's own widgets (its text inputs with their classes, date
        inputs, related-object wrappers) for the add and the change form."""
        request = RequestFactory().get("/admin/")
        request.user = make_user(role="Administrator")
        checked = 0
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_add_permission(request):
                continue
            for instance in (None, model.objects.first()):
                form_class = model_admin.get_form(request, instance)
                checked += len(
                    self.assert_same_markup(form_class, None, instance=instance)
                )
        self.assertGreater(checked, 100)

    def test_groups_several_values_and_markup_in_labels(self):
        class Form(forms.Form):
            one = forms.ChoiceField(
                label="Tom & <Jerry>",
                choices=[("", "—"), ("<b>", "Tom & <Jerry>"), ("Group", [("2", 2)])],
            )
            many = forms.MultipleChoiceField(
                choices=[("a", "A"), ("Group", [("b", "B"), ("c", "C")])],
                widget=forms.SelectMultiple(attrs={"data-x": '"quoted"'}),
            )
            flag = forms.NullBooleanField(widget=forms.NullBooleanSelect)

        for data in (None, {"one": "<b>", "many": ["a", "c"], "flag": "true"}):
            self.assertEqual(
                self.assert_same_markup(Form, data), ["one", "many", "flag"]
            )
            # No suffix: the label reaches the template unescaped.
            self.assert_same_markup(Form, data, label_suffix="")

    @override_settings(USE_THOUSAND_SEPARATOR=True)
    def test_attributes_numbers_dates_safe_text_and_option_templates(self):
        class OwnOption(forms.Select):
            option_template_name = "django/forms/widgets/input_option.html"

        when = datetime.datetime(2024, 5, 1, 9, 30, tzinfo=datetime.UTC)
        choices = [
            (1000, 25000),
            (mark_safe("a&amp;b"), mark_safe("<em>safe</em>")),
            ("when", when),
            ((1, 2), "a tuple"),
        ]

        class Form(forms.Form):
            numbers = forms.TypedChoiceField(
                choices=choices,
                coerce=str,
                widget=forms.Select(
                    attrs={"disabled": True, "hidden": False, "data-n": 1234}
                ),
            )
            own = forms.ChoiceField(choices=[("x", "X")], widget=OwnOption)
            optional = forms.ChoiceField(choices=[("", "—")], required=False)
            amount = forms.DecimalField(
                initial=1234567.5, widget=forms.NumberInput(attrs={"step": 0.01})
            )
            secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
            hidden = forms.CharField(initial="<a>", widget=forms.HiddenInput)
            day = forms.DateField(initial=when.date(), label=mark_safe("<i>Day</i>"))
            no_id = forms.CharField(widget=forms.TextInput(attrs={"id": ""}))

        for data in (
            None,
            {"numbers": "1000", "own": "x", "amount": "1.234,5", "secret": "s3"},
        ):
            self.assert_same_markup(Form, data, auto_id="f_%s", label_suffix=":")
            self.assert_same_markup(Form, data, auto_id=False)
        self.assertIn(
            '<option value="1000">25,000</option>',
            str(Form(renderer=STOCK)["numbers"]),
        )
