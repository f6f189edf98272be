// The dashboard's address: ?site=&node= pick what is shown, ch=&range= (and from=&to= when zoomed) the history
// view, so a link in a message or a bookmark opens the same place. Pure, for tests in Node.

export interface LinkView {
  site: string;
  node: string;
  /** the history channel, key:agg (pv_W:mean) */
  ch: string;
  range_ms: number;
  zoom: { from: number; to: number } | null;
}

/** The history ranges the page offers, by their name in a link. */
export const ranges: { [name: string]: number } = { "6h": 21_600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000 };

export interface AskedView {
  site?: string;
  node?: string;
  ch?: string;
  range_ms?: number;
  zoom?: { from: number; to: number };
  /** sentences about parts of the link the page cannot use */
  unknown: string[];
}

/** What a link asks for; a range or zoom the page cannot show is named in `unknown`, never guessed. */
export function parseLink(search: string): AskedView {
  const q = new URLSearchParams(search);
  const out: AskedView = { unknown: [] };
  const s = q.get("site");
  if (s) out.site = s;
  const n = q.get("node");
  if (n) out.node = n;
  const ch = q.get("ch");
  if (ch) out.ch = ch;
  const r = q.get("range");
  if (r !== null) {
    if (ranges[r] !== undefined) out.range_ms = ranges[r];
    else out.unknown.push(`The link's history range "${r}" is not one of ${Object.keys(ranges).join(", ")}; showing 24h.`);
  }
  const from = q.get("from");
  const to = q.get("to");
  if (from !== null || to !== null) {
    const a = Number(from);
    const b = Number(to);
    if (/^\d+$/.test(from ?? "") && /^\d+$/.test(to ?? "") && a < b) out.zoom = { from: a, to: b };
    else out.unknown.push("The link's zoom (from, to: Unix ms, from before to) is not usable; showing the whole range.");
  }
  return out;
}

/** The query string for what is shown ("" for nothing); the default 24 h range is left out. */
export function linkQuery(v: LinkView): string {
  const q = new URLSearchParams();
  if (v.site) q.set("site", v.site);
  if (v.node) q.set("node", v.node);
  if (v.ch) q.set("ch", v.ch);
  const name = Object.keys(ranges).find((k) => ranges[k] === v.range_ms);
  if (name && name !== "24h") q.set("range", name);
  if (v.zoom) {
    q.set("from", String(v.zoom.from));
    q.set("to", String(v.zoom.to));
  }
  const s = q.toString().replace(/%3A/g, ":");
  return s ? "?" + s : "";
}
