"""Step 4 of an IATI import: the report of what was created, changed, left alone
and why, for one activity (`ActivityReport`) and one file (`FileReport`).

The command prints `lines()`; the admin's job page shows the labels and keeps the
report as JSON in the job (`report_as_json`, `report_from_json`).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

# Labels for the admin page; the codes stay English in the command's output.
OUTCOME_LABELS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "left alone": gettext_lazy("left alone"),
    "skipped": gettext_lazy("skipped"),
}
CREATED_LABELS = {
    "organizations": gettext_lazy("organizations"),
    "participants": gettext_lazy("participants"),
    "program areas": gettext_lazy("program areas"),
    "source documents": gettext_lazy("source documents"),
    "amendments": gettext_lazy("amendments"),
    "disbursements": gettext_lazy("disbursements"),
    "budgets": gettext_lazy("budgets"),
    "indicators": gettext_lazy("indicators"),
    "results": gettext_lazy("results"),
}


@dataclass
class ActivityReport:
    identifier: str
    outcome: str = ""  # created, updated, unchanged, left alone or skipped
    reason: str = ""
    agreement_code: str = ""
    created: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    # What the review rule kept from the file's version, and why.
    left_alone: list[str] = field(default_factory=list)
    # Organisations whose reference another organisation (with another name) holds.
    conflicts: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.outcome == "skipped"

    @property
    def created_summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()))

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))

    @property
    def created_label(self) -> str:
        return ", ".join(
            f"{n} {CREATED_LABELS.get(what, what)}"
            for what, n in sorted(self.created.items())
        )

    def lines(self) -> list[str]:
        if self.skipped:
            head = f"{self.identifier or '(no identifier)'}: skipped: {self.reason}"
        elif self.outcome == "left alone":
            head = f"{self.identifier}: left alone: {self.reason}"
        else:
            head = (
                f"{self.identifier}: {self.outcome} as agreement {self.agreement_code}"
            )
            if self.created:
                head += f" ({self.created_summary})"
        return [
            head,
            *(f"  - left alone: {line}" for line in self.left_alone),
            *(f"  - {line}" for line in self.conflicts),
            *(f"  - {note}" for note in self.notes),
        ]


@dataclass
class FileReport:
    name: str
    error: str = ""
    activities: list[ActivityReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(a.outcome for a in self.activities)

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.name}: not imported: {self.error}"]
        counts = self.counts()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines = [
            f"{self.name}: {len(self.activities)} activities ({summary or 'none'})"
        ]
        lines += [f"  - {note}" for note in self.notes]
        for activity in self.activities:
            lines += ["  " + line for line in activity.lines()]
        return lines


def report_as_json(report: FileReport) -> dict:
    # Not dataclasses.asdict(): it rebuilds a Counter from (key, value) pairs, which
    # counts the pairs themselves.
    return {
        "name": report.name,
        "error": report.error,
        "notes": [str(note) for note in report.notes],
        "activities": [
            {
                "identifier": a.identifier,
                "outcome": a.outcome,
                "reason": a.reason,
                "agreement_code": a.agreement_code,
                "created": dict(a.created),
                "notes": [str(note) for note in a.notes],
                "left_alone": [str(line) for line in a.left_alone],
                "conflicts": [str(line) for line in a.conflicts],
            }
            for a in report.activities
        ],
    }


def report_from_json(data: dict) -> FileReport:
    activities = [
        ActivityReport(**{**a, "created": Counter(a.get("created") or {})})
        for a in data.get("activities", [])
    ]
    return FileReport(
        name=data.get("name", ""),
        error=data.get("error", ""),
        activities=activities,
        notes=list(data.get("notes", [])),
    )
