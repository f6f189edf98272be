// The simulator's input files (site descriptions, fault scripts) checked against JSON schemas with ajv, as the
// gateway's settings are (gateway/config/): every problem at once, each as "key.path: what is wrong; the fix".
// A key the schema does not know is an error, with the nearest known key suggested: a misspelt optional key would
// otherwise fall back to its default without a word.
import { Ajv, ErrorObject, ValidateFunction } from "ajv";

export type JsonSchema = { [k: string]: any };

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
// `fix`: what to write instead, shown after the key; `name`: what an object is called in "not a key of <name>"
ajv.addKeyword({ keyword: "fix", schemaType: "string" });
ajv.addKeyword({ keyword: "name", schemaType: "string" });

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** "a/0/b" as a.[0].b is written: a[0].b. `prefix` goes in front (faults[2]). */
function keyPath(prefix: string, instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = prefix;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : (out ? "." : "") + p;
  return out || "(top level)";
}

/** Edit distance of two short strings (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** The known key `key` was most likely meant to be: the same but for case, or at most two edits away. */
export function nearestKey(key: string, known: string[]): string | undefined {
  const same = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (same) return same;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** "not a key of <where>; use <keys> (did you mean <x>?)", the wording of every unknown key. */
export function unknownKey(path: string, key: string, where: string, known: string[]): string {
  const near = nearestKey(key, known);
  return `${path}: not a key of ${where}; use ${known.join(", ")}${near ? ` (did you mean ${near}?)` : ""}`;
}

function describe(e: ErrorObject, prefix: string): { path: string; text: string } {
  const s = (e.parentSchema ?? {}) as JsonSchema;
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const path = keyPath(prefix, e.instancePath, extra);
    const where = s.name ?? (keyPath("", e.instancePath) === "(top level)" ? "the file" : keyPath("", e.instancePath));
    return { path, text: unknownKey(path, extra, where, Object.keys(s.properties ?? {})) };
  }
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const path = keyPath(prefix, e.instancePath, missing);
    return { path, text: `${path}: is required; ${s.properties?.[missing]?.fix ?? "add it"}` };
  }
  const path = keyPath(prefix, e.instancePath);
  return { path, text: `${path}: ${s.fix ?? "is not valid"}` };
}

/** Every problem of `data` against `schema`, one per key, each naming it (behind `prefix`) and its fix. */
export function schemaErrors(schema: JsonSchema, data: unknown, prefix = ""): string[] {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validate.errors ?? []) {
    const d = describe(e, prefix);
    if ([...seen].some((p) => d.path === p || d.path.startsWith(p + ".") || d.path.startsWith(p + "["))) continue;
    seen.add(d.path);
    out.push(d.text);
  }
  return out;
}
