/// <reference lib="dom" />
// The site page: the energy flow now (every node's newest values), energy per site day over 30 days with today
// and yesterday, PV, load and state of charge on one chart, the battery's power, and the load per feeder with the
// unmetered rest. Its calls: .../nodes and .../daily?days=30, then each node's .../latest, then .../series up to the
// newest reading.
import type { DailyEnergyReply, LatestReply, NodeStatus, SiteSeries, SiteSeriesReply } from "../../../contracts/gateway-api";
import { enc, getJson } from "./api";
import { barsSvg, dailySeries } from "./bars";
import { flowDescription, flowModel, flowSvg } from "./energy-flow";
import { chartDescription, multiChart, type LineSeries } from "./multi-chart";
import { el } from "./render";
import { ago, showTime } from "./view";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const charts = { power: undefined as ReturnType<typeof multiChart> | undefined, battery: undefined as ReturnType<typeof multiChart> | undefined, feeders: undefined as ReturnType<typeof multiChart> | undefined };
const palette = ["#1f5fbf", "#d99a00", "#1d7a3a", "#8e44ad", "#b3261e", "#00838f", "#6d4c41", "#c2185b", "#455a64", "#7cb342", "#f4511e", "#3949ab"];

/** A link to a node's page. */
export function nodeHref(site: string, node: string): string {
  return `?site=${encodeURIComponent(site)}&node=${encodeURIComponent(node)}`;
}

function renderNodesList(site: string, nodes: NodeStatus[], now: number): void {
  $("site-nodes").querySelector("tbody")!.replaceChildren(
    ...nodes.map((n) =>
      el("tr", { "data-node": n.node },
        el("th", { scope: "row" }, el("a", { href: nodeHref(site, n.node), "aria-label": `Node ${n.node}: health, configuration, commands and history` }, n.node)),
        el("td", {}, el("span", { class: "badge " + (n.online ? "ok" : "bad") }, n.online ? "online" : "offline")),
        el("td", { title: n.last_seen ? showTime(n.last_seen) : "" }, n.last_seen ? `${showTime(n.last_seen)}, ${ago(n.last_seen, now)}` : "never"),
      )),
  );
}

function renderDaily(r: DailyEnergyReply): void {
  $("daily").replaceChildren(barsSvg(r.days, r.measured, r.timezone, $("daily").clientWidth || 720));
  const legend = dailySeries.filter((s) => r.measured.indexOf(s.key) >= 0).map((s) => el("li", {}, el("span", { class: "swatch", style: `background:${s.colour}` }), s.label));
  $("daily-legend").replaceChildren(...legend);
  const today = r.days[r.days.length - 1];
  const yesterday = r.days[r.days.length - 2];
  const cell = (d: typeof today | undefined, key: string) => {
    const wh = d ? d.Wh[key] : undefined;
    return el("td", { "data-key": key, "data-state": wh === null || wh === undefined ? "none" : "ok" }, wh === null || wh === undefined ? "— (no reading)" : `${(wh / 1000).toFixed(2)} kWh`);
  };
  $("daily-table").querySelector("tbody")!.replaceChildren(
    ...dailySeries.map((s) =>
      r.measured.indexOf(s.key) >= 0
        ? el("tr", { "data-row": s.key }, el("th", { scope: "row" }, s.label), cell(today, s.key), cell(yesterday, s.key))
        : el("tr", { "data-row": s.key }, el("th", { scope: "row" }, s.label), el("td", { colspan: "2", class: "muted" }, "not measured")),
    ),
  );
  const head = $("daily-table").querySelectorAll("thead th");
  if (today) head[1].textContent = `Today (${today.day})`;
  if (yesterday) head[2].textContent = `Yesterday (${yesterday.day})`;
}

function line(s: SiteSeries, colour: string, dash = false): LineSeries {
  return { label: s.label + (s.note ? ` (${s.note})` : ""), unit: s.unit, colour, values: s.mean, dash };
}

function renderSeries(r: SiteSeriesReply): void {
  const by = (id: string) => r.series.find((s) => s.id === id);
  const power: LineSeries[] = [];
  const colours: { [id: string]: string } = { pv_W: "#d99a00", load_W: "#1f5fbf", ac_out_W: "#8e44ad", battery_soc_pct: "#1d7a3a" };
  for (const id of ["pv_W", "load_W", "ac_out_W", "battery_soc_pct"]) {
    const s = by(id);
    if (s) power.push(line(s, colours[id], id === "battery_soc_pct"));
  }
  charts.power ??= multiChart($("power-chart"));
  charts.power.show(r.t, power, r.from, r.to, chartDescription(power, r.from, r.to, r.t.length));
  const battery = by("battery_W");
  charts.battery ??= multiChart($("battery-chart"));
  const bl = battery ? [line(battery, "#1d7a3a")] : [];
  charts.battery.show(r.t, bl, r.from, r.to, battery ? chartDescription(bl, r.from, r.to, r.t.length) + "; above zero the battery charges, below it discharges" : "The site's nodes measure no battery power.");
  const feeders = r.series.filter((s) => s.id.startsWith("feeder:") || s.id === "unmetered_W");
  const fl = feeders.map((s, i) => line(s, s.id === "unmetered_W" ? "#5b6570" : palette[i % palette.length], s.id === "unmetered_W"));
  charts.feeders ??= multiChart($("feeder-chart"));
  charts.feeders.show(r.t, fl, r.from, r.to, fl.length ? chartDescription(fl, r.from, r.to, r.t.length) : "The site's nodes measure no feeders.");
  $("feeder-note").textContent = fl.length
    ? `Feeders by name (gateway setting sites.${r.site}.feeders); "Unmetered" is the DC load less the DC feeders, where all of them have a reading.`
    : "No feeders measured at this site.";
  $("site-range").textContent = `From ${showTime(r.from)} to ${showTime(r.to)}, buckets of ${Math.round(r.bucket_ms / 60_000)} min.`;
}

/** Load (or reload) everything the site page shows. Throws what getJson throws (a 404 for an unknown site). */
export async function loadSite(site: string): Promise<void> {
  const s = `/api/sites/${enc(site)}`;
  const width = $("power-chart").clientWidth || 800;
  const points = Math.max(60, Math.min(600, Math.round(width / 2)));
  const [nodes, daily] = await Promise.all([getJson<{ nodes: NodeStatus[] }>(s + "/nodes"), getJson<DailyEnergyReply>(s + "/daily?days=30")]);
  const latest = await Promise.all(nodes.nodes.map((n) => getJson<LatestReply>(`${s}/nodes/${enc(n.node)}/latest`)));
  // up to the newest reading, should a node's clock be a little ahead of this browser's
  const newest = Math.max(0, ...latest.flatMap((l) => l.channels.map((c) => c.ts ?? 0)));
  const to = Math.max(Date.now(), newest + 1);
  const series = await getJson<SiteSeriesReply>(`${s}/series?from=${to - 86_400_000}&to=${to}&points=${points}`);
  const m = flowModel(latest.map((l) => l.channels));
  $("flow").replaceChildren(flowSvg(m));
  $("flow-text").textContent = flowDescription(m) + ".";
  $("flow-time").textContent = newest ? `Newest reading ${showTime(newest)}` : "No readings yet.";
  renderNodesList(site, nodes.nodes, Date.now());
  renderDaily(daily);
  renderSeries(series);
}

export function resizeSiteCharts(): void {
  charts.power?.resize();
  charts.battery?.resize();
  charts.feeders?.resize();
}
