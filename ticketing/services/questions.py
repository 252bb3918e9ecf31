"""The organizers' own questions on the sign-up form, and the answers: one home for their kinds,
their rules and what they count.

A question belongs to an event, for every screening of it or for one (`screening_id`). Its label
and choices are written in the event's main language, and may be in the other languages too
(`texts`: {locale: {"label", "choices"}}). An answer keeps what the person chose as text in the
main language at that moment, so that a question changed or removed later leaves it readable.
Answers are checked as the built-in fields are (R9): a message per question, nothing written.
"""
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Answer, Question, QuestionKind, Registration, Screening, Ticket, utcnow
from . import audit, texts
from . import event_inputs as fi
from .events import lock_event

KINDS = tuple(kind.value for kind in QuestionKind)
KIND_NAMES = {
    "short_text": _l("Short text"), "long_text": _l("Long text"), "choice": _l("One choice"),
    "choices": _l("Several choices"), "yes_no": _l("Yes or no"), "number": _l("Number"),
    "country": _l("Country"), "consent": _l("Consent (a box to tick, with a link)"),
}
WITH_CHOICES = ("choice", "choices")
COUNTED = ("choice", "choices", "yes_no", "country")  # the dashboard counts their answers
LABEL_MAX, CHOICE_MAX, CHOICES_MAX, LINK_MAX = 300, 200, 50, 500
ANSWER_MAX = {"short_text": 200, "long_text": 2000}
NUMBER_CHARS, NUMBER_DIGITS = 40, 6  # a number as typed; the smallest part kept (millionths)
_LINK = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


def field_name(question):
    """The name of a question's field in the sign-up form, and of its key in error maps."""
    return f"q{question.id}"


def asked(screening_id):
    """The questions a sign-up to the screening answers, in their order (removed ones are not)."""
    return db.session.scalars(
        sa.select(Question)
        .join(Screening, Screening.event_id == Question.event_id)
        .where(Screening.id == screening_id, Question.removed_at.is_(None),
               sa.or_(Question.screening_id.is_(None), Question.screening_id == screening_id))
        .order_by(Question.position, Question.id)
    ).all()


def of_event(event_id, with_removed=False):
    """The event's questions in their order; with `with_removed`, the removed ones too."""
    query = sa.select(Question).where(Question.event_id == event_id).order_by(Question.position, Question.id)
    if not with_removed:
        query = query.where(Question.removed_at.is_(None))
    return db.session.scalars(query).all()


# --- In the reader's language -------------------------------------------------------------------

def label(question, locale=None):
    """The question's label in the reader's language, else the main language's."""
    return texts.text(question, "label", locale)


def choices(question, locale=None):
    """[(stored choice, as the reader reads it)]: each choice with its words in their language."""
    locale = str(locale or get_locale() or "en")
    own = ((question.texts or {}).get(locale) or {}).get("choices") or []
    return [(choice, own[i] if i < len(own) and own[i] else choice) for i, choice in enumerate(question.choices or [])]


def countries(locale=None):
    """[(ISO code, name in the reader's language)], by name."""
    return _countries(str(locale or get_locale() or "en"))


@lru_cache(maxsize=16)
def _countries(locale):
    names = Locale.parse(locale).territories
    return sorted(((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
                  key=lambda item: item[1].casefold())


@lru_cache(maxsize=1)
def _country_codes():
    return frozenset(code for code, _name in _countries("en"))


def shown(question, value, locale=None):
    """An answer as a person reads it: a country's name, yes or no, several choices joined."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):  # several choices (read by what is stored, not by today's kind)
        return "; ".join(str(item) for item in value)
    if question.kind in ("yes_no", "consent") and value in ("yes", "no"):
        return _("yes") if value == "yes" else _("no")
    if question.kind == "country":
        return Locale.parse(str(locale or get_locale() or "en")).territories.get(str(value), str(value))
    return str(value)


def typed(form):
    """The answers in a submitted form ({"q<id>": text, or a list when several boxes are ticked}),
    as a person typed them: for the service to check, and for the form to show again."""
    found = {}
    for name in form:
        if re.fullmatch(r"q[0-9]{1,9}", name):
            given = form.getlist(name)
            found[name] = given if len(given) != 1 else given[0]
    return found


def register(app):
    """The sign-up form's helpers: a question's label and choices in the reader's language, and
    the countries by name."""
    app.add_template_global(label, "question_label")
    app.add_template_global(choices, "question_choices")
    app.add_template_global(countries, "question_countries")


# --- Answers: checked as the built-in fields are ------------------------------------------------

def clean_answers(questions, raw):
    """Check the answers to `questions` in `raw` ({"q<id>": text, or a list for several
    choices}); return {question id: value to keep}. Raises InvalidInputError with a message per
    question (keyed "q<id>"), and keeps nothing."""
    errors, values = {}, {}
    for question in questions:
        name = field_name(question)
        given = raw.get(name) if raw else None
        try:
            value = _clean(question, given)
        except ValueError as error:
            errors[name] = str(error)
            continue
        if value in (None, "", []):
            if question.required:
                errors[name] = str(_("Please tick this box to register.") if question.kind == "consent"
                                    else _("Please answer this question."))
            continue
        values[question.id] = value
    if errors:
        raise InvalidInputError(errors)
    return values


def _clean(question, given):
    kind = question.kind
    if kind == "choices":
        given = given if isinstance(given, list) else [] if given in (None, "") else [given]
        if not all(isinstance(item, str) for item in given):
            raise ValueError(_("Please choose among the answers offered."))
        chosen = [choice for choice in question.choices if choice in given]
        if len(chosen) != len(set(given)):
            raise ValueError(_("Please choose among the answers offered."))
        return chosen
    if given is None:
        return None
    if isinstance(given, bool) and kind in ("yes_no", "consent"):
        given = "yes" if given else "no"
    if isinstance(given, (int, float, Decimal)) and not isinstance(given, bool) and kind == "number":
        given = str(given)
    if not isinstance(given, str):
        raise ValueError(_("Please answer with text."))
    value = unicodedata.normalize("NFC", given.replace("\r\n", "\n")).strip()
    if kind in ("short_text", "long_text"):
        errors = {}
        cleaned = fi.text(value, "answer", errors, ANSWER_MAX[kind], multiline=kind == "long_text",
                          what=_l("The answer"))
        if errors:
            raise ValueError(errors["answer"])
        return cleaned
    if not value:
        return ""
    if kind == "choice":
        if value not in question.choices:
            raise ValueError(_("Please choose among the answers offered."))
        return value
    if kind in ("yes_no", "consent"):
        answer = value.casefold()
        if answer in ("yes", "y", "1", "true", "on"):
            return "yes"
        if answer in ("no", "n", "0", "false", "off") and kind == "yes_no":
            return "no"
        raise ValueError(_("Please answer yes or no.") if kind == "yes_no" else _("Please tick this box to register."))
    if kind == "number":
        typed = value.replace(",", ".").replace("\u00a0", "").replace(" ", "")
        try:  # short, and its exponent checked before any arithmetic (1e1000000 overflows)
            number = Decimal(typed) if len(typed) <= NUMBER_CHARS else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number.adjusted() >= 9:  # 1,000,000,000 or more
            raise ValueError(_("Please enter a number, for example 3 or 2.5."))
        number = number.quantize(Decimal(1).scaleb(-NUMBER_DIGITS)) or Decimal(0)  # to the millionth; no -0
        return format(number.normalize(), "f")
    if kind == "country":
        code = value.upper()
        if code not in _country_codes():
            raise ValueError(_("Please choose a country from the list."))
        return code
    raise ValueError(_("Please answer with text."))


def write_answers(connection, registration_id, values, questions):
    """Insert the answers of a new registration, in the caller's write transaction. Each keeps
    the question's label and its value's words in the main language, as they are now."""
    by_id = {question.id: question for question in questions}
    rows = [{"registration_id": registration_id, "question_id": qid, "value": value,
             "label": by_id[qid].label} for qid, value in values.items()]
    if rows:
        connection.execute(sa.insert(Answer.__table__), rows)


def write_many(connection, answered):
    """Insert the answers of new registrations ([(registration id, {question id: value})], ids
    as numbers or text), in one statement in the caller's write transaction."""
    wanted = {int(qid) for _rid, values in answered for qid in values}
    if not wanted:
        return
    labels = dict(connection.execute(sa.select(Question.id, Question.label).where(Question.id.in_(wanted))).all())
    connection.execute(sa.insert(Answer.__table__), [
        {"registration_id": rid, "question_id": int(qid), "value": value, "label": labels[int(qid)]}
        for rid, values in answered for qid, value in values.items()])


def by_label(asked_questions):
    """{label casefolded, in any of its languages: question} of `asked_questions`: how a guest
    list's column names a question."""
    found = {}
    for question in asked_questions:
        for words in [question.label, *(w.get("label", "") for w in (question.texts or {}).values())]:
            if words:
                found.setdefault(" ".join(words.split()).casefold(), question)
    return found


def answers_by_registration(screening_id):
    """{registration id: {question id: answer as read}} of a screening's registrations."""
    found = {}
    rows = db.session.execute(
        sa.select(Answer.registration_id, Answer.value, Question)
        .join(Question, Question.id == Answer.question_id)
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Registration.screening_id == screening_id)
    ).all()
    for registration_id, value, question in rows:
        found.setdefault(registration_id, {})[question.id] = shown(question, value)
    return found


def answers_of(registration_id):
    """[(question, label as answered, answer as read)] of a registration, in the questions' order."""
    rows = db.session.execute(
        sa.select(Answer, Question).join(Question, Question.id == Answer.question_id)
        .where(Answer.registration_id == registration_id).order_by(Question.position, Question.id)
    ).all()
    return [(question, answer.label, shown(question, answer.value)) for answer, question in rows]


# --- The organizers' side -----------------------------------------------------------------------

def _clean_question(values, event, errors):
    kind = values.get("kind")
    if kind not in KINDS:
        errors["kind"] = str(_("Choose the kind of question."))
    cleaned = {"kind": kind,
               "label": fi.text(values.get("label"), "label", errors, LABEL_MAX, required=True, what=_l("The question")),
               # A consent box is there to be ticked: it is always required.
               "required": kind == "consent" or fi.flag(values.get("required"), "required", errors)}
    cleaned["choices"] = _choices(values.get("choices"), "choices", errors) if kind in WITH_CHOICES else []
    if kind in WITH_CHOICES and "choices" not in errors and len(cleaned["choices"]) < 2:
        errors["choices"] = str(_("Write at least two choices, one per line."))
    link = fi.text(values.get("link"), "link", errors, LINK_MAX, what=_l("The link")) or ""
    if kind == "consent" and "link" not in errors and link and not _LINK.fullmatch(link):
        errors["link"] = str(_("The link must start with https:// or http://."))
    cleaned["link"] = link if kind == "consent" else ""
    screening = values.get("screening_id") or None
    if screening not in (None, ""):
        ids = {str(s.id): s.id for s in event.screenings}
        if str(screening) not in ids:
            errors["screening_id"] = str(_("Choose one of this event's screenings, or all of them."))
        screening = ids.get(str(screening))
    cleaned["screening_id"] = screening
    cleaned["position"] = fi.whole(values.get("position") or "0", "position", errors, 0, 1000, what=_l("The order")) or 0
    translations = {}
    for locale in texts.other_languages(event):
        words = {"label": fi.text(values.get(f"label_{locale}"), f"label_{locale}", errors, LABEL_MAX,
                                  what=_l("The question")) or ""}
        if kind in WITH_CHOICES:
            words["choices"] = _choices(values.get(f"choices_{locale}"), f"choices_{locale}", errors)
            if words["choices"] and len(words["choices"]) != len(cleaned["choices"]):  # matched line by line
                errors[f"choices_{locale}"] = str(_("Write as many choices as above (%(n)d), in the same order.",
                                                    n=len(cleaned["choices"])))
        if any(words.values()):
            translations[locale] = words
    cleaned["texts"] = translations
    return cleaned


def _choices(raw, field, errors):
    text = fi.text(raw, field, errors, CHOICE_MAX * CHOICES_MAX, multiline=True, what=_l("The choices"))
    if text is None:
        return []
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > CHOICES_MAX or any(len(line) > CHOICE_MAX for line in lines):
        errors[field] = str(_("At most %(n)d choices of %(m)d characters each.", n=CHOICES_MAX, m=CHOICE_MAX))
    elif len(set(lines)) != len(lines):
        errors[field] = str(_("Each choice may be written once."))
    return lines


def save_question(event_id, values, question_id=None, user_id=None):
    """Add a question to an event, or change one; return it. A changed question keeps its
    answers as they were given. Raises NotFoundError, InvalidInputError."""
    with write_transaction() as session:
        event = lock_event(session, event_id)
        errors = {}
        cleaned = _clean_question(values, event, errors)
        if errors:
            raise InvalidInputError(errors)
        if question_id is None:
            question = Question(event_id=event_id, created_at=utcnow(), **cleaned)
            session.add(question)
        else:
            question = session.get(Question, question_id)
            if question is None or question.event_id != event_id or question.removed_at is not None:
                raise NotFoundError()
            if cleaned["kind"] != question.kind and session.scalar(
                    sa.select(sa.exists().where(Answer.question_id == question.id))):
                raise InvalidInputError({"kind": str(_(
                    "This question has answers: its kind cannot change. Remove it and add a new one."))})
            for name, value in cleaned.items():
                setattr(question, name, value)
        session.flush()
        audit.record(session, user_id, "event.update", event, question=question.id, question_kind=question.kind)
        return question


def remove_question(question_id, user_id=None, now=None):
    """Take a question off the form; its answers stay, readable. Raises NotFoundError."""
    with write_transaction() as session:
        question = session.get(Question, question_id, with_for_update=True)
        if question is None or question.removed_at is not None:
            raise NotFoundError()
        question.removed_at = now or utcnow()
        audit.record(session, user_id, "event.update", question.event, question=question.id, removed=True)
        return question


# --- Counting -----------------------------------------------------------------------------------

def counts(screening_ids):
    """For each counted question of those screenings (yes/no, choices, country): [(question,
    [(answer as read, seats booked, people who came)])], most frequent first. Active bookings
    only; "came" counts the people admitted at the door."""
    rows = db.session.execute(
        sa.select(Question, Answer.value, Registration.seats, Ticket.admitted)
        .join(Answer, Answer.question_id == Question.id)
        .join(Registration, Registration.id == Answer.registration_id)
        .outerjoin(Ticket, Ticket.registration_id == Registration.id)
        .where(Registration.screening_id.in_(screening_ids), Registration.status != "cancelled",
               Registration.hold_until.is_(None), Question.kind.in_(COUNTED))
        .order_by(Question.position, Question.id)
    ).all()
    tally = {}
    for question, value, seats, admitted in rows:
        per_answer = tally.setdefault(question, {})
        for each in (value if isinstance(value, list) else [value]):
            booked, came = per_answer.get(each, (0, 0))
            per_answer[each] = (booked + seats, came + (admitted or 0))
    return [(question, sorted(((shown(question, value), booked, came)
                               for value, (booked, came) in per_answer.items()), key=lambda item: -item[1]))
            for question, per_answer in tally.items()]
