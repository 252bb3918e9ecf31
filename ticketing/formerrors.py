"""Putting a service's refusal on a form: each message next to its field, the rest for the top."""
from flask_babel import lazy_gettext as _l

from .errors import InvalidInputError

CORRECT = _l("Please correct the marked fields.")
EXPIRED = _l("This form had expired. Please try again.")


def put_errors(form, failure, summary=None):
    """Show `failure` (a TicketingError) next to the fields of `form` it names.

    Returns the message for the top of the form: the messages of fields the form lacks, else
    `summary` (default: "Please correct the marked fields.").
    """
    fields = failure.fields if isinstance(failure, InvalidInputError) else {failure.field: failure.message}
    rest = []
    for name, message in fields.items():
        field = form._fields.get(name) if name else None
        if field is None:
            rest.append(str(message))
        else:
            field.errors = [*field.errors, str(message)]
    return " ".join(rest) or str(summary or CORRECT)
