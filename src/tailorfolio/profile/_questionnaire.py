"""The risk questionnaire: questions, their answer options, and the answers an investor gave.

Each question's options are ordered from the most cautious (index 0) to the most
risk-seeking. Answers are given by option key (``drop_reaction: hold``) or by index. The
questions follow the usual pattern of robo-advisor and planner questionnaires (reaction to a
drawdown, tolerable loss, a choice between portfolios with stated best and worst years, primary
objective, experience, self-assessment, and two Grable–Lytton-style items: a sure amount versus
a gamble, and the word associated with "risk"); see ``../shared/reference/planning-methods.md``
§1.1 and §1.4 and the README's "Risk scoring" section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """One questionnaire item.

    Attributes
    ----------
    key : str
        Identifier used in profiles.
    text : str
        The question as asked.
    options : tuple of (key, label)
        Ordered from most cautious to most risk-seeking.
    weight : float
        Relative weight in the willingness score.
    """

    key: str
    text: str
    options: tuple[tuple[str, str], ...]
    weight: float = 1.0

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.options)

    def index_of(self, answer: str | int) -> int:
        """Index of ``answer`` (a key or an index); raises ``ValueError`` naming valid options."""
        if isinstance(answer, bool):
            raise ValueError(f"expected one of {list(self.option_keys)}")
        if isinstance(answer, int):
            if 0 <= answer < len(self.options):
                return answer
            raise ValueError(
                f"option index must be 0..{len(self.options) - 1}; "
                f"or use one of {list(self.option_keys)}"
            )
        key = str(answer).strip().lower()
        if key in self.option_keys:
            return self.option_keys.index(key)
        raise ValueError(f"expected one of {list(self.option_keys)}")


QUESTIONS: tuple[Question, ...] = (
    Question(
        "drop_reaction",
        "Your portfolio loses 20 % in a month while markets fall. What do you do?",
        (
            ("sell_all", "Sell everything and move to cash"),
            ("sell_some", "Sell some to limit further losses"),
            ("hold", "Hold and wait"),
            ("buy_some", "Buy a little more at lower prices"),
            ("buy_more", "Invest substantially more"),
        ),
        weight=1.5,
    ),
    Question(
        "max_annual_loss",
        "What is the largest one-year loss you could accept without changing your plan?",
        (
            ("under_5", "Less than 5 %"),
            ("5_to_10", "5 % to 10 %"),
            ("10_to_20", "10 % to 20 %"),
            ("20_to_30", "20 % to 30 %"),
            ("over_30", "More than 30 %"),
        ),
        weight=1.5,
    ),
    Question(
        "portfolio_choice",
        "Which portfolio would you pick, given its best and worst year?",
        (
            ("a", "Best year +5 %, worst year -1 %"),
            ("b", "Best year +10 %, worst year -6 %"),
            ("c", "Best year +17 %, worst year -14 %"),
            ("d", "Best year +25 %, worst year -22 %"),
            ("e", "Best year +35 %, worst year -33 %"),
        ),
        weight=1.25,
    ),
    Question(
        "objective",
        "What is the main purpose of this money?",
        (
            ("preserve", "Preserve what I have"),
            ("income", "Steady income"),
            ("balanced", "Balance of income and growth"),
            ("growth", "Long-term growth"),
            ("max_growth", "Maximum growth; I accept large swings"),
        ),
    ),
    Question(
        "experience",
        "How much investing experience do you have?",
        (
            ("none", "None"),
            ("savings", "Savings accounts and CDs only"),
            ("funds", "Mutual funds or ETFs"),
            ("stocks", "Funds and individual stocks, for several years"),
            ("expert", "I manage a diversified portfolio actively or professionally"),
        ),
        weight=0.75,
    ),
    Question(
        "self_assessment",
        "How would a close friend describe you as a risk taker?",
        (
            ("avoider", "A real risk avoider"),
            ("cautious", "Cautious"),
            ("researched", "Willing to take risks after completing adequate research"),
            ("gambler", "A real gambler"),
        ),
    ),
    Question(
        "sure_or_gamble",
        "Which would you take?",
        (
            ("sure_1000", "$1,000 in cash, for sure"),
            ("half_5000", "A 50 % chance at winning $5,000"),
            ("quarter_10000", "A 25 % chance at winning $10,000"),
            ("five_100000", "A 5 % chance at winning $100,000"),
        ),
    ),
    Question(
        "risk_word",
        "When you think of the word 'risk', which word comes to mind first?",
        (
            ("loss", "Loss"),
            ("uncertainty", "Uncertainty"),
            ("opportunity", "Opportunity"),
            ("thrill", "Thrill"),
        ),
        weight=0.75,
    ),
)
"""The questionnaire, in the order it is asked."""

QUESTIONS_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}

CONSISTENCY_PAIRS: tuple[tuple[str, str], ...] = (
    ("drop_reaction", "max_annual_loss"),
    ("portfolio_choice", "max_annual_loss"),
    ("objective", "portfolio_choice"),
    ("self_assessment", "sure_or_gamble"),
    ("drop_reaction", "self_assessment"),
)
"""Pairs of questions that measure the same attitude; answers far apart are contradictory."""
