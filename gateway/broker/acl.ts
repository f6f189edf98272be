// Who may connect, publish and subscribe (docs/design.md guarantee 7). A node publishes only under its own prefix
// mg/v1/<site>/<node>/{birth,state,t,evt,ack} and subscribes only to its own cmd and cfg; cmd and cfg (and anything
// else) are the gateway's alone. Pure functions: the broker adapters call them and count every refusal.
import { nodeTopic, parseTopic } from "../../firmware/protocol/topics";

/**
 * A connected client: a configured node; a reader (Home Assistant's login: it may subscribe under its roots and
 * publish only its own status topics); or (demo mode only) an anonymous client acting for any node.
 */
export type Identity = { kind: "node"; site: string; node: string } | { kind: "reader"; name: string; roots: string[]; publishes: string[] } | { kind: "anonymous" };

/** A filter under one of the roots: "root/#", "root/+/x", "root/a/b"; never a wildcard above the root. */
function underRoot(filter: string, roots: string[]): boolean {
  return roots.some((r) => filter.startsWith(r + "/"));
}

export interface Refusal {
  reason: string;
  detail: string;
}

const nodePublishes = new Set(["birth", "state", "batch", "event", "ack"]);

export function checkPublish(id: Identity, topic: string): Refusal | undefined {
  if (id.kind === "reader")
    return id.publishes.includes(topic) ? undefined : { reason: "acl-publish", detail: `${id.name} may publish only ${id.publishes.join(", ")}, not ${topic}` };
  const t = parseTopic(topic);
  if (!t) return { reason: "acl-publish", detail: `${topic} is not a node topic (mg/v1/<site>/<node>/<birth|state|t|evt|ack>)` };
  if (!nodePublishes.has(t.kind)) return { reason: "acl-publish", detail: `${topic}: ${t.kind} is published by the gateway only` };
  if (id.kind === "node" && (t.site !== id.site || t.node !== id.node))
    return { reason: "acl-publish", detail: `${id.site}/${id.node} may publish only under mg/v1/${id.site}/${id.node}/` };
  return undefined;
}

export function checkSubscribe(id: Identity, filter: string): Refusal | undefined {
  if (id.kind === "anonymous") return undefined; // demo mode: dashboards and tools watch everything
  if (id.kind === "reader")
    return underRoot(filter, id.roots) ? undefined : { reason: "acl-subscribe", detail: `${id.name} may subscribe only under ${id.roots.map((r) => r + "/").join(" and ")}, not ${filter}` };
  if (filter === nodeTopic(id.site, id.node, "command") || filter === nodeTopic(id.site, id.node, "config")) return undefined;
  return { reason: "acl-subscribe", detail: `${id.site}/${id.node} may subscribe only to its own cmd and cfg, not ${filter}` };
}
