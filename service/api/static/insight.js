// The insight page: the live index (GET /catalog/meta, /health), the settings it was built
// with, and the A/B report (GET /ab/report) as an SVG chart with its table.
import { api, apiText, el, isNoIndex, rememberAdminKey, showError, showNoIndex } from "./api.js";
import { traffic } from "./metrics_text.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const int = (x) => (typeof x === "number" ? x.toLocaleString("en") : "—");

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function facts(meta, health) {
  const rows = [
    ["index version", meta.version, "version"],
    ["built at", `${new Date(meta.built_at * 1000).toLocaleString()} (${meta.built_at_iso})`],
    ["products", int(meta.products), "products"],
    ["products with a CF vector", int(meta.cf_items)],
    ["users", int(meta.users), "users"],
    ["interactions in the build", int(meta.events), "events"],
    ["feedback events recorded", int(meta.feedback_events), "feedback"],
    ["service health", health ? `${health.status} (Redis ${health.redis})` : "unknown"],
  ];
  $("facts").replaceChildren(
    ...rows.flatMap(([name, value, key]) => [
      el("dt", {}, name),
      el("dd", key ? { "data-fact": key } : {}, String(value)),
    ]),
  );
}

function settings(meta) {
  const flat = {
    embedder: meta.embedder,
    content_dims: meta.content_dims,
    cf_model: meta.cf_model,
    cf_dims: meta.cf_dims,
    half_life_days: meta.half_life_days,
    feedback_stream_id: meta.feedback_stream_id,
  };
  for (const [key, value] of Object.entries(meta.params || {})) {
    if (key !== "events") flat[key] = typeof value === "object" ? JSON.stringify(value) : value;
  }
  $("settings").tBodies[0].replaceChildren(
    ...Object.entries(flat).map(([key, value]) =>
      el("tr", {}, el("th", { scope: "row" }, el("code", {}, key)), el("td", {}, String(value))),
    ),
  );
}

// Horizontal bars: CTR per variant with the 95% interval as a whisker.
function chart(report) {
  const width = 640, left = 110, right = 20, bar = 26, gap = 22, top = 24;
  const variants = report.variants;
  const height = top + variants.length * (bar + gap) + 30;
  const hi = Math.max(0.05, ...variants.map((v) => v.ctr_ci95[1]));
  const max = Math.min(1, Math.ceil(hi * 10) / 10);
  const x = (value) => left + (value / max) * (width - left - right);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": variants.map((v) => `${v.variant}: CTR ${pct(v.ctr)}, 95% interval ${pct(v.ctr_ci95[0])} to ${pct(v.ctr_ci95[1])}`).join("; "),
  });
  const axisY = top + variants.length * (bar + gap);
  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    root.append(svg("line", { x1: x(value), x2: x(value), y1: top - 4, y2: axisY, stroke: "#d5dae0" }));
    root.append(svg("text", { x: x(value), y: axisY + 16, "text-anchor": "middle", "font-size": 12, fill: "#5b6570" }, pct(value)));
  }
  const colors = ["#0b5cad", "#1a7f37", "#9a6700", "#8250df"];
  variants.forEach((v, i) => {
    const y = top + i * (bar + gap);
    const mid = y + bar / 2;
    root.append(svg("text", { x: left - 8, y: mid + 4, "text-anchor": "end", "font-size": 13, fill: "#1d232a" }, v.variant));
    root.append(svg("rect", { x: left, y, width: Math.max(1, x(v.ctr) - left), height: bar, fill: colors[i % colors.length], opacity: 0.8, "data-variant": v.variant }));
    const [lo, up] = v.ctr_ci95;
    root.append(svg("line", { x1: x(lo), x2: x(up), y1: mid, y2: mid, stroke: "#1d232a", "stroke-width": 2 }));
    for (const end of [lo, up]) {
      root.append(svg("line", { x1: x(end), x2: x(end), y1: mid - 7, y2: mid + 7, stroke: "#1d232a", "stroke-width": 2 }));
    }
    root.append(svg("text", { x: Math.min(x(v.ctr) + 4, width - 110), y: y - 4, "font-size": 11, fill: "#5b6570" }, `${pct(v.ctr)} (n=${v.impressions})`));
  });
  $("chart").replaceChildren(root);
}

function abTable(report) {
  $("experiment").textContent = report.experiment;
  const p = report.p_value;
  $("ab-summary").textContent =
    p === null || p === undefined
      ? "p-value: not yet (both variants need impressions)."
      : `p-value ${p.toFixed(4)} (two-sided z-test of the CTRs): ${p < 0.05 ? "the difference is significant at 5%." : "no significant difference at 5% yet."}`;
  $("ab-table").tBodies[0].replaceChildren(
    ...report.variants.map((v) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, v.variant),
        ...[
          pct(report.split[v.variant] ?? 0), int(v.impressions), int(v.clicks), int(v.add_to_cart),
          int(v.purchases), int(v.dismissals), pct(v.ctr), `${pct(v.ctr_ci95[0])} – ${pct(v.ctr_ci95[1])}`,
        ].map((text) => el("td", { class: "num" }, text)),
      ),
    ),
  );
}

// A bucket bound as the page shows it: "≤ 4 ms", or "> 2.5 s" past the last bound.
const bound = (s) => (s === null ? "—" : s === Infinity ? "> 2.5 s" : `≤ ${+(s * 1000).toFixed(1)} ms`);

function trafficTable(text) {
  const rows = traffic(text);
  $("traffic").querySelector("tbody").replaceChildren(
    ...rows.map((r) =>
      el(
        "tr",
        { "data-endpoint": r.endpoint },
        el("th", { scope: "row" }, el("code", {}, r.endpoint)),
        ...[
          int(r.requests), int(r.errors), r.hitRatio === null ? "—" : pct(r.hitRatio),
          bound(r.p50), bound(r.p99),
        ].map((text) => el("td", { class: "num" }, text)),
      ),
    ),
  );
}

async function load() {
  $("notice").hidden = true;
  try {
    const health = await api("/health").catch(() => null);
    const [meta, report, metrics] = await Promise.all([
      api("/catalog/meta"),
      api("/ab/report"),
      apiText("/metrics"),
    ]);
    facts(meta, health);
    trafficTable(metrics);
    settings(meta);
    abTable(report);
    chart(report);
    if (meta.products === 0) showNoIndex($("notice"), `The live index (version ${meta.version}) has no products.`);
  } catch (err) {
    if (isNoIndex(err)) showNoIndex($("notice"), err.message);
    else if (err.status === 401 || err.status === 403) askForAdminKey(err.message);
    else showError($("notice"), `Something went wrong: ${err.message}`);
  }
  document.body.dataset.ready = "yes";
}

// With SHOPREC_ADMIN_KEY set, this page's data needs it: ask, keep it for the tab, reload.
function askForAdminKey(detail) {
  const input = el("input", { type: "password", id: "admin-key", autocomplete: "off" });
  const form = el(
    "form",
    { id: "admin-key-form" },
    el("label", { for: "admin-key" }, "Admin key (SHOPREC_ADMIN_KEY) "),
    input,
    " ",
    el("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    rememberAdminKey(input.value.trim());
    load();
  });
  $("notice").replaceChildren(el("p", {}, detail), form);
  $("notice").hidden = false;
}

$("refresh").addEventListener("click", load);
load();
