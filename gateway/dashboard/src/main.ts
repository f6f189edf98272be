/// <reference lib="dom" />
// The operator's dashboard: the fleet (no site in the address), a site (?site=), or a node of a site (?site=&node=);
// live through /api/events; every value with its quality.
import { enc, getJson, NeedToken, postJson, setToken, token, withToken } from "./api";
import { historyChart } from "./chart";
import { AlarmRow, counterKeys, NodeRow, renderAlarms, renderFeeders, renderNodes, renderOverview } from "./render";
import { HistoryPoint, LatestChannel, setShownZone, showTime } from "./view";
import type { ConfigStateReply, HistoryResult, LatestReply, SiteSummary } from "../../../contracts/gateway-api";
import { dayIn, dayStartIn, startOfDayIn } from "../../time/zone";
import { renderConfig } from "./config-panel";
import { mountUpdatePanel } from "./update-panel";
import { linkQuery, parseLink } from "./link";
import { loadFleet, setUpFleet } from "./fleet-page";
import { loadSite, nodeHref, resizeSiteCharts } from "./site-page";
import { loadCommands, setUpCommands, showCommandsOf } from "./commands-panel";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

type Latest = Pick<LatestReply, "now" | "interval_s" | "channels">;

const state = {
  site: "",
  node: "",
  /** each site's IANA time zone (GET /api/sites) */
  zones: {} as { [site: string]: string },
  latest: [] as LatestChannel[],
  range_ms: 86_400_000,
  zoom: null as { from: number; to: number } | null,
  events: null as EventSource | null,
};

/** What the opened URL asks for (?site=&node=&ch=&range=&from=&to=); each is used once, on the first load. */
const asked = parseLink(location.search);
const notices: string[] = [];

/** Which page the address asks for: a node's, a site's, or the fleet's. */
const page: "fleet" | "site" | "node" = asked.node !== undefined ? "node" : asked.site !== undefined ? "site" : "fleet";

const chart = historyChart($("chart"), (from, to) => {
  state.zoom = { from, to };
  $<HTMLButtonElement>("hi-reset").disabled = false;
  syncUrl();
  void loadHistory();
});

/** Keep the address bar on what is shown, so that a copied link opens the same site, node and history view. */
function syncUrl(): void {
  if (page !== "node") return;
  const q = linkQuery({ site: state.site, node: state.node, ch: $<HTMLSelectElement>("hi-ch").value, range_ms: state.range_ms, zoom: state.zoom });
  if (q !== location.search) history.replaceState(null, "", location.pathname + q);
}

/** Say in the page what the link asked for that this gateway does not have. */
function notice(text: string): void {
  notices.push(text);
  const n = $("notice");
  n.textContent = notices.join(" ");
  n.hidden = false;
}

function nodePath(): string {
  return `/api/sites/${enc(state.site)}/nodes/${enc(state.node)}`;
}

function askToken(message?: string): void {
  const form = $<HTMLFormElement>("token-form");
  if (message) $("token-msg").textContent = message;
  form.hidden = false;
  $("main").hidden = true;
  $<HTMLInputElement>("token").focus();
}

/** Run a load; a 401 opens the token form, other errors go to the status line. */
async function guarded(f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof NeedToken) askToken(token() ? "That token was refused. Enter the gateway's API token." : undefined);
    else setLive("off", "error: " + (e as Error).message);
  }
}

function setLive(s: "on" | "off", text: string): void {
  const l = $("live");
  l.dataset.state = s;
  l.textContent = text;
}

function fillSelect(sel: HTMLSelectElement, values: string[], current: string): string {
  sel.replaceChildren(...values.map((v) => new Option(v, v, false, v === current)));
  return values.indexOf(current) >= 0 ? current : (values[0] ?? "");
}

async function loadSites(): Promise<void> {
  const r = await getJson<{ sites: SiteSummary[] }>("/api/sites");
  for (const s of r.sites) state.zones[s.site] = s.timezone;
  const names = r.sites.map((s) => s.site);
  const want = asked.site ?? state.site;
  state.site = fillSelect($("site"), names, want);
  if (asked.site !== undefined && state.site !== asked.site) {
    notice(names.length ? `This gateway has no site "${asked.site}"; showing site ${state.site} instead.` : `This gateway has no site "${asked.site}".`);
    asked.node = undefined; // a node of the unknown site
  }
  asked.site = undefined;
  siteChosen();
  if (!state.site) $("ov-time").textContent = "No node has reported to this gateway yet.";
}

/** The site's zone for every time the page shows and for its "today". */
function zone(): string {
  return state.zones[state.site] ?? "UTC";
}

/** The breadcrumb: Fleet, then the site, then the node; the page shown is marked current. */
function crumbs(): void {
  const site = $<HTMLAnchorElement>("nav-site");
  const node = $<HTMLAnchorElement>("nav-node");
  site.hidden = page === "fleet" || !state.site;
  site.textContent = "Site " + state.site;
  site.href = "?site=" + enc(state.site);
  node.hidden = page !== "node" || !state.node;
  node.textContent = "Node " + state.node;
  node.href = nodeHref(state.site, state.node);
  $("nav-fleet").toggleAttribute("aria-current", false);
  for (const [a, p] of [[$("nav-fleet"), "fleet"], [site, "site"], [node, "node"]] as const) {
    if (p === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = page === "fleet" ? "Fleet · minigrid" : page === "site" ? `Site ${state.site} · minigrid` : `Node ${state.node} of ${state.site} · minigrid`;
}

function siteChosen(): void {
  crumbs();
  setShownZone(zone());
  $("tz").textContent = `Times in ${zone()}, the site's time zone`;
  for (const id of ["ex-from", "ex-to"]) $<HTMLInputElement>(id).value = "";
}

async function loadNodes(): Promise<void> {
  if (!state.site) return;
  const r = await getJson<{ nodes: NodeRow[] }>(`/api/sites/${enc(state.site)}/nodes`);
  const want = state.node || asked.node || "";
  state.node = fillSelect($("node"), r.nodes.map((n) => n.node), want);
  if (asked.node !== undefined && state.node !== asked.node) notice(`Site ${state.site} has no node "${asked.node}"; showing node ${state.node} instead.`);
  asked.node = undefined;
  syncUrl();
  crumbs();
  showCommandsOf(state.site, state.node);
  renderNodes($("nodes").querySelector("tbody")!, r.nodes, Date.now());
}

async function loadLatest(): Promise<void> {
  if (!state.node) return;
  const l = await getJson<Latest>(nodePath() + "/latest");
  state.latest = l.channels;
  // energy today: each counter's history since midnight in the site's zone, in buckets of at most 10 minutes
  const from = startOfDayIn(Date.now(), zone());
  const to = Math.max(Date.now(), ...l.channels.map((c) => (c.ts ?? 0) + 1));
  const points = Math.ceil((to - from) / 600_000) + 1;
  const today: { [key: string]: HistoryPoint[] } = {};
  await Promise.all(
    counterKeys(l.channels).map(async (key) => {
      const h = await getJson<{ points: HistoryPoint[] }>(`${nodePath()}/history?channel=${enc(key + ":counter")}&from=${from}&to=${to}&points=${points}`);
      today[key] = h.points;
    }),
  );
  renderOverview($("overview"), l.channels, today);
  renderFeeders($("feeders").querySelector("tbody")!, l.channels, today);
  const newest = Math.max(0, ...l.channels.map((c) => c.ts ?? 0));
  $("ov-time").textContent = newest ? `Node ${state.node}, newest reading ${showTime(newest)} (reports every ${l.interval_s ?? "?"} s)` : `Node ${state.node} has sent no readings yet.`;
  fillChannels();
}

function fillChannels(): void {
  const sel = $<HTMLSelectElement>("hi-ch");
  const specs = state.latest.map((c) => c.key + ":" + c.agg);
  const current = asked.ch ?? (sel.value || "pv_W:mean");
  if (sel.options.length !== specs.length) {
    fillSelect(sel, specs, specs.indexOf(current) >= 0 ? current : (specs[0] ?? ""));
    if (asked.ch !== undefined && specs.indexOf(asked.ch) < 0) notice(`Node ${state.node} has no channel "${asked.ch}"; the history shows ${sel.value} instead.`);
    asked.ch = undefined;
    syncUrl();
    void guarded(loadHistory);
  }
}

async function loadHistory(): Promise<void> {
  const spec = $<HTMLSelectElement>("hi-ch").value;
  if (!state.node || !spec) return;
  const to = state.zoom ? state.zoom.to : Date.now();
  const from = state.zoom ? state.zoom.from : to - state.range_ms;
  const width = $("chart").clientWidth || 800;
  const points = Math.max(50, Math.min(2000, Math.round(width / 2)));
  const h = await getJson<HistoryResult & { channel: { key: string; agg: string; unit: string | null } }>(
    `${nodePath()}/history?channel=${enc(spec)}&from=${from}&to=${to}&points=${points}`,
  );
  chart.show(h.points, `${h.channel.key} ${h.channel.agg}`, h.channel.unit ?? "", from, to);
  const b = h.bucket_ms >= 60_000 ? `${Math.round(h.bucket_ms / 60_000)} min` : `${Math.round(h.bucket_ms / 1000)} s`;
  $("hi-info").textContent = `${h.points.length} bucket${h.points.length === 1 ? "" : "s"} of ${b} (${h.source === "samples" ? "from the samples" : "from the rollups"})`;
  updateExportLink();
}

// the node's firmware update over the air, a section of its own after the configuration (update-panel.ts)
mountUpdatePanel($("config").closest("section")!, () => (state.node ? nodePath() : undefined), (e) => void guarded(() => Promise.reject(e)));

async function loadConfig(): Promise<void> {
  if (!state.node) return;
  renderConfig($("config").querySelector("tbody")!, await getJson<ConfigStateReply>(nodePath() + "/config/state"));
}

async function loadAlarms(): Promise<void> {
  if (!state.site) return;
  const all = $<HTMLInputElement>("al-all").checked;
  const r = await getJson<{ alarms: AlarmRow[] }>(`/api/alarms?site=${enc(state.site)}${all ? "" : "&active=1"}&limit=200`);
  renderAlarms($("alarms").querySelector("tbody")!, r.alarms, (a) =>
    void guarded(async () => {
      await postJson(`/api/alarms/${a.id}/ack`, { by: "dashboard" });
      await loadAlarms();
    }),
  );
  const open = r.alarms.filter((a) => a.cleared_at === null && a.acked_at === null).length;
  $("al-count").textContent = open ? String(open) : "";
  $("al-count").setAttribute("aria-label", `${open} unacknowledged`);
}

/** The export's day inputs start on the site's today. */
function dayInput(id: string, t: number): void {
  const i = $<HTMLInputElement>(id);
  if (!i.value) i.value = dayIn(t, zone());
}

function updateExportLink(): void {
  dayInput("ex-from", Date.now());
  dayInput("ex-to", Date.now());
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test($<HTMLInputElement>("ex-from").value) || !day.test($<HTMLInputElement>("ex-to").value)) return; // a day being typed
  // whole days of the site: from its midnight of the first day to its midnight after the last (23 or 25 h days too)
  const from = dayStartIn($<HTMLInputElement>("ex-from").value, zone());
  const last = dayStartIn($<HTMLInputElement>("ex-to").value, zone());
  const to = dayStartIn(dayIn(last + 36 * 3_600_000, zone()), zone());
  const which = $<HTMLSelectElement>("ex-which").value;
  const ch = which === "all" ? "" : `&channels=${enc($<HTMLSelectElement>("hi-ch").value)}`;
  const a = $<HTMLAnchorElement>("ex-link");
  a.href = withToken(`${nodePath()}/export.csv?from=${from}&to=${to}${ch}`);
  a.setAttribute("download", `${state.site}-${state.node}-${$<HTMLInputElement>("ex-from").value}.csv`);
  a.setAttribute("aria-label", `Download CSV of node ${state.node}, ${which === "all" ? "all channels" : $<HTMLSelectElement>("hi-ch").value}`);
}

let pending: number | undefined;
function soon(f: () => Promise<void>, delay_ms = 300): void {
  if (pending !== undefined) return;
  pending = window.setTimeout(() => {
    pending = undefined;
    void guarded(f);
  }, delay_ms);
}

function connect(): void {
  state.events?.close();
  const es = new EventSource(withToken("/api/events"));
  state.events = es;
  es.onopen = () => setLive("on", "live");
  es.onerror = () => setLive("off", "reconnecting…");
  es.addEventListener("batch.stored", (e) => {
    const b = JSON.parse((e as MessageEvent).data);
    if (b.site === state.site && b.node === state.node) soon(async () => {
      await loadLatest();
      if (!state.zoom) await loadHistory();
    });
  });
  es.addEventListener("alarm", () => void guarded(loadAlarms));
  es.addEventListener("node.state", () => {
    void guarded(loadNodes);
    void guarded(loadConfig);
  });
  es.addEventListener("command", () => void guarded(loadCommands));
}

/** The site page's and fleet page's live updates: a batch of the site (or an alarm, a node's state) reloads it. */
function connectPage(reload: () => Promise<void>, mine: (site: string) => boolean, delay_ms: number, events = ["batch.stored", "alarm", "node.state"]): void {
  state.events?.close();
  const es = new EventSource(withToken("/api/events"));
  state.events = es;
  es.onopen = () => setLive("on", "live");
  es.onerror = () => setLive("off", "reconnecting…");
  for (const name of events)
    es.addEventListener(name, (e) => {
      if (mine(JSON.parse((e as MessageEvent).data).site)) soon(reload, delay_ms);
    });
}

async function loadSitePage(): Promise<void> {
  await loadSites();
  if (!state.site) return;
  const node = $<HTMLSelectElement>("node");
  const r = await getJson<{ nodes: NodeRow[] }>(`/api/sites/${enc(state.site)}/nodes`);
  node.replaceChildren(new Option("whole site", "", true, true), ...r.nodes.map((n) => new Option(n.node, n.node)));
  const url = "?site=" + enc(state.site);
  if (location.search !== url) history.replaceState(null, "", location.pathname + url);
  await loadSite(state.site);
  shown();
  connectPage(() => loadSite(state.site), (site) => site === state.site, 2000);
}

async function loadFleetPage(): Promise<void> {
  await loadFleet();
  shown();
  // a busy fleet sends batches every second: the page follows alarms and nodes going silent or coming back, and
  // re-reads every 30 s (for the energy and state of charge)
  connectPage(loadFleet, () => true, 3000, ["alarm", "node.state"]);
}

/** The page has its data: show it instead of the token form. */
function shown(): void {
  $("main").hidden = false;
  $<HTMLFormElement>("token-form").hidden = true;
  $("forget-token").hidden = !token();
}

async function loadAll(): Promise<void> {
  await loadSites();
  await loadNodes();
  await Promise.all([loadLatest(), loadAlarms(), loadConfig()]);
  shown();
  connect();
}

const loadPage = page === "node" ? loadAll : page === "site" ? loadSitePage : loadFleetPage;

/** The history's range and zoom from the link (the channel waits for the node's channels). */
function restoreView(): void {
  if (asked.range_ms !== undefined) {
    state.range_ms = asked.range_ms;
    for (const o of Array.from(document.querySelectorAll<HTMLButtonElement>(".ranges button"))) o.setAttribute("aria-pressed", String(Number(o.dataset.range) === asked.range_ms));
  }
  if (asked.zoom) {
    state.zoom = asked.zoom;
    $<HTMLButtonElement>("hi-reset").disabled = false;
  }
  for (const bad of asked.unknown) notice(bad);
}

function start(): void {
  $<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($<HTMLInputElement>("token").value.trim());
    $<HTMLInputElement>("token").value = "";
    void guarded(loadPage);
  });
  $("forget-token").addEventListener("click", () => {
    setToken(null);
    state.events?.close();
    askToken("Signed out. Enter the API token to continue.");
  });
  for (const id of ["page-fleet", "page-site", "page-node"]) $(id).hidden = id !== "page-" + page;
  $("pickers").hidden = page === "fleet";
  crumbs();
  if (page === "fleet") setUpFleet(location.search);
  setUpCommands($("commands-panel"), guarded);
  $("site").addEventListener("change", () => {
    // the site page (and the node page's site picker) opens the other site's page
    if (page === "site") return location.assign("?site=" + enc($<HTMLSelectElement>("site").value));
    state.site = $<HTMLSelectElement>("site").value;
    state.node = "";
    siteChosen();
    void guarded(async () => {
      await loadNodes();
      await Promise.all([loadLatest(), loadAlarms(), loadConfig()]);
    });
  });
  $("node").addEventListener("change", () => {
    if (page === "site") return location.assign(nodeHref(state.site, $<HTMLSelectElement>("node").value));
    state.node = $<HTMLSelectElement>("node").value;
    crumbs();
    showCommandsOf(state.site, state.node);
    state.zoom = null;
    $<HTMLButtonElement>("hi-reset").disabled = true;
    syncUrl();
    void guarded(loadLatest).then(() => guarded(loadHistory));
    void guarded(loadConfig);
  });
  $("hi-ch").addEventListener("change", () => {
    syncUrl();
    void guarded(loadHistory);
  });
  $("hi-reset").addEventListener("click", () => {
    state.zoom = null;
    $<HTMLButtonElement>("hi-reset").disabled = true;
    syncUrl();
    void guarded(loadHistory);
  });
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>(".ranges button"))) {
    b.addEventListener("click", () => {
      state.range_ms = Number(b.dataset.range);
      state.zoom = null;
      $<HTMLButtonElement>("hi-reset").disabled = true;
      for (const o of Array.from(document.querySelectorAll(".ranges button"))) o.setAttribute("aria-pressed", String(o === b));
      syncUrl();
      void guarded(loadHistory);
    });
  }
  $("al-all").addEventListener("change", () => void guarded(loadAlarms));
  restoreView();
  for (const id of ["ex-from", "ex-to", "ex-which"]) $(id).addEventListener("change", updateExportLink);
  window.addEventListener("resize", () => (page === "site" ? resizeSiteCharts() : chart.resize()));
  // stale flags depend on the clock: refresh now and then even without events
  window.setInterval(() => void guarded(page === "node" ? async () => {
    await loadNodes();
    await loadLatest();
  } : page === "site" ? () => loadSite(state.site) : loadFleet), 30_000);
  void guarded(loadPage);
}

start();
