// onetrip map of standard plots and zones: drawn from the app's own OGC API GeoJSON into SVG,
// with pan (drag, arrow keys) and zoom (wheel, +/- keys and buttons); no tile server, no CDN.
(function () {
  "use strict";
  const host = document.getElementById("map");
  if (!host) return;
  const lang = host.dataset.lang || "zh";
  const T = (zh, en) => (lang === "en" ? en : zh);
  const STATUS_COLORS = {
    reserve: "#9e9e9e", listed: "#1565c0", sold: "#6a1b9a", started: "#ef6c00", completed: "#2e7d32", producing: "#00695c",
  };
  // as api/pages/plots.py's COMPLIANCE_COLORS (the legend): a breach (notMet) is red
  const COMPLIANCE_COLORS = { met: "#2e7d32", partiallyMet: "#ef6c00", notMet: "#c62828", overdue: "#6d1b1b", scheduled: "#1565c0", none: "#9e9e9e" };
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "map");
  svg.setAttribute("role", "application");
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("aria-label", T("标准地地图：方向键平移，加减号缩放，Tab 键逐个选择地块", "Map of standard plots: arrow keys pan, + and - zoom, Tab moves between plots"));
  host.appendChild(svg);
  const zonesG = document.createElementNS(svgNS, "g");
  const plotsG = document.createElementNS(svgNS, "g");
  const labelsG = document.createElementNS(svgNS, "g");
  svg.append(zonesG, plotsG, labelsG);
  const detail = document.getElementById("map-detail");
  const modeSelect = document.getElementById("map-mode");
  let view = null; // {x, y, w, h} in projected units
  let compliance = {};
  let project = null;

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } });
    if (!r.ok) throw new Error(url + " → " + r.status);
    return r.json();
  }

  function ringsOf(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  function pathOf(geometry) {
    return ringsOf(geometry)
      .map((poly) => poly.map((ring) => "M" + ring.map(([lon, lat]) => project(lon, lat).join(",")).join("L") + "Z").join(""))
      .join("");
  }

  function setView(v) {
    view = v;
    svg.setAttribute("viewBox", `${v.x} ${v.y} ${v.w} ${v.h}`);
  }

  function zoom(factor, cx, cy) {
    const v = view;
    const nx = cx - (cx - v.x) * factor, ny = cy - (cy - v.y) * factor;
    setView({ x: nx, y: ny, w: v.w * factor, h: v.h * factor });
  }

  function colorOf(props) {
    if (modeSelect && modeSelect.value === "compliance") {
      return COMPLIANCE_COLORS[(compliance[props.code] || {}).status || "none"];
    }
    return STATUS_COLORS[props.status] || "#9e9e9e";
  }

  // Plot properties come from imported files: escape everything put into markup.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, (ch) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
  }

  function describe(props) {
    const rows = Object.entries(props.indicators || {}).map(([key, ind]) => {
      const bounds = [ind.lower != null ? "≥ " + ind.lower : "", ind.upper != null ? "≤ " + ind.upper : ""].filter(Boolean).join(" ");
      return `<tr><th scope="row">${esc(ind.name)}</th><td>${esc(bounds)} ${esc(ind.unit)}</td><td>${esc(ind.milestone_name)}</td></tr>`;
    });
    const c = compliance[props.code];
    return `<h2>${esc(props.code)} ${esc(props.name)}</h2>
      <p>${T("状态", "Status")}：${esc(props.status_name || props.status)} · ${esc(props.land_use)} · ${T("片区", "Zone")} ${esc(props.zone)}
      · ${esc(props.area_mu)} ${T("亩", "mu")}</p>
      ${c ? `<p>${T("履约", "Compliance")}：${esc(c.label || c.status)}</p>` : ""}
      <table><caption>${T("控制指标", "Indicators")}</caption><tbody>${rows.join("")}</tbody></table>`;
  }

  function draw(zones, plots) {
    zonesG.replaceChildren();
    plotsG.replaceChildren();
    labelsG.replaceChildren();
    for (const f of zones.features) {
      const p = document.createElementNS(svgNS, "path");
      p.setAttribute("d", pathOf(f.geometry));
      p.setAttribute("class", "zone");
      p.setAttribute("fill", "#ffffff");
      p.setAttribute("fill-opacity", "0.55");
      p.setAttribute("stroke", "#37474f");
      p.setAttribute("stroke-dasharray", "6 4");
      p.setAttribute("vector-effect", "non-scaling-stroke");
      const title = document.createElementNS(svgNS, "title");
      title.textContent = `${f.properties.code} ${f.properties.name}`;
      p.appendChild(title);
      zonesG.appendChild(p);
    }
    for (const f of plots.features) {
      const p = document.createElementNS(svgNS, "path");
      p.setAttribute("d", pathOf(f.geometry));
      p.setAttribute("class", "plot");
      p.setAttribute("fill", colorOf(f.properties));
      p.setAttribute("stroke", "#1b1f23");
      p.setAttribute("vector-effect", "non-scaling-stroke");
      p.setAttribute("tabindex", "0");
      p.setAttribute("role", "button");
      p.setAttribute("aria-label", `${f.properties.code} ${f.properties.name}，${f.properties.status_name || f.properties.status}`);
      p.dataset.code = f.properties.code;
      const show = () => {
        detail.innerHTML = describe(f.properties);
        plotsG.querySelectorAll(".plot.selected").forEach((e) => e.classList.remove("selected"));
        p.classList.add("selected");
      };
      p.addEventListener("click", show);
      p.addEventListener("focus", show);
      p.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(); } });
      plotsG.appendChild(p);
    }
  }

  // the legend of the colouring in use
  function showLegend() {
    const mode = modeSelect ? modeSelect.value : "status";
    document.querySelectorAll(".legend[data-mode]").forEach((ul) => { ul.hidden = ul.dataset.mode !== mode; });
  }

  async function load() {
    const [zones, plots] = await Promise.all([
      getJSON("/ogc/collections/zones/items?limit=10000&f=json&lang=" + lang),
      getJSON("/ogc/collections/plots/items?limit=10000&f=json&lang=" + lang),
    ]);
    if (host.dataset.complianceUrl) {
      try { compliance = await getJSON(host.dataset.complianceUrl); } catch (e) { compliance = {}; }
    }
    let minX = 180, minY = 90, maxX = -180, maxY = -90;
    for (const f of [...zones.features, ...plots.features]) {
      for (const poly of ringsOf(f.geometry)) for (const ring of poly) for (const [x, y] of ring) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    if (minX > maxX) { detail.textContent = T("登记簿中还没有地块。", "The registry has no plots yet."); return; }
    const lat0 = (minY + maxY) / 2, k = 100000, c = Math.cos((lat0 * Math.PI) / 180);
    project = (lon, lat) => [((lon - minX) * c * k).toFixed(1), ((maxY - lat) * k).toFixed(1)];
    const w = (maxX - minX) * c * k, h = (maxY - minY) * k, pad = Math.max(w, h) * 0.05;
    setView({ x: -pad, y: -pad, w: w + 2 * pad, h: h + 2 * pad });
    draw(zones, plots);
    host.dataset.loaded = String(plots.features.length);
    if (modeSelect) modeSelect.addEventListener("change", () => { showLegend(); draw(zones, plots); });
  }

  // pan by dragging
  let drag = null;
  svg.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, v: { ...view } }; svg.setPointerCapture(e.pointerId); });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const scale = view.w / svg.clientWidth;
    setView({ ...drag.v, x: drag.v.x - (e.clientX - drag.x) * scale, y: drag.v.y - (e.clientY - drag.y) * scale });
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const cx = view.x + ((e.clientX - r.left) / r.width) * view.w, cy = view.y + ((e.clientY - r.top) / r.height) * view.h;
    zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, cx, cy);
  }, { passive: false });
  svg.addEventListener("keydown", (e) => {
    if (!view) return;
    const step = view.w * 0.1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key] && e.target === svg) { e.preventDefault(); setView({ ...view, x: view.x + moves[e.key][0], y: view.y + moves[e.key][1] }); }
    if (e.key === "+" || e.key === "=") zoom(1 / 1.25, view.x + view.w / 2, view.y + view.h / 2);
    if (e.key === "-") zoom(1.25, view.x + view.w / 2, view.y + view.h / 2);
  });
  document.getElementById("zoom-in")?.addEventListener("click", () => zoom(1 / 1.25, view.x + view.w / 2, view.y + view.h / 2));
  document.getElementById("zoom-out")?.addEventListener("click", () => zoom(1.25, view.x + view.w / 2, view.y + view.h / 2));
  load().catch((err) => { detail.textContent = T("地图加载失败：", "The map could not load: ") + err.message; });
})();
