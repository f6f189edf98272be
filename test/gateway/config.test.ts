import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, defaultConfig, loadConfigFile } from "../../gateway/config/load";
import { buildConfigSchema } from "../../gateway/config/schema";
import { hashPassword, verifyPassword } from "../../gateway/config/password";
import { tempDir } from "./fixture";

describe("gateway settings", () => {
  it("starts with no file: embedded broker on loopback 1883, SQLite in ./data, HTTP on loopback 8080, demo off", () => {
    const c = defaultConfig();
    expect(c.broker).toMatchObject({ mode: "embedded", host: "127.0.0.1", port: 1883 });
    expect(c.storage.path).toBe("./data/minigrid.db");
    expect(c.http).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(c.demo).toBe(false);
    expect(c.version).toBe(1);
  });

  it("reports every error with its key, what was found and the fix", () => {
    const r = checkConfig({ broker: { port: "abc", mode: "cloud", colour: 1 }, nodes: [{ site: "Site A", node: "n1", username: "u" }], storage: { flushMs: -5 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain('broker.port: must be an integer 1..65535 (got "abc"); set broker.port to the TCP port the controllers connect to');
    const text = r.errors.join("\n");
    expect(text).toMatch(/^broker\.mode: must be one of "embedded", "external" \(got "cloud"\); set broker\.mode/m);
    expect(text).toMatch(/^broker\.colour: unknown key; remove it/m);
    expect(text).toMatch(/^nodes\[0\]\.site: must be a string matching .* \(got "Site A"\); use 1\.\.32 lower-case/m);
    expect(text).toMatch(/^nodes\[0\]\.passwordHash: is required; paste the output of `minigrid gateway hash-password`/m);
    expect(text).toMatch(/^storage\.flushMs: must be an integer 0\.\.10000 \(got -5\)/m);
    expect(r.errors).toHaveLength(6);
  });

  it("refuses a time-sync period a Node timer cannot hold, naming the limit", () => {
    const r = checkConfig({ liveness: { timeSyncS: 30 * 86400 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join("\n")).toMatch(/^liveness\.timeSyncS: .*\(got 2592000\).*at most 2,000,000/m);
    expect(checkConfig({ liveness: { timeSyncS: 86400 } }).ok).toBe(true);
  });

  it("takes each site's time zone as an IANA name, naming the site and the fix otherwise", () => {
    const ok = checkConfig({ sites: { s1: { timezone: "Africa/Nairobi" }, s2: {} } });
    expect(ok.ok && ok.config.sites).toEqual({ s1: { timezone: "Africa/Nairobi" }, s2: {} });
    expect(defaultConfig().sites).toEqual({});
    const r = checkConfig({ sites: { s1: { timezone: "Nairobi" }, s2: { timezone: "Africa/Nairobi", tz: 3 } } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join("\n")).toMatch(/^sites\.s2\.tz: unknown key; remove it .*known here: timezone/m);
    const bad = checkConfig({ sites: { s1: { timezone: "Nairobi" } } });
    const name = checkConfig({ sites: { "Bad Site": {} } });
    expect(name.ok === false && name.errors.join("\n")).toMatch(/^sites: must be a string matching .*\(got "Bad Site"\); name each site by its id/);
    expect(bad.ok === false && bad.errors).toEqual(['sites.s1.timezone: "Nairobi" is not a time zone this gateway knows; set it to an IANA name such as "Africa/Nairobi", "Asia/Kathmandu" or "UTC"']);
  });

  it("asks for broker.url in external mode and refuses a user name used twice", () => {
    const h = hashPassword("x");
    const r = checkConfig({
      broker: { mode: "external" },
      nodes: [
        { site: "s", node: "a", username: "u", passwordHash: h },
        { site: "s", node: "b", username: "u", passwordHash: h },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toMatch(/broker\.url: is required when broker\.mode is "external".*\n.*nodes\[1\]\.username: "u" is used twice/);
  });

  it("reads YAML and JSON files, and names a syntax error", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.yaml"), "broker:\n  port: 1884\ndemo: true\n");
    writeFileSync(join(dir, "b.json"), '{"http": {"port": 9000}}');
    writeFileSync(join(dir, "c.yaml"), "broker: [unclosed\n");
    const a = loadConfigFile(join(dir, "a.yaml"));
    const b = loadConfigFile(join(dir, "b.json"));
    expect(a.ok && a.config.broker.port === 1884 && a.config.demo).toBe(true);
    expect(b.ok && b.config.http.port === 9000 && b.config.broker.port === 1883).toBe(true);
    const c = loadConfigFile(join(dir, "c.yaml"));
    expect(!c.ok && c.errors[0]).toMatch(/c\.yaml: is not valid YAML or JSON/);
    const d = loadConfigFile(join(dir, "missing.yaml"));
    expect(!d.ok && d.errors[0]).toMatch(/cannot be read/);
  });

  it("lets another part check its own section (alarms)", () => {
    const sections = { alarms: { type: "object", additionalProperties: false, properties: { lowVoltage_mV: { type: "integer", minimum: 0, fix: "set it in mV" } } } };
    expect(buildConfigSchema(sections).properties.alarms.properties.lowVoltage_mV.type).toBe("integer");
    const bad = checkConfig({ alarms: { lowVoltage_mV: "low" } }, { sections });
    expect(!bad.ok && bad.errors).toEqual(['alarms.lowVoltage_mV: must be an integer >= 0 (got "low"); set alarms.lowVoltage_mV in mV']);
    const good = checkConfig({ alarms: { lowVoltage_mV: 11500 } }, { sections });
    expect(good.ok && good.config.alarms).toEqual({ lowVoltage_mV: 11500 });
  });

  it("hashes node passwords with scrypt and verifies them", () => {
    const h = hashPassword("s3cret");
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(verifyPassword("s3cret", h)).toBe(true);
    expect(verifyPassword("s3cret!", h)).toBe(false);
    expect(verifyPassword("s3cret", "plain")).toBe(false);
  });
});
