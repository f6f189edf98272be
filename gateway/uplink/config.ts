// The gateway's `uplink` settings: where the central broker is, how the gateway logs in, and what the metered link
// allows. No url: the uplink is off. Checked with the rest of the settings (gateway/config/schema.ts).
import type { JsonSchema } from "../config/schema";

export interface UplinkConfig {
  /** mqtts://central.example.org:8883 (TLS) or mqtt://... (tests, or a VPN); absent: no uplink. */
  url?: string;
  clientId?: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  budget: { day_bytes: number; month_bytes: number; alarm_at_pct: number };
  batching: { max_messages: number; max_delay_s: number };
  compression: boolean;
  /** Wire format of batches: 2 = mgc/v2 columns (central must read v2), 1 = mgc/v1 JSON. */
  format: 1 | 2;
  /** mgc/v2: at most this many batches of a node between two messages that carry the channel table. */
  keyframe_batches: number;
  keepalive_s: number;
  /** Messages published and not yet acknowledged at once. */
  inflight: number;
  /** An entry younger than this is live data; older ones are backlog (sent alternately, both oldest first). */
  live_window_s: number;
  /** Wait before reconnecting after a failed or lost connection, s. */
  reconnect_s: number;
}

const bytes = (what: string) => ({ type: "integer", minimum: 0, default: 0, fix: `set ${what} in bytes (0 = no limit)` });

export const uplinkSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  fix: "see docs/central.md, \"The uplink settings\", for every uplink key",
  properties: {
    url: { type: "string", pattern: "^(mqtts?|tcp|tls)://", fix: "set uplink.url to the central broker, e.g. mqtts://central.example.org:8883" },
    clientId: { type: "string", minLength: 1, maxLength: 64, fix: "set uplink.clientId, the same on every start (default: mg-<first site>)" },
    username: { type: "string", fix: "set the user name the gateway logs in to the central broker with" },
    password: { type: "string", fix: "set the password the gateway logs in to the central broker with" },
    tls: {
      type: "object",
      additionalProperties: false,
      fix: "give tls.ca (the central CA) and, for client certificates, tls.cert and tls.key (PEM file paths)",
      properties: {
        ca: { type: "string", minLength: 1, fix: "set the path of the PEM CA certificate of the central broker" },
        cert: { type: "string", minLength: 1, fix: "set the path of the gateway's PEM client certificate" },
        key: { type: "string", minLength: 1, fix: "set the path of the gateway's PEM private key" },
        rejectUnauthorized: { type: "boolean", default: true, fix: "leave it true outside tests" },
      },
    },
    budget: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "give budget.day_bytes, budget.month_bytes and budget.alarm_at_pct",
      properties: {
        day_bytes: bytes("budget.day_bytes"),
        month_bytes: bytes("budget.month_bytes"),
        alarm_at_pct: { type: "number", minimum: 1, maximum: 100, default: 80, fix: "set the share of a budget that raises the alarm, 1..100" },
      },
    },
    batching: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "give batching.max_messages and batching.max_delay_s",
      properties: {
        max_messages: { type: "integer", minimum: 1, maximum: 1000, default: 15, fix: "set how many stored batches go in one uplink message, 1..1000" },
        max_delay_s: { type: "number", minimum: 0, maximum: 86400, default: 60, fix: "set how long live data may wait for more to share its message, s" },
      },
    },
    compression: { type: "boolean", default: true, fix: "set compression to true (zlib deflate of each payload) or false" },
    format: { type: "integer", enum: [1, 2], default: 2, fix: "set format to 2 (mgc/v2 columns: the central must read mgc/v2) or 1 (mgc/v1 JSON, read by every central)" },
    keyframe_batches: { type: "integer", minimum: 1, maximum: 10000, default: 60, fix: "set how many batches of a node may follow one another before the channel table goes again, 1..10000" },
    keepalive_s: { type: "integer", minimum: 10, maximum: 65535, default: 600, fix: "set the MQTT keep alive, s (each costs a PINGREQ/PINGRESP on the metered link)" },
    inflight: { type: "integer", minimum: 1, maximum: 1000, default: 10, fix: "set how many messages may wait for their acknowledgement at once" },
    live_window_s: { type: "number", minimum: 0, default: 900, fix: "set the age below which an entry counts as live data, s" },
    reconnect_s: { type: "number", minimum: 0.01, default: 30, fix: "set the wait before reconnecting, s" },
  },
};
