"""The IATI 2.03 rulesets (shared/iati/rulesets/standard-2.03.json, the rules IATI's
own validator applies beyond the schema) evaluated with lxml's XPath, for tests.

Only the rule types the activity rules use are implemented, as IATI's js-validator
reads them: atleast_one, unique, one_or_all, date_now, date_order, strict_sum,
range, if_then, time_limit, no_more_than_one, and loop over them. `ruleset_errors`
gives the rules of severity "error" that a document breaks.
"""

import datetime
import json
from decimal import Decimal, InvalidOperation
from functools import cache

from lxml import etree

from tests.indicators.iati_support import shared_iati_dir

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@cache
def rulesets() -> dict:
    folder = shared_iati_dir()
    path = folder / "rulesets" / "standard-2.03.json" if folder else None
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def ruleset_errors(document, *, severity="error") -> list[str]:
    if isinstance(document, bytes):
        document = etree.fromstring(document)
    tree = document.getroottree()
    found = []
    for context, rules in rulesets().items():
        if "iati-organisation" in context:
            continue
        for element in tree.xpath(context):
            for name, rule in rules.items():
                for case in rule["cases"]:
                    found += check(element, name, case, severity)
    return found


def check(element, name, case, severity) -> list[str]:
    if name == "loop":
        errors = []
        values = sorted({str(v) for v in element.xpath(case["foreach"])})
        for value in values:
            for inner_name, inner in case["do"].items():
                for inner_case in inner["cases"]:
                    errors += check(
                        element,
                        inner_name,
                        substitute(inner_case, case["subs"], value),
                        severity,
                    )
        return errors
    info = case.get("ruleInfo", {})
    if info.get("severity") != severity:
        return []
    condition = case.get("condition")
    if condition and not truthy(element.xpath(condition)):
        return []
    if RULES[name](element, case):
        return []
    identifier = element.xpath(
        "string(ancestor-or-self::iati-activity/iati-identifier)"
    )
    return [f"{info.get('id')} {identifier}: {info.get('message')}"]


def substitute(case, names, value):
    case = dict(case)
    for name in names:
        if isinstance(case.get(name), list):
            case[name] = [item.replace("$1", value) for item in case[name]]
        elif isinstance(case.get(name), str):
            case[name] = case[name].replace("$1", value)
    return case


def truthy(result) -> bool:
    if isinstance(result, list):
        return bool(result)
    return bool(result)


def number(text):
    try:
        return Decimal(str(text).strip())
    except InvalidOperation:
        return None


def today():
    """Today in UTC: the exported datetimes are in UTC, so the rules compare there
    (the process's local date, Lima's, is a day behind from 7 pm)."""
    return datetime.datetime.now(datetime.UTC).date()


def date(text):
    """The date of an IATI date or datetime; a datetime with a zone, in UTC."""
    text = str(text).strip()
    if text == "NOW":
        return today()
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(datetime.UTC).date()
    return moment.date()


def atleast_one(element, case):
    return any(truthy(element.xpath(path)) for path in case["paths"])


def unique(element, case):
    values = [str(v) for path in case["paths"] for v in element.xpath(path)]
    return len(values) == len(set(values))


def one_or_all(element, case):
    one, every = case["one"], case["all"]
    if truthy(element.xpath(one)):
        return True
    if every == "lang":
        return all(n.get(XML_LANG) for n in element.iter("narrative"))
    if every == "currency":
        return all(v.get("currency") for v in element.iter("value"))
    if every == "sector":
        transactions = element.findall("transaction")
        with_sector = [t for t in transactions if t.find("sector") is not None]
        return not with_sector or len(with_sector) == len(transactions)
    return True


def date_now(element, case):
    now = today()
    return all((d := date(v)) is None or d <= now for v in element.xpath(case["date"]))


def date_order(element, case):
    less = [date(v) for v in element.xpath(case["less"])]
    more = (
        [today()]
        if case["more"] == "NOW"
        else [date(v) for v in element.xpath(case["more"])]
    )
    return all(a <= b for a in less for b in more if a is not None and b is not None)


def strict_sum(element, case):
    values = [number(v) for path in case["paths"] for v in element.xpath(path)]
    values = [v for v in values if v is not None]
    return not values or abs(sum(values) - Decimal(case["sum"])) < Decimal("0.01")


def value_range(element, case):
    for path in case["paths"]:
        for text in element.xpath(path):
            value = number(text)
            if value is not None and not (case["min"] <= value <= case["max"]):
                return False
    return True


def if_then(element, case):
    return not truthy(element.xpath(case["if"])) or truthy(element.xpath(case["then"]))


def time_limit(element, case):
    start = [date(v) for v in element.xpath(case["start"])]
    end = [date(v) for v in element.xpath(case["end"])]
    return all(
        (b - a).days <= 366
        for a in start
        for b in end
        if a is not None and b is not None
    )


def no_more_than_one(element, case):
    return sum(len(element.xpath(path)) for path in case["paths"]) <= 1


RULES = {
    "atleast_one": atleast_one,
    "unique": unique,
    "one_or_all": one_or_all,
    "date_now": date_now,
    "date_order": date_order,
    "strict_sum": strict_sum,
    "range": value_range,
    "if_then": if_then,
    "time_limit": time_limit,
    "no_more_than_one": no_more_than_one,
    # Warnings and information only in the activity rules: not checked.
    "regex_matches": lambda element, case: True,
    "no_spaces": lambda element, case: True,
    "startswith": lambda element, case: True,
    "between_dates": lambda element, case: True,
}
