"""The rule behind tailorfolio's *illustrative* ESG scores for its bundled funds.

These are **not** ESG ratings and were not produced by any ratings vendor. No licensed
fund-level ESG data ships with tailorfolio, so the bundled asset-class funds carry a
transparent, rule-based score that only restates what the universe table already says about
each fund: which controversial business activities its index holds (the ``activities`` tags)
and how much of it is in emerging markets. A user with real scores (MSCI, Sustainalytics,
LSEG...) should load them with :func:`tailorfolio.esg.esg_scores_from_frame`; they replace these.

The rule, on the universe's 0–100 scale where higher is better:

* environmental pillar E = 80 − 30 if the fund holds fossil-fuel producers − 10 if it holds
  thermal coal miners;
* social pillar S = 80 − 8 (tobacco) − 8 (weapons) − 8 (controversial weapons)
  − 4 (gambling) − 4 (alcohol) − 4 (adult entertainment), for each activity held;
* governance pillar G = 80 − 20 × the fund's share in emerging markets (a proxy for the
  weaker disclosure and governance coverage vendors report there);
* total = the mean of the three pillars.

The ceiling of 80 (not 100) says that holding none of the listed activities is not proof of
excellent ESG practice. Carbon intensity is left unknown: no figure could be derived honestly.
"""

from __future__ import annotations

BASE_PILLAR_SCORE = 80.0
"""Pillar score of a fund with none of the penalised exposures."""

ENVIRONMENTAL_PENALTIES: dict[str, float] = {"fossil_fuels": 30.0, "coal": 10.0}
SOCIAL_PENALTIES: dict[str, float] = {
    "tobacco": 8.0, "weapons": 8.0, "controversial_weapons": 8.0, "gambling": 4.0,
    "alcohol": 4.0, "adult_entertainment": 4.0,
}
EMERGING_GOVERNANCE_PENALTY = 20.0
"""Points of G lost by a fund fully invested in emerging markets (pro rata otherwise)."""

ILLUSTRATIVE_SOURCE = (
    "tailorfolio illustrative rule-based score (NOT a vendor ESG rating): pillars start at 80 "
    "and lose points for each controversial activity the fund's index holds and for "
    "emerging-market exposure; see tailorfolio.esg._illustrative"
)


def illustrative_pillar_scores(activities: tuple[str, ...] | list[str],
                               emerging_share: float) -> tuple[float, float, float, float]:
    """(E, S, G, total) under the documented rule, each on 0–100, higher is better.

    Parameters
    ----------
    activities : sequence of str
        The fund's activity tags (lower case).
    emerging_share : float
        Share of the fund in emerging markets, in [0, 1].
    """
    acts = {a.lower() for a in activities}
    e = BASE_PILLAR_SCORE - sum(p for tag, p in ENVIRONMENTAL_PENALTIES.items() if tag in acts)
    s = BASE_PILLAR_SCORE - sum(p for tag, p in SOCIAL_PENALTIES.items() if tag in acts)
    g = BASE_PILLAR_SCORE - EMERGING_GOVERNANCE_PENALTY * float(emerging_share)
    total = (e + s + g) / 3.0
    return round(e, 2), round(s, 2), round(g, 2), round(total, 2)
