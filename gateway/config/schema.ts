// The gateway's settings as a JSON schema (checked with ajv, allErrors: every problem at once, each with its path and
// its fix). Each property carries `fix`: the sentence that tells the operator what to write instead.
// Other parts of the gateway add their own section (alarms) with buildConfigSchema({ alarms: schema }).

import { uplinkSchema } from "../uplink/config";
import { homeAssistantSchema } from "../homeassistant/config";

export const settingsVersion = 1;

export type JsonSchema = { [k: string]: any };

const port = (what: string) => ({ type: "integer", minimum: 1, maximum: 65535, fix: `set it to ${what}` });
const host = (what: string) => ({ type: "string", minLength: 1, fix: `set it to ${what}, e.g. 127.0.0.1 or 0.0.0.0` });
const id = { type: "string", pattern: "^[a-z0-9_-]{1,32}$", fix: "use 1..32 lower-case letters, digits, '-' or '_'" };

export const nodeCredentialSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["site", "node", "username", "passwordHash"],
  fix: "give each node {site, node, username, passwordHash}",
  properties: {
    site: id,
    node: id,
    username: { type: "string", minLength: 1, fix: "set the MQTT user name the controller logs in with" },
    passwordHash: {
      type: "string",
      pattern: "^scrypt\\$\\d+\\$\\d+\\$\\d+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$",
      fix: "paste the output of `minigrid gateway hash-password` (never the password itself)",
    },
  },
};

export const gatewaySchemaBase: JsonSchema = {
  type: "object",
  additionalProperties: false,
  fix: "remove the key or check its spelling",
  properties: {
    version: { type: "integer", enum: [settingsVersion], default: settingsVersion, fix: `set version to ${settingsVersion}` },
    broker: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "remove the key or check its spelling",
      properties: {
        mode: { type: "string", enum: ["embedded", "external"], default: "embedded", fix: 'set broker.mode to "embedded" (the gateway is the broker) or "external"' },
        host: { ...host("the address the controllers connect to"), default: "127.0.0.1" },
        port: { ...port("the TCP port the controllers connect to"), default: 1883 },
        url: { type: "string", pattern: "^(mqtts?|tcp|tls)://", fix: "set broker.url to the external broker, e.g. mqtt://127.0.0.1:1883" },
        clientId: { type: "string", minLength: 1, maxLength: 23, default: "minigrid-gateway", fix: "set broker.clientId to 1..23 characters, the same on every start" },
        username: { type: "string", fix: "set the user name the gateway logs in to the external broker with" },
        password: { type: "string", fix: "set the password the gateway logs in to the external broker with" },
        tls: {
          type: "object",
          additionalProperties: false,
          required: ["cert", "key"],
          fix: "give both tls.cert and tls.key (PEM file paths)",
          properties: {
            cert: { type: "string", minLength: 1, fix: "set the path of the PEM certificate" },
            key: { type: "string", minLength: 1, fix: "set the path of the PEM private key" },
            ca: { type: "string", minLength: 1, fix: "set the path of the PEM CA certificate" },
          },
        },
        concurrency: {
          type: "integer",
          minimum: 1,
          maximum: 100000,
          default: 1000,
          fix: "set broker.concurrency to at least the publishes that arrive during one storage.flushMs",
        },
      },
    },
    nodes: { type: "array", items: nodeCredentialSchema, default: [], fix: "list the controllers as {site, node, username, passwordHash}" },
    demo: { type: "boolean", default: false, fix: "set demo to true (anonymous controllers allowed) or false" },
    storage: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "remove the key or check its spelling",
      properties: {
        path: { type: "string", minLength: 1, default: "./data/minigrid.db", fix: "set storage.path to the SQLite file" },
        flushMs: { type: "integer", minimum: 0, maximum: 10000, default: 10, fix: "set storage.flushMs to 0..10000 ms (0 = commit every event-loop turn)" },
        maxBatch: { type: "integer", minimum: 1, maximum: 100000, default: 500, fix: "set storage.maxBatch to the messages committed in one transaction at most" },
        cacheMB: {
          type: "integer",
          minimum: 1,
          maximum: 4096,
          default: 16,
          fix: "set storage.cacheMB to SQLite's page cache in MB, 1..4096 (16 holds the newest leaves of 500 nodes' channels; more speeds a large fleet's commits at the cost of memory)",
        },
        synchronous: {
          type: "string",
          enum: ["FULL", "NORMAL", "OFF"],
          default: "FULL",
          fix: 'set storage.synchronous to "FULL" (a commit survives a power cut), "NORMAL" (survives the gateway being killed; the last commits may be lost at a power cut) or "OFF" (simulations only: no fsync at all)',
        },
      },
    },
    http: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "remove the key or check its spelling",
      properties: {
        host: { ...host("the address the dashboard listens on"), default: "127.0.0.1" },
        port: { ...port("the TCP port of the dashboard and API"), default: 8080 },
        token: { type: "string", minLength: 16, fix: "set http.token to a random string of 16 characters or more" },
        cors: {
          type: "object",
          additionalProperties: false,
          required: ["origins"],
          fix: "give http.cors.origins, e.g. cors: {origins: [\"https://grafana.example.org\"]}",
          properties: {
            origins: {
              type: "array",
              items: {
                type: "string",
                pattern: "^(\\*|https?://[^/\\s]+)$",
                fix: 'list origins as scheme://host[:port] without a path, e.g. "https://grafana.example.org" or "http://192.168.1.20:3000" ("*": any)',
              },
              fix: 'list the origins browsers may call the API from, e.g. ["https://grafana.example.org"]',
            },
          },
        },
        metrics: {
          type: "object",
          additionalProperties: false,
          fix: "remove the key or check its spelling",
          properties: {
            channels: {
              type: "boolean",
              fix: "set http.metrics.channels to true (every channel's newest value on /metrics) or false",
            },
          },
        },
      },
    },
    liveness: {
      type: "object",
      additionalProperties: false,
      default: {},
      fix: "remove the key or check its spelling",
      properties: {
        defaultIntervalS: { type: "number", exclusiveMinimum: 0, default: 60, fix: "set the report interval assumed before a node's first batch, seconds" },
        checkMs: { type: "integer", minimum: 10, default: 5000, fix: "set how often silence is checked, ms" },
        timeSyncS: {
          type: "number",
          exclusiveMinimum: 0,
          maximum: 2000000,
          default: 3600,
          fix: "set how often time is sent to the nodes, seconds (at most 2,000,000, about 23 days: a longer timer would overflow)",
        },
      },
    },
    sites: {
      type: "object",
      default: {},
      propertyNames: { type: "string", pattern: "^[a-z0-9_-]{1,32}$", fix: "name each site by its id as the nodes' settings give it: 1..32 lower-case letters, digits, '-' or '_'" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        fix: "remove the key or check its spelling",
        properties: {
          timezone: {
            type: "string",
            minLength: 1,
            fix: 'set it to the IANA name of the site\'s time zone, e.g. "Africa/Nairobi" (the day of "energy today" and of the CSV\'s local time; default "UTC")',
          },
          // checked in load.ts (feederNamesErrors): each problem with its own key
          feeders: { type: "object", fix: "give the feeders' names, e.g. feeders: {feeder1: homes-north, ct1: shops}" },
        },
      },
      fix: "give each site by its id, e.g. sites: {s1: {timezone: Africa/Nairobi, feeders: {feeder1: homes-north}}}",
    },
    alarms: { type: "object", default: {}, fix: "see docs/alarms.md for the alarms settings" },
    uplink: uplinkSchema,
    homeassistant: homeAssistantSchema,
  },
};

/** The full schema with other sections (e.g. { alarms: alarmsSchema }) put in place of the free objects. */
export function buildConfigSchema(sections: { [key: string]: JsonSchema } = {}): JsonSchema {
  const schema = structuredClone(gatewaySchemaBase);
  for (const [key, part] of Object.entries(sections)) schema.properties[key] = { default: {}, ...structuredClone(part) };
  return schema;
}
