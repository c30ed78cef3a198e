"""What every endpoint of the public API shares.

An endpoint is declared once (`Endpoint`, then `register`) from what the public
pages already define, so no rule is written twice:

- rows: the list page's FilterSet. Its `base_queryset(include_drafts=False)` is built
  on `public()` (and on `with_figures(include_drafts=False)` where there is money), and
  its filters are the page's filters, with the same parameter names;
- fields: the CSV report's columns (grants/reports.py, indicators/reports.py): the
  same names, the same values before CSV formatting (`Column.value`) and the data
  dictionary's sentence as each field's description in the schema;
- sorts: the list table's columns whose sort an index serves (`indexed_sorts`), with
  the same `sort` names and keys as the page;
- caching: the page cache and the public version (grants/cache.py): a response is
  cached like a public page, and its `ETag` is made from the public version, so a
  client polling with `If-None-Match` gets a 304 until the next write.

Nobody is signed in to the API (no authentication class), so a staff member's
session changes nothing: they get exactly the public answer.
"""

import base64
import binascii
import copy
import hashlib
import json
import time
from dataclasses import dataclass, field

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.functional import Promise
from django.utils.http import http_date
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..cache import (
    cached_count,
    public_version,
    remember,
)
from ..csv_export import Column, Kind
from ..listing import DEFAULT_PER_PAGE, MAX_PER_PAGE
from ..registry import Registry

# The largest integer both databases store (a larger one in a path or a cursor would
# be refused by the database with a server error, so it finds nothing instead).
MAX_INTEGER = 2**63 - 1


# -- Endpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """One part of a detail address: `/api/v1/<endpoint>/<kwarg>/…`, matched against
    the queryset path `path` (`converter` is the URL converter: "str" or "int")."""

    kwarg: str
    path: str
    converter: str = "str"
    description: str | Promise = ""


@dataclass(frozen=True)
class Endpoint:
    """A list at `/api/v1/<name>/` and a detail per row.

    `columns` are the fields, in order (a report's columns, plus any the API alone
    needs); `fields` replaces the serializer field of a column by name where JSON
    has a better type than the CSV's text (a boolean, a list). A text the
    record keeps per language (the report's per-language columns) is one field,
    `{"en": …, "es": …}` (`TextsField`). `sorts` maps a `sort` name to its keys, ending with "pk"; by
    default the `table`'s indexed sorts. `nulls_smallest` names the sort keys
    whose empty values the list sorts first going up (grants.listing.nulls_smallest,
    with an index to match). `example` is the query string of the
    example list request shown in the documentation, `detail_example` the path of
    an example detail after the list's.
    """

    name: str
    title: str | Promise
    description: str | Promise
    filterset: type
    columns: tuple[Column, ...]
    lookups: tuple[Lookup, ...]
    table: type | None = None
    sorts: dict[str, tuple[str, ...]] | None = None
    fields: dict[str, serializers.Field] = field(default_factory=dict)
    example: str = ""
    detail_example: str = ""
    nulls_smallest: tuple[str, ...] = ()

    @classmethod
    def for_report(cls, report, *, before=(), after=(), **kwargs) -> "Endpoint":
        """The endpoint of a CSV report's rows: its name, title, description and
        columns (with `before` and `after` added on either side)."""
        return cls(
            name=report.name,
            title=report.title,
            description=report.description,
            columns=(*before, *report.columns, *after),
            **kwargs,
        )

    def sort_keys(self) -> dict[str, tuple[str, ...]]:
        """`sort` name -> its keys (the table's `order_by` for the column)."""
        if self.sorts is not None:
            return dict(self.sorts)
        table = self.table
        names = table.indexed_sorts
        if names is None:
            names = [
                name
                for name, column in table.base_columns.items()
                if column.orderable is not False and name not in table.staff_only
            ]
        keys = {}
        for name in names:
            order_by = table.base_columns[name].order_by or (name,)
            keys[name] = tuple(str(key) for key in order_by)
        return keys

    def sort_names(self) -> list[str]:
        return [name for key in self.sort_keys() for name in (key, f"-{key}")]

    def detail_path(self) -> str:
        return "/".join(
            f"<{lookup.converter}:{lookup.kwarg}>" for lookup in self.lookups
        )


ENDPOINTS = Registry("api", "grants.api.endpoints")
register = ENDPOINTS.register


def get_endpoints() -> list[Endpoint]:
    """Every registered endpoint: the grants app's first, then other apps' (their
    `api` module)."""
    return ENDPOINTS.all()


# -- Fields -----------------------------------------------------------------------------


def text_field(column: Column, **kwargs) -> serializers.Field:
    """A text that is not kept per language (a code, a URL, a location) as a string;
    the record's texts in every language are `TextsField`s (serializer_class)."""
    return serializers.CharField(**kwargs)


class TextsField(serializers.Field):
    """A text of the record in every language: the report's per-language columns of
    it (csv_export.per_language: title_en, title_es) as `{"en": …, "es": …}`, null
    where a language has none."""

    def __init__(self, columns: list[Column], **kwargs):
        self.columns = columns
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", columns[0].description)
        super().__init__(**kwargs)

    def to_representation(self, row):
        return {
            column.language: (row[alias(column.name)] or None)
            for column in self.columns
        }


def texts_schema(columns: list[Column]) -> dict:
    return {
        "type": "object",
        "properties": {
            column.language: {
                "type": "string",
                "nullable": True,
                "description": str(column.description),
            }
            for column in columns
        },
    }


def column_field(column: Column, *, nullable: bool):
    kwargs = {
        "read_only": True,
        "allow_null": nullable,
        "help_text": column.description,
        "source": alias(column.name),
    }
    if column.choices is not None:
        return serializers.ChoiceField(choices=column.choices.choices, **kwargs)
    if column.kind is Kind.DECIMAL:
        return serializers.DecimalField(
            max_digits=None, decimal_places=2, coerce_to_string=True, **kwargs
        )
    if column.kind is Kind.INTEGER:
        return serializers.IntegerField(**kwargs)
    if column.kind is Kind.DATE:
        return serializers.DateField(**kwargs)
    return text_field(column, **kwargs)


def alias(name: str) -> str:
    """The name a column's value is read under (an annotation of the queryset)."""
    return f"api_{name}"


def is_nullable(model, source) -> bool:
    """Whether a column may be null: a path through a nullable field or relation is;
    an expression (a subquery, a CASE) is taken to be."""
    if not isinstance(source, str):
        return True
    if source == "pk":
        return False
    for part in source.split("__"):
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True  # an annotation of the base queryset
        if model_field.null:
            return True
        model = model_field.related_model or model
    return False


@extend_schema_field(OpenApiTypes.STR)
class DetailPathField(serializers.Field):
    """The row's own address in the API (a path: join it to the site's address)."""

    def __init__(self, endpoint: Endpoint, **kwargs):
        self.endpoint = endpoint
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", gettext_lazy("This row's address in the API."))
        super().__init__(**kwargs)

    def to_representation(self, row):
        kwargs = {
            lookup.kwarg: row[lookup_alias(lookup)] for lookup in self.endpoint.lookups
        }
        return reverse(f"api:{self.endpoint.name}-detail", kwargs=kwargs)


def lookup_alias(lookup: Lookup) -> str:
    return f"api_lookup_{lookup.kwarg}"


def serializer_class(endpoint: Endpoint) -> type[serializers.Serializer]:
    """A read-only serializer of the endpoint's rows (dictionaries of its aliases)."""
    model = endpoint.filterset._meta.model
    attrs = {"url": DetailPathField(endpoint)}
    texts = {}
    for column in endpoint.columns:
        if column.text_of is not None:
            texts.setdefault(column.text_of, []).append(column)
    for column in endpoint.columns:
        if column.text_of is not None:
            if column.text_of not in attrs:
                group = texts[column.text_of]
                field_class = extend_schema_field(texts_schema(group))(
                    type("TextsField", (TextsField,), {})
                )
                attrs[column.text_of] = field_class(group)
            continue
        if column.name in endpoint.fields:
            # A copy made now, so the field keeps the column's place in the order.
            attrs[column.name] = copy.deepcopy(endpoint.fields[column.name])
        else:
            attrs[column.name] = column_field(
                column,
                nullable=is_nullable(model, column.source),
            )
    name = "".join(part.capitalize() for part in endpoint.name.split("-"))
    return type(f"{name}Serializer", (serializers.Serializer,), attrs)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class SemicolonListField(serializers.Field):
    """A CSV cell of codes joined by ";" (e.g. program_area_codes) as a JSON list."""

    def __init__(self, column_name: str, **kwargs):
        super().__init__(read_only=True, source=alias(column_name), **kwargs)

    def get_attribute(self, instance):
        return super().get_attribute(instance) or ""  # none: an empty list, not null

    def to_representation(self, value):
        return value.split(";") if value else []


def boolean_field(column_name: str, help_text) -> serializers.BooleanField:
    """A CSV's "true"/"false" text column as a JSON boolean."""
    return serializers.BooleanField(
        read_only=True, allow_null=True, source=alias(column_name), help_text=help_text
    )


# -- Pagination -------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    path: str
    descending: bool
    nullable: bool
    # The field whose type the key's values have (to read them back from a cursor).
    field: object = None
    # Nulls sort as the largest value (PostgreSQL's default, which its plain indexes
    # serve) unless the list sorts them as the smallest (grants.listing.nulls_smallest).
    nulls_smallest: bool = False

    @property
    def nulls_at_end(self) -> bool:
        return self.descending == self.nulls_smallest

    @property
    def ordering(self):
        expression = F(self.path)
        nulls = {"nulls_last": True} if self.nulls_at_end else {"nulls_first": True}
        if self.descending:
            return expression.desc(**nulls)
        return expression.asc(**nulls)

    def beyond(self, value) -> Q:
        """Rows that come after `value` in this key's order."""
        if value is None:
            if self.nulls_at_end:
                return Q(pk__in=[])
            return Q(**{f"{self.path}__isnull": False})
        after = Q(**{f"{self.path}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and self.nulls_at_end:
            return after | Q(**{f"{self.path}__isnull": True})
        return after

    def same(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.path}__isnull": True})
        return Q(**{self.path: value})

    def bound(self, value) -> Q | None:
        """A range the leading key's index can seek to (the exact condition, an OR,
        would have the database read every earlier row first)."""
        if value is None or (self.nullable and self.nulls_at_end):
            return None
        return Q(**{f"{self.path}__{'lte' if self.descending else 'gte'}": value})


def key_alias(index: int) -> str:
    return f"api_key_{index}"


class KeysetPagination(BasePagination):
    """Cursor pagination on the sort keys themselves (keyset, or "seek", paging):
    the cursor holds the last row's keys, so the next page starts right after that
    row, however many rows are inserted or deleted before it, and the database
    seeks to it through the sort's index instead of counting past OFFSET rows.

    Parameters: `page_size` (1 to MAX_PER_PAGE), `sort` (the list page's names, a
    leading "-" for descending) and `cursor` (from `next`). A value that cannot be
    read answers 400 naming the parameter; DRF's own cursor pagination answers 404
    to a bad cursor, which a client cannot tell from a missing list."""

    def paginate_queryset(self, queryset, request, view=None):
        endpoint = view.endpoint
        errors = {}
        params = request.query_params
        page_size = self.page_size(params.get("page_size"), errors)
        sort = params.get("sort", "")
        keys = self.sort_keys(endpoint, queryset, sort, errors)
        after = self.read_cursor(params.get("cursor"), sort, keys, errors)
        if errors:
            raise exceptions.ValidationError(errors)
        self.count = cached_count(queryset)
        annotated = queryset.annotate(
            **{key_alias(i): F(key.path) for i, key in enumerate(keys)}
        )
        if after is not None:
            annotated = annotated.filter(self.after(keys, after))
            bound = keys[0].bound(after[0])
            if bound is not None:
                annotated = annotated.filter(bound)
        ordered = annotated.order_by(*(key.ordering for key in keys))
        rows = list(
            view.rows(ordered, extra=[key_alias(i) for i in range(len(keys))])[
                : page_size + 1
            ]
        )
        self.next_path = None
        if len(rows) > page_size:
            rows = rows[:page_size]
            last = [rows[-1][key_alias(i)] for i in range(len(keys))]
            self.next_path = replace_query_param(
                request.get_full_path(), "cursor", encode_cursor(sort, last)
            )
        return rows

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.next_path, "results": data})

    # -- reading the parameters ----------------------------------------------------------

    @staticmethod
    def page_size(value, errors) -> int:
        if value in (None, ""):
            return DEFAULT_PER_PAGE
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PER_PAGE:
            errors["page_size"] = [
                _("A whole number from 1 to %(max)s.") % {"max": MAX_PER_PAGE}
            ]
        return size

    @staticmethod
    def sort_keys(endpoint, queryset, sort, errors) -> list[SortKey]:
        model = queryset.model
        if not sort:
            paths = [str(key) for key in queryset.query.order_by]
        else:
            known = endpoint.sort_keys()
            bare = sort.removeprefix("-")
            if bare not in known:
                errors["sort"] = [
                    _("Sort by one of: %(names)s (a leading - for descending).")
                    % {"names": ", ".join(known)}
                ]
                return []
            paths = [("-" if sort.startswith("-") else "") + key for key in known[bare]]
        keys = []
        for path in paths:
            descending = path.startswith("-")
            path = path.removeprefix("-")
            annotation = queryset.query.annotations.get(path)
            if annotation is not None:
                target = getattr(annotation, "target", None)
                nullable = target is None or target.null
                key_field = annotation.output_field
            else:
                nullable = path != "pk" and is_nullable(model, path)
                key_field = path_field(model, path)
            keys.append(
                SortKey(
                    path,
                    descending,
                    nullable,
                    key_field,
                    nulls_smallest=path in endpoint.nulls_smallest,
                )
            )
        return keys

    @staticmethod
    def read_cursor(token, sort, keys, errors):
        if not token:
            return None
        problem = [
            _(
                "This cursor was not given by this list: start again without it, "
                "then follow the `next` address."
            )
        ]
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            cursor_sort, values = data["s"], data["v"]
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
            errors["cursor"] = problem
            return None
        if cursor_sort != sort:
            errors["cursor"] = [
                _("This cursor belongs to sort=%(sort)s: ask with that sort.")
                % {"sort": cursor_sort or "(none)"}
            ]
            return None
        if not isinstance(values, list) or len(values) != len(keys):
            errors["cursor"] = problem
            return None
        return KeysetPagination.cursor_values(values, keys, errors, problem)

    @staticmethod
    def cursor_values(values, keys, errors, problem):
        parsed = []
        for value in values:
            if value is not None and not readable_cursor_value(value):
                errors["cursor"] = problem
                return None
            parsed.append(value)
        # The values are compared by the database as the column's type: a string that
        # is no date or number is refused here rather than there.
        for key, value in zip(keys, parsed, strict=True):
            if value is None:
                continue
            try:
                key.field.to_python(value)
            except (ValidationError, TypeError, ValueError):
                errors["cursor"] = problem
                return None
        return parsed

    @staticmethod
    def after(keys, values) -> Q:
        """Rows after the cursor in the keys' order: the first key beyond its value,
        or equal to it and the second beyond, and so on."""
        condition = Q(pk__in=[])
        equal = Q()
        for key, value in zip(keys, values, strict=True):
            condition |= equal & key.beyond(value)
            equal &= key.same(value)
        return condition

    # -- the schema ------------------------------------------------------------------------

    def get_schema_operation_parameters(self, view):
        endpoint = view.endpoint
        return [
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": str(
                    _("Rows per page, from 1 to %(max)s (default %(default)s).")
                    % {"max": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            },
            {
                "name": "sort",
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "The order of the rows, as on the list page: a field name, "
                        "with a leading - for descending. Ties are broken by the row's "
                        "identity, so pages never repeat or skip a row."
                    )
                ),
                "schema": {"type": "string", "enum": endpoint.sort_names()},
            },
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Where the page starts: leave it out for the first page, then "
                        "follow `next`. It stays valid whatever is written meanwhile."
                    )
                ),
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": str(
                        _("How many rows match the filters, all pages.")
                    ),
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "description": str(
                        _(
                            "The address (path and query) of the next page; null on the last."
                        )
                    ),
                },
                "results": schema,
            },
        }


def readable_cursor_value(value) -> bool:
    """A value a cursor may hold: a number both databases store, or a short text
    without NUL (which PostgreSQL refuses)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_INTEGER
    return isinstance(value, str) and "\x00" not in value and len(value) <= 1000


def path_field(model, path: str):
    """The model field at the end of a queryset path ("agreement__code", "pk")."""
    if path == "pk":
        return model._meta.pk
    *relations, last = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(last)


def encode_cursor(sort: str, values) -> str:
    text = json.dumps({"s": sort, "v": values}, cls=DjangoJSONEncoder)
    return base64.urlsafe_b64encode(text.encode()).decode("ascii")


# -- Errors and conditional requests -------------------------------------------------


class NotModified(exceptions.APIException):
    status_code = 304

    def __init__(self, response):
        super().__init__()
        self.response = response


def exception_handler(exc, context):
    """DRF's handler, and a 304 for a conditional request that matched."""
    if isinstance(exc, NotModified):
        return exc.response
    return drf_exception_handler(exc, context)


def validators(request, endpoint: Endpoint) -> tuple[str, int]:
    """The ETag and Last-Modified of an answer: the public version and the full path
    (the answer is the same for everyone until the next write) and the endpoint's
    field names (a release that adds a field changes every answer without a write),
    and the time this version of these fields was first served (remembered with
    it), in seconds."""
    fields = ",".join(column.name for column in endpoint.columns)
    version = public_version()
    digest = hashlib.sha256(f"{version} {fields} {request.get_full_path()}".encode())
    # The version is part of the key: computing the time reads no table, so nothing
    # else would tell this value that a write happened.
    last_modified = remember(
        "api-last-modified", (version, fields), lambda: int(time.time())
    )
    return f'"{digest.hexdigest()[:32]}"', last_modified


# -- Filters ----------------------------------------------------------------------------


class PageFilterBackend(DjangoFilterBackend):
    """The list page's FilterSet, validated (400 naming each filter that does not
    validate) and applied as on the page."""


class PageFilterSchema(DjangoFilterExtension):
    """drf-spectacular's description of the filters, read from copies of them.

    Reading a filter's form field builds it and keeps it on the filter; on the
    FilterSet's class-level filters that would freeze the choices the list pages set
    per request (AgreementFilter's donors, currencies…) to none, and every such filter
    on the page would refuse every value after the schema's first request."""

    target_class = PageFilterBackend
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        filterset_class = auto_schema.view.endpoint.filterset
        model = filterset_class._meta.model
        result = []
        for name, filter_field in copy.deepcopy(filterset_class.base_filters).items():
            result += self.resolve_filter_field(
                auto_schema, model, filterset_class, name, filter_field
            )
        return result


# -- Views ------------------------------------------------------------------------------

ERROR_RESPONSES = {
    429: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=gettext_lazy(
            "Too many requests from this address: wait the seconds in Retry-After."
        ),
    ),
}


class EndpointViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The list and the detail of one endpoint (`endpoint`, set by `viewset_for`)."""

    endpoint: Endpoint
    authentication_classes = ()
    permission_classes = (AllowAny,)
    filter_backends = (PageFilterBackend,)
    pagination_class = KeysetPagination

    def get_queryset(self):
        return self.endpoint.filterset.base_queryset(include_drafts=False)

    def rows(self, queryset, extra=()):
        """The rows as dictionaries of the columns' values (and `extra` annotations)."""
        endpoint = self.endpoint
        aliases = {
            alias(c.name): c.value(include_drafts=False) for c in endpoint.columns
        }
        aliases.update(
            {lookup_alias(lookup): F(lookup.path) for lookup in endpoint.lookups}
        )
        return queryset.annotate(**aliases).values(*aliases, *extra)

    def retrieve(self, request, *args, **kwargs):
        conditions = {}
        for lookup in self.endpoint.lookups:
            value = kwargs[lookup.kwarg]
            if isinstance(value, int) and value > MAX_INTEGER:
                raise exceptions.NotFound()
            conditions[lookup.path] = value
        row = self.rows(self.get_queryset().filter(**conditions)).first()
        if row is None:
            raise exceptions.NotFound()
        return Response(self.get_serializer(row).data)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.etag, self.last_modified = validators(request, self.endpoint)
        not_modified = get_conditional_response(
            request, etag=self.etag, last_modified=self.last_modified
        )
        if not_modified is not None:
            raise NotModified(not_modified)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and hasattr(self, "etag"):
            response["ETag"] = self.etag
            response["Last-Modified"] = http_date(self.last_modified)
        return response


def viewset_for(endpoint: Endpoint) -> type[EndpointViewSet]:
    """The endpoint's view set, with its schema: descriptions, an example request,
    and the answers to bad input."""
    list_path = f"/api/v1/{endpoint.name}/"
    list_example = f"{list_path}?{endpoint.example}" if endpoint.example else list_path
    detail_example = f"{list_path}{endpoint.detail_example}"
    bad_input = OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=gettext_lazy(
            "A parameter could not be understood: the body names each one, with why."
        ),
    )
    not_found = OpenApiResponse(
        OpenApiTypes.OBJECT, description=gettext_lazy("No public row has this address.")
    )
    path_parameters = [
        OpenApiParameter(
            lookup.kwarg,
            OpenApiTypes.INT if lookup.converter == "int" else OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description=lookup.description,
        )
        for lookup in endpoint.lookups
    ]
    serializer = serializer_class(endpoint)
    viewset = type(
        f"{serializer.__name__.removesuffix('Serializer')}ViewSet",
        (EndpointViewSet,),
        {
            "endpoint": endpoint,
            "serializer_class": serializer,
            "filterset_class": endpoint.filterset,
        },
    )
    return extend_schema_view(
        list=extend_schema(
            operation_id=f"{endpoint.name}_list",
            summary=endpoint.title,
            description=with_example(endpoint.description, list_example),
            tags=[endpoint.name],
            responses={200: serializer(many=True), 400: bad_input, **ERROR_RESPONSES},
        ),
        retrieve=extend_schema(
            operation_id=f"{endpoint.name}_retrieve",
            summary=endpoint.title,
            description=with_example(endpoint.description, detail_example),
            tags=[endpoint.name],
            parameters=path_parameters,
            responses={200: serializer, 404: not_found, **ERROR_RESPONSES},
        ),
    )(viewset)


def with_example(description, path):
    """The operation's description and its example request, in the reader's language."""
    return format_lazy(
        "{description}\n\n{label} `GET {path}`",
        description=description,
        label=gettext_lazy("Example:"),
        path=path,
    )
