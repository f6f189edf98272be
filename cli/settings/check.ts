// Checking a node's settings on the host: a settings file before the CLI sends it to a board (checkNodeSettings),
// and a desired configuration before the gateway publishes it (checkNodeConfig). Every problem at once, each as
// "key.path: what is wrong; the fix".
import { Ajv, ErrorObject, ValidateFunction } from "ajv";
import type { Board } from "../../firmware/boards/types";
import { withDefaults, type NodeSettings } from "../../firmware/app/node-settings";
import { channelTable } from "../../firmware/app/channel-table";
import { boardErrors, crossFieldErrors } from "./board-rules";
import { identityProperties, JsonSchema, nodeConfigSchema, nodeSettingsSchema } from "./schema";

export type SettingsCheck<T> = { ok: true; value: T } | { ok: false; errors: string[] };

let compiled: { settings: ValidateFunction; config: ValidateFunction } | undefined;

function validators() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: "must", schemaType: "string" });
    compiled = { settings: ajv.compile(nodeSettingsSchema), config: ajv.compile(nodeConfigSchema) };
  }
  return compiled;
}

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : (out ? "." : "") + p;
  return out || "(top level)";
}

function shown(v: unknown, path: string): string {
  if (v === undefined) return "nothing";
  // a password is never echoed back, even in an error
  if (/(^|\.)pass$/.test(path)) return "a hidden value";
  const text = JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

function describe(e: ErrorObject): { path: string; text: string } {
  const s = (e.parentSchema ?? {}) as JsonSchema;
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const path = keyPath(e.instancePath, extra);
    const known = Object.keys(s.properties ?? {}).filter((k) => k !== "_help").join(", ");
    return { path, text: `${path}: unknown setting; remove it or check its spelling (known here: ${known})` };
  }
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const path = keyPath(e.instancePath, missing);
    return { path, text: `${path}: is required; set it to ${s.properties?.[missing]?.must ?? "a value"}` };
  }
  const path = keyPath(e.instancePath);
  return { path, text: `${path}: must be ${s.must ?? "valid"} (got ${shown(e.data, path)})` };
}

function schemaErrors(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    if (seen.has(d.path)) continue;
    seen.add(d.path);
    out.push(d.text);
  }
  return out;
}

/** What the CLI sends to a board: the settings without `_help`. */
export function withoutHelp(settings: { [k: string]: any }): { [k: string]: any } {
  const out: { [k: string]: any } = {};
  for (const k of Object.keys(settings)) if (k !== "_help") out[k] = settings[k];
  return out;
}

/** A whole settings file for `board`; `value` is what goes into the board's Storage (without `_help`). */
export function checkNodeSettings(settings: unknown, board: Board): SettingsCheck<NodeSettings> {
  const errors = schemaErrors(validators().settings, settings);
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) return { ok: false, errors };
  const s = settings as { [k: string]: any };
  errors.push(...crossFieldErrors(s), ...boardErrors(s, board, true));
  // a birth lists 1..128 channels (docs/design.md): a node without any would be refused at every birth
  if (errors.length === 0 && channelTable(withDefaults(withoutHelp(s))) === "")
    errors.push("vedirect, modbus, ina226, ct: no sensor is set (or every channel is off), so the node would have no channel to report and the gateway refuses a birth without one; configure at least one sensor that is wired");
  return errors.length ? { ok: false, errors } : { ok: true, value: withoutHelp(s) as NodeSettings };
}

/**
 * A desired configuration (cfg) for a node on `board` (as its birth reports it; undefined when the gateway has
 * no birth, or a board it does not know: the board's rules are then skipped), merged over `applied`, the settings
 * the node reports having applied (its birth's cfg), for the rules between fields. Identity keys are refused.
 */
export function checkNodeConfig(config: unknown, board: Board | undefined, applied: { [k: string]: any } = {}): SettingsCheck<{ [k: string]: any }> {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return { ok: false, errors: ["(top level): must be a JSON object of settings"] };
  const c = config as { [k: string]: any };
  const errors: string[] = [];
  const rest: { [k: string]: any } = {};
  for (const k of Object.keys(c)) {
    if (k in identityProperties) errors.push(`${k}: is the node's identity, which a cfg cannot change; write it to the node with minigrid provision`);
    else rest[k] = c[k];
  }
  errors.push(...schemaErrors(validators().config, rest));
  // modbus: null turns Modbus off, as leaving it out of a settings file does
  const merged: { [k: string]: any } = { ...applied, ...rest };
  if (merged.modbus === null) delete merged.modbus;
  errors.push(...crossFieldErrors(merged));
  if (board) errors.push(...boardErrors(rest.modbus === null ? { ...rest, modbus: undefined } : rest, board, false));
  return errors.length ? { ok: false, errors } : { ok: true, value: c };
}
