"""Which language version of a broadcast each person gets.

Their own language when the organizer wrote it; otherwise the first version found in the
fallback order for their language (`BROADCAST_FALLBACK`; by default French, then Arabic, for
people who read French or English, and French for Arabic readers); otherwise any version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# After the person's own language, in this order.
DEFAULT_FALLBACK: dict[str, tuple[str, ...]] = {
    "ar": ("fr", "en"),
    "fr": ("ar", "en"),
    "en": ("fr", "ar"),
}


def version_for(
    versions: Mapping[str, object],
    locale: str,
    fallback: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The language code of the version this person gets (`versions` is not empty)."""
    order = (fallback or DEFAULT_FALLBACK).get(locale, ())
    for code in (locale, *order):
        if code in versions:
            return code
    return next(iter(versions))


def audience_per_version(
    versions: Mapping[str, object],
    people_per_locale: Mapping[str, int],
    fallback: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """How many people get each version, from how many read each language."""
    counts = dict.fromkeys(versions, 0)
    for locale, people in people_per_locale.items():
        counts[version_for(versions, locale, fallback)] += people
    return counts
