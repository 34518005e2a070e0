"""The `dangjian` console script: the project's manage.py.

The contract commands (import, export, check, policies, generate) are Django
management commands, so one entry point serves both.
"""

import os
import sys

# Commands for which DEBUG means something (error pages, the deployment check).
DEBUG_COMMANDS = {"runserver", "check", "shell", "dbshell", "diffsettings"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["dangjian", *argv])
    args[0] = "dangjian"
    if len(args) > 1 and args[1] not in DEBUG_COMMANDS:
        # Development mode turns DEBUG on, which makes Django wrap every database cursor
        # to log queries: a fifth slower on a large import or check. Console data
        # commands show no error pages, so they run without it.
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        try:
            if settings.DEBUG:
                settings.DEBUG = False
        except ImproperlyConfigured:
            pass  # reported by Django itself below
    execute_from_command_line(args)
