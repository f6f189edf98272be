import { describe, expect, it } from "vitest";
import { decodeVeDirectBlock, VE_SCALE_10, VE_SCALE_100, VE_TEXT_KEYS, VE_TEXT_SCALE, VE_TEXT_TABLE, veTextKey } from "../../firmware/drivers/vedirect-decode";

describe("VE.Direct tables the decoder reads as strings", () => {
  it("say what VE_TEXT_KEYS says, label for label", () => {
    const fromTable: { [label: string]: string } = {};
    for (const pair of VE_TEXT_TABLE.trim().split(" ")) {
      const [label, key] = pair.split("=");
      fromTable[label] = key;
    }
    expect(fromTable).toEqual(VE_TEXT_KEYS);
    for (const label of Object.keys(VE_TEXT_KEYS)) expect(veTextKey(label)).toBe((VE_TEXT_KEYS as Record<string, string>)[label]);
  });

  it("say what VE_TEXT_SCALE says", () => {
    const fromStrings: { [label: string]: number } = {};
    for (const l of VE_SCALE_10.trim().split(" ")) fromStrings[l] = 10;
    for (const l of VE_SCALE_100.trim().split(" ")) fromStrings[l] = 100;
    expect(fromStrings).toEqual(VE_TEXT_SCALE);
  });

  it("find no key for what is not a label: a key, part of an entry, a label with a space or '='", () => {
    for (const bad of ["battery_mV", "V=battery_mV", "V battery_mV", "V2 V", "", "=", " V", "hasOwnProperty", "v"]) {
      expect(veTextKey(bad)).toBeUndefined();
    }
    const out = decodeVeDirectBlock({ V: "12800", "V=battery_mV": "1", battery_mV: "2", "H19": "123", AC_OUT_I: "5" });
    expect(out.battery_mV).toBe(12800);
    expect(out.yieldTotal_Wh).toBe(1230);
    expect(out.acOut_mA).toBe(500);
    expect(out.unknown).toEqual({ "V=battery_mV": "1", battery_mV: "2" });
  });
});
