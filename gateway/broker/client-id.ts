// Which client ids a login may use. The client id names the session: a second connection with the same client id
// takes the session over and the first is disconnected [MQTT-3.1.4-2], and with CleanSession 0 the new connection
// receives what was queued for the session [MQTT-3.1.2-4]. So a client id must belong to one login:
// - a node's login uses exactly `<site>.<node>`, the id its firmware connects with (firmware/app/node-app.ts);
// - an anonymous client (demo mode only) may use any client id except a configured node's `<site>.<node>`.
// The gateway's own messages go through the broker without a client (embedded mode), so no internal client id exists.
import type { Identity, Refusal } from "./acl";

/** The client id of a node: the one its firmware connects with. */
export function nodeClientId(site: string, node: string): string {
  return site + "." + node;
}

/**
 * undefined when `identity` may use `clientId`; otherwise why not. `bound` holds the client ids of the configured
 * nodes (each reserved for its own login).
 */
export function checkClientId(identity: Identity, clientId: string, bound: ReadonlySet<string>): Refusal | undefined {
  if (identity.kind === "node") {
    const own = nodeClientId(identity.site, identity.node);
    if (clientId === own) return undefined;
    return { reason: "auth-client-id", detail: `${identity.site}/${identity.node} must connect with client id "${own}", not ${JSON.stringify(clientId)}` };
  }
  if (bound.has(clientId)) return { reason: "auth-client-id", detail: `client id ${JSON.stringify(clientId)} belongs to a configured node; log in with its user name` };
  return undefined;
}
