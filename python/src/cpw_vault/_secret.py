"""Values that behave as str everywhere they are used, but never show themselves in a repr."""

_KNOWN = set()


class Secret(str):
    """A credential value. Use it as the str it is; repr() (logs with %r, tracebacks
    with locals, debuggers, containers) shows Secret('****') instead of the value."""

    __slots__ = ()

    def __repr__(self):
        return "Secret('****')"

    def __reduce__(self):
        # Pickling (multiprocessing) keeps the value, not the masked repr.
        return (Secret, (str(self),))


def secret(value):
    """Wraps a value read from cpw-vault and remembers it, so error texts can be scrubbed of it."""
    if len(value) >= 4:
        _KNOWN.add(str(value))
    return Secret(value)


def scrub(text):
    """Removes every value this process read from `text` (defence in depth: cpw-vault already redacts)."""
    for value in sorted(_KNOWN, key=len, reverse=True):
        text = text.replace(value, "[REDACTED]")
    return text


class Sensitive:
    """Raw CLI output that may hold values: kept out of every repr until parsed into Secrets."""

    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data

    def __repr__(self):
        return "<cpw-vault output, %d bytes, not shown>" % len(self._data)

    def text(self):
        return self._data.decode("utf-8")
