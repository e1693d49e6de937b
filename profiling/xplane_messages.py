"""The XSpace protobuf messages, built by hand from ``tsl/profiler/protobuf/xplane.proto``.

TensorFlow's own ``xplane_pb2`` cannot be used: importing it imports tensorflow (seconds, a
GB of address space, and no framework may load in ``profiling/``), and protoc-generated
modules refuse protobuf runtimes older than the protoc that wrote them. So the same
messages are described here, field by field as in xplane.proto (tsl, as shipped in
tensorflow 2.21 / xprof 2.24), and compiled at import by protobuf's own runtime
(``message_factory``) into a private descriptor pool: the classes parse with the fast upb
runtime where it is installed, and they never collide with ``xplane_pb2`` when tensorflow
is also loaded (the tests load both). Works with protobuf 5.28 and later.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "opscope.xplane"
_FILE = "opscope/xplane.proto"
_T = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _T.LABEL_OPTIONAL, _T.LABEL_REPEATED

# message -> (field name, number, type, repeated, message type, oneof index)
_MESSAGES: dict[str, list[tuple[str, int, int, bool, str, int | None]]] = {
    "XSpace": [
        ("planes", 1, _T.TYPE_MESSAGE, True, "XPlane", None),
        ("errors", 2, _T.TYPE_STRING, True, "", None),
        ("warnings", 3, _T.TYPE_STRING, True, "", None),
        ("hostnames", 4, _T.TYPE_STRING, True, "", None),
    ],
    "XPlane": [
        ("id", 1, _T.TYPE_INT64, False, "", None),
        ("name", 2, _T.TYPE_STRING, False, "", None),
        ("lines", 3, _T.TYPE_MESSAGE, True, "XLine", None),
        ("event_metadata", 4, _T.TYPE_MESSAGE, True, "XPlane.EventMetadataEntry", None),
        ("stat_metadata", 5, _T.TYPE_MESSAGE, True, "XPlane.StatMetadataEntry", None),
        ("stats", 6, _T.TYPE_MESSAGE, True, "XStat", None),
    ],
    "XLine": [
        ("id", 1, _T.TYPE_INT64, False, "", None),
        ("display_id", 10, _T.TYPE_INT64, False, "", None),
        ("name", 2, _T.TYPE_STRING, False, "", None),
        ("display_name", 11, _T.TYPE_STRING, False, "", None),
        ("timestamp_ns", 3, _T.TYPE_INT64, False, "", None),
        ("duration_ps", 9, _T.TYPE_INT64, False, "", None),
        ("events", 4, _T.TYPE_MESSAGE, True, "XEvent", None),
    ],
    "XEvent": [
        ("metadata_id", 1, _T.TYPE_INT64, False, "", None),
        ("offset_ps", 2, _T.TYPE_INT64, False, "", 0),
        ("num_occurrences", 5, _T.TYPE_INT64, False, "", 0),
        ("duration_ps", 3, _T.TYPE_INT64, False, "", None),
        ("stats", 4, _T.TYPE_MESSAGE, True, "XStat", None),
    ],
    "XStat": [
        ("metadata_id", 1, _T.TYPE_INT64, False, "", None),
        ("double_value", 2, _T.TYPE_DOUBLE, False, "", 0),
        ("uint64_value", 3, _T.TYPE_UINT64, False, "", 0),
        ("int64_value", 4, _T.TYPE_INT64, False, "", 0),
        ("str_value", 5, _T.TYPE_STRING, False, "", 0),
        ("bytes_value", 6, _T.TYPE_BYTES, False, "", 0),
        ("ref_value", 7, _T.TYPE_UINT64, False, "", 0),
    ],
    "XEventMetadata": [
        ("id", 1, _T.TYPE_INT64, False, "", None),
        ("name", 2, _T.TYPE_STRING, False, "", None),
        ("display_name", 4, _T.TYPE_STRING, False, "", None),
        ("metadata", 3, _T.TYPE_BYTES, False, "", None),
        ("stats", 5, _T.TYPE_MESSAGE, True, "XStat", None),
        ("child_id", 6, _T.TYPE_INT64, True, "", None),
    ],
    "XStatMetadata": [
        ("id", 1, _T.TYPE_INT64, False, "", None),
        ("name", 2, _T.TYPE_STRING, False, "", None),
        ("description", 3, _T.TYPE_STRING, False, "", None),
    ],
}
_ONEOFS = {"XEvent": "data", "XStat": "value"}
_MAP_ENTRIES = {"EventMetadataEntry": "XEventMetadata", "StatMetadataEntry": "XStatMetadata"}


def _add_fields(message: descriptor_pb2.DescriptorProto, name: str) -> None:
    for field_name, number, kind, repeated, type_name, oneof in _MESSAGES[name]:
        field = message.field.add(
            name=field_name,
            number=number,
            type=kind,
            label=_REPEATED if repeated else _OPTIONAL,
        )
        if type_name:
            field.type_name = f".{_PACKAGE}.{type_name}"
        if oneof is not None:
            field.oneof_index = oneof


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(name=_FILE, package=_PACKAGE, syntax="proto3")
    for name in _MESSAGES:
        message = proto.message_type.add(name=name)
        _add_fields(message, name)
        if name in _ONEOFS:
            message.oneof_decl.add(name=_ONEOFS[name])
        if name == "XPlane":
            for entry, value in _MAP_ENTRIES.items():
                nested = message.nested_type.add(name=entry)
                nested.options.map_entry = True
                nested.field.add(name="key", number=1, type=_T.TYPE_INT64, label=_OPTIONAL)
                nested.field.add(
                    name="value",
                    number=2,
                    type=_T.TYPE_MESSAGE,
                    label=_OPTIONAL,
                    type_name=f".{_PACKAGE}.{value}",
                )
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.AddSerializedFile(_file().SerializeToString())  # as generated modules do


def _message(name: str) -> type:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


XSpace = _message("XSpace")
XPlane = _message("XPlane")
XEvent = _message("XEvent")
XLine = _message("XLine")
