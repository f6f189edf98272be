/// <reference lib="dom" />
// The selected node's firmware update over the air (docs/updates.md): pick a built image (dist/firmware/<board>.js),
// send it with POST .../update, and follow GET .../update. Its own section, put after the node's configuration by
// mountUpdatePanel; it asks for the node's API path when it needs it, so the page only says where it goes.
import { getJson, postJson } from "./api";
import { el } from "./render";

interface UpdateView {
  state: string;
  from: string;
  version: string;
  have: number;
  bytes: number;
  why?: string;
}

/** One line for an update's state, as `minigrid node update` says it. */
export function describeUpdate(u: UpdateView): string {
  const what = `${u.from} to ${u.version}`;
  if (u.state === "staging") return `Updating ${what}: ${u.have} of ${u.bytes} bytes staged`;
  if (u.state === "switching") return `Updating ${what}: staged and checked, the node is restarting into it`;
  if (u.state === "updated") return `Updated ${what}`;
  if (u.state === "rolled-back") return `Update ${what} rolled back by the node (${u.why}); it runs ${u.from}`;
  return `Update ${what} failed (${u.why})`;
}

/**
 * Adds the panel after `after` (the configuration's section). `nodePath` gives /api/sites/S/nodes/N of the selected
 * node, or undefined when none is; `onError` shows what went wrong (a missing token among others).
 */
export function mountUpdatePanel(after: Element, nodePath: () => string | undefined, onError: (e: unknown) => void): void {
  const file = el("input", { type: "file", id: "up-file", accept: ".js", "aria-label": "Firmware image" }) as HTMLInputElement;
  const force = el("input", { type: "checkbox", id: "up-force" }) as HTMLInputElement;
  const button = el("button", { type: "button", id: "up-send" }, "Update firmware") as HTMLButtonElement;
  const status = el("p", { id: "up-status", role: "status" }, "");
  const section = el("section", { "aria-labelledby": "up-h", id: "update" },
    el("h2", { id: "up-h" }, "Firmware update"),
    el("div", { class: "controls" }, file, el("label", {}, force, " even if not newer"), button),
    status);
  after.after(section);

  let shownFor: string | undefined;
  async function refresh(): Promise<void> {
    const path = nodePath();
    if (!path) return;
    if (path !== shownFor) status.textContent = "";
    shownFor = path;
    try {
      const r = await getJson<{ update: UpdateView }>(path + "/update");
      status.textContent = describeUpdate(r.update);
      status.setAttribute("data-state", r.update.state);
    } catch {
      // 404: no update of this node since the gateway started
      status.textContent = "No update since the gateway started.";
      status.setAttribute("data-state", "none");
    }
  }

  button.addEventListener("click", () => {
    const path = nodePath();
    const f = file.files?.[0];
    if (!path || !f) {
      status.textContent = path ? "Choose a built image (dist/firmware/<board>.js) first." : "Choose a node first.";
      return;
    }
    void (async () => {
      try {
        const r = await postJson<{ update: UpdateView }>(path + "/update", { image: await f.text(), force: force.checked });
        status.textContent = describeUpdate(r.update);
      } catch (e) {
        status.textContent = "Refused: " + (e as Error).message;
        onError(e);
      }
    })();
  });
  void refresh();
  setInterval(() => void refresh(), 2000);
}
