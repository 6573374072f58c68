"""A throw-away Django project that uses keyspace as any project would: the package installed
from a wheel into an environment of its own, Django's stock settings, the app's URLs under
`redis/`, and nothing of the standalone dashboard's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

SETTINGS = '''
from pathlib import Path
import os

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "host-project-" + "k" * 50
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "keyspace",
]
# Django's startproject list: no middleware of the app's, not even django-htmx's.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "host_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": BASE_DIR / "host.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # unlike the app's: no migration may follow
USE_TZ = True
STATIC_URL = "static/"
REDIS_URL = os.environ["HOST_REDIS_URL"]
DASHBOARD_PAGE_SIZE = 50
'''

URLS = '''
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("redis/", include("keyspace.urls")),
]
'''

LOGIN_TEMPLATE = '''<!doctype html><title>Host sign-in</title>
<h1>Host project sign-in</h1>
<form method="post">{% csrf_token %}{{ form.as_p }}
<input type="hidden" name="next" value="{{ next }}"><button>Sign in</button></form>
'''

MANAGE = '''import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "host_settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
'''


def build_wheel(checkout: Path, into: Path) -> Path:
    """The wheel `pip install .` would install, built from a clean copy of what packaging
    reads (so no stale build/ directory in the checkout can add to it)."""
    source = into / "source"
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(parents=True, exist_ok=True)
        shutil.copy(checkout / name, source / name)
    shutil.copytree(checkout / "keyspace", source / "keyspace",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The build backend pyproject.toml names, called as pip would (without pip's start-up).
    build = f"from setuptools import build_meta; print(build_meta.build_wheel({str(into)!r}))"
    name = subprocess.run([sys.executable, "-c", build], cwd=source, check=True,
                          capture_output=True, text=True, timeout=180).stdout.split()[-1]
    return into / name


def make_environment(wheel: Path, venv: Path) -> Path:
    """A fresh virtual environment with the wheel installed, borrowing the test environment's
    third-party packages (Django, django-htmx, redis...) through a path file. Path files in
    a borrowed directory are not run, so the test environment's editable install of the
    checkout is not seen: the only `keyspace` here is the wheel's. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "borrowed_from_tests.pth").write_text("\n".join(borrowed) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True,
                   timeout=180)
    return python


def write_project(where: Path) -> Path:
    (where / "templates" / "registration").mkdir(parents=True)
    (where / "host_settings.py").write_text(SETTINGS)
    (where / "host_urls.py").write_text(URLS)
    (where / "manage.py").write_text(MANAGE)
    (where / "templates" / "registration" / "login.html").write_text(LOGIN_TEMPLATE)
    return where


def host_env(redis_url: str) -> dict[str, str]:
    """The environment without anything of the tests' or the standalone's settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DASHBOARD_", "DJANGO_", "PYTHON")) and k != "REDIS_URL"}
    env["HOST_REDIS_URL"] = redis_url
    return env


def manage(python: Path, project: Path, redis_url: str, *args: str) -> str:
    result = subprocess.run([str(python), "manage.py", *args], cwd=project,
                            env=host_env(redis_url),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout
