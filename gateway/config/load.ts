// Reading and checking the settings file (YAML or JSON). Every error names its key, what was found, and the fix:
//   broker.port: must be an integer 1..65535 (got "abc"); set it to the TCP port the controllers connect to
import { readFileSync } from "node:fs";
import { Ajv, ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import type { UplinkConfig } from "../uplink/config";
import { checkHomeAssistant, type HomeAssistantConfig } from "../homeassistant/config";
import { buildConfigSchema, JsonSchema, settingsVersion } from "./schema";
import { checkStartable, misplacedKeys } from "./startable";
import { isTimeZone } from "../time/zone";
import { feederNamesErrors, type FeederNames } from "../api/site-feeders";

export interface NodeCredential {
  site: string;
  node: string;
  username: string;
  passwordHash: string;
}

export interface GatewayConfig {
  version: number;
  broker: {
    mode: "embedded" | "external";
    host: string;
    port: number;
    url?: string;
    clientId: string;
    username?: string;
    password?: string;
    tls?: { cert: string; key: string; ca?: string };
    concurrency: number;
  };
  nodes: NodeCredential[];
  demo: boolean;
  storage: { path: string; flushMs: number; maxBatch: number; cacheMB: number; synchronous: "FULL" | "NORMAL" | "OFF" };
  http: { host: string; port: number; token?: string; cors?: { origins: string[] }; metrics?: { channels?: boolean } };
  liveness: { defaultIntervalS: number; checkMs: number; timeSyncS: number };
  /** Per-site settings: the site's IANA time zone (default "UTC"). */
  sites: { [site: string]: SiteSettings };
  alarms: { [k: string]: any };
  uplink?: UplinkConfig;
  /** Home Assistant MQTT discovery (off by default). */
  homeassistant?: HomeAssistantConfig;
}

export interface SiteSettings {
  timezone?: string;
  /** Names of the site's feeders: feeder1..feeder8, ct1..ct4, or under a node's id (gateway/api/site-feeders.ts). */
  feeders?: FeederNames;
}

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; errors: string[] };

export interface ConfigOptions {
  /** Sections other parts of the gateway check, e.g. { alarms: alarmsSchema }. */
  sections?: { [key: string]: JsonSchema };
}

/** Settings written by an older gateway, brought to the current version (only v1 exists: a missing version is 1). */
export function migrateSettings(raw: any): any {
  if (raw && typeof raw === "object" && !Array.isArray(raw) && raw.version === undefined) return { ...raw, version: settingsVersion };
  return raw;
}

function keyPath(instancePath: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : (out ? "." : "") + p;
  return out || "(top level)";
}

function join(path: string, key: string): string {
  return path === "(top level)" ? key : `${path}.${key}`;
}

/** What the schema of one key asks for, in words. */
function expectation(s: JsonSchema): string {
  if (s.enum) return "one of " + s.enum.map((v: unknown) => JSON.stringify(v)).join(", ");
  if (s.type === "integer" || s.type === "number") {
    const kind = s.type === "integer" ? "an integer" : "a number";
    if (s.minimum !== undefined && s.maximum !== undefined) return `${kind} ${s.minimum}..${s.maximum}`;
    if (s.minimum !== undefined) return `${kind} >= ${s.minimum}`;
    if (s.exclusiveMinimum !== undefined) return `${kind} > ${s.exclusiveMinimum}`;
    return kind;
  }
  if (s.type === "string") {
    if (s.pattern) return `a string matching ${s.pattern}`;
    if (s.minLength) return `a string of at least ${s.minLength} characters`;
    return "a string";
  }
  if (s.type === "boolean") return "true or false";
  if (s.type === "array") return "a list";
  if (s.type === "object") return "a mapping of keys";
  return "valid";
}

function describe(e: ErrorObject): { path: string; text: string } {
  const path = keyPath(e.instancePath);
  const s = (e.parentSchema ?? {}) as JsonSchema;
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys(s.properties ?? {}).join(", ");
    return { path: join(path, extra), text: `${join(path, extra)}: unknown key; remove it or check its spelling (known here: ${known})` };
  }
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const fix = s.properties?.[missing]?.fix ?? "add it";
    return { path: join(path, missing), text: `${join(path, missing)}: is required; ${fix}` };
  }
  const got = e.data === undefined ? "nothing" : JSON.stringify(e.data);
  const fix = (s.fix ?? "correct it").replace(/^set it\b/, `set ${path}`);
  return { path, text: `${path}: must be ${expectation(s)} (got ${got}); ${fix}` };
}

export function formatErrors(errors: ErrorObject[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    const d = describe(e);
    if (seen.has(d.path)) continue;
    seen.add(d.path);
    out.push(d.text);
  }
  return out;
}

/** Check settings already parsed; fills in the defaults. */
export function checkConfig(raw: unknown, opts: ConfigOptions = {}): ConfigResult {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
  ajv.addKeyword({ keyword: "fix", schemaType: "string" });
  const validate = ajv.compile(buildConfigSchema(opts.sections));
  const misplaced = misplacedKeys(migrateSettings(raw ?? {}));
  const data = structuredClone(misplaced.cleaned);
  if (!validate(data)) return { ok: false, errors: [...misplaced.errors, ...formatErrors(validate.errors ?? [])] };
  const config = data as GatewayConfig;
  const errors: string[] = [...misplaced.errors, ...checkStartable(config)];
  if (config.broker.mode === "external" && !config.broker.url)
    errors.push('broker.url: is required when broker.mode is "external"; set it to the external broker, e.g. mqtt://127.0.0.1:1883');
  for (const [site, s] of Object.entries(config.sites)) {
    if (s.timezone !== undefined && !isTimeZone(s.timezone))
      errors.push(`sites.${site}.timezone: "${s.timezone}" is not a time zone this gateway knows; set it to an IANA name such as "Africa/Nairobi", "Asia/Kathmandu" or "UTC"`);
    if (s.feeders !== undefined) errors.push(...feederNamesErrors(`sites.${site}.feeders`, s.feeders));
  }
  if (config.homeassistant) errors.push(...checkHomeAssistant(config.homeassistant, config));
  const users = new Set<string>();
  config.nodes.forEach((n, i) => {
    if (users.has(n.username)) errors.push(`nodes[${i}].username: "${n.username}" is used twice; give each node its own user name`);
    users.add(n.username);
  });
  return errors.length ? { ok: false, errors } : { ok: true, config };
}

/** The defaults, as the gateway runs with no settings file. */
export function defaultConfig(opts: ConfigOptions = {}): GatewayConfig {
  const r = checkConfig({}, opts);
  if (!r.ok) throw new Error("the default settings do not pass their own schema: " + r.errors.join("; "));
  return r.config;
}

/** Read a YAML or JSON file (YAML is a superset of JSON) and check it. */
export function loadConfigFile(file: string, opts: ConfigOptions = {}): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { ok: false, errors: [`${file}: cannot be read (${(e as Error).message}); give the path of the settings file`] };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    return { ok: false, errors: [`${file}: is not valid YAML or JSON (${(e as Error).message.split("\n")[0]}); correct the syntax`] };
  }
  return checkConfig(raw, opts);
}
