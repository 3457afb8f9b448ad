"""Assignment by rule: zone and industry match, least loaded, capacity respected."""

from __future__ import annotations

from agent_service.assignment import choose_agent, covers
from agent_service.model import AgentProfile


def agent(uid, regions=("330110",), industries=("equipment",), capacity=5, load=0, active=True):
    return AgentProfile(uid, f"a{uid}", tuple(regions), tuple(industries), capacity, active, load)


def test_covers_regions_by_prefix_and_wildcards():
    assert covers(("3301",), "330110", prefix=True)
    assert not covers(("3302",), "330110", prefix=True)
    assert not covers(("330110",), "3301", prefix=True)  # a sub-zone does not cover its region
    assert covers(("*",), "anything") and covers((), None)
    assert not covers(("equipment",), "chemical") and covers(("equipment",), "equipment")


def test_zone_and_industry_match_beats_a_less_loaded_generalist():
    specialist = agent(1, industries=("equipment",), load=3)
    generalist = agent(2, industries=("food",), load=0)
    choice = choose_agent([specialist, generalist], "330110", "equipment")
    assert choice.agent.user_id == 1 and choice.tier == "zone+industry"
    assert not choice.over_capacity and "区域与行业均匹配" in choice.reason.zh


def test_least_loaded_by_utilisation_then_load_then_id():
    a = agent(1, capacity=10, load=4)  # 40 %
    b = agent(2, capacity=4, load=2)  # 50 %
    assert choose_agent([a, b], "330110", "equipment").agent.user_id == 1
    c = agent(3, capacity=10, load=4)
    assert choose_agent([c, a], "330110", "equipment").agent.user_id == 1  # tie → lower id


def test_full_specialists_fall_back_to_an_agent_of_the_zone_with_room():
    full = agent(1, capacity=2, load=2)
    other = agent(2, industries=("chemical",), capacity=5, load=4)
    choice = choose_agent([full, other], "330110", "equipment")
    assert choice.agent.user_id == 2 and choice.tier == "zone" and not choice.over_capacity


def test_everyone_full_takes_the_least_loaded_and_says_so():
    a = agent(1, capacity=2, load=3)
    b = agent(2, capacity=2, load=2)
    choice = choose_agent([a, b], "330110", "equipment")
    assert choice.agent.user_id == 2 and choice.over_capacity
    assert "满负荷" in choice.reason.zh and "capacity" in choice.reason.en


def test_no_agent_of_the_zone_leaves_the_project_to_an_administrator():
    other_region = agent(1, regions=("330200",))
    inactive = agent(2, active=False)
    on_leave = agent(3, capacity=0)
    choice = choose_agent([other_region, inactive, on_leave], "330110", "equipment")
    assert choice.agent is None and choice.tier == "none"
    assert "330110" in choice.reason.zh and "administrator" in choice.reason.en


def test_unknown_zone_or_industry_matches_on_the_other_criterion():
    a = agent(1, regions=("330200",), industries=("equipment",), load=2)
    b = agent(2, regions=("330110",), industries=("chemical",), load=0)
    assert choose_agent([a, b], None, "equipment").agent.user_id == 1
    assert choose_agent([a, b], "330110", None).agent.user_id == 2


def test_a_project_on_a_standard_plot_is_in_its_park_zone_and_its_division():
    park = agent(1, regions=("CD-A",), load=3)  # covers the 标准地's park zone only
    division = agent(2, regions=("330110",), load=1)  # covers the administrative division
    elsewhere = agent(3, regions=("330200", "CD-B"), load=0)
    choice = choose_agent([park, division, elsewhere], ("CD-A", "330110"), "equipment")
    assert choice.agent.user_id == 2 and "CD-A/330110" in choice.reason.zh
    assert choose_agent([park, elsewhere], ("CD-A", "330110"), "equipment").agent.user_id == 1
    assert choose_agent([elsewhere], ("CD-A", "330110"), "equipment").agent is None
