"""The password policy: long enough, not the e-mail, not trivial, not a common password.

The bundled list is a small sample of the passwords that top every published breach list
(and the keyboard walks and words they are built from); it catches the obvious choices
without shipping a breach corpus. Checks are on the lower-cased password, and also on it with
trailing digits and punctuation removed (``Password2024!`` is ``password``).
"""

from __future__ import annotations

import re

from tailorfolio.service._config import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

COMMON = frozenset("""
123456 123456789 12345678 password qwerty 12345 1234567 111111 1234567890 123123 abc123
password1 iloveyou 1q2w3e4r 000000 qwerty123 zaq12wsx dragon sunshine princess letmein
654321 monkey 27653 1qaz2wsx 121212 charlie aa123456 donald baseball football welcome
admin login master hello freedom whatever qazwsx trustno1 starwars passw0rd superman
batman shadow michael jennifer jordan hunter ranger buster soccer harley hockey killer
george andrew thomas tigger robert daniel computer internet samsung corvette mustang
access flower cheese summer winter spring autumn secret secret123 welcome1 changeme
changeme123 default guest administrator root toor test test123 testing qwertyuiop
asdfghjkl zxcvbnm qwertyuiop123 asdfghjkl123 1qazxsw2 qweasdzxc abcd1234 abcdefg
abcdefgh abcdefghijkl 0987654321 987654321 11111111 00000000 88888888 66666666
iloveyou123 passwordpassword password123 password1234 letmein123 welcome123 admin123
adminadmin administrator1 monkey123 dragon123 football1 baseball1 sunshine1 princess1
portfolio investment investor advisor finance money money123 banking wealth retirement
tailorfolio
""".split())


_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl",
              "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
_RUNS = tuple(run for seq in _SEQUENCES for run in (seq * 4, seq[::-1] * 4))


def _core(password: str) -> str:
    return re.sub(r"[\d\W_]+$", "", password.lower())


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is refused, or ``None`` if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must have at most {MAX_PASSWORD_LENGTH} characters"
    low = password.lower()
    if email:
        address = email.strip().lower()
        local = address.split("@")[0]
        if low == address or address in low or (len(local) >= 4 and local in low
                                                 and len(low) - len(local) < 6):
            return "must not be (or be built on) the e-mail address"
    if len(set(low)) < 4:
        return "must not be a repeated character or a handful of characters"
    for unit in range(1, len(low) // 2 + 1):
        if len(low) % unit == 0 and low[:unit] * (len(low) // unit) == low:
            return "must not be a short string repeated"
    if any(low in run for run in _RUNS):
        return "must not be a run of consecutive characters"
    compact = re.sub(r"\s+", "", low)
    if low in COMMON or compact in COMMON or _core(low) in COMMON or _core(compact) in COMMON:
        return "is one of the most common passwords"
    return None
