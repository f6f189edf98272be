/// <reference lib="dom" />
// DOM pieces of the dashboard: values with their quality badge, the overview cards, and the tables.
import type { AlarmRow, NodeStatus } from "../../../contracts/gateway-api";
import { ago, counterDelta, feedersOf, findChannel, HistoryPoint, LatestChannel, showTime, showValue } from "./view";

/** An element with attributes and children. */
export function el(tag: string, attrs: { [a: string]: string } = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const a in attrs) e.setAttribute(a, attrs[a]);
  for (const c of children) e.append(c);
  return e;
}

/** A value with its unit and badge; data-key/data-state let the tests (and stylesheet) see what is shown. */
export function valueEl(ch: LatestChannel | undefined, key: string, label: string): HTMLElement {
  const v = showValue(ch);
  const spoken = v.state === "ok" ? `${label}: ${v.text} ${v.unit}` : `${label}: ${v.text === "—" ? "no value" : v.text + " " + v.unit}, ${v.badge}`;
  const p = el("p", { class: "value", "data-key": key, "data-state": v.state, "aria-label": spoken }, el("span", { class: "num" }, v.text), el("span", { class: "unit" }, v.unit), el("span", { class: "badge" }, v.badge));
  if (ch && ch.ts !== null) p.title = "reading of " + showTime(ch.ts);
  return p;
}

/** A value of energy today (from a counter's history since midnight), shown like a latest value of the counter. */
function energyChannel(counter: LatestChannel | undefined, today: HistoryPoint[] | undefined): LatestChannel | undefined {
  if (!counter) return undefined;
  const d = today ? counterDelta(today) : null;
  return { ...counter, value: d, quality: d === null ? "f" : counter.quality === "f" ? "o" : counter.quality };
}

interface CardDef {
  label: string;
  key: string;
  agg?: string;
  energy?: boolean;
  /** a code channel shown under the value (fault codes) */
  fault?: string;
}

export const overviewCards: CardDef[] = [
  { label: "PV power", key: "pv_W", agg: "mean" },
  { label: "Battery charge", key: "battery_soc_pct" },
  { label: "Battery voltage", key: "battery_V", agg: "mean" },
  { label: "Battery current", key: "battery_A", agg: "mean" },
  { label: "DC load", key: "load_W", agg: "mean" },
  { label: "Inverter output", key: "ac_out_W", agg: "mean" },
  { label: "Charger state", key: "charge_state", fault: "charger_fault" },
  { label: "Inverter state", key: "inverter_state", fault: "inverter_fault" },
  { label: "Energy in today (PV)", key: "pv_Wh", energy: true },
  { label: "Energy out today (load)", key: "load_Wh", energy: true },
  { label: "Battery charged today", key: "battery_charge_Wh", energy: true },
  { label: "Battery discharged today", key: "battery_discharge_Wh", energy: true },
];

/** Keys whose energy today the page fetches (counters in the overview and the feeders'). */
export function counterKeys(chs: LatestChannel[]): string[] {
  return chs.filter((c) => c.agg === "counter").map((c) => c.key);
}

export function renderOverview(host: HTMLElement, chs: LatestChannel[], today: { [key: string]: HistoryPoint[] }): void {
  const cards: HTMLElement[] = [];
  for (const d of overviewCards) {
    const ch = findChannel(chs, d.key, d.agg);
    if (!ch) continue; // the node does not measure it
    const shown = d.energy ? energyChannel(ch, today[d.key]) : ch;
    const id = "card-" + d.key;
    const card = el("div", { class: "card", role: "listitem", "aria-labelledby": id }, el("h3", { id }, d.label), valueEl(shown, d.key, d.label));
    if (d.fault) {
      const f = findChannel(chs, d.fault);
      if (f) {
        const code = f.value;
        const text = f.quality === "f" || code === null ? "fault code unknown" : code === 0 ? "no fault" : `fault code ${code}`;
        card.append(el("p", { class: "sub", "data-key": d.fault }, el("span", { class: "badge " + (code === 0 ? "ok" : "bad") }, text)));
      }
    }
    cards.push(card);
  }
  host.replaceChildren(...cards);
  if (cards.length === 0) host.append(el("p", { class: "muted" }, "This node has reported no values yet."));
}

export function renderFeeders(body: HTMLElement, chs: LatestChannel[], today: { [key: string]: HistoryPoint[] }): void {
  const rows = feedersOf(chs).map(({ kind, n }) => {
    const p = kind + n + "_";
    const name = kind === "feeder" ? `Feeder ${n}` : `Mains feeder ${n} (CT)`;
    const cell = (key: string, what: string, agg?: string) => el("td", {}, valueEl(findChannel(chs, key, agg), key, `${name} ${what}`));
    const energy = findChannel(chs, p + "Wh");
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, name),
      cell(p + "W", "power", "mean"),
      cell(p + "A", "current", "mean"),
      cell(p + "V", "voltage", "mean"),
      el("td", {}, valueEl(energyChannel(energy, today[p + "Wh"]), p + "Wh", `${name} energy today`)),
    );
  });
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "No feeders measured on this node.")));
  body.replaceChildren(...rows);
}

export type NodeRow = NodeStatus;

export function renderNodes(body: HTMLElement, nodes: NodeRow[], now: number): void {
  body.replaceChildren(
    ...nodes.map((n) =>
      el(
        "tr",
        { "data-node": n.node },
        el("th", { scope: "row" }, n.node),
        el("td", {}, el("span", { class: "badge " + (n.online ? "ok" : "bad") }, n.online ? "online" : "offline")),
        el("td", { title: n.last_seen ? showTime(n.last_seen) : "" }, ago(n.last_seen, now)),
        el("td", { class: "wide" }, `${n.fw ?? "?"}${n.board ? " (" + n.board + ")" : ""}`),
        el("td", { class: "wide" }, n.backlog === null ? "—" : String(n.backlog) + (n.backlog === 1 ? " batch" : " batches")),
        el("td", {}, linkText(n)),
        el("td", {}, n.clock_synced ? "synced" : el("span", { class: "badge stale" }, "not synced")),
      ),
    ),
  );
}

export type { AlarmRow };

export function renderAlarms(body: HTMLElement, alarms: AlarmRow[], onAck: (a: AlarmRow) => void): void {
  const rows = alarms.map((a) => {
    const state = a.cleared_at !== null ? "cleared " + showTime(a.cleared_at) : "active";
    const acked = a.acked_at !== null ? `acknowledged by ${a.acked_by ?? "?"}` : "";
    const action = a.acked_at === null ? el("button", { type: "button", "aria-label": `Acknowledge alarm ${a.rule} on ${a.node}` }, "Acknowledge") : el("span", {}, "—");
    if (a.acked_at === null) action.addEventListener("click", () => onAck(a));
    return el(
      "tr",
      { class: a.severity + (a.cleared_at !== null ? " cleared" : ""), "data-alarm": String(a.id), "data-rule": a.rule },
      el("td", {}, showTime(a.raised_at)),
      el("td", { class: "wide" }, a.node),
      // on a phone the node, severity, value and state columns are hidden: the alarm's cell says them
      el("td", { class: "alarm-what" }, el("strong", {}, a.rule), el("br"), a.message, el("span", { class: "narrow" }, el("br"), `${a.node}, ${a.severity}${a.value === null ? "" : ", value " + a.value}; ${state}${acked ? ", " + acked : ""}`)),
      el("td", { class: "wide" }, a.severity),
      el("td", { class: "wide" }, a.value === null ? "—" : String(a.value)),
      el("td", { class: "alarm-state wide" }, state, acked ? el("br") : "", acked),
      el("td", {}, action),
    );
  });
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "7", class: "muted" }, "No alarms.")));
  body.replaceChildren(...rows);
}

/** Signal strength where the node reports it, else the share of the last day's reports that came in live. */
export function linkText(n: Pick<NodeRow, "link_rssi" | "link_quality" | "live_share_24h">): string {
  if (n.link_rssi !== null) return `${n.link_quality} (${n.link_rssi} dBm)`;
  if (n.live_share_24h === null || n.live_share_24h === undefined) return "unknown";
  return `${n.link_quality} (${Math.floor(n.live_share_24h * 100)}% of reports live)`;
}
