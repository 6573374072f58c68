from django.core.management.base import BaseCommand

from dashboard.demo import BIG_SIZE, seed_demo
from keyspace.redis.connection import get_client


class Command(BaseCommand):
    help = "Write the demo data set into REDIS_URL's database (replaces only the demo keys)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--db", type=int, default=None, help="database number (default: the URL's)"
        )
        parser.add_argument(
            "--big-size", type=int, default=BIG_SIZE, help="elements in each of the big:* keys"
        )

    def handle(self, *args, db=None, big_size=BIG_SIZE, **options):
        client = get_client(db)
        count = seed_demo(client, big_size=big_size)
        self.stdout.write(f"seeded {count} demo keys")
