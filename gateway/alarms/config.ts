// Alarm rules as configuration, with defaults for an off-grid site (a 48 V battery bank, a few kWp of PV, one
// inverter). `defaults` applies to every site; `sites.<site>` overrides any part of it. alarmsConfigSchema is the
// JSON schema of this part of the gateway configuration (composed into the whole by the configuration loader).

import type { Severity } from "../../contracts/gateway-api";

export type { Severity };

/** Common to every rule: raise only after the condition held for raise_after_s, clear after clear_after_s. */
export interface RuleTiming {
  enabled: boolean;
  severity: Severity;
  raise_after_s: number;
  clear_after_s: number;
}

export interface SiteAlarmsConfig {
  /** Site position, for the daylight model of pv_low. */
  latitude_deg?: number;
  longitude_deg?: number;
  /** PV array peak power, kWp; pv_low is off without it. */
  pv_kWp?: number;
  /** Inverter continuous rating, W; overload is off without it. */
  inverter_rating_W?: number;
  /**
   * Nominal battery bank voltage (12, 24, 48...). battery_low_V's thresholds are given for a 48 V bank and scaled by
   * battery_system_V / 48. Without it the bank is recognised from a node's first voltage reading: below 18 V a 12 V
   * bank, below 36 V a 24 V bank, else 48 V (as charge controllers detect it at power-up).
   */
  battery_system_V?: number;
  soc_low: RuleTiming & { raise_below_pct: number; clear_above_pct: number };
  /** Thresholds in volts; the defaults' are for a 48 V bank and `toBank` scales them to the site's bank. */
  battery_low_V: RuleTiming & { raise_below_V: number; clear_above_V: number; toBank?: boolean };
  charger_fault: RuleTiming;
  inverter_fault: RuleTiming;
  overload: RuleTiming & { raise_above_frac: number; clear_below_frac: number };
  node_offline: RuleTiming;
  sensor_failed: RuleTiming;
  pv_low: RuleTiming & {
    /** "clear-sky": expected = kWp * sin(sun elevation) * performance_ratio; "fraction": kWp * expected_frac in daylight. */
    model: "clear-sky" | "fraction";
    performance_ratio: number;
    expected_frac: number;
    min_elevation_deg: number;
    raise_below_frac: number;
    clear_above_frac: number;
    /** A full battery makes the charger throttle PV: no alarm above this state of charge. */
    skip_above_soc_pct: number;
  };
  energy_balance: RuleTiming & {
    window_s: number;
    /** Conversion losses expected at most, as a fraction of the energy in (PV + battery discharge). */
    max_loss_frac: number;
    tolerance_Wh: number;
    tolerance_frac: number;
    /** Windows with less energy in than this are not judged. */
    min_in_Wh: number;
  };
}

export type SiteAlarmsOverrides = { [K in keyof SiteAlarmsConfig]?: SiteAlarmsConfig[K] extends object ? Partial<SiteAlarmsConfig[K]> : SiteAlarmsConfig[K] };

export interface AlarmsConfig {
  enabled: boolean;
  defaults: SiteAlarmsOverrides;
  sites: { [site: string]: SiteAlarmsOverrides };
}

function t(severity: Severity, raise_after_s: number, clear_after_s: number): RuleTiming {
  return { enabled: true, severity, raise_after_s, clear_after_s };
}

/** Defaults for an off-grid site. Battery voltages are for a 48 V lead-acid bank: 11.5 V and 12.2 V per 12 V block. */
export const defaultSiteAlarms: SiteAlarmsConfig = {
  soc_low: { ...t("warning", 300, 600), raise_below_pct: 30, clear_above_pct: 40 },
  battery_low_V: { ...t("critical", 120, 600), raise_below_V: 46.0, clear_above_V: 48.8, toBank: true },
  charger_fault: t("critical", 0, 60),
  inverter_fault: t("critical", 0, 60),
  overload: { ...t("warning", 60, 120), raise_above_frac: 1.0, clear_below_frac: 0.9 },
  node_offline: t("warning", 120, 0),
  sensor_failed: t("warning", 300, 60),
  pv_low: {
    ...t("warning", 7200, 1800),
    model: "clear-sky",
    performance_ratio: 0.75,
    expected_frac: 0.5,
    min_elevation_deg: 20,
    raise_below_frac: 0.15,
    clear_above_frac: 0.3,
    skip_above_soc_pct: 90,
  },
  energy_balance: {
    ...t("warning", 0, 3600),
    window_s: 86400,
    max_loss_frac: 0.25,
    tolerance_Wh: 100,
    tolerance_frac: 0.05,
    min_in_Wh: 200,
  },
};

export const defaultAlarmsConfig: AlarmsConfig = { enabled: true, defaults: {}, sites: {} };

function mergeInto(base: SiteAlarmsConfig, over: SiteAlarmsOverrides | undefined): SiteAlarmsConfig {
  if (!over) return base;
  const out: any = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = (base as any)[k];
    out[k] = b !== null && typeof b === "object" && typeof v === "object" ? { ...b, ...v } : v;
  }
  return out as SiteAlarmsConfig;
}

/** The rules in force for one site: built-in defaults, then `defaults`, then `sites.<site>`. */
export function siteAlarms(config: AlarmsConfig, site: string): SiteAlarmsConfig {
  const c = mergeInto(mergeInto(defaultSiteAlarms, config.defaults), config.sites[site]);
  // voltages an operator wrote are meant as written; only the defaults follow the bank's nominal voltage
  const written = [config.defaults, config.sites[site]].some((o) => o?.battery_low_V && ("raise_below_V" in o.battery_low_V || "clear_above_V" in o.battery_low_V));
  if (written) c.battery_low_V = { ...c.battery_low_V, toBank: false };
  return c;
}

const timing = {
  enabled: { type: "boolean" },
  severity: { enum: ["info", "warning", "critical"] },
  raise_after_s: { type: "number", minimum: 0 },
  clear_after_s: { type: "number", minimum: 0 },
};

function rule(extra: Record<string, object> = {}) {
  return { type: "object", additionalProperties: false, properties: { ...timing, ...extra } };
}

const num = { type: "number" };
const nonNeg = { type: "number", minimum: 0 };
const frac = { type: "number", minimum: 0, maximum: 10 };

const siteSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    latitude_deg: { type: "number", minimum: -90, maximum: 90 },
    longitude_deg: { type: "number", minimum: -180, maximum: 180 },
    pv_kWp: nonNeg,
    inverter_rating_W: nonNeg,
    battery_system_V: { type: "number", minimum: 2, maximum: 1000 },
    soc_low: rule({ raise_below_pct: { type: "number", minimum: 0, maximum: 100 }, clear_above_pct: { type: "number", minimum: 0, maximum: 100 } }),
    battery_low_V: rule({ raise_below_V: nonNeg, clear_above_V: nonNeg, toBank: { type: "boolean" } }),
    charger_fault: rule(),
    inverter_fault: rule(),
    overload: rule({ raise_above_frac: frac, clear_below_frac: frac }),
    node_offline: rule(),
    sensor_failed: rule(),
    pv_low: rule({
      model: { enum: ["clear-sky", "fraction"] },
      performance_ratio: frac,
      expected_frac: frac,
      min_elevation_deg: { type: "number", minimum: 0, maximum: 90 },
      raise_below_frac: frac,
      clear_above_frac: frac,
      skip_above_soc_pct: { type: "number", minimum: 0, maximum: 100 },
    }),
    energy_balance: rule({ window_s: { type: "number", minimum: 60 }, max_loss_frac: frac, tolerance_Wh: nonNeg, tolerance_frac: frac, min_in_Wh: num }),
  },
};

/** JSON schema (draft-07, ajv) of the `alarms` part of the gateway configuration. */
export const alarmsConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    enabled: { type: "boolean" },
    defaults: siteSchema,
    sites: { type: "object", propertyNames: { pattern: "^[a-z0-9_-]{1,32}$" }, additionalProperties: siteSchema },
  },
};
