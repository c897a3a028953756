"""How fast could the counter's vehicle page be without its Python? CPU per request, in this process,
of four kinds of GET (bench/ceiling.py says how it measures), the car owned, as
`bench/counter_redeem.py --owned` has it:

- baseline: the raw-SQL view (bench/baseline.py);
- counter floor: the counter's machinery (signed-in session, idle timeout, the advisor's dealer,
  private caching) around one row read, its page on the counter's base template (bench/counter_floor.py);
- ceiling: the same counter floor view, which instead of rendering its page sends the real page's
  own statements, recorded from one real GET (those the floor does not send itself), and answers the
  real page's HTML: no instances, no presentation, no template. It is what the page would cost at
  best, written by hand, while it keeps its statements and the counter's machinery;
- page: the real `GET /counter/vehicles/{id}/`.

It creates its own PostgreSQL database (seeded through the services, as bench/counter_redeem.py
seeds it) and drops it.

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/counter_ceiling.py [--requests 300] [--rounds 3]
"""

import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages, bench included

from bench import ceiling  # noqa: E402
from bench.counter_redeem import seed, server_environment  # noqa: E402


class Requests:
    """The four kinds, each a GET answering 200; the counter's with one advisor's session."""

    def __init__(self, seeded):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.wsgi import get_wsgi_application
        from django.test import Client

        from bench.baseline import url as baseline_url
        from bench.counter_floor import url as floor_url

        self.app = get_wsgi_application()
        signed_in = Client()
        signed_in.force_login(get_user_model().objects.get(username=seeded.usernames[0]))
        session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
        self.cookie = {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}"}
        vehicle_id, _voucher_id = seeded.cars[0][0]
        self.page_path = f"/counter/vehicles/{vehicle_id}/"
        self.baseline_path, self.floor_path = baseline_url(1), floor_url(1)
        self.as_ceiling = False

    def get(self, path: str, headers: dict) -> bytes:
        return ceiling.wsgi_call(self.app, "GET", path, headers={"HTTP_ACCEPT": "text/html", **headers})

    def baseline(self) -> bytes:
        return self.get(self.baseline_path, {})

    def floor(self) -> bytes:
        return self.get(self.floor_path, self.cookie)

    def ceiling(self) -> bytes:
        """The counter floor view sending the page's recorded statements (`install_ceiling`)."""
        self.as_ceiling = True
        try:
            return self.floor()
        finally:
            self.as_ceiling = False

    def page(self) -> bytes:
        return self.get(self.page_path, self.cookie)


def install_ceiling(requests: Requests) -> int:
    """Make the counter floor's page, for `requests.ceiling`, the real page's own statements and its
    HTML; the number of those statements."""
    from django.db import connection

    import bench.counter_floor as floor

    floor_statements = {sql for sql, _params, _in in ceiling.record_statements(requests.floor)[0]}
    recorded, html = ceiling.record_statements(requests.page)
    own = [(sql, params) for sql, params, _in in recorded if sql not in floor_statements]
    text = html.decode()
    floor_page = floor.PAGE

    class CeilingPage:
        """The floor's template while the floor renders normally; the page's statements and HTML
        while `requests.ceiling` runs."""

        def render(self, context, request):
            if not requests.as_ceiling:
                return floor_page.render(context, request)
            with connection.cursor() as cursor:
                ceiling.send(cursor, own)
            return text

    floor.PAGE = CeilingPage()
    return len(own)


def main() -> int:
    args, plan = ceiling.arguments(__doc__, requests=300, database="vouchers_bench_counter_ceiling")
    env = server_environment(SimpleNamespace(database=args.database, port=0, workers=1))
    with ceiling.bench_database(args.database, env):
        requests = Requests(seed(env, clients=1, cars_per_client=1, uses=10, owned=True))
        for _n in range(plan.warm):  # the page's statements prepared, its plans cached, before recording
            requests.page()
        own = install_ceiling(requests)
        runs = {
            "baseline": requests.baseline,
            "counter floor": requests.floor,
            "ceiling": requests.ceiling,
            "page": requests.page,
        }
        ceiling.measure_and_print(
            runs, plan, sends=f"the page's {own} own statements", machinery="the counter's machinery"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
