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


# The state a record has until a reviewer publishes it: a new one's, an imported one's.
INITIAL_PUBLICATION = PublicationState.DRAFT
# The one state the public sees (the database's twin: grants.models.published_q).
PUBLIC_STATE = PublicationState.PUBLISHED


def is_public_state(publication: str | None) -> bool:
    """Whether a publication value (a stored one, a form's, a POST's) is public."""
    return publication == PUBLIC_STATE


def is_published(obj) -> bool:
    return is_public_state(obj.publication)


def publication_is_locked(obj) -> bool:
    """A published row is out of the data-entry official's hands and out of an
    import's: a reviewer must unpublish it first."""
    return is_published(obj)


def publication_is_locked_for(obj, user) -> bool:
    return publication_is_locked(obj) and not can_publish(user, type(obj))


def publication_needs_reason(obj) -> bool:
    """A change to a published record changes what the public sees: it takes a
    reason, kept in the history."""
    return is_published(obj)


def publication_may_set(user, model, *, before: str | None, after: str) -> bool:
    """Whether `user` may leave a record of `model` in publication state `after` (a
    new record's `before` is None: it starts as INITIAL_PUBLICATION)."""
    return after == (before or INITIAL_PUBLICATION) or can_publish(user, model)


def stamp_published_at(obj) -> None:
    """`published_at` follows the publication: now when it becomes public, none
    when it stops being."""
    obj.published_at = timezone.now() if is_published(obj) else None


def publication_as_imported(obj) -> None:
    """What a spreadsheet import leaves: a draft, for a reviewer to publish."""
    obj.publication = INITIAL_PUBLICATION
    stamp_published_at(obj)


def record_change(obj, *, user, reason: str) -> None:
    """Attach who and why to the history row that the next save() or delete()
    writes (django-simple-history's documented `_history_user` and `_change_reason`).
    With no `user`, the history names whom its middleware finds (none outside a
    request)."""
    if user is not None:
        obj._history_user = user
    obj._change_reason = reason


def publication_publish(*, obj, user) -> None:
    if not can_publish(user, type(obj)):
        raise PermissionDenied
    if is_published(obj):
        raise WorkflowError(_("“%(object)s” is already published.") % {"object": obj})
    obj.publication = PUBLIC_STATE
    stamp_published_at(obj)
    record_change(obj, user=user, reason=_("Published"))
    obj.save()


def publication_unpublish(*, obj, user, reason: str) -> None:
    if not can_publish(user, type(obj)):
        raise PermissionDenied
    if not reason.strip():
        raise WorkflowError(_("Give a reason for unpublishing."))
    if not is_published(obj):
        raise WorkflowError(_("“%(object)s” is not published.") % {"object": obj})
    obj.publication = INITIAL_PUBLICATION
    stamp_published_at(obj)
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


def agreement_publish(*, agreement, user, with_drafts: bool) -> None:
    """Publish the agreement and, `with_drafts`, its draft amendments, as one step for
    the ledger. An agreement already published is left as it is when only its drafts
    remain to publish."""
    with ledger.batch():
        if not (with_drafts and is_published(agreement)):
            publication_publish(obj=agreement, user=user)
        if with_drafts:
            publish_draft_amendments(agreement=agreement, user=user)


def can_change_public_facts(user) -> bool:
    """The review rule for what the public sees without a publication step of its
    own (organizations, source documents, program areas, and the budgets and
    participants of a published agreement): data entry adds, reviewers (who may
    publish agreements) change and delete, giving a reason kept in the history."""
    from .models import Agreement

    return can_publish(user, Agreement)


def agreement_facts_are_public(agreement) -> bool:
    """The budgets and participants of a published agreement are public facts."""
    return is_published(agreement)


def public_fact_is_locked_for(user, *, public: bool) -> bool:
    """A public fact is out of data entry's hands: it may add one, not change or
    delete it."""
    return public and not can_change_public_facts(user)
