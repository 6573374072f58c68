from django.core.management.base import BaseCommand, CommandError

from keyspace.access.roles import ROLES, create_user, sign_in_path


class Command(BaseCommand):
    help = "Create a dashboard user with a role and print a one-time sign-in link."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default="viewer")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username: str, role: str, base_url: str, **options):
        try:
            user = create_user(username, role)
        except Exception as exc:  # noqa: BLE001 - e.g. the name is taken: say so plainly
            raise CommandError(f"could not create {username!r}: {exc}") from exc
        self.stdout.write(f"{username} ({role}) can sign in once with: "
                          f"{base_url.rstrip('/')}{sign_in_path(user)}")
