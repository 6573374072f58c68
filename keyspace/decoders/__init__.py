"""Value decoders: one module per format, registered here, one line each (like admin's site).

Adding a decoder: write its module (a `Decoder` subclass, see `base`), add its line below and
its test file under tests/decoders/. Order matters only to break ties between equal scores.
"""

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, Node, NotThis, current_limits
from keyspace.decoders.celery_message import CeleryMessageDecoder
from keyspace.decoders.compressed import GzipDecoder, ZlibDecoder, ZstdDecoder
from keyspace.decoders.django_signed import DjangoSignedDecoder
from keyspace.decoders.hexdump import HexDecoder
from keyspace.decoders.java import JavaDecoder
from keyspace.decoders.jsondata import JsonDecoder
from keyspace.decoders.msgpacked import MsgpackDecoder
from keyspace.decoders.php import PhpDecoder
from keyspace.decoders.pickled import PickleDecoder
from keyspace.decoders.protobuf import ProtobufDecoder
from keyspace.decoders.registry import Registry, registry
from keyspace.decoders.rq_job import RqJobDecoder
from keyspace.decoders.text import TextDecoder
from keyspace.decoders.timestamp import TimestampDecoder

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
