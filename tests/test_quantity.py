from decimal import Decimal

import pytest

from up2u_jupyter.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Decimal(1)),
        ("0.5", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("+2", Decimal(2)),
        ("-2", Decimal(-2)),
        ("500m", Decimal("0.5")),
        ("250n", Decimal("0.00000025")),
        ("3u", Decimal("0.000003")),
        ("1k", Decimal(1000)),
        ("2G", Decimal(2_000_000_000)),
        ("1M", Decimal(1_000_000)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("1Ki", Decimal(1024)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("10Gi", Decimal(10 * 2**30)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("12e-3", Decimal("0.012")),
        ("1.5e+2", Decimal(150)),
        (2, Decimal(2)),
        (0.25, Decimal("0.25")),
    ],
)
def test_kubernetes_quantities_parse_to_exact_values(text, expected):
    assert parse_quantity(text) == expected


def test_binary_and_decimal_suffixes_differ():
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("1Gi") - parse_quantity("1G") == Decimal(73_741_824)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "G",
        "1 G",
        " 1G",
        "1GB",
        "1gi",
        "1K",
        "1.2.3",
        "1e",
        "1e1.5",
        "e3",
        "--1",
        "1Mi2",
        "ten",
        True,
    ],
)
def test_non_quantities_are_rejected_with_an_example(text):
    with pytest.raises(QuantityError, match=r"e\.g\."):
        parse_quantity(text)
