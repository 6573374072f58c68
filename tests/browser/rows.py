"""Value rows in the browser: a row is found by its opener (`?row=<token>`, the only place a
drawn row carries its token) or, while its form is open, by its id; its actions appear once
the opener is clicked."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from keyspace.redis.keynames import encode_key


def token_of(ident: bytes | str | int) -> str:
    """A field or member (bytes/str) or a list index (int) as its row token."""
    if isinstance(ident, int):
        return str(ident)
    return encode_key(ident.encode() if isinstance(ident, str) else ident)


def value_row(page: Page, ident: bytes | str | int) -> Locator:
    token = token_of(ident)
    return page.locator(f'[id="row-{token}"], table.values tr:has(> td > a[href="?row={token}"])')


def opener(page: Page, ident: bytes | str | int) -> Locator:
    return value_row(page, ident).locator(f'a[href="?row={token_of(ident)}"]')


def open_row(page: Page, ident: bytes | str | int) -> Locator:
    """Click the row's opener, as a person does before picking one of its actions."""
    row = value_row(page, ident)
    opener(page, ident).click()
    expect(row.locator("td.row-actions")).to_be_visible()
    return row
