// Site descriptions are checked against their schema (sim/site/site-description.ts): an unknown or misspelt key is
// an error naming the key and the one that was meant, instead of a default taken without a word.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSiteDescription, SiteDescription, withDefaults } from "../../sim/site/site-description";
import { loadSiteFile } from "../../sim/fleet/sites";

const base = { array_kWp: 1.2, battery: { kWh: 4.8, chemistry: "lifepo4" as const } };
const check = (d: object) => checkSiteDescription(d as SiteDescription);

describe("site description schema", () => {
  it("a misspelt optional key is an error that names the key meant, not a silent default", () => {
    expect(check({ ...base, battery: { ...base.battery, initialSOC_pct: 40 } })).toEqual([
      "battery.initialSOC_pct: not a key of battery; use kWh, chemistry, system_V, initialSoc_pct (did you mean initialSoc_pct?)",
    ]);
    expect(check({ ...base, inverter: { rating_w: 600 } })).toEqual(["inverter.rating_w: not a key of inverter; use rating_W, efficiency, idle_W, ac_V, ac_Hz (did you mean rating_W?)"]);
    expect(check({ ...base, feeders: [{ name: "a", kind: "dc", profile_w: Array(24).fill(5) }] })).toEqual([
      "feeders[0].profile_W: is required; must be 24 hourly watts >= 0",
      "feeders[0].profile_w: not a key of a feeder; use name, kind, profile_W (did you mean profile_W?)",
    ]);
    expect(() => withDefaults({ ...base, battery: { ...base.battery, initialSOC_pct: 40 } } as SiteDescription)).toThrow(/initialSOC_pct.*did you mean initialSoc_pct/);
  });

  it("an unknown top-level key lists the keys a description takes", () => {
    const [e] = check({ ...base, colour: "green" });
    expect(e).toMatch(/^colour: not a key of a site description; use name, board, trace, utcOffset_h, array_kWp, .*network$/);
  });

  it("wrong types and ranges are refused with the fix, every problem at once", () => {
    expect(check({ array_kWp: "1.2", battery: { kWh: 4.8, chemistry: "lifepo4", initialSoc_pct: 140 }, board: "uno", loadNoise: -1 })).toEqual([
      "board: must be one of espruino-wifi, pico, pico-esp8266, esp32, linux (firmware/boards)",
      "array_kWp: must be a number > 0 (the PV array's peak power, kW)",
      "battery.initialSoc_pct: must be the state of charge at the start, 0..100 %",
      "loadNoise: must be the minute-to-minute variation of the loads, 0..1 (0.1 is +-10 %)",
    ]);
    expect(check({ array_kWp: 1 })).toEqual(['battery: is required; must be an object such as {"kWh": 4.8, "chemistry": "lifepo4"}']);
    expect(check({ ...base, network: { ssid: "ü".repeat(20) } })).toEqual(["network.ssid: the access point's name, 1..32 bytes"]);
  });

  it("a description without mistakes passes, and its defaults are the documented ones", () => {
    expect(check({ ...base, name: "village-a", board: "pico", utcOffset_h: -7, inverter: { rating_W: 800 }, network: { ssid: "ap", pass: "" } })).toEqual([]);
    const full = withDefaults(base);
    expect([full.battery.initialSoc_pct, full.inverter.rating_W, full.board]).toEqual([70, 1000, "pico"]);
  });

  it("a file's problems are reported under the file's name, each with its key and fix", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mg-site-")), "village.json");
    writeFileSync(file, JSON.stringify({ ...base, battery: { ...base.battery, initialSOC_pct: 40 }, inverter: { rating_w: 600 } }));
    expect(() => loadSiteFile(file)).toThrow(
      `${file}: the site description has 3 problems:\n` +
        "  trace: is required in a file; name the PV power or irradiance trace of the site, relative to the file\n" +
        "  battery.initialSOC_pct: not a key of battery; use kWh, chemistry, system_V, initialSoc_pct (did you mean initialSoc_pct?)\n" +
        "  inverter.rating_w: not a key of inverter; use rating_W, efficiency, idle_W, ac_V, ac_Hz (did you mean rating_W?)",
    );
    writeFileSync(file, "{ not json");
    expect(() => loadSiteFile(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a JSON site description`));
  });
});
