"""Value decoders: one module per format, registered here, one line each (like admin's site).

Adding a decoder: write its module (a `Decoder` subclass, see `base`), add its line below and
its test file under tests/decoders/. Order matters only to break ties between equal scores.
"""

from .base import Decoded, Decoder, Fact, Limits, Node, NotThis, current_limits
from .celery_message import CeleryMessageDecoder
from .compressed import GzipDecoder, ZlibDecoder, ZstdDecoder
from .django_signed import DjangoSignedDecoder
from .hexdump import HexDecoder
from .java import JavaDecoder
from .jsondata import JsonDecoder
from .msgpacked import MsgpackDecoder
from .php import PhpDecoder
from .pickled import PickleDecoder
from .protobuf import ProtobufDecoder
from .registry import Registry, registry
from .rq_job import RqJobDecoder
from .text import TextDecoder
from .timestamp import TimestampDecoder

registry.register(TextDecoder)
registry.register(JsonDecoder)
registry.register(HexDecoder)
registry.register(MsgpackDecoder)
registry.register(PickleDecoder)
registry.register(GzipDecoder)
registry.register(ZlibDecoder)
registry.register(ZstdDecoder)
registry.register(RqJobDecoder)
registry.register(CeleryMessageDecoder)
registry.register(DjangoSignedDecoder)
registry.register(PhpDecoder)
registry.register(JavaDecoder)
registry.register(ProtobufDecoder)
registry.register(TimestampDecoder)

__all__ = [
    "Decoded", "Decoder", "Fact", "Limits", "Node", "NotThis", "Registry", "current_limits",
    "registry",
]  # fmt: skip
