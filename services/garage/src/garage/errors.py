"""The garage's business errors (problem+json with a stable type)."""

from __future__ import annotations

from guichet_common.http import Conflict, ProblemError


class TransitionNotAllowed(Conflict):
    slug, title = "transition-not-allowed", "This action is not allowed in the current state"


class QuoteNotAccepted(Conflict):
    slug, title = "quote-not-accepted", "Work cannot start without an accepted quote"


class SessionFull(Conflict):
    slug, title = "session-full", "The workshop session has no free bay"


class SessionHasBookings(Conflict):
    slug, title = "session-has-bookings", "Cars are booked in this workshop session"


class BaysBelowBookings(Conflict):
    slug, title = "bays-below-bookings", "Fewer bays than cars booked in the session"


class QuoteNotEditable(Conflict):
    slug, title = "quote-not-editable", "An issued quote is immutable; revise it instead"


class LinkGone(ProblemError):
    status, slug, title = 410, "link-gone", "This link has expired or was already used"


class WorkshopClosed(ProblemError):
    status, slug, title = 422, "workshop-closed", "The workshop is closed on that day"


class SellerIdentityMissing(Conflict):
    slug, title = "seller-identity-missing", "The garage's identity is not configured"
