from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from keyspace.access.roles import sign_in_path


class Command(BaseCommand):
    help = "Print a new one-time sign-in link for an existing user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username: str, base_url: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        self.stdout.write(f"{base_url.rstrip('/')}{sign_in_path(user)}")
