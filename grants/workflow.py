"""Publication of agreements, amendments and indicators: every change is one history-aware
save of one row, with who and why, so nothing escapes the history."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from . import ledger
from .models import PublicationState


class WorkflowError(Exception):
    """A step the record's current state does not allow; the message is for the user."""


def publish_permission(model) -> str:
    opts = model._meta
    return f"{opts.app_label}.publish_{opts.model_name}"


def can_publish(user, model) -> bool:
    return user.has_perm(publish_permission(model))


def is_published(obj) -> bool:
    return obj.publication == PublicationState.PUBLISHED


def record_change(obj, *, user, reason: str) -> None:
    """Attach who and why to the history row that the next save() writes."""
    obj._history_user = user
    obj._change_reason = reason


def publication_publish(*, obj, user) -> None:
    if not can_publish(user, type(obj)):
        raise PermissionDenied
    if is_published(obj):
        raise WorkflowError(_("“%(object)s” is already published.") % {"object": obj})
    obj.publication = PublicationState.PUBLISHED
    obj.published_at = timezone.now()
    record_change(obj, user=user, reason=_("Published"))
    obj.save()


def publication_unpublish(*, obj, user, reason: str) -> None:
    if not can_publish(user, type(obj)):
        raise PermissionDenied
    if not reason.strip():
        raise WorkflowError(_("Give a reason for unpublishing."))
    if not is_published(obj):
        raise WorkflowError(_("“%(object)s” is not published.") % {"object": obj})
    obj.publication = PublicationState.DRAFT
    obj.published_at = None
    record_change(
        obj, user=user, reason=_("Unpublished: %(reason)s") % {"reason": reason}
    )
    obj.save()


def publish_draft_amendments(*, agreement, user) -> int:
    """Publish the agreement's draft amendments in sequence order, as one step for the
    ledger: all of them, or none when the public total would fall below zero."""
    drafts = list(agreement.amendments.drafts().order_by("sequence", "pk"))
    with ledger.batch():
        for amendment in drafts:
            publication_publish(obj=amendment, user=user)
    return len(drafts)


def can_change_public_facts(user) -> bool:
    """The review rule for what the public sees without a publication step of its
    own (organizations, source documents, program areas, and the budgets and
    participants of a published agreement): data entry adds, reviewers (who may
    publish agreements) change and delete, giving a reason kept in the history."""
    from .models import Agreement

    return can_publish(user, Agreement)
