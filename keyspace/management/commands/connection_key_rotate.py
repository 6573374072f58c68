from django.core.management.base import BaseCommand

from keyspace.access import secrets
from keyspace.models import SavedConnection


class Command(BaseCommand):
    help = ("Encrypt every saved connection's password under the current key (after "
            "changing DASHBOARD_CONNECTION_KEY with the old one as "
            "DASHBOARD_CONNECTION_KEY_PREVIOUS, or SECRET_KEY with SECRET_KEY_FALLBACKS); "
            "the previous key can be removed afterwards.")

    def handle(self, *args, **options):
        done, unreadable = 0, []
        for row in SavedConnection.objects.exclude(password_encrypted="").order_by("name"):
            try:
                row.password_encrypted = secrets.reencrypt(row.password_encrypted)
            except secrets.Unreadable:
                unreadable.append(row.name)
                continue
            row.save(update_fields=["password_encrypted"])
            done += 1
        self.stdout.write(f"{done} saved password{'' if done == 1 else 's'} encrypted under "
                          "the current key")
        if unreadable:
            self.stderr.write("opened by no key (enter them again): " + ", ".join(unreadable))
