"""The door's name search: how long listing a screening's attendees takes from one door login,
and whether an honest door ever meets the limit (issue 18; README, "Threat model").

The attacker: one door login, searching a screening of N people with multilingual names. It
tries three-letter parts of names, the most common first (taken from the very names it is after:
more than a real attacker knows), and lengthens a part whenever the answer is full (the search
answers at most SEARCH_RESULTS people), until it has seen everyone. The searches run for real
against the search service on a SQLite file; the time they take under DOOR_SEARCH_LIMIT follows
from the limit's windows.

The honest door: people who come without their ticket are searched by name as they arrive, in
the half hour before the film (arrivals peak ten minutes before), each with a mistyped first try
one time in two. Many nights are drawn at random; for each the searches are replayed through
the limit's windows and every refusal is counted.

    .venv/bin/python bench/door_search.py [--people 120 300] [--nights 2000]
"""
import argparse
import random
import statistics
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from limits import parse_many

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Aigerim", "Aruzhan", "Dana", "Aliya", "Asel", "Madina", "Dinara", "Gulnara", "Zhanna", "Saule",
         "Nurlan", "Yerlan", "Daulet", "Askar", "Bauyrzhan", "Timur", "Arman", "Ruslan", "Serik", "Marat",
         "Айгерим", "Ерғали", "Құдайберген", "Әсем", "Нұрсұлтан", "Анна", "Мария", "Елена", "Дмитрий", "Сергей",
         "Marie", "Sophie", "Camille", "Julie", "Lucas", "Louis", "Arthur", "Noah", "Emma", "Olivia",
         "Lotte", "Sanne", "Femke", "Jan", "Pieter", "Wouter", "Bram", "Thijs", "Zeynep", "Elif",
         "Mehmet", "Ayşe", "Fatima", "Youssef", "Amina", "Omar", "Ana", "João", "Łucja", "Zoë"]
LAST = ["Nurlanova", "Abenova", "Seitkali", "Zhaksybekov", "Omarov", "Kassymov", "Tokayeva", "Sultanbek",
        "Иванова", "Петров", "Смирнова", "Ануарбек", "Құдайберген", "Сәтбаев", "Жұмабай",
        "Dubois", "Lambert", "Martin", "Dupont", "Leroy", "Simon", "Laurent", "Lefebvre",
        "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "De Smet", "Van Damme",
        "Yılmaz", "Kaya", "Demir", "Şahin", "El Amrani", "Benali", "Haddad", "Silva", "Kowalska", "Nowak"]


def attendee_names(people, rng):
    names = set()
    while len(names) < people:
        names.add(f"{rng.choice(FIRST)} {rng.choice(LAST)}")
    return sorted(names)


def parts(name, length=3):
    folded = name.casefold()
    return {folded[i:i + length] for i in range(len(folded) - length + 1) if " " not in folded[i:i + length]}


def build_screening(people, folder):
    from flask_migrate import upgrade

    from ticketing import create_app
    from ticketing.extensions import db
    from ticketing.models import Event, Screening, utcnow
    from ticketing.services import booking

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/search.db",
                      "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    rng = random.Random(18)
    names = attendee_names(people, rng)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        event = Event(slug="bench", name="Bench", timezone="Europe/Brussels", venue="Hall")
        db.session.add(event)
        db.session.flush()
        screening = Screening(event_id=event.id, title="Film", starts_at=utcnow() + timedelta(days=1),
                              capacity=people, max_seats=4)
        db.session.add(screening)
        db.session.commit()
        for n, name in enumerate(names):
            booking.book(screening.id, name, f"person{n}@example.org", 1)
        return app, screening.id, names


def attack(app, screening_id, names):
    """Searches one door login needs to see every attendee's name (the search run for real)."""
    from ticketing.services import checkin

    frequent = Counter(part for name in names for part in parts(name))
    seen, searches, asked = set(), 0, set()
    queue = [part for part, _ in frequent.most_common()]
    with app.app_context():
        while queue and len(seen) < len(names):
            query = queue.pop(0)
            if query in asked:
                continue
            asked.add(query)
            searches += 1
            found = [row.Registration.name for row in checkin.search(screening_id, query)]
            seen.update(found)
            if len(found) == checkin.SEARCH_RESULTS:  # full: the part is too common, lengthen it
                longer = Counter(p for name in names for p in parts(name, len(query) + 1) if p.startswith(query))
                queue[:0] = [p for p, _ in longer.most_common()]
    return searches, len(seen)


def hours_under(limit_text, searches):
    """Hours that `searches` take when each window of the limit allows its amount, at best."""
    return max(searches / item.amount * item.get_expiry() / 3600 for item in parse_many(limit_text))


def refusals(times, limit_text):
    """Searches refused when `times` (seconds) go through the limit's moving windows (the app's
    RATELIMIT_STRATEGY): a search is refused when its window already holds `amount` let through."""
    items = parse_many(limit_text)
    accepted, refused = [], 0
    for moment in times:
        if any(sum(1 for t in accepted if t > moment - item.get_expiry()) >= item.amount for item in items):
            refused += 1
        else:
            accepted.append(moment)
    return refused


def honest_night(rng, people, forgetful_share, doors):
    """The searches one door makes in a night: arrival times (s) of those without a ticket."""
    times = []
    for _ in range(people):
        if rng.random() >= forgetful_share or rng.randrange(doors):
            continue
        arrival = min(max(rng.triangular(0, 1800, 1200), 0), 1800)
        times.append(arrival)
        if rng.random() < 0.5:  # a mistyped first try, searched again a few seconds later
            times.append(arrival + rng.uniform(3, 15))
    return sorted(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[120, 300])
    parser.add_argument("--nights", type=int, default=2000)
    args = parser.parse_args()
    from ticketing.config import Defaults

    limit_text = Defaults.DOOR_SEARCH_LIMIT
    print(f"DOOR_SEARCH_LIMIT: {limit_text}")
    for people in args.people:
        with tempfile.TemporaryDirectory() as folder:
            app, screening_id, names = build_screening(people, folder)
            searches, seen = attack(app, screening_id, names)
        print(f"attacker, one door login, {people} attendees: {searches} searches to see {seen} of them;"
              f" under the limit at least {hours_under(limit_text, searches):.1f} hours"
              f" (without it, at 20 searches a second: {searches / 20 / 60:.1f} minutes)")
    rng = random.Random(7)
    for people, share, doors in ((120, 0.10, 1), (300, 0.10, 1), (600, 0.15, 1), (1000, 0.10, 2)):
        nights = [honest_night(rng, people, share, doors) for _ in range(args.nights)]
        refused = [refusals(times, limit_text) for times in nights]
        per_night = [len(times) for times in nights]
        print(f"honest door: {people} people, {share:.0%} without their ticket, {doors} door(s): "
              f"median {statistics.median(per_night):.0f} searches a night (max {max(per_night)}); "
              f"nights with a refusal: {sum(1 for r in refused if r)} of {len(nights)}")


if __name__ == "__main__":
    main()
