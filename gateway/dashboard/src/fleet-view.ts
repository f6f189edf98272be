// The fleet page's rows without the DOM (Node tests check them): one row per node with its site, sorted and
// filtered as the operator asks.
import type { FleetNode, FleetReply, FleetStatus } from "../../../contracts/gateway-api";

export interface FleetRow extends FleetNode {
  site: string;
  timezone: string;
  site_status: FleetStatus;
  /** Open alarms of the node, all severities. */
  open_alarms: number;
}

export const statusOrder: FleetStatus[] = ["critical", "offline", "warning", "ok"];

export type SortKey = "site" | "node" | "status" | "soc" | "pv" | "load" | "last_seen" | "alarms";

export function fleetRows(r: FleetReply): FleetRow[] {
  const out: FleetRow[] = [];
  for (const s of r.sites)
    for (const n of s.nodes) out.push({ ...n, site: s.site, timezone: s.timezone, site_status: s.status, open_alarms: n.alarms.critical + n.alarms.warning + n.alarms.info });
  return out;
}

/** The value a column sorts by; null (no value) sorts last in either direction. */
function sortValue(r: FleetRow, key: SortKey): string | number | null {
  switch (key) {
    case "site": return r.site;
    case "node": return r.node;
    case "status": return statusOrder.indexOf(r.status);
    case "soc": return r.soc && r.soc.value !== null && r.soc.quality !== "f" ? r.soc.value : null;
    case "pv": return r.pv_today.Wh;
    case "load": return r.load_today.Wh;
    case "last_seen": return r.last_seen;
    case "alarms": return r.open_alarms;
  }
}

/** Rows sorted by a column (ties by site, then node); rows without a value last. */
export function sortRows(rows: FleetRow[], key: SortKey, dir: "asc" | "desc"): FleetRow[] {
  const sign = dir === "asc" ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    }
    return a.site < b.site ? -1 : a.site > b.site ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
  });
}

/** Rows whose site or node holds `text` (case-insensitive), of `status` when given. */
export function filterRows(rows: FleetRow[], text: string, status: FleetStatus | ""): FleetRow[] {
  const t = text.trim().toLowerCase();
  return rows.filter((r) => (!status || r.status === status) && (!t || r.site.toLowerCase().indexOf(t) >= 0 || r.node.toLowerCase().indexOf(t) >= 0));
}

/** "3 sites, 4 nodes: 1 critical, 1 offline, 0 warning, 2 ok". */
export function fleetSummary(rows: FleetRow[]): string {
  const sites = new Set(rows.map((r) => r.site)).size;
  const counts = statusOrder.map((s) => `${rows.filter((r) => r.status === s).length} ${s}`);
  return `${sites} site${sites === 1 ? "" : "s"}, ${rows.length} node${rows.length === 1 ? "" : "s"}: ${counts.join(", ")}`;
}

/** Energy as the fleet page shows it: kWh with two decimals ("4.27"), or undefined when there is no value. */
export function kWh(wh: number | null): string | undefined {
  return wh === null ? undefined : (wh / 1000).toFixed(2);
}
