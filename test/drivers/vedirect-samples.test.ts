// What the board reports of VE.Direct blocks (veSamples): the same quantities, values and qualities as the full
// decoder (decodeVeDirectBlock) gives through the quantity table the node used before, on every block of the real
// captures, for both kinds of device, and when the port is not ok.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VeDirectFields, createVeDirectParser } from "../../firmware/drivers/vedirect";
import { VeDirectValues, decodeVeDirectBlock, veSamples } from "../../firmware/drivers/vedirect-decode";

const fixture = (name: string) => readFileSync(new URL("../fixtures/real/vedirect/" + name, import.meta.url)).toString("latin1");
type Sample = [string, number | null, string, number];

/** The reference: values by decodeVeDirectBlock, then source key, quantity key ("=" the same), divisor. */
const BMV = "battery_mV battery_V 1000 battery_mA battery_A 1000 power_W battery_W 1 soc_permille battery_soc_pct 10 " +
  "consumed_mAh battery_consumed_Ah 1000 timeToGo_min battery_ttg_min 1 battery_temp_C battery_temp_C 1";
const MPPT = "pv_mV pv_V 1000 pv_W = 1 battery_mA charge_A 1000 chargeState charge_state 1 error charger_fault 1 load_mA load_A 1000";
function reference(kind: string, v: VeDirectValues, q: string, t: number): Sample[] {
  const out: Sample[] = [];
  const f = (kind === "bmv" ? BMV : MPPT).split(" ");
  const vv = v as { [k: string]: unknown };
  for (let i = 0; i < f.length; i += 3) {
    const x = vv[f[i]];
    if (x !== undefined) out.push([f[i + 1] === "=" ? f[i] : f[i + 1], typeof x === "number" ? x / +f[i + 2] : null, q, t]);
  }
  if (kind === "bmv") return out;
  if (v.pv_W !== undefined && v.pv_mV) out.push(["pv_A", v.pv_W === null ? null : v.pv_W / (v.pv_mV / 1000), q, t]);
  if (v.load_mA !== undefined && v.battery_mV) out.push(["load_W", v.load_mA === null ? null : (v.load_mA / 1000) * (v.battery_mV / 1000), q, t]);
  return out;
}

function samples(kind: string, fields: VeDirectFields | undefined, q?: "o" | "s" | "f"): Sample[] {
  const out: Sample[] = [];
  veSamples(kind, (k, v, qq, t) => out.push([k, v, qq, t]), { seconds: () => 42 }, fields, q);
  return out;
}

describe("veSamples", () => {
  const blocks: VeDirectFields[] = [];
  const p = createVeDirectParser((f) => blocks.push(f!));
  p.push(fixture("bvm702.dump"));
  p.push(fixture("bluesolar_1.23.dump"), true);
  p.push(fixture("bluesolar_1.23.dump"), true);

  it("gives what the full decoder gives, block for block, for both kinds", () => {
    // after a gap, the capture's first byte (the checksum byte of a block before it) is junk, and its first block whole
    expect(blocks.length).toBe(906 + 2 * 248);
    let n = 0;
    for (const f of blocks) {
      for (const kind of ["bmv", "mppt"]) {
        const want = reference(kind, decodeVeDirectBlock(f), "o", 42);
        expect(samples(kind, f)).toEqual(want);
        n += want.length;
      }
    }
    expect(n).toBeGreaterThan(5000);
  });

  it("reads '---' and anything that is not a whole number as null", () => {
    for (const raw of ["---", "", "12x", " 12", "+3", "1.5", "-"]) {
      const f = { V: raw, I: "-7625", VPV: "31390", PPV: raw, IL: raw };
      for (const kind of ["bmv", "mppt"]) expect(samples(kind, f)).toEqual(reference(kind, decodeVeDirectBlock(f), "o", 42));
    }
    expect(samples("bmv", { V: "---", SOC: "839" })).toEqual([["battery_V", null, "o", 42], ["battery_soc_pct", 83.9, "o", 42]]);
  });

  it("reports the main quantities as null with the quality when there is no block", () => {
    expect(samples("bmv", undefined, "s")).toEqual([
      ["battery_V", null, "s", 42], ["battery_A", null, "s", 42], ["battery_W", null, "s", 42], ["battery_soc_pct", null, "s", 42],
    ]);
    expect(samples("mppt", undefined, "f")).toEqual([["pv_V", null, "f", 42], ["pv_W", null, "f", 42]]);
  });
});
