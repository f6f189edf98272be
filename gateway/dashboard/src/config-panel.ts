/// <reference lib="dom" />
// The selected node's configuration: what the gateway wants it to run (desired), what its last birth says it runs
// (applied), the desired keys it does not run yet, and what it last refused or tried (GET .../config/state).
import type { ConfigStateReply } from "../../../contracts/gateway-api";
import { el } from "./render";
import { showTime } from "./view";

/** Settings as `key=value` pairs, one per line, sorted; secrets never reach the gateway's API. */
export function settingsText(c: { [k: string]: unknown } | null): string {
  if (!c) return "—";
  const keys = Object.keys(c).sort();
  return keys.length ? keys.map((k) => `${k}=${JSON.stringify(c[k])}`).join("\n") : "(none)";
}

const when = (t: number | null) => (t === null ? "" : " (" + showTime(t) + ")");

export function renderConfig(tbody: HTMLElement, s: ConfigStateReply): void {
  const rows: [string, string, string][] = [
    ["desired", "Desired" + when(s.desired_at), s.desired ? settingsText(s.desired) : "none set: the node keeps its own settings"],
    ["applied", "Applied (the node's last birth)", s.applied ? settingsText(s.applied) : "no birth yet"],
    ["pending", "Not applied yet", s.desired === null ? "—" : s.pending.length ? s.pending.join(", ") : "none: the node runs what is desired"],
    ["refused", "Last refused" + when(s.refused ? s.refused.ts : null), s.refused ? s.refused.why : "nothing refused"],
    ["trial", "Last network or broker trial" + when(s.trial ? s.trial.ts : null), s.trial ? (s.trial.ok ? "kept: the node reached the broker" : "rolled back to the previous settings") : "none"],
  ];
  tbody.replaceChildren(
    ...rows.map(([key, label, text]) =>
      el("tr", { "data-row": key, "data-state": key === "pending" && s.pending.length ? "pending" : key === "refused" && s.refused ? "refused" : "ok" },
        el("th", { scope: "row" }, label), el("td", {}, el("pre", {}, text)))),
  );
}
