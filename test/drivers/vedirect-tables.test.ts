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

  it("decode the same under the interpreter's indexOf, which also reports a needle running past the end", () => {
    const block = { V: "12800", PID: "0xA042", FW: "0308", H19: "123", LOAD: "ON", SOC: "---", AC_OUT_I: "5", Zz: "1" };
    const want = decodeVeDirectBlock(block);
    const native = String.prototype.indexOf;
    // Espruino 2v29: "abc".indexOf("cd") is 2 (a partial match at the tail counts)
    String.prototype.indexOf = function (this: string, n: string, from?: number): number {
      const i = native.call(this, n, from);
      if (i >= 0) return i;
      for (let k = Math.max(from ?? 0, this.length - n.length + 1); k < this.length; k++) if (n.startsWith(this.substring(k))) return k;
      return -1;
    };
    try {
      expect("abc".indexOf("cd")).toBe(2);
      expect(decodeVeDirectBlock(block)).toEqual(want);
    } finally {
      String.prototype.indexOf = native;
    }
    expect(want).toMatchObject({ battery_mV: 12800, productId: 0xa042, firmware: "0308", yieldTotal_Wh: 1230, load_on: true, soc_permille: null, acOut_mA: 500 });
  });
});

describe("VE.Direct product ids", () => {
  it("name the solar chargers, Phoenix inverters and SmartShunts of the protocol document's list in full", async () => {
    const { VE_PRODUCTS } = await import("../../firmware/drivers/vedirect-names");
    expect(VE_PRODUCTS[0xa389]).toBe("SmartShunt 500A/50mV");
    expect(VE_PRODUCTS[0xa38b]).toBe("SmartShunt 2000A/50mV");
    expect(VE_PRODUCTS[0xa05f]).toBe("SmartSolar MPPT 100/20");
    expect(VE_PRODUCTS[0xa114]).toBe("SmartSolar MPPT VE.Can 250/70 rev2");
    expect(VE_PRODUCTS[0xa231]).toBe("Phoenix Inverter 12V 250VA 230V");
    expect(VE_PRODUCTS[0xa27c]).toBe("Phoenix Inverter 48V 1200VA 120V");
    // every SmartSolar id from 0xA050 to 0xA065 has its name
    for (let pid = 0xa050; pid <= 0xa065; pid++) expect(VE_PRODUCTS[pid], pid.toString(16)).toMatch(/^SmartSolar MPPT \d+\/\d+/);
  });
});
