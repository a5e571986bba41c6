"""Reading a JSON body field by field while collecting violations (shared by the v2 rules)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..video_rules import Violation, check_video_url
from .embed_v2_plan import Source


def invalid(parameter: str, why: str) -> Violation:
    return Violation(
        "parameter_invalid", f"The `{parameter}` parameter is invalid. {why}", parameter
    )


def missing(parameter: str) -> Violation:
    return Violation(
        "parameter_not_provided",
        f"The `{parameter}` parameter is required but was not provided.",
        parameter,
    )


def names(values: Sequence[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


class Checker:
    """Collects violations while reading one body; helpers return ``None`` on a violation."""

    def __init__(self) -> None:
        self.out: list[Violation] = []

    def add(self, v: Violation) -> None:
        self.out.append(v)

    def obj(self, value: Any, name: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(invalid(name, f"`{name}` must be a JSON object."))
            return None
        return value

    def known(self, body: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in body:
            if key not in allowed:
                self.add(
                    Violation("parameter_unknown", f"The `{where}{key}` parameter is unknown.", key)
                )

    def string(self, value: Any, name: str, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.add(missing(name))
            return None
        if not isinstance(value, str):
            self.add(invalid(name, f"`{name}` must be a string."))
            return None
        return value

    def number(self, value: Any, name: str) -> float | None:
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            self.add(invalid(name, f"`{name}` must be a number."))
            return None
        return float(value)

    def flag(self, value: Any, name: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(invalid(name, f"`{name}` must be true or false."))
            return False
        return value

    def choices(self, value: Any, name: str, allowed: Sequence[str]) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.add(invalid(name, f"`{name}` must be a non-empty list of: {names(allowed)}."))
            return None
        bad = [v for v in value if v not in allowed]
        if bad:
            self.add(invalid(name, f"Unknown value {names(bad)}; use {names(allowed)}."))
            return None
        return tuple(a for a in allowed if a in value)


def read_source(c: Checker, value: Any, name: str, *, multi: bool = False) -> Source | None:
    src = c.obj(value, name)
    if src is None:
        return None
    keys = ("url", "base64_string", "asset_id")
    c.known(src, (*keys, "name", "media_type") if multi else keys, f"{name}.")
    given = [k for k in keys if src.get(k) not in (None, "")]
    if len(given) != 1:
        c.add(
            invalid(
                name,
                f"Give exactly one of `url`, `base64_string` or `asset_id` (got {len(given)}).",
            )
        )
        return None
    values = {k: c.string(src.get(k), f"{name}.{k}") for k in given}
    url = values.get("url")
    if url is not None:
        for v in check_video_url(url):
            c.add(invalid(f"{name}.url", v.message.split(". ", 1)[-1].replace("video_url", "url")))
    b64 = values.get("base64_string")
    if b64 is not None and not re.fullmatch(r"[A-Za-z0-9+/\s]*={0,2}\s*", b64):
        c.add(invalid(f"{name}.base64_string", "It is not valid base64."))
    return Source(url=url, base64_string=b64, asset_id=values.get("asset_id"))
