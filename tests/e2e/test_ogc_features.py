"""OGC API – Features over real HTTP (uvicorn on a free port), read as a GIS client reads it:
OWSLib's ``Features``, then the paging, bbox and error details with httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import shapely
import uvicorn

from api.app import create_app
from api.settings import Settings
from landplots.services import importing
from migrations.runner import upgrade
from storage.engine import make_engine, make_session_factory

DATA = Path(__file__).parents[2] / "landplots" / "data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('ogc') / 'ogc.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        importing.import_zones_file(session, DATA / "zones.geojson")
        importing.import_file(session, DATA / "plots.geojson")
        session.commit()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=url), engine=engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_owslib_reads_it_as_a_gis_client(base_url: str):
    from owslib.ogcapi.features import Features

    w = Features(f"{base_url}/ogc/")
    assert {link["rel"] for link in w.links} >= {"self", "service-desc", "conformance", "data"}
    conformance = w.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    assert w.feature_collections() == ["plots", "zones"]
    plots = w.collection("plots")
    assert plots["itemType"] == "feature" and len(plots["extent"]["spatial"]["bbox"][0]) == 4
    items = w.collection_items("plots", bbox=[120.285, 30.295, 120.2975, 30.3], limit=3)
    assert items["numberReturned"] == 3 and items["numberMatched"] > 3
    a03 = w.collection_item("plots", "CD-A03")
    assert a03["properties"]["name"] == "城东智造园A03地块"
    assert a03["properties"]["indicators"]["tax_per_mu"]["lower"] == 35
    assert shapely.geometry.shape(a03["geometry"]).area > 0
    zones = w.collection_items("zones")
    assert zones["numberMatched"] == 3
    assert len(zones["features"][0]["properties"]["assessments"]) == 7
    api = w.api()  # service-desc → the OpenAPI document
    assert "/ogc/collections/{collection_id}/items" in api["paths"]


def test_paging_with_next_and_prev_links(base_url: str):
    seen: list[str] = []
    url: str | None = f"{base_url}/ogc/collections/plots/items?limit=7"
    pages = 0
    while url:
        r = httpx.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        doc = r.json()
        assert doc["numberMatched"] == 20 and doc["numberReturned"] == len(doc["features"])
        assert doc["timeStamp"].endswith("Z")
        rels = {link["rel"]: link["href"] for link in doc["links"]}
        assert "self" in rels and ("prev" in rels) == (pages > 0)
        seen += [f["id"] for f in doc["features"]]
        url = rels.get("next")
        pages += 1
    assert pages == 3 and seen == sorted(seen) and len(set(seen)) == 20
    last = httpx.get(f"{base_url}/ogc/collections/plots/items?limit=7&offset=14").json()
    prev = next(link["href"] for link in last["links"] if link["rel"] == "prev")
    assert parse_qs(urlparse(prev).query)["offset"] == ["7"]


def test_bbox_filters_and_limits(base_url: str):
    items = f"{base_url}/ogc/collections/plots/items"
    doc = httpx.get(items, params={"bbox": "120.285,30.295,120.2975,30.3", "limit": 100}).json()
    box = shapely.box(120.285, 30.295, 120.2975, 30.3)
    assert doc["numberMatched"] == doc["numberReturned"] > 0
    assert all(shapely.geometry.shape(f["geometry"]).intersects(box) for f in doc["features"])
    six = httpx.get(
        items, params={"bbox": "120.285,30.295,0,120.2975,30.3,100", "limit": 100}
    ).json()
    assert [f["id"] for f in six["features"]] == [f["id"] for f in doc["features"]]
    crs84 = httpx.get(
        items,
        params={
            "bbox": "120.285,30.295,120.2975,30.3",
            "bbox-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
    )
    assert crs84.status_code == 200
    assert httpx.get(items).json()["numberReturned"] == 10  # the default limit
    assert (
        httpx.get(items, params={"limit": 50000}).json()["numberReturned"] == 20
    )  # served as 10,000
    listed = httpx.get(items, params={"status": "挂牌", "indicator": "tax_per_mu.lower>=40"}).json()
    assert sorted(f["id"] for f in listed["features"]) == ["CD-B03", "CD-B04"]
    zoned = httpx.get(items, params={"zone": "CD-C", "limit": 100}).json()
    assert zoned["numberMatched"] == 6


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=120,31,121,30", "bbox"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("bbox=120,30,121,31&bbox-crs=EPSG:4490", "bbox-crs"),
        ("colour=red", "colour"),
        ("indicator=tax_per_mu~3", "tax_per_mu~3"),
        ("status=卖了", "卖了"),
        ("datetime=yesterday", "datetime"),
        ("f=html", "f=html"),
    ],
)
def test_bad_parameters_answer_400_naming_them(base_url: str, query: str, needle: str):
    r = httpx.get(f"{base_url}/ogc/collections/plots/items?{query}")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert needle in r.text


def test_unknown_things_answer_404(base_url: str):
    assert httpx.get(f"{base_url}/ogc/collections/roads").status_code == 404
    r = httpx.get(f"{base_url}/ogc/collections/plots/items/NOPE", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    assert httpx.get(f"{base_url}/ogc/collections/zones/items/CD-A").status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"zone": "CD-C' OR '1'='1"},
        {"zone": 'CD-C"; DROP TABLE plots; --'},
        {"indicator": "tax_per_mu.lower>=1; DROP TABLE plots"},
        {"indicator": "tax_per_mu.lower>=1 OR 1=1"},
        {"indicator": "x') OR ('1'='1.lower>=0"},
        {"status": "挂牌' OR 'a'='a"},
    ],
)
def test_filters_never_reach_sql_as_text(base_url: str, params: dict[str, str]):
    """Hostile filter values are refused (400) or matched literally (nothing found); never run."""
    items = f"{base_url}/ogc/collections/plots/items"
    r = httpx.get(items, params=params)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["numberMatched"] == 0
    assert httpx.get(items, params={"limit": 100}).json()["numberMatched"] == 20  # all still there
