"""Regenerate the demo's sample registry (deterministic): ``python -m landplots.data.generate``.

A fictional development zone east of Hangzhou (杭州城东智造园, around 120.30°E 30.31°N) with three
zones (片区), their regional assessments (区域评价) and 20 standard plots (标准地) with realistic
indicators.  Plots are laid out in the Gauss–Krüger 3° zone CM 120°E (EPSG:4549) in metres and
stored in CGCS2000 (EPSG:4490).  Writes ``zones.geojson`` and ``plots.geojson`` beside this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

HERE = Path(__file__).parent
TO_LONLAT = Transformer.from_crs(4549, 4490, always_xy=True)
FROM_LONLAT = Transformer.from_crs(4490, 4549, always_xy=True)
ORIGIN = FROM_LONLAT.transform(120.285, 30.295)  # south-west corner of the park


def lonlat(geom):
    return shapely.transform(
        geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1]))
    )


def rect(x, y, w, h):
    x0, y0 = ORIGIN
    return shapely.box(x0 + x, y0 + y, x0 + x + w, y0 + y + h)


ZONES = [
    {
        "code": "CD-A",
        "name": "城东智造园智能装备片区",
        "box": (0, 0, 1400, 1000),
        "assessments": [
            (
                "energy",
                "城东智造园智能装备片区区域节能评价",
                "杭发改能评〔2024〕3号",
                "2024-03-01",
                "2029-02-28",
                "片区能源消费总量和强度符合“双控”要求；入驻项目年综合能耗5000吨标煤以下的实行承诺备案。",
                "单位工业增加值能耗不高于0.35吨标煤/万元。",
            ),
            (
                "environment",
                "城东智造园区域规划环境影响评价",
                "杭环函〔2023〕118号",
                "2023-09-01",
                "2028-08-31",
                "规划布局与生态保护红线不冲突；环境影响评价文件类型可降级为登记表或报告表（简化）。",
                "禁止引入电镀、印染等重污染项目；VOCs排放实行总量替代。",
            ),
            (
                "flood",
                "城东智造园防洪影响区域评价",
                "杭林水〔2024〕21号",
                "2024-01-15",
                "2029-01-14",
                "片区竖向设计满足50年一遇防洪标准。",
                "场地标高不低于黄海高程6.2米。",
            ),
            (
                "soil_water",
                "城东智造园水土保持区域评估",
                "杭林水保〔2024〕9号",
                "2024-02-01",
                "2029-01-31",
                "片区水土流失防治措施总体可行，项目实行承诺制。",
                "施工期临时堆土须苫盖。",
            ),
            (
                "water_resources",
                "城东智造园水资源论证区域评估",
                "杭林水资〔2024〕5号",
                "2024-02-01",
                "2029-01-31",
                "区域用水总量在控制指标内。",
                "新建项目取水须采用市政供水。",
            ),
            (
                "mineral",
                "城东智造园压覆重要矿产资源区域评估",
                "浙自然资矿〔2023〕77号",
                "2023-06-01",
                None,
                "片区范围内未压覆已查明重要矿产资源。",
                "",
            ),
            (
                "geohazard",
                "城东智造园地质灾害危险性区域评估",
                "杭规划资源〔2023〕140号",
                "2023-07-01",
                "2028-06-30",
                "片区地质灾害危险性小，适宜建设。",
                "软土地基须进行专项处理。",
            ),
        ],
        "defs": [],
    },
    {
        "code": "CD-B",
        "name": "城东智造园生物医药片区",
        "box": (1500, 0, 1100, 900),
        "assessments": [
            (
                "energy",
                "城东智造园生物医药片区区域节能评价",
                "杭发改能评〔2024〕4号",
                "2024-03-01",
                "2029-02-28",
                "片区能耗指标满足要求。",
                "单位工业增加值能耗不高于0.30吨标煤/万元。",
            ),
            (
                "environment",
                "城东智造园区域规划环境影响评价",
                "杭环函〔2023〕118号",
                "2023-09-01",
                "2026-06-30",
                "生物医药片区纳入园区规划环评。",
                "生物安全三级及以上实验室须单独环评。",
            ),
            (
                "flood",
                "城东智造园防洪影响区域评价",
                "杭林水〔2024〕21号",
                "2024-01-15",
                "2029-01-14",
                "满足50年一遇防洪标准。",
                "",
            ),
            (
                "soil_water",
                "城东智造园水土保持区域评估",
                "杭林水保〔2024〕9号",
                "2024-02-01",
                "2029-01-31",
                "措施可行。",
                "",
            ),
            (
                "water_resources",
                "城东智造园水资源论证区域评估",
                "杭林水资〔2024〕5号",
                "2024-02-01",
                "2029-01-31",
                "区域用水总量在控制指标内。",
                "",
            ),
        ],
        "defs": [],
    },
    {
        "code": "CD-C",
        "name": "城东智造园新材料片区",
        "box": (0, 1100, 1400, 800),
        "assessments": [
            (
                "energy",
                "城东智造园新材料片区区域节能评价（2020版）",
                "杭发改能评〔2020〕15号",
                "2020-07-01",
                "2025-06-30",
                "已到期，待重新评价。",
                "",
            ),
            (
                "environment",
                "城东智造园区域规划环境影响评价",
                "杭环函〔2023〕118号",
                "2023-09-01",
                "2028-08-31",
                "新材料片区纳入园区规划环评。",
                "禁止新增化工合成工序。",
            ),
            (
                "mineral",
                "城东智造园压覆重要矿产资源区域评估",
                "浙自然资矿〔2023〕77号",
                "2023-06-01",
                None,
                "未压覆已查明重要矿产资源。",
                "",
            ),
            (
                "geohazard",
                "城东智造园地质灾害危险性区域评估",
                "杭规划资源〔2023〕140号",
                "2023-07-01",
                "2028-06-30",
                "地质灾害危险性小。",
                "",
            ),
        ],
        "defs": [
            {
                "key": "labor_productivity",
                "name": "全员劳动生产率",
                "name_en": "labour productivity",
                "unit": "万元/人",
                "direction": "min",
                "milestone": "production",
                "short": "labor",
            },
        ],
    },
]

# zone, code, name, x, y, w, h (m, from the zone's corner), status, land use, indicators
STD = {
    "CD-A": {
        "investment_intensity": {"lower": 350},
        "plot_ratio": {"lower": 1.5, "upper": 3.0},
        "tax_per_mu": {"lower": 35},
        "energy_value_added": {"lower": 2.5},
        "emission_value_added": {"lower": 300},
        "rd_ratio": {"lower": 3},
        "building_density": {"lower": 40, "upper": 65},
        "green_ratio": {"upper": 15},
        "height": {"upper": 50},
    },
    "CD-B": {
        "investment_intensity": {"lower": 400},
        "plot_ratio": {"lower": 1.2, "upper": 2.5},
        "tax_per_mu": {"lower": 40},
        "energy_value_added": {"lower": 3.0},
        "emission_value_added": {"lower": 350},
        "rd_ratio": {"lower": 5},
        "building_density": {"lower": 35, "upper": 60},
        "green_ratio": {"lower": 10, "upper": 20},
        "height": {"upper": 60},
    },
    "CD-C": {
        "investment_intensity": {"lower": 300},
        "plot_ratio": {"lower": 1.0, "upper": 2.0},
        "tax_per_mu": {"lower": 30},
        "energy_value_added": {"lower": 1.8},
        "emission_value_added": {"lower": 250},
        "rd_ratio": {"lower": 2.5},
        "building_density": {"lower": 40},
        "green_ratio": {"upper": 15},
        "height": {"upper": 40},
        "labor_productivity": {"lower": 80},
    },
}
PLOTS = [
    # 智能装备片区: 8 plots in two rows (roads 30 m)
    ("CD-A", "CD-A01", 20, 20, 300, 220, "已达产", "工业用地（M1）", {}),
    (
        "CD-A",
        "CD-A02",
        350,
        20,
        250,
        220,
        "已竣工",
        "工业用地（M1）",
        {"tax_per_mu": {"lower": 38}},
    ),
    ("CD-A", "CD-A03", 630, 20, 240, 222.3, "已出让", "工业用地（M1）", {}),
    (
        "CD-A",
        "CD-A04",
        900,
        20,
        470,
        220,
        "挂牌",
        "工业用地（M1）",
        {"investment_intensity": {"lower": 400}},
    ),
    ("CD-A", "CD-A05", 20, 280, 420, 300, "挂牌", "工业用地（M1）", {}),
    (
        "CD-A",
        "CD-A06",
        470,
        280,
        400,
        300,
        "储备",
        "工业用地（M1）",
        {"plot_ratio": {"lower": 2.0, "upper": 3.5}},
    ),
    ("CD-A", "CD-A07", 900, 280, 470, 300, "已开工", "工业用地（M1）", {}),
    ("CD-A", "CD-A08", 20, 620, 700, 350, "储备", "工业用地（M1）", {"height": {"upper": 80}}),
    # 生物医药片区
    ("CD-B", "CD-B01", 20, 20, 330, 260, "已达产", "工业用地（M1）", {}),
    (
        "CD-B",
        "CD-B02",
        380,
        20,
        330,
        260,
        "已竣工",
        "工业用地（M1）",
        {"tax_per_mu": {"lower": 50}},
    ),
    ("CD-B", "CD-B03", 740, 20, 340, 260, "挂牌", "工业用地（M1）", {}),
    (
        "CD-B",
        "CD-B04",
        20,
        320,
        520,
        260,
        "挂牌",
        "研发用地（M0）",
        {"rd_ratio": {"lower": 8}, "plot_ratio": {"lower": 2.0, "upper": 4.0}},
    ),
    ("CD-B", "CD-B05", 570, 320, 510, 260, "储备", "工业用地（M1）", {}),
    ("CD-B", "CD-B06", 20, 620, 1060, 250, "储备", "工业用地（M1）", {}),
    # 新材料片区
    ("CD-C", "CD-C01", 20, 20, 320, 250, "已达产", "工业用地（M2）", {}),
    ("CD-C", "CD-C02", 370, 20, 320, 250, "已开工", "工业用地（M2）", {}),
    (
        "CD-C",
        "CD-C03",
        720,
        20,
        300,
        250,
        "挂牌",
        "工业用地（M2）",
        {"energy_value_added": {"lower": 2.2}},
    ),
    ("CD-C", "CD-C04", 1050, 20, 330, 250, "挂牌", "工业用地（M2）", {}),
    ("CD-C", "CD-C05", 20, 300, 640, 480, "储备", "工业用地（M2）", {}),
    (
        "CD-C",
        "CD-C06",
        690,
        300,
        690,
        480,
        "储备",
        "工业用地（M2）",
        {"investment_intensity": {"lower": 320}},
    ),
]
UNITS = {
    "investment_intensity": "万元/亩",
    "plot_ratio": "",
    "tax_per_mu": "万元/亩·年",
    "energy_value_added": "万元/吨标煤",
    "emission_value_added": "万元/吨",
    "rd_ratio": "%",
    "building_density": "%",
    "green_ratio": "%",
    "height": "m",
    "labor_productivity": "万元/人",
}
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}


def rounded(geom):
    return json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-8)))


def main() -> None:
    zone_features, plot_features = [], []
    corners = {}
    for z in ZONES:
        x, y, w, h = z["box"]
        corners[z["code"]] = (x, y)
        zone_features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": z["code"],
                    "name": z["name"],
                    "assessments": [
                        {
                            "type": t,
                            "name": n,
                            "reference": r,
                            "valid_from": f,
                            "valid_to": to,
                            "conclusions": c,
                            "constraints": k,
                        }
                        for t, n, r, f, to, c, k in z["assessments"]
                    ],
                    "indicator_definitions": z["defs"],
                },
                "geometry": rounded(lonlat(rect(x, y, w, h))),
            }
        )
    for zone, code, x, y, w, h, status, use, over in PLOTS:
        zx, zy = corners[zone]
        geom = lonlat(rect(zx + x, zy + y, w, h))
        indicators = {k: {**v, "unit": UNITS[k]} for k, v in {**STD[zone], **over}.items()}
        plot_features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": f"城东智造园{code[3:]}地块",
                    "status": status,
                    "land_use": use,
                    "zone": zone,
                    "indicators": indicators,
                },
                "geometry": rounded(geom),
            }
        )
    for name, feats in (("zones", zone_features), ("plots", plot_features)):
        doc = {"type": "FeatureCollection", "name": name, "crs": CRS, "features": feats}
        (HERE / f"{name}.geojson").write_text(
            json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8"
        )


if __name__ == "__main__":
    main()
