/// <reference lib="dom" />
// The fleet page: every site and node in one table, one GET /api/fleet; a status colour per node, its state of
// charge with its quality, PV and load energy today in its site's day, last seen in its site's zone, open alarms.
// Columns sort (buttons in the headers, aria-sort), a text box and a status list filter, and a row opens its site.
import type { FleetReply, FleetStatus } from "../../../contracts/gateway-api";
import { getJson } from "./api";
import { el, valueEl } from "./render";
import { ago, type LatestChannel } from "./view";
import { timeIn } from "../../time/zone";
import { filterRows, fleetRows, fleetSummary, kWh, sortRows, type FleetRow, type SortKey } from "./fleet-view";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const columns: { key: SortKey; label: string; cls?: string }[] = [
  { key: "site", label: "Site" },
  { key: "node", label: "Node", cls: "wide" },
  { key: "status", label: "Status" },
  { key: "soc", label: "State of charge" },
  { key: "pv", label: "PV today" },
  { key: "load", label: "Load today", cls: "wide" },
  { key: "last_seen", label: "Last seen", cls: "wide" },
  { key: "alarms", label: "Open alarms" },
];

const view = { rows: [] as FleetRow[], sort: "status" as SortKey, dir: "asc" as "asc" | "desc", now: 0 };

/** A link to a site's page. */
export function siteHref(site: string): string {
  return "?site=" + encodeURIComponent(site);
}

function energyCell(e: FleetRow["pv_today"], label: string, key: string): HTMLElement {
  if (!e.measured) return el("td", {}, el("span", { class: "muted", "data-key": key, "data-state": "not-measured" }, "not measured"));
  const text = kWh(e.Wh);
  const ch: LatestChannel = { id: 0, key, agg: "counter", unit: "kWh", value: e.Wh === null ? null : Number(text), quality: e.Wh === null ? null : "o", ts: null, stale: false };
  return el("td", {}, valueEl(ch, key, label));
}

function row(r: FleetRow): HTMLElement {
  const soc: LatestChannel | undefined = r.soc ? { id: 6, key: "battery_soc_pct", agg: "last", unit: "%", value: r.soc.value, quality: r.soc.quality, ts: r.soc.ts, stale: r.soc.stale } : undefined;
  const alarms = r.open_alarms === 0 ? "none" : [r.alarms.critical ? `${r.alarms.critical} critical` : "", r.alarms.warning ? `${r.alarms.warning} warning` : "", r.alarms.info ? `${r.alarms.info} info` : ""].filter(Boolean).join(", ");
  const tr = el(
    "tr",
    { class: "fleet-row status-" + r.status, "data-site": r.site, "data-node": r.node, "data-status": r.status },
    // on a phone the node column is hidden: the site's cell names the node
    el("th", { scope: "row" }, el("a", { href: siteHref(r.site), "aria-label": `Site ${r.site} (${r.status})` }, r.site), el("span", { class: "narrow" }, el("br"), r.node)),
    el("td", { class: "wide" }, r.node),
    el("td", {}, el("span", { class: "status " + r.status }, r.status)),
    el("td", {}, soc ? valueEl(soc, "battery_soc_pct", `${r.site} ${r.node} state of charge`) : el("span", { class: "muted", "data-key": "battery_soc_pct", "data-state": "not-measured" }, "not measured")),
    energyCell(r.pv_today, `${r.site} ${r.node} PV today`, "pv_Wh"),
    el("td", { class: "wide" }, energyCell(r.load_today, `${r.site} ${r.node} load today`, "load_Wh").firstChild as HTMLElement),
    el("td", { class: "wide", title: r.last_seen ? `${timeIn(r.last_seen, r.timezone)} (${r.timezone})` : "" }, r.last_seen ? `${timeIn(r.last_seen, r.timezone)}, ${ago(r.last_seen, view.now)}` : "never"),
    el("td", { class: r.alarms.critical ? "alarms-critical" : r.alarms.warning ? "alarms-warning" : "" }, alarms),
  );
  // the whole row opens its site (the site's link is the keyboard's way there)
  tr.addEventListener("click", (e) => {
    if ((e.target as HTMLElement).closest("a")) return;
    location.assign(siteHref(r.site));
  });
  return tr;
}

function render(): void {
  const text = $<HTMLInputElement>("fl-filter").value;
  const status = $<HTMLSelectElement>("fl-status").value as FleetStatus | "";
  const shown = sortRows(filterRows(view.rows, text, status), view.sort, view.dir);
  const body = $("fleet").querySelector("tbody")!;
  body.replaceChildren(...shown.map(row));
  if (shown.length === 0) body.append(el("tr", {}, el("td", { colspan: String(columns.length), class: "muted" }, view.rows.length ? "No node matches the filter." : "No node has reported to this gateway yet.")));
  for (const th of Array.from(document.querySelectorAll<HTMLElement>("#fleet thead th[data-sort]"))) {
    const on = th.dataset.sort === view.sort;
    if (on) th.setAttribute("aria-sort", view.dir === "asc" ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
  $("fl-summary").textContent = (text || status ? `Showing ${shown.length} of ${view.rows.length} nodes. ` : "") + fleetSummary(view.rows);
  syncFleetUrl(text, status);
}

/** The address keeps the fleet's sort and filter (?sort=&dir=&q=&status=), so a link opens the same view. */
function syncFleetUrl(text: string, status: string): void {
  const q = new URLSearchParams();
  if (view.sort !== "status" || view.dir !== "asc") {
    q.set("sort", view.sort);
    q.set("dir", view.dir);
  }
  if (text) q.set("q", text);
  if (status) q.set("status", status);
  const s = q.toString() ? "?" + q.toString() : "";
  if (s !== location.search) history.replaceState(null, "", location.pathname + s);
}

export async function loadFleet(): Promise<void> {
  const r = await getJson<FleetReply>("/api/fleet");
  view.rows = fleetRows(r);
  view.now = r.now;
  render();
}

/** Build the table's header and wire the controls; the address may ask for a sort and filter. */
export function setUpFleet(search: string): void {
  const q = new URLSearchParams(search);
  const sort = q.get("sort") as SortKey | null;
  if (sort && columns.some((c) => c.key === sort)) view.sort = sort;
  if (q.get("dir") === "desc") view.dir = "desc";
  $<HTMLInputElement>("fl-filter").value = q.get("q") ?? "";
  const st = q.get("status");
  if (st && ["critical", "offline", "warning", "ok"].indexOf(st) >= 0) $<HTMLSelectElement>("fl-status").value = st;
  const head = $("fleet").querySelector("thead tr")!;
  head.replaceChildren(
    ...columns.map((c) => {
      const b = el("button", { type: "button", class: "sort" }, c.label);
      b.addEventListener("click", () => {
        view.dir = view.sort === c.key && view.dir === "asc" ? "desc" : "asc";
        view.sort = c.key;
        render();
      });
      return el("th", { scope: "col", "data-sort": c.key, ...(c.cls ? { class: c.cls } : {}) }, b);
    }),
  );
  $("fl-filter").addEventListener("input", render);
  $("fl-status").addEventListener("change", render);
}
