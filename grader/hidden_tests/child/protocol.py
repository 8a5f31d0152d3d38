"""The wire format between the grader and the hidden-test child (stdlib + NumPy only).

A message is a JSON header plus a blob holding its arrays' raw bytes. Values are trees of
dict (str keys) / list / tuple / None / bool / int / float / str; arrays and NumPy scalars
travel in the blob and are replaced in the tree by markers:

    {"__nd__": "a0"}                    an array (the first one in the blob)
    {"__nd__": "a1", "scalar": true}    a NumPy scalar (sent as a 0-d array)
    {"__float__": "nan" | "inf" | "-inf"}   a non-finite Python float
    {"__tuple__": [...]}                a tuple
    {"__dict__": {...}}                 a dict whose keys collide with a marker
    {"__unsupported__": "<type name>"}  anything else (objects, object arrays, generators):
                                        described, never pickled

The header is {"value": tree, "arrays": [[dtype string, shape], ...]}, and the blob is each
array's bytes in C order, one after another, in that order. Frames on a byte stream: 8-byte
big-endian payload length, then the payload (4-byte big-endian header length, the UTF-8 JSON
header, the blob). Readers refuse any frame larger than MAX_FRAME before reading it; decoding
never unpickles, accepts only the dtypes of ARRAY_KINDS, and refuses a blob whose size is not
exactly what the header's dtypes and shapes add up to. (Raw bytes rather than .npz: a hidden
test run sends about a thousand arrays, and .npz spent milliseconds on each.)

Every request carries an "id" (1, 2, 3, ... per child) and its reply echoes it, so the grader
matches each reply to its request: a frame the student's code writes onto the reply pipe
answers no request and costs only the request it arrived in. The child's greeting, sent once
after importing the student's modules, is {"hello": true, ...} and carries no id. A successful
reply's "result" holds the keys RESULT_KEYS names for its operation.
"""
import json
import math
import os
import struct

import numpy as np

# Bytes per message, checked by the reader (before reading) and the writer. The largest message
# the hidden tests send or receive is about 1.6 MB; a student's function returning hundreds of
# MiB would otherwise be read, copied and decoded several times over in the grader's memory.
MAX_FRAME = 32 << 20
MAX_DEPTH = 64                 # nesting of lists/dicts in a value
MARKERS = ("__nd__", "__float__", "__tuple__", "__dict__", "__unsupported__")
ARRAY_KINDS = "biufcUS"        # bool, ints, floats, complex, str, bytes: no objects, no voids
_LENGTH = struct.Struct(">Q")
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """A frame that is malformed, truncated, too large or not decodable."""


class FrameTooLarge(ProtocolError):
    """A frame announced (or a message encoded) larger than MAX_FRAME."""


class EndOfStream(ProtocolError):
    """The other side closed the stream before a complete frame arrived."""


# --------------------------------------------------------------------------- values


def encode(value):
    """Return the payload bytes (header length, JSON header, npz blob) for `value`."""
    arrays, memo = {}, {}
    tree = _to_tree(value, arrays, memo, 0)
    kinds = {}                                  # dtype -> its string (computed once each)
    table = []
    for array in arrays.values():
        dtype = array.dtype
        name = kinds.get(dtype)
        if name is None:
            name = kinds[dtype] = dtype.str
        table.append([name, list(array.shape)])
    # (no check for cycles: _to_tree builds the tree afresh, nested at most MAX_DEPTH deep)
    header = json.dumps({"value": tree, "arrays": table}, allow_nan=False, check_circular=False,
                        separators=(",", ":")).encode("utf-8")
    blob = b"".join([array.tobytes() for array in arrays.values()])   # C order
    return _HEADER.pack(len(header)) + header + blob


# Exact types a tree holds as they are. Arrays, finite floats, lists, tuples and dicts of
# exactly their type take the short ways below; anything else (subclasses, NumPy scalars,
# complex, objects) goes through _other_tree, the general rules.
_AS_IS = frozenset({type(None), bool, str, int})
_MARKER_SET = frozenset(MARKERS)
_ndarray, _isfinite = np.ndarray, math.isfinite


def _to_tree(value, arrays, memo, depth):
    if depth > MAX_DEPTH:
        return {"__unsupported__": "a value nested more than %d levels deep" % MAX_DEPTH}
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is _ndarray:
        return _array_marker(value, arrays, memo, False)
    if kind is float and _isfinite(value):
        return value
    if kind is list:
        return _items(value, arrays, memo, depth + 1)
    if kind is tuple:
        return {"__tuple__": _items(value, arrays, memo, depth + 1)}
    if kind is dict:
        keys = value.keys()
        if all([type(key) is str for key in keys]):
            items = dict(zip(keys, _items(value.values(), arrays, memo, depth + 1)))
            return items if _MARKER_SET.isdisjoint(keys) else {"__dict__": items}
    return _other_tree(value, arrays, memo, depth)


def _items(values, arrays, memo, depth):
    """[_to_tree(item, ...) for item in values], `depth` being the items' own."""
    if depth > MAX_DEPTH:
        return [_to_tree(item, arrays, memo, depth) for item in values]
    trees = []
    for item in values:
        kind = type(item)
        if kind in _AS_IS:
            trees.append(item)
        elif kind is _ndarray:
            trees.append(_array_marker(item, arrays, memo, False))
        else:
            trees.append(_to_tree(item, arrays, memo, depth))
    return trees


def _other_tree(value, arrays, memo, depth):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):           # before float: np.float64 is a float
        return _array_marker(np.asarray(value), arrays, memo, scalar=True)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {"__float__": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, complex):
        return _array_marker(np.asarray(value), arrays, memo, scalar=True)
    if isinstance(value, np.ndarray):
        return _array_marker(value, arrays, memo, scalar=False)
    if isinstance(value, (list, tuple)):
        items = [_to_tree(item, arrays, memo, depth + 1) for item in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return {"__unsupported__": "dict with non-string keys"}
        items = {key: _to_tree(item, arrays, memo, depth + 1) for key, item in value.items()}
        return {"__dict__": items} if any(key in MARKERS for key in items) else items
    return {"__unsupported__": _type_name(value)}


def _array_marker(array, arrays, memo, scalar):
    seen = memo.get(id(array))                  # the same array object is sent once
    if seen is not None and seen[1] is array and not scalar:
        return seen[2]                          # (its marker: the same dict serves each place)
    dtype = array.dtype
    if dtype.kind not in ARRAY_KINDS or dtype.hasobject:
        return {"__unsupported__": "array of dtype %s" % dtype}
    if seen is None or seen[1] is not array:
        name = "a%d" % len(arrays)
        seen = memo[id(array)] = (name, array, {"__nd__": name})  # keeping the array keeps its id unique
        # subclasses (np.matrix, memmap) as plain arrays
        arrays[name] = array if type(array) is _ndarray else np.asarray(array)
    return {"__nd__": seen[0], "scalar": True} if scalar else seen[2]


def _type_name(value):
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module in ("builtins", "") else "%s.%s" % (module, name)


def decode(payload):
    """Inverse of encode(); raises ProtocolError for anything malformed."""
    try:
        (header_length,) = _HEADER.unpack_from(payload, 0)
        start = _HEADER.size
        if start + header_length > len(payload):
            raise ProtocolError("header length beyond the payload")
        header = json.loads(bytes(payload[start:start + header_length]).decode("utf-8"))
        if not isinstance(header, dict) or set(header) != {"value", "arrays"}:
            raise ProtocolError("malformed header")
        arrays = _load_arrays(header["arrays"], memoryview(payload)[start + header_length:])
        return _from_tree(header["value"], arrays, 0)
    except ProtocolError:
        raise
    except Exception as exc:  # json, zip, npy, recursion: the sender is not trusted
        raise ProtocolError("undecodable message: %s: %s" % (type(exc).__name__, exc)) from None


def _load_arrays(table, blob):
    """{"a<i>": array} from the header's table and the blob; every array is a fresh copy."""
    if not isinstance(table, list):
        raise ProtocolError("malformed array table")
    arrays, offset = {}, 0
    for index, entry in enumerate(table):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and isinstance(entry[1], list) and len(entry[1]) <= MAX_DEPTH
                and all(type(n) is int and n >= 0 for n in entry[1])):
            raise ProtocolError("malformed array entry %d" % index)
        dtype = np.dtype(entry[0])
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.fields or dtype.subdtype:
            raise ProtocolError("array of dtype %s refused" % dtype)
        count = math.prod(entry[1])
        size = count * dtype.itemsize
        if offset + size > len(blob):
            raise ProtocolError("the blob is shorter than its arrays")
        array = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
        arrays["a%d" % index] = array.reshape(entry[1]).copy()
        offset += size
    if offset != len(blob):
        raise ProtocolError("the blob is longer than its arrays")
    return arrays


def _from_tree(tree, arrays, depth):
    if depth > MAX_DEPTH + 2:
        raise ProtocolError("value nested too deeply")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [_from_tree(item, arrays, depth + 1) for item in tree]
    if not isinstance(tree, dict):
        raise ProtocolError("unexpected JSON value %r" % type(tree).__name__)
    if "__nd__" in tree:
        array = arrays.get(tree["__nd__"])
        if array is None:
            raise ProtocolError("missing array %r" % tree["__nd__"])
        return array[()] if tree.get("scalar") else array
    if "__float__" in tree:
        return float(tree["__float__"])
    if "__tuple__" in tree:
        return tuple(_from_tree(item, arrays, depth + 1) for item in tree["__tuple__"])
    if "__unsupported__" in tree:
        return Unsupported(str(tree["__unsupported__"]))
    if "__dict__" in tree:
        tree = tree["__dict__"]
        if not isinstance(tree, dict):
            raise ProtocolError("malformed __dict__")
    return {key: _from_tree(item, arrays, depth + 1) for key, item in tree.items()}


class Unsupported:
    """Stands for a value the student returned that cannot travel (never unpickled)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return "<unsupported %s>" % self.type_name

    def __eq__(self, other):
        return isinstance(other, Unsupported) and other.type_name == self.type_name

    __hash__ = None


def array_bytes(value, depth=0):
    """Bytes of the arrays in a value tree, counted before anything is copied or encoded (the
    child refuses to send an answer over MAX_FRAME with a clear message)."""
    if depth > MAX_DEPTH:
        return 0
    if isinstance(value, (np.ndarray, np.generic)):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(array_bytes(item, depth + 1) for item in value.values())
    if isinstance(value, (list, tuple)):
        return sum(array_bytes(item, depth + 1) for item in value)
    return 0


# What the "result" of a successful reply holds, per operation (grader/hidden_tests/child/
# runner.py: the op_* methods); a reply without them is malformed.
RESULT_KEYS = {
    "ping": ("pong",),
    "call": ("result", "args_after", "kwargs_after"),
    "forward_backward": ("forward", "backward", "args_after"),
    "call_many": ("results",),
    "model": ("runs",),
    "optimizer": ("steps",),
}


# --------------------------------------------------------------------------- frames


def frame(payload):
    """The bytes to write for one message payload."""
    if len(payload) > MAX_FRAME:
        raise FrameTooLarge("message of %d bytes exceeds the %d-byte limit" % (len(payload), MAX_FRAME))
    return _LENGTH.pack(len(payload)) + payload


def check_length(prefix):
    """Payload length announced by an 8-byte prefix; refuses oversized frames."""
    (length,) = _LENGTH.unpack(prefix)
    if length > MAX_FRAME:
        raise FrameTooLarge("frame of %d bytes announced, the limit is %d" % (length, MAX_FRAME))
    return length


LENGTH_BYTES = _LENGTH.size


def read_exact_blocking(fd, count):
    """Read exactly `count` bytes from a blocking file descriptor (the child's side)."""
    chunks, remaining = [], count
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EndOfStream("stream closed with %d bytes missing" % remaining)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message_blocking(fd):
    """Read and decode one framed message from a blocking file descriptor."""
    length = check_length(read_exact_blocking(fd, LENGTH_BYTES))
    return decode(read_exact_blocking(fd, length))


def write_all_blocking(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
