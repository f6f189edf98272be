// An approximation of the interpreter's variable use (JsVars), for E.getSizeOf and process.memory() in the
// virtual Espruino. Rules from docs/espruino.md "Memory and flash per board": a variable holds about
// 12-16 bytes; a 1,000-character string takes about 77 variables; a property name of 4 characters or fewer
// packs into one variable; typed arrays are dense. Functions keep their source text. The bench compares this
// estimate with the real interpreter where ESPRUINO_BIN is set.

const charsPerVar = 13;

function stringVars(s: string): number {
  return Math.max(1, Math.ceil(s.length / charsPerVar));
}

function nameVars(key: string): number {
  return key.length <= 4 ? 1 : 1 + stringVars(key.slice(4));
}

export function estimateVars(value: unknown, seen: Set<object> = new Set(), depth = 0): number {
  if (value === null || value === undefined) return 1;
  const t = typeof value;
  if (t === "number" || t === "boolean") return 1;
  if (t === "string") return stringVars(value as string);
  if (t !== "object" && t !== "function") return 1;
  const obj = value as object;
  if (seen.has(obj) || depth > 64) return 0;
  seen.add(obj);
  if (ArrayBuffer.isView(obj)) return 2 + Math.ceil((obj as ArrayBufferView).byteLength / charsPerVar);
  if (obj instanceof ArrayBuffer) return 1 + Math.ceil(obj.byteLength / charsPerVar);
  let total = 1;
  if (t === "function") {
    let src = "";
    try {
      src = Function.prototype.toString.call(obj);
    } catch {
      src = "";
    }
    total += src.includes("[native code]") ? 0 : stringVars(src);
  }
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch {
    return total;
  }
  for (const k of keys) {
    let v: unknown;
    try {
      v = (obj as Record<string, unknown>)[k];
    } catch {
      continue;
    }
    total += nameVars(k) + estimateVars(v, seen, depth + 1);
  }
  if (t === "function") {
    const proto = (obj as { prototype?: unknown }).prototype;
    if (proto && typeof proto === "object" && Object.keys(proto).length > 0) total += estimateVars(proto, seen, depth + 1);
  }
  return total;
}
