// The VE.Direct port: UART setup, bytes to the parser, HEX writes, and data quality over time (ok / stale / failed)
// with faults: silence (unplugged), garbage, bad checksums, a block cut by a pause; recovery when blocks return.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SerialPort } from "../../firmware/hal/types";
import { VeQuality, openVeDirectPort } from "../../firmware/drivers/vedirect-port";
import { hexGet } from "../../firmware/drivers/vedirect-hex";

const bvm = readFileSync(new URL("../fixtures/real/vedirect/bvm702.dump", import.meta.url)).toString("latin1");
const blocks: string[] = [];
for (let from = 0, at = bvm.indexOf("Checksum\t"); at >= 0 && at + 10 <= bvm.length; at = bvm.indexOf("Checksum\t", from)) {
  blocks.push(bvm.substring(from, at + 10));
  from = at + 10;
}

function rig() {
  let t = 100;
  let cb: ((d: string) => void) | undefined;
  const setups: any[] = [];
  const serial: SerialPort = {
    setup: (...a: any[]) => setups.push(a),
    write: () => {},
    on: (_e, f) => (cb = f),
  };
  const got: number[] = [];
  const told: VeQuality[] = [];
  const port = openVeDirectPort(serial, { seconds: () => t }, (f, q) => (f ? got.push(t) : told.push(q!)));
  /** the quality each time it is asked, without repeats: the changes */
  const seen: VeQuality[] = [];
  const quality = () => {
    const q = port.poll();
    if (seen[seen.length - 1] !== q) seen.push(q);
    return q;
  };
  return {
    port, setups, got, told, seen, quality,
    at: (s: number) => (t = s),
    send: (d: string) => cb!(d),
    /** one block a second from `from` to `to` (virtual seconds) */
    stream(from: number, to: number, k = 0) {
      for (let s = from; s < to; s++, k++) {
        t = s;
        cb!(blocks[k % blocks.length]);
      }
    },
  };
}

describe("VE.Direct port", () => {
  it("sets the UART up at 19200 (Espruino's default framing is 8N1; the board's serial adds its pins)", () => {
    const r = rig();
    expect(r.setups).toEqual([[19200]]);
    // HEX requests are written to the serial port as built
    expect(hexGet(0x0201)).toBe(":70102004B\n");
  });

  it("is stale until the first block, ok while blocks come, stale then failed in silence, ok again on return", () => {
    const r = rig();
    expect(r.quality()).toBe("s");
    r.stream(101, 111);
    expect(r.got.length).toBe(10);
    expect(r.quality()).toBe("o");
    r.at(114);
    expect(r.quality()).toBe("o");
    r.at(115);
    expect(r.quality()).toBe("s"); // 5 s without a good block
    r.at(139);
    expect(r.quality()).toBe("s");
    r.at(140);
    expect(r.quality()).toBe("f"); // 30 s: unplugged
    r.stream(200, 202);
    expect(r.quality()).toBe("o");
    // the changes: stale -> ok -> stale -> failed -> ok (lost once)
    expect(r.seen).toEqual(["s", "o", "s", "f", "o"]);
    // each poll that is not ok is told to onBlock, without fields (the board reports nulls with it)
    expect(r.told).toEqual(["s", "s", "s", "f"]);
  });

  it("fails on nothing but garbage, and counts it", () => {
    const r = rig();
    r.stream(101, 103);
    for (let s = 103; s <= 140; s++) {
      r.at(s);
      r.send("\r\nV\t12000\r\nI\t\x01\x02\x03garbage\r\nChecksum\t\x00");
    }
    expect(r.quality()).toBe("f"); // bytes kept coming, blocks did not
    const c = r.port.counters;
    expect(c.bytes).toBeGreaterThan(38 * 30);
    expect(c.framing + c.checksum).toBeGreaterThan(30);
    r.stream(141, 143, 4);
    expect(r.quality()).toBe("o");
  });

  it("goes stale on bad checksums only, and recovers", () => {
    const r = rig();
    r.stream(101, 103);
    for (let s = 103; s < 108; s++) {
      r.at(s);
      const b = blocks[s % 2];
      r.send(b.substring(0, b.length - 1) + String.fromCharCode((b.charCodeAt(b.length - 1) + 7) & 255));
    }
    expect(r.quality()).toBe("s");
    expect(r.port.counters.checksum).toBe(5);
    r.stream(108, 109, 2);
    expect(r.quality()).toBe("o");
  });

  it("drops a block cut by a pause and takes the next one whole", () => {
    const r = rig();
    r.stream(101, 102);
    r.at(102);
    r.send(blocks[1].substring(0, 40)); // device loses power mid-block
    r.at(104);
    r.send(blocks[2]); // and comes back
    r.at(105);
    r.send(blocks[3]);
    expect(r.port.counters).toMatchObject({ truncated: 1, blocks: 3, checksum: 0, framing: 0 });
    expect(r.got).toEqual([101, 104, 105]);
  });

  it("does not take the pause between blocks for a cut (chunks of one block a few ms apart)", () => {
    const r = rig();
    const b = blocks[0] + blocks[1];
    for (let i = 0; i < b.length; i += 16) {
      r.at(101 + i / 2000);
      r.send(b.substring(i, i + 16));
    }
    expect(r.port.counters).toMatchObject({ blocks: 2, truncated: 0 });
  });
});
