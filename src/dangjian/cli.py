"""The `dangjian` console script: the project's manage.py.

The contract commands (import, export, check, policies, generate) are Django
management commands, so one entry point serves both.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["dangjian", *argv])
    args[0] = "dangjian"
    execute_from_command_line(args)
