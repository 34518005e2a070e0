"""Every script in a template is a file from this server or carries the request's nonce:
the Content Security Policy blocks any other inline script, so its behaviour would be dead."""

import re
from pathlib import Path

import dangjian

TEMPLATES = Path(dangjian.__file__).parent
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)


def test_no_template_carries_an_inline_script_without_the_nonce() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in SCRIPT_TAG.findall(path.read_text(encoding="utf-8")):
            if "src=" not in tag and "csp_nonce" not in tag:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert offenders == []


def test_no_template_declares_an_inline_event_handler() -> None:
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if handler.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
