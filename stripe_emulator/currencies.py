"""Currencies as Stripe treats them: which it accepts, their minor units, amount limits.

Stripe's OpenAPI spec has no currency enum (``currency`` is a free string "Must be a
supported currency"), so the lists below are hand-written from Stripe's own words.
"""

from __future__ import annotations

# Every currency Stripe's API accepts, in the order it lists them when it refuses one.
# Source: the list in Stripe's own error message, "Invalid currency: …. Stripe currently
# supports these currencies: usd, aed, afn, …", as returned by the live API in test mode
# (a response recorded in October 2024). It is the presentment-currency list of
# https://docs.stripe.com/currencies ("Supported presentment currencies") plus a few codes
# Stripe still accepts for compatibility (usdc, and retired ones such as eek, ltl, vef).
# Stripe adds currencies over time; refresh this from a new error message when it does.
SUPPORTED_CURRENCIES = (
    "usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam",
    "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn",
    "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk",
    "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf",
    "gtq", "gyd", "hkd", "hnl", "hrk", "htg", "huf", "idr", "ils", "inr", "isk", "jmd",
    "jod", "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp",
    "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr",
    "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab",
    "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar",
    "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs",
    "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd", "vuv",
    "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw", "usdc", "btn", "ghs", "eek",
    "lvl", "svc", "vef", "ltl", "sll", "mro",
)  # fmt: skip
SUPPORTED = frozenset(SUPPORTED_CURRENCIES)

# Amounts are in the currency's minor unit. Source: https://docs.stripe.com/currencies,
# "Zero-decimal currencies" (the amount is the charge: 500 means ¥500) ...
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
     "xaf", "xof", "xpf"}
)  # fmt: skip
# ... and "Three-decimal currencies" (5124 means 5.124 KWD). Every other currency has two
# decimals in the API, including those Stripe documents as special cases (isk, huf, twd).
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# "The amount value supports up to twelve digits for IDR (for example, a value of
# 999999999999 for a charge of 9,999,999,999.99 IDR), and up to eight digits for all other
# currencies (for example, a value of 99999999 for a charge of 999,999.99 USD)."
# (https://docs.stripe.com/currencies, "Minimum and maximum charge amounts").
MAX_AMOUNT = 99_999_999
_MAX_AMOUNT_BY_CURRENCY = {"idr": 999_999_999_999}


def invalid_currency_message(value: str) -> str:
    """Stripe's wording, list and all (it has no trailing full stop)."""
    return (
        f"Invalid currency: {value.lower()}. Stripe currently supports these currencies: "
        + ", ".join(SUPPORTED_CURRENCIES)
    )


def decimals(currency: str) -> int:
    """How many digits of an API amount are the fraction (0, 2 or 3)."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def max_amount(currency: str) -> int:
    return _MAX_AMOUNT_BY_CURRENCY.get(currency.lower(), MAX_AMOUNT)


def format_amount(amount: int, currency: str) -> str:
    """``1250, "usd"`` → ``12.50 USD``; ``1250, "jpy"`` → ``1,250 JPY``; exact (no floats)."""
    places = decimals(currency)
    code = currency.upper()
    sign = "-" if amount < 0 else ""
    if places == 0:
        return f"{sign}{abs(amount):,} {code}"
    major, minor = divmod(abs(amount), 10**places)
    return f"{sign}{major:,}.{minor:0{places}d} {code}"
