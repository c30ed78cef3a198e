"""The result review workflow (draft -> submitted -> approved, or returned with a reason
-> edited -> submitted again). Each step is one history-aware save with who and why."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.workflow import WorkflowError, record_change

from .models import ResultStatus

APPROVE_PERMISSION = "indicators.approve_result"
EDITABLE_BY_DATA_ENTRY = {ResultStatus.DRAFT, ResultStatus.RETURNED}
INITIAL_STATUS = ResultStatus.DRAFT
# Set only by the steps below, which record who, when and why.
REVIEW_FIELDS = ("status", "return_reason", "approved_by", "approved_at")


def can_review(user) -> bool:
    return user.has_perm(APPROVE_PERMISSION)


def result_is_locked(result) -> bool:
    """Submitted and approved results are out of the data-entry official's hands (and
    out of an import's: a reviewer must return or reopen them first)."""
    return result.status not in EDITABLE_BY_DATA_ENTRY


def result_is_locked_for(result, user) -> bool:
    return result_is_locked(result) and not can_review(user)


def result_needs_reason(result) -> bool:
    """A change to an approved result corrects a public fact: it takes a reason."""
    return result.status == ResultStatus.APPROVED


def result_state_note(result, *, short: bool = False) -> str:
    """What the result's state means for the official: who holds it and what must
    happen next ("" for a draft). `short` for a list's column."""
    if result.status == ResultStatus.APPROVED:
        if short:
            return _("Approved: a reviewer must reopen it")
        who = result.approved_by or _("a reviewer")
        when = (
            timezone.localtime(result.approved_at).strftime("%Y-%m-%d")
            if result.approved_at
            else "?"
        )
        return _(
            "Approved by %(who)s on %(when)s: only a reviewer can change or reopen it."
        ) % {"who": who, "when": when}
    if result.status == ResultStatus.SUBMITTED:
        if short:
            return _("Waiting for review")
        return _(
            "Submitted for review: waiting for a reviewer to approve or return it."
        )
    if result.status == ResultStatus.RETURNED:
        return _("Returned: %(reason)s") % {"reason": result.return_reason}
    return ""


def result_locked_reason(result) -> str:
    """Why a locked result is locked ("" when it is not)."""
    return result_state_note(result) if result_is_locked(result) else ""


def result_may_start_as(status) -> bool:
    """A new result starts as a draft by the person entering it (or importing it):
    only the workflow's steps move it on."""
    return status == INITIAL_STATUS


def result_review_changed(result, stored) -> bool:
    """Whether `result` changes a field only the workflow's steps set (`stored` is
    the row as saved)."""
    return any(
        getattr(result, field.attname) != getattr(stored, field.attname)
        for field in (result._meta.get_field(name) for name in REVIEW_FIELDS)
    )


def result_as_imported(result, *, user) -> None:
    """What an import leaves: a draft (for the official to submit), a new one entered
    by the importing `user` when given."""
    if result.pk is None and user is not None and getattr(user, "pk", None):
        result.entered_by = user
    result.status = INITIAL_STATUS
    result.return_reason = ""


def _refuse(result, message):
    raise WorkflowError(
        message % {"object": result, "status": result.get_status_display()}
    )


def result_submit(*, result, user) -> None:
    if result_is_locked(result):
        _refuse(
            result,
            _(
                "“%(object)s” is %(status)s; only drafts and returned "
                "results can be submitted."
            ),
        )
    result.status = ResultStatus.SUBMITTED
    result.return_reason = ""
    record_change(result, user=user, reason=_("Submitted for review"))
    result.save()


def result_approve(*, result, user) -> None:
    if not can_review(user):
        raise PermissionDenied
    if result.status != ResultStatus.SUBMITTED:
        _refuse(
            result,
            _("“%(object)s” is %(status)s; only submitted results can be approved."),
        )
    result.status = ResultStatus.APPROVED
    result.approved_by = user
    result.approved_at = timezone.now()
    record_change(result, user=user, reason=_("Approved"))
    result.save()


def result_return(*, result, user, reason: str) -> None:
    if not can_review(user):
        raise PermissionDenied
    if not reason.strip():
        raise WorkflowError(_("Give a reason when returning a result."))
    if result.status != ResultStatus.SUBMITTED:
        _refuse(
            result,
            _(
                "“%(object)s” is %(status)s; only submitted results can be "
                "returned (reopen an approved one)."
            ),
        )
    result.status = ResultStatus.RETURNED
    result.return_reason = reason
    record_change(
        result, user=user, reason=_("Returned: %(reason)s") % {"reason": reason}
    )
    result.save()


def result_reopen(*, result, user, reason: str) -> None:
    """Unlock an approved result for the official, with the reviewer's reason."""
    if not can_review(user):
        raise PermissionDenied
    if not reason.strip():
        raise WorkflowError(_("Give a reason when reopening a result."))
    if result.status != ResultStatus.APPROVED:
        _refuse(
            result,
            _("“%(object)s” is %(status)s; only approved results can be reopened."),
        )
    result.status = ResultStatus.RETURNED
    result.return_reason = reason
    result.approved_by = None
    result.approved_at = None
    record_change(
        result, user=user, reason=_("Reopened: %(reason)s") % {"reason": reason}
    )
    result.save()
