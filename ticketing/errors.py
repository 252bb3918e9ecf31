"""Coded domain errors: the pages, the API and the command line translate them."""
from flask_babel import lazy_gettext as _l


class TicketingError(Exception):
    """Base of every domain error; `code` is stable and becomes the API's error kind."""

    code = "error"
    message = _l("Something went wrong.")
    field = None  # the form field the error belongs to, if any

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class NotFoundError(TicketingError):
    code = "not_found"
    message = _l("We could not find that.")


class ScreeningCancelledError(TicketingError):
    code = "screening_cancelled"
    message = _l("This screening has been cancelled.")


class RegistrationNotOpenError(TicketingError):
    code = "registration_not_open"
    message = _l("Registration for this screening has not opened yet.")


class RegistrationClosedError(TicketingError):
    code = "registration_closed"
    message = _l("Registration for this screening is closed.")


class TooManySeatsError(TicketingError):
    code = "too_many_seats"
    field = "seats"


class InvalidInputError(TicketingError):
    """Input that breaks a rule of its field; `fields` maps each field to its message."""

    code = "invalid_input"
    message = _l("Please correct the marked fields.")

    def __init__(self, fields):
        self.fields = fields
        super().__init__()


class AlreadyCancelledError(TicketingError):
    code = "already_cancelled"
    message = _l("This registration was already cancelled.")


class ScreeningStartedError(TicketingError):
    code = "screening_started"
    message = _l("This screening has already started, so it can no longer be cancelled online.")


class UndoRefusedError(TicketingError):
    code = "undo_refused"
    message = _l("Only an admission that has not been undone yet can be undone.")


class TicketUsedError(TicketingError):
    code = "ticket_used"
    message = _l("This ticket has already been used at the door, so it cannot be cancelled.")


class NoSeatsError(TicketingError):
    code = "no_seats"
    message = _l("Not enough seats are free for this. Raise the capacity or free some seats first.")
    field = "seats"


class AlreadyRegisteredError(TicketingError):
    code = "already_registered"
    message = _l("This e-mail address already has a registration for this screening.")
    field = "email"


class RegistrationChangedError(TicketingError):
    """The registration moved to another screening while it was being cancelled, again and again."""

    code = "registration_changed"
    message = _l("This registration was just moved by someone else; look again.")


class NotMovableError(TicketingError):
    code = "not_movable"
    message = _l("Only a registration that is active and not yet checked in can be moved.")


class LastAdminError(TicketingError):
    code = "last_admin"
    message = _l("This is the last active admin: make another account an admin first.")
    field = "role"


class SelfDeactivationError(TicketingError):
    code = "self_deactivation"
    message = _l("You cannot deactivate your own account: ask another admin to do it.")
    field = "is_active"


class ScanIdTakenError(TicketingError):
    """A device sent a scan id it had used for another code or screening: nothing is recorded."""

    code = "scan_id_taken"
    message = _l("This scan id was already used for another scan.")
    field = "scan_id"
