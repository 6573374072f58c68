"""Templates stay ready for a Content-Security-Policy without 'unsafe-inline' for styles:
no `style` attributes and no <style> blocks; what they drew lives in
keyspace/static/keyspace/dashboard.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "keyspace" / "templates"
assert len(list(TEMPLATES.rglob("*.html"))) > 20, TEMPLATES
INLINE_STYLE = re.compile(r"""\sstyle\s*=|<style[\s>]""", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_templates_have_no_inline_styles(template):
    assert not INLINE_STYLE.findall(template.read_text())
