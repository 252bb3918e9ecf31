"""The organizers' own questions (issue 20, item 2): asked on the sign-up form, checked like the
built-in fields by the form, the API and the guest import, shown on the registration's page, a
column each in the exports, counted on the dashboard with the door's arrivals, and covered by the
privacy export and erasure; a question changed or removed keeps its answers readable. On both
databases."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from pages import errors, hidden, signup
from ticketing.errors import InvalidInputError
from ticketing.extensions import db
from ticketing.models import Answer, Question, Registration, utcnow
from ticketing.services import checkin, personal_data, questions
from ticketing.services.accounts import create_device


@pytest.fixture
def asked(app, admin, make_event, make_screening):
    """A festival asking "Are you a student?" (yes or no, required), "Where do you live?" (a
    country, optional), "How did you hear of us?" (several choices, optional) and a consent box;
    returns (event id, screening id, {name: question id}), added through the back office."""
    event_id = make_event(name="Days of Kazakh Cinema")
    screening_id = make_screening(event_id, title="Baqyt Qushağynda", capacity=10, max_seats=4,
                                  starts_at=utcnow() + timedelta(days=3))
    made = {}
    for name, fields in (
        ("student", {"label": "Are you a student?", "kind": "yes_no", "required": "y", "position": "1",
                     "label_fr": "Êtes-vous étudiant·e ?", "label_kk": "Сіз студентсіз бе?"}),
        ("country", {"label": "Where do you live?", "kind": "country", "position": "2"}),
        ("heard", {"label": "How did you hear of us?", "kind": "choices", "choices": "Embassy\nFriends\nPoster",
                   "position": "3", "choices_fr": "Ambassade\nAmis\nAffiche"}),
        ("consent", {"label": "I agree to the festival's privacy notice", "kind": "consent",
                     "link": "https://festival.example/privacy", "position": "4"}),
    ):
        page = admin.get(f"/admin/events/{event_id}/questions").get_data(as_text=True)
        response = admin.post(f"/admin/events/{event_id}/questions", data={"csrf_token": hidden(page, "csrf_token"), **fields})
        assert response.status_code == 303, errors(response.get_data(as_text=True))
        with app.app_context():
            made[name] = db.session.scalar(sa.select(sa.func.max(Question.id)))
    return event_id, screening_id, made


def answers(made, student="yes", country="BE", heard=("Embassy",), consent="yes"):
    found = {f"q{made['student']}": student, f"q{made['country']}": country, f"q{made['consent']}": consent}
    found[f"q{made['heard']}"] = list(heard)
    return found


def test_the_form_asks_them_in_order_in_the_readers_language(client, asked):
    _event_id, screening_id, made = asked
    page = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    order = [page.index(words) for words in ("Are you a student?", "Where do you live?", "How did you hear of us?",
                                             "I agree to the festival")]
    assert order == sorted(order) and page.index('name="email"') < order[0]
    assert f'<label for="q{made["consent"]}">' in page and 'href="https://festival.example/privacy"' in page
    assert '<option value="KZ">Kazakhstan</option>' in page
    client.get("/language/fr")
    page = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    assert "Êtes-vous étudiant·e ?" in page and ">Ambassade</label>" in page and ">Kazakhstan</option>" in page
    assert "Where do you live?" in page  # not written in French: the main language's words


def test_a_required_question_unanswered_is_refused_next_to_it_and_nothing_is_lost(app, client, asked):
    _event_id, screening_id, made = asked
    response = signup(client, screening_id, name="Ana Attendee", email="ana@example.org", seats="2",
                      **{f"q{made['country']}": "KZ", f"q{made['heard']}": ["Friends", "Poster"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert errors(page) == {f"q{made['student']}": "Please answer this question.",
                            f"q{made['consent']}": "Please tick this box to register."}
    assert 'value="Ana Attendee"' in page and '<option value="KZ" selected>' in page
    assert f'value="Friends" checked' in page and f'value="Poster" checked' in page and 'value="Embassy" checked' not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize("field,given,message", [
    ("student", "maybe", "Please answer yes or no."),
    ("country", "XX", "Please choose a country from the list."),
    ("heard", ["Embassy", "<script>"], "Please choose among the answers offered."),
    ("consent", "no", "Please tick this box to register."),
])
def test_a_wrong_answer_is_refused_with_a_clear_message(app, client, asked, field, given, message):
    _event_id, screening_id, made = asked
    typed = {**answers(made), f"q{made[field]}": given}
    response = signup(client, screening_id, name="Ana Attendee", email="ana@example.org", **typed)
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {f"q{made[field]}": message}
    assert "<script>" not in response.get_data(as_text=True).split("</form>")[0].split("<form")[1]


def test_answers_are_kept_and_shown_on_the_registrations_page(app, client, admin, asked):
    _event_id, screening_id, made = asked
    response = signup(client, screening_id, name="Ana Attendee", email="ana@example.org", **answers(made, heard=("Friends", "Poster")))
    assert response.status_code == 303
    with app.app_context():
        registration = db.session.scalars(sa.select(Registration)).one()
        kept = {a.question_id: a.value for a in db.session.scalars(sa.select(Answer))}
    assert kept == {made["student"]: "yes", made["country"]: "BE", made["heard"]: ["Friends", "Poster"],
                    made["consent"]: "yes"}
    page = admin.get(f"/admin/registrations/{registration.id}").get_data(as_text=True)
    for shown in ("Are you a student?", "yes", "Belgium", "Friends; Poster"):
        assert shown in page


def test_a_question_changed_or_removed_keeps_its_answers_readable(app, client, admin, asked):
    event_id, screening_id, made = asked
    signup(client, screening_id, name="Ana Attendee", email="ana@example.org", **answers(made, heard=("Poster",)))
    page = admin.get(f"/admin/questions/{made['heard']}").get_data(as_text=True)
    changed = {"csrf_token": hidden(page, "csrf_token"), "label": "Who told you?", "kind": "choices",
               "choices": "Embassy\nFriends\nPoster on a tram"}
    refused = admin.post(f"/admin/questions/{made['heard']}", data={**changed, "kind": "country"})
    assert errors(refused.get_data(as_text=True)) == {
        "kind": "This question has answers: its kind cannot change. Remove it and add a new one."}
    assert admin.post(f"/admin/questions/{made['heard']}", data=changed).status_code == 303
    assert admin.post(f"/admin/questions/{made['student']}/remove", data={"csrf_token": hidden(page, "csrf_token")}).status_code == 303
    with app.app_context():
        registration_id = db.session.scalar(sa.select(Registration.id))
    shown = admin.get(f"/admin/registrations/{registration_id}").get_data(as_text=True)
    assert "How did you hear of us?" in shown and "Poster" in shown  # as it was answered
    assert "Are you a student?" in shown and "removed" in shown
    form = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    assert "Are you a student?" not in form and "Who told you?" in form


def test_the_api_lists_the_questions_and_takes_answers_under_the_same_rules(app, client, asked):
    _event_id, screening_id, made = asked
    with app.app_context():
        token = create_device("Desk laptop")[1]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/screenings/{screening_id}", headers=headers).get_json()["questions"]
    assert [(q["id"], q["kind"], q["required"]) for q in listed] == [
        (made["student"], "yes_no", True), (made["country"], "country", False), (made["heard"], "choices", False),
        (made["consent"], "consent", True)]
    assert listed[0]["texts"]["fr"]["label"] == "Êtes-vous étudiant·e ?"
    path = f"/api/v1/screenings/{screening_id}/registrations"
    refused = client.post(path, headers=headers, json={"name": "Ana", "email": "ana@example.org",
                                                       "answers": {str(made["consent"]): True}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {f"q{made['student']}": "Please answer this question."}
    assert client.post(path, headers=headers, json={"name": "Ana", "email": "ana@example.org",
                                                    "answers": "yes"}).status_code == 422
    done = client.post(path, headers=headers, json={"name": "Ana", "email": "ana@example.org", "answers": {
        str(made["student"]): False, str(made["consent"]): True, str(made["heard"]): ["Embassy"]}})
    assert done.status_code == 201, done.get_json()
    with app.app_context():
        assert {a.value for a in db.session.scalars(sa.select(Answer)) if isinstance(a.value, str)} == {"no", "yes"}


def test_the_exports_have_a_column_per_question(app, client, admin, asked):
    _event_id, screening_id, made = asked
    signup(client, screening_id, name="Ana Attendee", email="ana@example.org", **answers(made, heard=("Friends", "Poster")))
    table = list(csv.reader(io.StringIO(admin.get(f"/admin/screenings/{screening_id}/export.csv?what=attendees")
                                        .get_data(as_text=True))))
    header, row = table[0], table[1]
    for label, value in (("Are you a student?", "yes"), ("Where do you live?", "Belgium"),
                         ("How did you hear of us?", "Friends; Poster"), ("I agree to the festival's privacy notice", "yes")):
        assert row[header.index(label)] == value
    sheet = load_workbook(io.BytesIO(admin.get(f"/admin/screenings/{screening_id}/export.xlsx?what=attendees")
                                     .get_data())).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[1][cells[0].index("Are you a student?")] == "yes"


def test_the_dashboard_counts_the_answers_and_who_came(app, client, admin, asked):
    _event_id, screening_id, made = asked
    codes = {}
    for n, student in enumerate(["yes", "yes", "no", "yes"]):
        email = f"p{n}@example.org"
        signup(app.test_client(), screening_id, name=f"Person {n}", email=email, seats="2" if n == 0 else "1",
               **answers(made, student=student))
        with app.app_context():
            codes[n] = db.session.scalar(sa.select(Registration).where(Registration.email == email)).ticket.code
    with app.app_context():
        checkin.check_in(codes[0], screening_id)  # both seats of a student
        checkin.check_in(codes[2], screening_id)  # the one who is not
    page = admin.get(f"/admin/screenings/{screening_id}/dashboard").get_data(as_text=True)
    section = page[page.index('id="answers-heading"'):]
    student = section[section.index("<caption>Are you a student?</caption>"):].split("</table>")[0]
    rows = [[cell.split(">")[-1] for cell in row.split("</td>")[:3]] for row in student.split("<tr><td")[1:]]
    assert rows == [["yes", "4", "2"], ["no", "1", "1"]]  # seats booked, people who came
    with app.app_context():
        counted = dict((q.label, r) for q, r in questions.counts([screening_id]))
        assert counted["Where do you live?"] == [("Belgium", 5, 3)]


def test_the_guest_import_maps_columns_by_label_and_refuses_a_missing_required_answer(app, admin, asked):
    _event_id, screening_id, made = asked
    rows = ("name,email,seats,Are you a student?,I agree to the festival's privacy notice\n"
            "Aliya Press,aliya@example.org,1,yes,yes\nBo Partner,bo@example.org,1,,yes\n").encode()
    page = admin.get(f"/admin/screenings/{screening_id}/import").get_data(as_text=True)
    preview = admin.post(f"/admin/screenings/{screening_id}/import", data={
        "csrf_token": hidden(page, "csrf_token"), "file": (io.BytesIO(rows), "guests.csv")})
    assert preview.status_code == 303
    shown = admin.get(preview.location).get_data(as_text=True)
    assert "Are you a student?: Please answer this question." in shown
    done = admin.post(preview.location, data={"csrf_token": hidden(shown, "csrf_token"), "skip_bad": "1"})
    assert done.status_code == 303
    with app.app_context():
        kept = db.session.execute(sa.select(Registration.name, Answer.label, Answer.value)
                                  .join(Answer, Answer.registration_id == Registration.id)).all()
    assert sorted(kept) == [("Aliya Press", "Are you a student?", "yes"),
                            ("Aliya Press", "I agree to the festival's privacy notice", "yes")]


def test_privacy_export_erasure_and_purge_cover_the_answers(app, client, asked):
    _event_id, screening_id, made = asked
    signup(client, screening_id, name="Ana Attendee", email="ana@example.org", **answers(made))
    with app.app_context():
        data = personal_data.as_json(personal_data.find("ana@example.org"))
        assert {"question": "Are you a student?", "answer": "yes"} in data["registrations"][0]["answers"]
        personal_data.erase("ana@example.org")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_bad_questions_are_refused_next_to_their_fields(admin, asked):
    event_id, _screening_id, _made = asked
    page = admin.get(f"/admin/events/{event_id}/questions").get_data(as_text=True)
    response = admin.post(f"/admin/events/{event_id}/questions", data={
        "csrf_token": hidden(page, "csrf_token"), "label": "", "kind": "choice", "choices": "Only one",
        "screening_id": "999999", "position": "-3"})
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {
        "label": "The question is required.", "choices": "Write at least two choices, one per line.",
        "screening_id": "Choose one of this event's screenings, or all of them.",
        "position": "The order must be a whole number from 0 to 1000."}
    bad_kind = admin.post(f"/admin/events/{event_id}/questions", data={
        "csrf_token": hidden(page, "csrf_token"), "label": "Why?", "kind": "<script>"})
    assert errors(bad_kind.get_data(as_text=True)) == {"kind": "Choose the kind of question."}


def test_the_service_checks_every_kind(ctx, make_event):
    event_id = make_event()
    number = Question(event_id=event_id, kind="number", label="Age", required=True, choices=[], texts={})
    text = Question(event_id=event_id, kind="short_text", label="Your school", required=False, choices=[], texts={})
    db.session.add_all([number, text])
    db.session.flush()
    assert questions.clean_answers([number, text], {f"q{number.id}": " 2,5 ", f"q{text.id}": "  ULB "}) == {
        number.id: "2.5", text.id: "ULB"}
    for bad in ("two", "1e999", "NaN", "-1000000000"):
        with pytest.raises(InvalidInputError) as refused:
            questions.clean_answers([number], {f"q{number.id}": bad})
        assert refused.value.fields == {f"q{number.id}": "Please enter a number, for example 3 or 2.5."}, bad
    with pytest.raises(InvalidInputError) as refused:
        questions.clean_answers([text], {f"q{text.id}": "x" * 201})
    assert refused.value.fields == {f"q{text.id}": "The answer is too long: at most 200 characters, not 201."}
    db.session.rollback()


def test_a_choices_translation_has_as_many_lines_as_the_choices(admin, asked):
    event_id, _screening_id, _made = asked
    page = admin.get(f"/admin/events/{event_id}/questions").get_data(as_text=True)
    response = admin.post(f"/admin/events/{event_id}/questions", data={
        "csrf_token": hidden(page, "csrf_token"), "label": "Ticket for", "kind": "choice",
        "choices": "Child\nStudent\nAdult", "choices_fr": "Étudiant\nAdulte"})
    assert errors(response.get_data(as_text=True)) == {
        "choices_fr": "Write as many choices as above (3), in the same order."}


@pytest.mark.parametrize("typed", ["1e1000000", "1E+1000000", "x" * 41, "1000000000"])
def test_a_number_too_large_or_too_long_is_refused_not_a_crash(ctx, make_event, typed):
    number = Question(event_id=make_event(), kind="number", label="Age", required=True, choices=[], texts={})
    db.session.add(number)
    db.session.flush()
    with pytest.raises(InvalidInputError) as refused:
        questions.clean_answers([number], {f"q{number.id}": typed})
    assert refused.value.fields == {f"q{number.id}": "Please enter a number, for example 3 or 2.5."}
    assert questions.clean_answers([number], {f"q{number.id}": "1e-999999"}) == {number.id: "0"}
    db.session.rollback()
