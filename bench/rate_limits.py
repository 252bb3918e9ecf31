"""Rate-limit benchmark: what counting one request costs, fixed window against moving window.

The app counts each sign-up, failed look-up and API call with Flask-Limiter, which uses the
`limits` library: RATELIMIT_STRATEGY picks how (moving-window since 2026-11-29, fixed-window
before). For each storage (memory; Redis when one answers) and each strategy, this times
Flask-Limiter's two calls per request, `test` then `hit`, on keys that already hold half their
limit and stay under it (the moving window keeps one entry per counted request), and prints
the median per request over several runs and the ratio of moving to fixed measured in the same go.

    .venv/bin/python bench/rate_limits.py [--limit "1000 per hour"] [--runs 5] [--requests 2000]
        [--redis redis://127.0.0.1:6379/0]
"""
import argparse
import statistics
import time
import uuid

from limits import parse, storage, strategies

STRATEGIES = ("fixed-window", "moving-window")


def one_run(limiter, item, requests):
    """Time `requests` test+hit pairs, on keys that already hold half their limit and stay under
    it (new keys as needed); return the microseconds per request and the keys used."""
    batch = max(1, int(item.amount * 0.45))
    keys, spent, timed = [], 0.0, 0
    while timed < requests:
        key = uuid.uuid4().hex
        keys.append(key)
        for _ in range(item.amount // 2):
            limiter.hit(item, "bench", key)
        count = min(batch, requests - timed)
        started = time.perf_counter()
        for _ in range(count):
            if not limiter.test(item, "bench", key) or not limiter.hit(item, "bench", key):
                raise AssertionError("refused under the limit")
        spent += time.perf_counter() - started
        timed += count
    return spent / requests * 1e6, keys


def clean(store, keys):
    """Delete this run's keys from Redis (a shared server); memory goes with the process."""
    if isinstance(store, storage.RedisStorage):
        for key in keys:
            for found in store.storage.scan_iter(match=f"*{key}*"):
                store.storage.delete(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", default="1000 per hour", help="the limit counted (SIGNUP_LIMIT's hourly part)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000, help="requests timed per run")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    item = parse(args.limit)
    stores = {"memory": storage.MemoryStorage()}
    try:
        redis_store = storage.storage_from_string(args.redis, socket_connect_timeout=2)
        if redis_store.check():
            stores["redis"] = redis_store
    except Exception as error:  # no redis package, nothing answers...
        print(f"Redis left out: {error}")
    print(f"limit {args.limit!r}, keys half full, {args.requests} requests a run, median of {args.runs} runs")
    print(f"{'storage':<8} {'fixed-window':>14} {'moving-window':>14} {'moving/fixed':>13}")
    for name, store in stores.items():
        limiters = {strategy: strategies.STRATEGIES[strategy](store) for strategy in STRATEGIES}
        times = {strategy: [] for strategy in STRATEGIES}
        keys = []
        for _ in range(args.runs):
            for strategy in STRATEGIES:  # alternated within a run: the machine's noise falls on both
                micros, used = one_run(limiters[strategy], item, args.requests)
                times[strategy].append(micros)
                keys += used
        clean(store, keys)
        fixed, moving = (statistics.median(times[s]) for s in STRATEGIES)
        print(f"{name:<8} {fixed:>11.1f} µs {moving:>11.1f} µs {moving / fixed:>12.2f}×")


if __name__ == "__main__":
    main()
