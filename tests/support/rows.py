"""What a value table's light rows look like to a test: each row's opener (the one place its
token is) and the table's one menu of row actions."""

from __future__ import annotations

import re

MENU = re.compile(r"<template data-row-menu>(.*?)</template>", re.S)


def opener(token: str | int) -> str:
    """The start of a row's first link: `?row=<token>`, the row's only copy of its token."""
    return f'<a href="?row={token}">'


def row_menu(page: str) -> str:
    """The table's one template of row actions; fails the test if there is not exactly one."""
    menus = MENU.findall(page)
    assert len(menus) == 1, f"expected one row menu, found {len(menus)}"
    return menus[0]


def menu_links(page: str) -> list[str]:
    """The URLs of the menu's actions, each ending in `?row=` for the row's token to follow."""
    return re.findall(r'<a data-action="([^"]*)"', row_menu(page))
