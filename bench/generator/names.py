"""People-shaped values: real names, nicknames, mobile numbers, addresses."""

from __future__ import annotations

import random

from bench.generator.vocabulary import COMMUNITIES, GIVEN_CHARS, NICKNAME_WORDS, SURNAMES, TITLES, District


def real_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(GIVEN_CHARS)
    return rng.choice(SURNAMES) + given


def nickname(rng: random.Random, name: str) -> str:
    """What shoppers call themselves in the mini-program: 小王, 李阿姨, 晴天, 豆豆妈88 ..."""
    u = rng.random()
    if u < 0.2:
        return "小" + name[0]
    if u < 0.4:
        return name[0] + rng.choice(TITLES)
    if u < 0.5:
        return name
    word = rng.choice(NICKNAME_WORDS)
    return word + str(rng.randint(1, 2025)) if rng.random() < 0.25 else word


def mobile(rng: random.Random) -> str:
    """A mainland mobile number, 1[3-9]XXXXXXXXX."""
    return f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"


def street_address(rng: random.Random, district: District) -> str:
    """A home address inside a district: street, number, community, building and flat."""
    return (
        f"{rng.choice(district.streets)}{rng.randint(1, 1200)}号{rng.choice(COMMUNITIES)}"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
    )


def short_district(name: str) -> str:
    """浦东新区 → 浦东, 徐汇区 → 徐汇 (how store names abbreviate districts)."""
    if name.endswith("新区"):
        return name[:-2]
    return name[:-1] if name.endswith("区") and len(name) > 2 else name
