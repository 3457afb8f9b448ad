"""The standard indicator catalogue and the validation of bounds and units."""

from __future__ import annotations

import pytest

from landplots.errors import IndicatorError
from landplots.indicators import (
    REQUIRED_KEYS,
    STANDARD,
    indicator_from_value,
    make_indicator,
    normalize_unit,
    parse_definition,
)
from landplots.model import Milestone


def test_the_standard_catalogue():
    for key, name, unit, direction in [
        ("investment_intensity", "固定资产投资强度", "万元/亩", "min"),
        ("plot_ratio", "容积率", "", "range"),
        ("tax_per_mu", "亩均税收", "万元/亩·年", "min"),
        ("energy_value_added", "单位能耗增加值", "万元/吨标煤", "min"),
        ("emission_value_added", "单位排放增加值", "万元/吨", "min"),
        ("rd_ratio", "研发经费占比", "%", "min"),
        ("building_density", "建筑密度", "%", "range"),
        ("green_ratio", "绿地率", "%", "range"),
        ("height", "建筑高度", "m", "max"),
    ]:
        d = STANDARD[key]
        assert (d.name, d.unit, d.direction) == (name, unit, direction)
        assert len(d.short) <= 7  # <short>_lo fits a Shapefile field name
    assert STANDARD["investment_intensity"].milestone is Milestone.ACCEPTANCE  # 对标验收
    assert STANDARD["tax_per_mu"].milestone is Milestone.PRODUCTION  # 达产复核
    assert set(REQUIRED_KEYS) == {"investment_intensity", "plot_ratio", "tax_per_mu"}
    assert len({d.short for d in STANDARD.values()}) == len(STANDARD)


def test_units_and_their_aliases():
    assert normalize_unit("万元/亩/年") == "万元/亩·年"
    assert normalize_unit(" ％ ") == "%"
    assert normalize_unit("米") == "m"
    assert normalize_unit(None) == ""
    with pytest.raises(IndicatorError, match="furlongs"):
        normalize_unit("furlongs")


def test_bounds_are_checked():
    d = STANDARD["plot_ratio"]
    assert make_indicator(d, 1.2, 2.5).upper == 2.5
    with pytest.raises(IndicatorError, match="exceeds"):
        make_indicator(d, 3, 2)
    with pytest.raises(IndicatorError, match="missing value"):
        make_indicator(d, None, None)
    with pytest.raises(IndicatorError, match="negative"):
        make_indicator(d, -1, 2)
    with pytest.raises(IndicatorError, match="lower bound"):
        make_indicator(STANDARD["tax_per_mu"], None, 30)
    with pytest.raises(IndicatorError, match="unknown unit 'bogus'"):
        make_indicator(STANDARD["tax_per_mu"], 30, None, "bogus")
    with pytest.raises(IndicatorError, match="not the indicator's unit"):
        make_indicator(STANDARD["tax_per_mu"], 30, None, "万元/亩")
    assert make_indicator(STANDARD["tax_per_mu"], "30", None, "万元/亩/年").lower == 30


def test_one_value_forms():
    tax = STANDARD["tax_per_mu"]
    assert indicator_from_value(tax, 30).lower == 30
    assert indicator_from_value(STANDARD["height"], 50).upper == 50
    far = STANDARD["plot_ratio"]
    assert (
        indicator_from_value(far, "1.2-2.5").lower,
        indicator_from_value(far, [1, 2]).upper,
    ) == (1.2, 2)
    assert indicator_from_value(far, {"min": 1.0, "max": 2.0}).upper == 2.0
    with pytest.raises(IndicatorError, match="ambiguous"):
        indicator_from_value(far, 1.5)
    ind = indicator_from_value(tax, {"lower": 25})
    assert ind.admits(26) and not ind.admits(24)
    assert ind.describe() == "亩均税收 ≥ 25 万元/亩·年"


def test_zone_definitions():
    d = parse_definition(
        {
            "key": "labor_productivity",
            "name": "全员劳动生产率",
            "unit": "万元/人",
            "short": "labor",
        },
        "Z",
        "zone Z",
    )
    assert (d.zone, d.unit, d.direction, d.milestone) == (
        "Z",
        "万元/人",
        "min",
        Milestone.ACCEPTANCE,
    )
    with pytest.raises(IndicatorError, match="standard indicator"):
        parse_definition({"key": "tax_per_mu"}, "Z", "zone Z")
    with pytest.raises(IndicatorError, match="unknown unit"):
        parse_definition({"key": "x", "unit": "parsecs"}, "Z", "zone Z")
    with pytest.raises(IndicatorError, match="Shapefile"):
        parse_definition({"key": "very_long_key"}, "Z", "zone Z")
