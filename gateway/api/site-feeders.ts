// Names of a site's feeders, from the gateway setting sites.<site>.feeders (docs/operator.md): a feeder's channel
// prefix (feeder1..feeder8 on INA226s, ct1..ct4 on CT clamps) to its name, for every node of the site, or under a
// node's id for that node alone. Without a name, a feeder is "Feeder N" or "Mains feeder N (CT)".

/** sites.<site>.feeders as the settings give it: `feeder1: homes-north`, or `ctl-2: {feeder1: school}`. */
export type FeederNames = { [key: string]: string | { [prefix: string]: string } };

export const feederPrefix = /^(feeder[1-8]|ct[1-4])$/;

/** The problems of a feeders setting, each naming its key and the fix; `path` is "sites.<site>.feeders". */
export function feederNamesErrors(path: string, v: unknown): string[] {
  const errors: string[] = [];
  const nameOk = (s: unknown) => typeof s === "string" && s.trim().length > 0 && s.length <= 40;
  const fixName = "give a name of 1..40 characters, e.g. homes-north";
  if (v === null || typeof v !== "object" || Array.isArray(v)) return [`${path}: must be a mapping of feeders to names (got ${JSON.stringify(v)}); e.g. feeders: {feeder1: homes-north, ct1: shops}`];
  for (const [k, name] of Object.entries(v as object)) {
    if (feederPrefix.test(k)) {
      if (!nameOk(name)) errors.push(`${path}.${k}: must be a name (got ${JSON.stringify(name)}); ${fixName}`);
    } else if (/^[a-z0-9_-]{1,32}$/.test(k) && name !== null && typeof name === "object" && !Array.isArray(name)) {
      for (const [p, n] of Object.entries(name as object)) {
        if (!feederPrefix.test(p)) errors.push(`${path}.${k}.${p}: is not a feeder; name feeder1..feeder8 (INA226) or ct1..ct4 (CT clamps)`);
        else if (!nameOk(n)) errors.push(`${path}.${k}.${p}: must be a name (got ${JSON.stringify(n)}); ${fixName}`);
      }
    } else
      errors.push(`${path}.${k}: is not a feeder; name feeder1..feeder8 (INA226) or ct1..ct4 (CT clamps), or a node's id with its own feeders, e.g. ${k.replace(/[^a-z0-9_-]/g, "")||"ctl-2"}: {feeder1: school}`);
  }
  return errors;
}

/** The name of a node's feeder ("feeder1", "ct2"): the node's own setting, the site's, else the default. */
export function feederName(names: FeederNames | undefined, node: string, prefix: string): string {
  const own = names?.[node];
  if (own && typeof own === "object" && typeof own[prefix] === "string") return own[prefix];
  const site = names?.[prefix];
  if (typeof site === "string") return site;
  const m = /^(feeder|ct)(\d+)$/.exec(prefix);
  if (!m) return prefix;
  return m[1] === "feeder" ? `Feeder ${m[2]}` : `Mains feeder ${m[2]} (CT)`;
}
