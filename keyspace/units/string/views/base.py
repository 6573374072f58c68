"""What a view of a string provides, and the registry that picks one for a value."""

from __future__ import annotations

from typing import Any, ClassVar


class StringView:
    """One way of reading a value Redis reports as `string`: a counter, a bitmap, a
    HyperLogLog. Redis has no such types; people store them in strings, and read them
    differently.

    A view is chosen by its `name` in the key page's "View as" control, or by Auto when
    `detect` recognises the value. Its `template` is drawn inside the string's preview, with
    the key page's context plus `preview` (a StringPreview: `offset`, `shown_bytes`,
    `total_bytes`, `view`, `body`, ...) and `facts` (what `facts_from` found in the bytes
    shown and `read` added); `keyspace/units/string/plain.html` draws the value through the
    decoders and may be included. Its `operations` and `tools` join the string unit's
    allow-lists and show in the toolbar while the value is read this way.

    Adding one is its module (a subclass registered with `@string_views.register`), its
    template, its name in `keyspace/units/string/views/__init__.py`, and its test file.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    template: ClassVar[str]
    operations: ClassVar[tuple[type, ...]] = ()
    tools: ClassVar[tuple[type, ...]] = ()
    # Plain string edits not offered in the toolbar while the value is read this way (they
    # stay allowed: Redis or the edit's own checks refuse what does not fit).
    hides: ClassVar[frozenset[str]] = frozenset()
    # When set: a value this view detects is damaged by writing it as text (replace, append),
    # so those edits ask for a confirmation that says this.
    guards_plain_edits: ClassVar[str] = ""
    # Bytes one page shows when the view is chosen by name (0: the preview setting).
    page_bytes: ClassVar[int] = 0
    # Whether `read` has anything to add (one more round trip after the page).
    reads: ClassVar[bool] = False

    def detect(self, head: bytes, whole: bool) -> bool:
        """Whether Auto reads a value this way: `head` is its start (all of it when `whole`)."""
        return False

    def refusal(self, value: bytes, offset: int, total: int) -> str:
        """Why this value cannot be read this way ("" when it can), for a view chosen by name."""
        return ""

    def facts_from(self, value: bytes, offset: int, total: int) -> dict[str, Any]:
        """What the template shows, from the bytes shown (from `offset`, of `total`)."""
        return {}

    def read(self, client, key: bytes, facts: dict[str, Any]) -> dict[str, Any]:
        """More facts from Redis, in one round trip, bounded (see `reads`)."""
        return {}


class StringViews:
    """Views of a string by name, in registration order; one default reads any value."""

    def __init__(self) -> None:
        self._views: dict[str, StringView] = {}
        self._default: StringView | None = None

    def register(self, view_class: type[StringView]) -> type[StringView]:
        if view_class.name in self._views or (
            self._default is not None and self._default.name == view_class.name
        ):
            raise ValueError(f"string view {view_class.name!r} is already registered")
        self._views[view_class.name] = view_class()
        return view_class

    def register_default(self, view_class: type[StringView]) -> type[StringView]:
        self._default = view_class()
        return view_class

    @property
    def default(self) -> StringView:
        if self._default is None:
            raise LookupError("no default string view is registered")
        return self._default

    def get(self, name: str) -> StringView | None:
        return self._views.get(name)

    def choices(self) -> list[tuple[str, str]]:
        return [(view.name, view.label) for view in self._views.values()]

    def detected(self, head: bytes, whole: bool) -> StringView:
        """The first view that recognises the value, else the default."""
        found = (view for view in self._views.values() if view.detect(head, whole))
        return next(found, self.default)

    def guarding(self, head: bytes) -> StringView | None:
        """The view that recognises `head` (a value's first bytes) and guards it from plain
        edits, if any."""
        guards = (v for v in self._views.values() if v.guards_plain_edits and v.detect(head, False))
        return next(guards, None)

    def operations(self) -> list[type]:
        return [op for view in self._views.values() for op in view.operations]

    def tools(self) -> list[type]:
        return [tool for view in self._views.values() for tool in view.tools]


string_views = StringViews()

# How many bytes `guarding` needs to recognise a value: enough for any view's header.
HEAD_BYTES = 16
