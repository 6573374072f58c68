from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from keyspace.models import ConnectionRole
from keyspace.redis import profiles


class Command(BaseCommand):
    help = ("Give a user another role on one connection (viewer, editor, or none to keep them "
            "out of it); 'default' removes the exception, so their usual role applies.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("connection")
        parser.add_argument("role", choices=["viewer", "editor", "none", "default"])

    def handle(self, *args, username: str, connection: str, role: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no user {username!r}")
        if profiles.lookup(connection) is None:
            raise CommandError(f"there is no connection {connection!r}")
        if role == "default":
            ConnectionRole.objects.filter(user=user, connection=connection).delete()
            self.stdout.write(f"{username} has their usual role on {connection}")
            return
        ConnectionRole.objects.update_or_create(user=user, connection=connection,
                                                defaults={"role": role})
        self.stdout.write(f"{username} is now {role} on {connection}")
