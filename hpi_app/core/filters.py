"""List filters shared by tasks and processes: ``meta.<key>=<value>`` query parameters."""

from __future__ import annotations

from hpi_app.core.errors import InvalidInput

# A metadata filter key: longer, or with a quote or backslash, and no JSON path can name it.
MAX_META_KEY = 100
META_PREFIX = "meta."


def parse_meta_filters(params: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The ``meta.<key>=<value>`` pairs among a query string's ``params`` (several are ANDed).

    Raises:
        InvalidInput: ``meta.`` with no key, or a key no metadata filter can name (over 100
            characters, or with a quote or backslash, which the stores' JSON paths cannot hold).
    """
    pairs: list[tuple[str, str]] = []
    for name, value in params:
        if not name.startswith(META_PREFIX):
            continue
        key = name[len(META_PREFIX) :]
        if not key:
            raise InvalidInput(
                "A metadata filter needs a key: meta.<key>=<value>, e.g. meta.env=prod.",
                details=[{"field": name, "message": "needs a metadata key after 'meta.'"}],
            )
        if len(key) > MAX_META_KEY or '"' in key or "\\" in key:
            raise InvalidInput(
                "A metadata key in a filter can't be over 100 characters or hold a quote or backslash.",
                details=[{"field": name, "message": "unusable metadata key"}],
            )
        pairs.append((key, value))
    return tuple(pairs)
