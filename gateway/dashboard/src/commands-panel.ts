/// <reference lib="dom" />
// The node page's commands: reboot (asked twice), resend a range of the node's batches, change a setting (a `cfg`
// command), through the gateway's commands API (POST .../commands), and the node's newest commands with their state
// (pending, ok, failed with the node's reason, expired) as the gateway records the node's answers. A refusal by the
// gateway (a setting its schema refuses, a token that may not send commands, no broker) is said in the panel; when
// the gateway cannot send commands at all, the buttons are disabled with the reason.
import { ApiFailure, enc, getJson, NeedToken, postJson } from "./api";
import { el } from "./render";
import { showTime } from "./view";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface CommandRow {
  id: string;
  name: string;
  args: { [k: string]: unknown } | null;
  created_at: number;
  expires_at: number;
  acked_at: number | null;
  ok: boolean | null;
  result: unknown;
  state: "pending" | "ok" | "failed" | "expired";
}

/** A setting's value as typed: JSON where it parses (30, true, [22,23], "x"), else the text itself. */
export function settingValue(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

/** A command in words: "reboot", "resend batches 3..7", "cfg report_s=30". */
export function commandText(c: Pick<CommandRow, "name" | "args">): string {
  const a = c.args ?? {};
  if (c.name === "resend") return `resend batches ${String(a.from)}..${String(a.to)}`;
  if (c.name === "cfg") return "setting " + Object.keys(a).map((k) => `${k}=${JSON.stringify(a[k])}`).join(", ");
  return c.name;
}

/** The state's words, with the node's answer or the expiry. */
export function stateText(c: CommandRow): string {
  const r = c.result === null || c.result === undefined ? "" : typeof c.result === "string" ? c.result : JSON.stringify(c.result);
  if (c.state === "pending") return `waiting for the node's answer (until ${showTime(c.expires_at)})`;
  if (c.state === "expired") return "expired: the node did not answer in time";
  if (c.state === "failed") return "refused by the node" + (r ? ": " + r : "");
  return "done" + (r ? ": " + r : "") + (c.acked_at ? ` (${showTime(c.acked_at)})` : "");
}

let where = { site: "", node: "" };
let disabledWhy = "";

function path(): string {
  return `/api/sites/${enc(where.site)}/nodes/${enc(where.node)}/commands`;
}

function say(text: string, bad = false): void {
  const m = $("cm-msg");
  m.textContent = text;
  m.dataset.state = bad ? "refused" : "ok";
}

function setDisabled(why: string): void {
  disabledWhy = why;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement | HTMLInputElement>("#commands-panel button, #commands-panel input"))) b.disabled = !!why;
  $("cm-off").textContent = why;
  $("cm-off").hidden = !why;
}

/** The gateway's refusal in words the operator can act on. */
export function refusalText(e: unknown): string {
  if (e instanceof ApiFailure) {
    if (e.status === 403) return `Refused: ${e.message}. Commands need a token that may send them.`;
    if (e.status === 503) return `The gateway cannot send commands: ${e.message}.`;
    return `Refused by the gateway: ${e.message}`;
  }
  return "Not sent: " + (e as Error).message;
}

async function send(c: string, a?: { [k: string]: unknown }): Promise<void> {
  if (disabledWhy) return;
  try {
    const r = await postJson<{ id: string; command: CommandRow }>(path(), a === undefined ? { c } : { c, a });
    say(`Sent ${commandText(r.command)} to ${where.node} (command ${r.id}); waiting for its answer.`);
    await loadCommands();
  } catch (e) {
    if (e instanceof NeedToken) throw e;
    say(refusalText(e), true);
    if (e instanceof ApiFailure && (e.status === 403 || e.status === 503)) setDisabled(refusalText(e));
  }
}

export async function loadCommands(): Promise<void> {
  if (!where.node) return;
  let list: CommandRow[];
  try {
    list = (await getJson<{ commands: CommandRow[] }>(path() + "?limit=10")).commands;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 503) {
      setDisabled(refusalText(e));
      $("commands").querySelector("tbody")!.replaceChildren();
      return;
    }
    throw e;
  }
  const rows = list.map((c) =>
    el("tr", { "data-command": c.id, "data-state": c.state },
      el("td", {}, showTime(c.created_at)),
      el("td", {}, commandText(c)),
      el("td", {}, el("span", { class: "badge " + (c.state === "ok" ? "ok" : c.state === "failed" ? "bad" : "stale") }, c.state), el("span", { class: "cm-state" }, " " + stateText(c))),
    ),
  );
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "No commands sent to this node yet.")));
  $("commands").querySelector("tbody")!.replaceChildren(...rows);
  // an answer may come without an event reaching this page: look again while one is pending
  if (list.some((c) => c.state === "pending")) window.setTimeout(() => void loadCommands().catch(() => {}), 5000);
}

/** The node whose commands the panel shows and sends. */
export function showCommandsOf(site: string, node: string): void {
  where = { site, node };
  say("");
  $("cm-confirm").hidden = true;
  $("cm-node").textContent = node;
  void loadCommands().catch(() => {});
}

/** Build the panel inside `host` (the node page's commands section) and wire it; errors go to `guarded`. */
export function setUpCommands(host: HTMLElement, guarded: (f: () => Promise<void>) => Promise<void>): void {
  host.replaceChildren(
    el("h2", { id: "cm-h" }, "Commands to node ", el("span", { id: "cm-node" }, "")),
    el("p", { id: "cm-off", class: "notice", hidden: "" }),
    el("div", { class: "controls" },
      el("button", { type: "button", id: "cm-reboot" }, "Reboot…"),
      el("span", { id: "cm-confirm", hidden: "" }, "Restart the node now? ", el("button", { type: "button", id: "cm-reboot-yes" }, "Reboot now"), " ", el("button", { type: "button", id: "cm-reboot-no" }, "Cancel")),
    ),
    el("form", { id: "cm-resend", class: "controls", "aria-label": "Resend batches" },
      el("label", {}, "Resend batches from ", el("input", { id: "cm-from", type: "number", min: "0", step: "1", required: "", inputmode: "numeric" })),
      el("label", {}, "to ", el("input", { id: "cm-to", type: "number", min: "0", step: "1", required: "", inputmode: "numeric" })),
      el("button", { type: "submit" }, "Resend"),
    ),
    el("form", { id: "cm-set", class: "controls", "aria-label": "Change a setting" },
      el("label", {}, "Setting ", el("input", { id: "cm-key", list: "cm-keys", required: "", autocomplete: "off", placeholder: "report_s" })),
      el("datalist", { id: "cm-keys" }, ...["report_s", "sample_s", "rows", "off"].map((k) => el("option", { value: k }))),
      el("label", {}, "Value ", el("input", { id: "cm-value", required: "", autocomplete: "off", placeholder: "30" })),
      el("button", { type: "submit" }, "Send setting"),
    ),
    el("p", { id: "cm-msg", class: "cm-msg", role: "status", "aria-live": "polite" }),
    el("div", { class: "scroll" },
      el("table", { id: "commands", "aria-labelledby": "cm-h" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Sent"), el("th", { scope: "col" }, "Command"), el("th", { scope: "col" }, "State and answer"))),
        el("tbody"),
      )),
    el("p", { class: "muted" }, "A setting sent here is a one-time cfg command, checked by the gateway against the node's board first; for a lasting change set the desired configuration (minigrid node config)."),
  );
  $("cm-reboot").addEventListener("click", () => {
    $("cm-confirm").hidden = false;
    $("cm-reboot-yes").focus();
  });
  $("cm-reboot-no").addEventListener("click", () => ($("cm-confirm").hidden = true));
  $("cm-reboot-yes").addEventListener("click", () => {
    $("cm-confirm").hidden = true;
    void guarded(() => send("reboot"));
  });
  $("cm-resend").addEventListener("submit", (e) => {
    e.preventDefault();
    const from = Number($<HTMLInputElement>("cm-from").value);
    const to = Number($<HTMLInputElement>("cm-to").value);
    if (!(from <= to)) return say("The first batch must not be after the last.", true);
    void guarded(() => send("resend", { from, to }));
  });
  $("cm-set").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $<HTMLInputElement>("cm-key").value.trim();
    void guarded(() => send("cfg", { [key]: settingValue($<HTMLInputElement>("cm-value").value) }));
  });
}
