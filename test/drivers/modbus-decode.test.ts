import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeModbusCapture } from "../../cli/decode/modbus";
import { FIXTURE_URL, loadPairs } from "./modbus-fixture";

function run(text: string, opts?: Parameters<typeof decodeModbusCapture>[3]) {
  const lines: Record<string, unknown>[] = [];
  const errors: string[] = [];
  const res = decodeModbusCapture(text, (l) => lines.push(JSON.parse(l)), (l) => errors.push(l), opts);
  return { res, lines, errors };
}

describe("decodeModbusCapture on the real EPEver capture (JSON pairs)", () => {
  const { res, lines, errors } = run(readFileSync(FIXTURE_URL, "utf8"));

  it("decodes all 464 frames, one JSON line each, none rejected", () => {
    expect(res).toEqual({ frames: 464, rejected: 0 });
    expect(lines.length).toBe(464);
    expect(errors).toEqual([]);
    expect(lines.filter((l) => l.dir === "request").length).toBe(232);
    expect(lines.filter((l) => l.exception === 2).length).toBe(115);
  });

  it("names register values through the EPEver map, detected from the capture's device", () => {
    expect(lines.find((l) => l.start === 0x3104 && l.dir === "response")).toEqual({
      n: 2 * 31, dir: "response", slave: 1, fc: 4, function: "read input registers", start: 0x3104, registers: [0x0510],
      values: { battery_V: 12.96 },
    });
    expect(lines.find((l) => l.start === 0x3100 && l.dir === "response")).toMatchObject({ values: { pv_V: 1.97 } });
    expect(lines.find((l) => l.fc === 43 && l.dir === "response")).toMatchObject({ objects: { 1: "Tracer2215BN" } });
    expect(lines[7]).toEqual({ n: 8, dir: "response", slave: 1, fc: 3, function: "read holding registers", exception: 2, exceptionName: "illegal data address" });
  });
});

describe("decodeModbusCapture on hex dumps", () => {
  const pairs = loadPairs();

  it("reads the documented forms and pairs responses with their requests", () => {
    const dump = [
      "# a poll of the battery voltage",
      "[0.001] TX: 01 04 31 04 00 01 7e f7",
      "[0.012] RX: 01:04:02:05:10:bb:ac",
      "",
      "0x01,0x06,0x90,0x01,0x00,0xc8,0xf4,0x9c",
      "0106900100c8f49c   // its echo",
      "01 2b 0e 01 00 70 77",
      pairs[0].response,
    ].join("\n");
    const { res, lines, errors } = run(dump, { map: "epever" });
    expect(errors).toEqual([]);
    expect(res).toEqual({ frames: 6, rejected: 0 });
    expect(lines.map((l) => l.dir)).toEqual(["request", "response", "request", "response", "request", "response"]);
    expect(lines[1]).toMatchObject({ start: 0x3104, values: { battery_V: 12.96 } });
    expect(lines[2]).toMatchObject({ fc: 6, address: 0x9001, value: 200 });
    expect(lines[3]).toMatchObject({ fc: 6, address: 0x9001, value: 200, dir: "response" });
    expect(lines[5]).toMatchObject({ objects: { 0: "EPsolar Tech co., Ltd" } });
  });

  it("rejects bad frames with counted reasons and goes on", () => {
    const dump = [
      "01 04 31 04 00 01 7e f7",
      "01 04 02 05 10 bb ad", // CRC broken
      "01 04 02 05", // truncated
      "zz 01", // not hex
      "01 04 02 05 10 bb ac", // a good answer with no request before it
    ].join("\n");
    const { res, lines, errors } = run(dump);
    expect(res).toEqual({ frames: 2, rejected: 3 });
    expect(lines[1]).toMatchObject({ registers: [0x0510] });
    expect(lines[1].values).toBeUndefined(); // the answer's request was lost: its registers have no address
    expect(errors[0]).toBe("map: EPEver (recognised from the registers read)"); // 0x3104 read in the first line
    expect(errors[1]).toBe("3 of 5 frames rejected: response crc 1, response truncated 1, not hex 1");
    expect(errors.length).toBe(5);
  });

  it("reports unusable JSON instead of throwing", () => {
    expect(run("{ nope").res).toEqual({ frames: 0, rejected: 1 });
    expect(run('{"x": 1}').errors[0]).toMatch(/pairs/);
    expect(run('[{"request": 5}]').res).toEqual({ frames: 0, rejected: 2 });
  });
});
