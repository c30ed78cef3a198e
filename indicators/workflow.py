"""The result review workflow (draft -> submitted -> approved, or returned with a reason
-> edited -> submitted again). Each step is one history-aware save with who and why."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.workflow import WorkflowError, record_change

from .models import ResultStatus

APPROVE_PERMISSION = "indicators.approve_result"
EDITABLE_BY_DATA_ENTRY = {ResultStatus.DRAFT, ResultStatus.RETURNED}


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


def result_locked_reason(result) -> str:
    if result.status == ResultStatus.APPROVED:
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
        return _(
            "Submitted for review: waiting for a reviewer to approve or return it."
        )
    return ""


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
