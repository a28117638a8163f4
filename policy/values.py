"""Reading policy props safely: unknown values, Kubernetes objects, image references, selectors.

What pulumi-policy 1.21.0 hands a validate function (read from its source, pinned by tests):
- `args.props` / `PolicyResource.props` is a read-only proxy over the resource's properties. A
  value the engine does not know yet (preview) is not absent: it is a sentinel string, and reading
  it through the proxy raises `UnknownValueError`. Left uncaught, that error turns the whole policy
  for that resource (or, for a stack policy, for the whole stack) into one advisory "can't run
  policy during preview" note. `to_plain` therefore copies the props into plain dicts and lists and
  replaces every unknown value with `UNKNOWN`, so each rule decides what an unknown means for it.
- Secret values arrive unwrapped (plain strings): the secret marker is dropped before a validate
  function sees them. `is_marked_secret` still honours a `pulumi_policy.Secret` should one appear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Final

from pulumi_policy import Secret
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


class Unknown:
    """The type of `UNKNOWN`: a value the engine computes later (preview)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = Unknown()


def to_plain(value: object) -> object:
    """A plain copy of policy props: dicts, lists and scalars, with unknowns as `UNKNOWN`."""
    if isinstance(value, Secret):
        return to_plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        plain: dict[str, object] = {}
        for key in list(value):  # iterating the keys never raises; reading a value may
            try:
                item = value[key]
            except UnknownValueError:
                plain[str(key)] = UNKNOWN
            else:
                plain[str(key)] = to_plain(item)
        return plain
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items: list[object] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                items.append(UNKNOWN)
            else:
                items.append(to_plain(item))
        return items
    return value


def is_marked_secret(props: object, key: str) -> bool:
    """Whether `props[key]` carries a visible secret marker (`pulumi_policy.Secret`).

    pulumi-policy 1.21.0 never shows one to a validate function (it unwraps secrets first); this
    keeps a rule correct should a later SDK pass the marker through (its secret-preserving proxy
    keeps the raw, still-marked values under the "__target" key).
    """
    candidates: list[object] = [props]
    if isinstance(props, Mapping):
        with suppress(KeyError, UnknownValueError):
            candidates.append(props["__target"])
    for candidate in candidates:
        if not isinstance(candidate, Mapping):
            continue
        try:
            if isinstance(candidate[key], Secret):
                return True
        except (KeyError, UnknownValueError):
            continue
    return False


def get(value: object, *path: str | int) -> object:
    """`value[path[0]][path[1]]...`: None when a step is missing, `UNKNOWN` when one is unknown."""
    for step in path:
        if isinstance(value, Unknown):
            return value
        if isinstance(step, str):
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        else:
            if not isinstance(value, list) or not 0 <= step < len(value):
                return None
            value = value[step]
    return value


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


# --- container images ---------------------------------------------------------------------

_TAG_RE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_SHA256_DIGEST_RE: Final = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None  # None: no tag at all
    digest: str | None  # None: no "@"; "" or anything else after "@" is checked as a digest


def parse_image(image: str) -> ImageRef:
    name, at, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        repository, tag = name[:colon], name[colon + 1 :]
    else:
        repository, tag = name, None
    return ImageRef(repository=repository, tag=tag, digest=digest if at else None)


def image_pin_problem(ref: ImageRef) -> str | None:
    """Why `ref` is not pinned (an explicit tag other than latest, or a sha256 digest)."""
    if ref.digest is not None:
        if _SHA256_DIGEST_RE.fullmatch(ref.digest):
            return None
        return f"has the digest {ref.digest!r}, which is not sha256:<64 lowercase hex digits>"
    if ref.tag is None or ref.tag == "":
        return "has no tag (an untagged image means latest)"
    if ref.tag.lower() == "latest":
        return f"uses the tag {ref.tag!r}"
    if not _TAG_RE.fullmatch(ref.tag):
        return f"has the tag {ref.tag!r}, which is not a valid image tag"
    return None


# --- quantities ---------------------------------------------------------------------------

_QUANTITY_RE: Final = re.compile(
    r"(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)


def quantity_is_positive(text: str) -> bool:
    """Whether `text` is a Kubernetes resource quantity greater than zero (e.g. 4Gi, 512M)."""
    match = _QUANTITY_RE.fullmatch(text)
    return match is not None and match["sign"] != "-" and float(match["number"]) > 0


# --- label selectors ----------------------------------------------------------------------


def _requirement(have: object, want: object) -> bool | None:
    if isinstance(have, Unknown) or isinstance(want, Unknown):
        return None
    return have == want


def _expression_matches(expression: object, labels: dict[str, object]) -> bool | None:
    if not isinstance(expression, dict):
        return None
    key, operator, values = (
        expression.get("key"),
        expression.get("operator"),
        expression.get("values"),
    )
    if isinstance(key, Unknown) or isinstance(operator, Unknown) or not isinstance(key, str):
        return None
    have = labels.get(key)
    if isinstance(have, Unknown):
        return None
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator not in ("In", "NotIn") or not isinstance(values, list):
        return None
    if any(isinstance(v, Unknown) for v in values):
        return None
    found = key in labels and have in values
    return found if operator == "In" else not found


def combine(results: list[bool | None]) -> bool | None:
    """AND of requirement results: False beats unknown (None), unknown beats True."""
    if False in results:
        return False
    if None in results:
        return None
    return True


def selector_matches(selector: object, labels: object) -> bool | None:
    """Whether a LabelSelector (matchLabels/matchExpressions) selects pods with `labels`.

    None when unknown values decide the answer or the selector is missing.
    """
    if isinstance(labels, Unknown) or not isinstance(selector, dict):
        return None
    label_map = as_dict(labels)
    results: list[bool | None] = []
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Unknown):
        results.append(None)
    for key, want in as_dict(match_labels).items():
        results.append(_requirement(label_map.get(key), want))
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, Unknown):
        results.append(None)
    for expression in as_list(expressions):
        results.append(_expression_matches(expression, label_map))
    return combine(results)


def service_selector_matches(selector: object, labels: object) -> bool | None:
    """Whether a Service's selector map selects pods with `labels` (an empty one selects none)."""
    if isinstance(selector, Unknown) or isinstance(labels, Unknown):
        return None
    if not isinstance(selector, dict) or not selector:
        return False
    label_map = as_dict(labels)
    return combine([_requirement(label_map.get(key), want) for key, want in selector.items()])


def same_namespace(first: object, second: object) -> bool:
    """False only when both namespaces are known and differ (absent means the provider default)."""
    return not (isinstance(first, str) and isinstance(second, str) and first != second)
