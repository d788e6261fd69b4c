"""The Avro event catalogue: ``.avsc`` files named by Avro full name, a file-based registry and the codec.

``schemas.codec()`` returns the process-wide :class:`~schemas.codec.Codec`, parsed once.
"""

from schemas.codec import Codec, Decoded, DecodeError, EncodeError, codec
from schemas.registry import SCHEMA_DIR, SchemaRegistry, Subject

__all__ = [
    "Codec",
    "Decoded",
    "DecodeError",
    "EncodeError",
    "codec",
    "SCHEMA_DIR",
    "SchemaRegistry",
    "Subject",
]
