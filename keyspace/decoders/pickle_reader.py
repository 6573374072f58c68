"""A restricted reader of Python pickles: it walks the opcodes (`pickletools.genops`, which only
parses) and replays them on a stack of inert placeholders. A GLOBAL becomes the text of the
name it would import, a REDUCE a record of the call it would make; nothing is imported, looked
up or called, so a malicious pickle is shown, never run. Never `pickle.loads` on Redis data."""

from __future__ import annotations

import io
import pickletools
from dataclasses import dataclass, field

from keyspace.decoders.base import NotThis
from keyspace.decoders.tree import Pairs, scalar_text

MAX_OPS = 200_000  # each opcode is at least a byte, so the input cap bounds this too


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Call:
    """What loading would do: call `func` (REDUCE) or make an instance of it (NEWOBJ, INST),
    then maybe set its state (BUILD) or add items to it."""

    func: object
    args: object
    kind: str = "call"
    state: object = None
    items: list = field(default_factory=list)


class PList(list):
    pass


class PSet(list):
    pass


class Buffer:
    def __str__(self) -> str:
        return "an out-of-band buffer (not in the pickle)"


_MARK = object()
CONSTANT_OPS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False, "EMPTY_TUPLE": ()}
CALL_OPS = {"REDUCE", "NEWOBJ", "NEWOBJ_EX", "INST", "OBJ"}


@dataclass
class Reading:
    value: object = None
    protocol: int = 0
    ops: list[tuple[int, str, str]] = field(default_factory=list)  # (position, opcode, arg)
    names: list[str] = field(default_factory=list)  # every global it would import
    calls: int = 0
    end: int = 0


class Machine:
    def __init__(self) -> None:
        self.stack: list = []
        self.memo: dict[int, object] = {}
        self.reading = Reading()

    def pop(self):
        if not self.stack or self.stack[-1] is _MARK:
            raise NotThis("the pickle pops more than it pushed")
        return self.stack.pop()

    def pop_mark(self) -> list:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise NotThis("the pickle closes a group it never opened")

    def top(self):
        if not self.stack or self.stack[-1] is _MARK:
            raise NotThis("the pickle works on an empty stack")
        return self.stack[-1]

    def step(self, name: str, arg) -> None:
        push = self.stack.append
        if name in CONSTANT_OPS:
            push(CONSTANT_OPS[name])
        elif name in ("PROTO", "FRAME", "READONLY_BUFFER"):
            if name == "PROTO":
                self.reading.protocol = arg
        elif name == "MARK":
            push(_MARK)
        elif name == "POP":
            self.pop()
        elif name == "POP_MARK":
            self.pop_mark()
        elif name == "DUP":
            push(self.top())
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[arg] = self.top()
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.top()
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if arg not in self.memo:
                raise NotThis(f"the pickle refers to memo entry {arg}, never stored")
            push(self.memo[arg])
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            self.name(module, attr)
            if name == "GLOBAL":
                push(Global(module, attr))
            else:
                push(Call(Global(module, attr), tuple(self.pop_mark()), "instance"))
        elif name == "STACK_GLOBAL":
            attr, module = self.pop(), self.pop()
            self.name(str(module), str(attr))
            push(Global(str(module), str(attr)))
        else:
            self.structure(name, arg)

    def name(self, module: str, attr: str) -> None:
        if len(self.reading.names) < 100:
            self.reading.names.append(f"{module}.{attr}")

    def structure(self, name: str, arg) -> None:
        push = self.stack.append
        if name in ("EMPTY_LIST", "LIST"):
            push(PList(self.pop_mark() if name == "LIST" else []))
        elif name in ("EMPTY_DICT", "DICT"):
            items = self.pop_mark() if name == "DICT" else []
            push(Pairs(zip(items[::2], items[1::2], strict=False)))
        elif name in ("EMPTY_SET", "FROZENSET"):
            push(PSet(self.pop_mark() if name == "FROZENSET" else []))
        elif name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
            size = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}.get(name)
            items = self.pop_mark() if size is None else [self.pop() for _ in range(size)][::-1]
            push(tuple(items))
        elif name in ("APPEND", "APPENDS", "ADDITEMS"):
            items = [self.pop()] if name == "APPEND" else self.pop_mark()
            self.add(self.top(), items)
        elif name in ("SETITEM", "SETITEMS"):
            flat = [self.pop() for _ in range(2)][::-1] if name == "SETITEM" else self.pop_mark()
            self.add(self.top(), list(zip(flat[::2], flat[1::2], strict=False)))
        elif name in CALL_OPS:
            self.call(name)
        elif name == "BUILD":
            state, target = self.pop(), self.top()
            if isinstance(target, Call):
                target.state = state
            self.reading.calls += 1  # __setstate__ or a __dict__ update
        elif name in ("PERSID", "BINPERSID"):
            push(Call(Global("persistent_load", ""), arg if name == "PERSID" else self.pop()))
        elif name in ("EXT1", "EXT2", "EXT4"):
            push(Global("copyreg extension", str(arg)))
            self.name("copyreg extension", str(arg))
        elif name == "NEXT_BUFFER":
            push(Buffer())
        elif name == "STOP":
            self.reading.value = self.pop()
        else:  # every other opcode pushes its argument (numbers, strings, bytes)
            push(arg)

    def add(self, target, items: list) -> None:
        if isinstance(target, list):
            target.extend(items)
        elif isinstance(target, Call):
            target.items.extend(items)
            self.reading.calls += 1
        else:
            raise NotThis(f"the pickle adds items to a {type(target).__name__}")

    def call(self, name: str) -> None:
        self.reading.calls += 1
        if name == "REDUCE":
            args, func = self.pop(), self.pop()
            self.stack.append(Call(func, args))
        elif name == "NEWOBJ":
            args, cls = self.pop(), self.pop()
            self.stack.append(Call(cls, args, "instance"))
        elif name == "NEWOBJ_EX":
            kwargs, args, cls = self.pop(), self.pop(), self.pop()
            self.stack.append(Call(cls, (args, kwargs), "instance"))
        else:  # OBJ: the class and its arguments since the mark
            items = self.pop_mark()
            if not items:
                raise NotThis("OBJ without a class")
            self.stack.append(Call(items[0], tuple(items[1:]), "instance"))


def read_pickle(data: bytes, max_ops: int = MAX_OPS) -> Reading:
    """Replay the opcodes of the pickle at the start of `data`; raises NotThis (or a parse
    error from `pickletools`) when it is not one."""
    machine = Machine()
    stream = io.BytesIO(data)
    for count, (opcode, arg, pos) in enumerate(pickletools.genops(stream)):
        if count >= max_ops:
            raise NotThis(f"more than {max_ops:,} opcodes")
        machine.step(opcode.name, arg)
        if len(machine.reading.ops) < max_ops:
            machine.reading.ops.append((pos, opcode.name, _arg_text(arg)))
    machine.reading.end = stream.tell()
    return machine.reading


def _arg_text(arg) -> str:
    if arg is None:
        return ""
    text = scalar_text(arg)[1]
    return text if len(text) <= 120 else f"{text[:120]}… ({len(text):,} characters)"
