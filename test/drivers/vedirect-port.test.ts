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

function rig(opts: { stale_s?: number; failed_s?: number } = {}) {
  let t = 100;
  let cb: ((d: string) => void) | undefined;
  const setups: any[] = [];
  const writes: any[] = [];
  const serial: SerialPort = {
    setup: (baud, o) => setups.push([baud, o]),
    write: (d) => writes.push(d),
    on: (_e, f) => (cb = f),
  };
  const changes: [VeQuality, VeQuality][] = [];
  const got: number[] = [];
  const port = openVeDirectPort({
    serial,
    clock: { seconds: () => t },
    setup: { rx: "B7", tx: "B6" },
    onBlock: (_f, at) => got.push(at),
    onQuality: (q, was) => changes.push([q, was]),
    ...opts,
  });
  return {
    port, setups, writes, changes, got,
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
  it("sets the UART up at 19200 8N1 with the board's pins, and writes HEX requests as given", () => {
    const r = rig();
    expect(r.setups).toEqual([[19200, { bytesize: 8, parity: null, stopbits: 1, rx: "B7", tx: "B6" }]]);
    r.port.write(hexGet(0x0201));
    expect(r.writes).toEqual([":70102004B\n"]);
  });

  it("is stale until the first block, ok while blocks come, stale then failed in silence, ok again on return", () => {
    const r = rig();
    expect(r.port.quality()).toBe("stale");
    r.stream(101, 111);
    expect(r.got.length).toBe(10);
    expect(r.port.quality()).toBe("ok");
    r.at(114);
    expect(r.port.quality()).toBe("ok");
    r.at(115);
    expect(r.port.quality()).toBe("stale"); // 5 s without a good block
    r.at(139);
    expect(r.port.quality()).toBe("stale");
    r.at(140);
    expect(r.port.quality()).toBe("failed"); // 30 s: unplugged
    expect(r.port.stats()).toMatchObject({ quality: "failed", blockAge_s: 30, byteAge_s: 30, lost: 1 });
    r.stream(200, 202);
    expect(r.port.quality()).toBe("ok");
    expect(r.changes).toEqual([["ok", "stale"], ["stale", "ok"], ["failed", "stale"], ["ok", "failed"]]);
  });

  it("fails on nothing but garbage, and counts it", () => {
    const r = rig();
    r.stream(101, 103);
    for (let s = 103; s <= 140; s++) {
      r.at(s);
      r.send("\r\nV\t12000\r\nI\t\x01\x02\x03garbage\r\nChecksum\t\x00");
    }
    expect(r.port.quality()).toBe("failed");
    const st = r.port.stats();
    expect(st.byteAge_s).toBe(0);
    expect(st.counters.framing + st.counters.badChecksum).toBeGreaterThan(30);
    r.stream(141, 143, 4);
    expect(r.port.quality()).toBe("ok");
  });

  it("goes stale on bad checksums only, and recovers", () => {
    const r = rig({ stale_s: 3, failed_s: 10 });
    r.stream(101, 103);
    for (let s = 103; s < 108; s++) {
      r.at(s);
      const b = blocks[s % 2];
      r.send(b.substring(0, b.length - 1) + String.fromCharCode((b.charCodeAt(b.length - 1) + 7) & 255));
    }
    expect(r.port.quality()).toBe("stale");
    expect(r.port.stats().counters.badChecksum).toBe(5);
    r.stream(108, 109, 2);
    expect(r.port.quality()).toBe("ok");
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
    expect(r.port.stats().counters).toMatchObject({ truncated: 1, blocks: 3, badChecksum: 0, framing: 0 });
    expect(r.got).toEqual([101, 104, 105]);
  });

  it("does not take the pause between blocks for a cut (chunks of one block a few ms apart)", () => {
    const r = rig();
    const b = blocks[0] + blocks[1];
    for (let i = 0; i < b.length; i += 16) {
      r.at(101 + i / 2000);
      r.send(b.substring(i, i + 16));
    }
    expect(r.port.stats().counters).toMatchObject({ blocks: 2, truncated: 0 });
  });
});
