"""Import IATI activity files: activities become draft agreements.

Four steps per activity, each a module:
1. parse (parse.py): the file and each iati-activity element into typed records,
   no database;
2. map (mapping.py): the records onto the record's rules (one currency, payments
   not in the future, whether the file starts mid-agreement, codes in their
   codelists): the rows to write and the problems found, no database writes;
3. write (write.py): in one transaction (a savepoint) per activity, all of it or
   none: which organisation is which, what a re-import may change (the review rule),
   the history's reason;
4. report (report.py): what was created, changed, left alone and why.
This module runs them over a file.

Real files are untidy, so nothing real is skipped: an activity is imported whole
unless the file itself cannot be read for it (no identifier, an unreadable
commitment, commitments in several currencies), and the report says why. Parts that
cannot be kept (a budget without dates, a result value such as "Yes", a country code
not in the codelist) are left out and listed in the activity's notes.

The review rule: a re-import never changes a published agreement, amendment,
disbursement or indicator, nor a submitted or approved result; it lists what it left
alone and why. Everything it writes carries the reason "IATI import of <file>,
<date>" in the history.
Re-importing updates the agreement with the same IATI identifier, never duplicates it.
"""

from django.db import transaction

from .parse import parse_activity, read_file
from .report import FileReport
from .write import ActivityWriter, ImportContext


def import_files(
    sources, *, dry_run: bool = False, progress=None, user=None
) -> list[FileReport]:
    """Import each (name, bytes or file) source. With `dry_run` nothing is kept: the
    reports say what would happen (the admin's preview). `progress`: see
    import_file()."""
    reports = []
    with transaction.atomic():
        for name, source in sources:
            reports.append(import_file(name, source, progress=progress, user=user))
        if dry_run:
            transaction.set_rollback(True)
    return reports


def import_file(name: str, source, *, progress=None, user=None) -> FileReport:
    """Import one file. Outside a transaction each activity is committed on its own.
    `progress(done, total)`, if given, is called after each activity (a job's
    progress bar); `user` is named in the history of what the import writes."""
    report = FileReport(name)
    file = read_file(source)
    if file.error:
        report.error = file.error
        return report
    context = ImportContext(file_name=name, user=user)
    # Activities whose parent activity is set once the whole file is in.
    with_parent: list[ActivityWriter] = []
    for element in file.elements:
        record = parse_activity(element, file_version=file.version)
        activity = ActivityWriter(record, context)
        report.activities.append(activity.run())
        if record.parent and activity.agreement is not None:
            with_parent.append(activity)
        if progress is not None:
            progress(len(report.activities), len(file.elements))
    for activity in with_parent:
        activity.link_framework(activity.record.parent)
    if not report.activities:
        report.notes.append("the file has no <iati-activity> element")
    return report
