import { describe, expect, it } from "vitest";
import { CUT_REQUESTS, CUT_RESPONSES, CUT_SILENCE, frameGap_ms, RtuFramer } from "../../firmware/drivers/modbus-frame";
import { writeMultipleRequest } from "../../firmware/drivers/modbus-rtu";
import { binToHex, bytesToBin, hexToBin } from "./modbus-fixture";

const A = hexToBin("01 04 02 05 10 bb ac"); // battery 12.96 V
const B = hexToBin("01 04 02 00 c5 79 63"); // PV 1.97 V
const EXC = hexToBin("01 83 02 c0 f1");

function collect() {
  const frames: string[] = [];
  return { frames, out: (f: string) => frames.push(f) };
}

/** Feeds bytes one at a time, byte i received at times[i] (ms). */
function feedBytes(fr: RtuFramer, bytes: string, times: number[], out: (f: string) => void) {
  for (let i = 0; i < bytes.length; i++) fr.push(bytes[i], times[i], out);
}

describe("frame gap", () => {
  it("is 3.5 characters up to 19200 baud and a fixed 1.75 ms above", () => {
    expect(frameGap_ms(9600)).toBeCloseTo(3.6458, 3); // 3.5 x 10 bits / 9600
    expect(frameGap_ms(9600, 11)).toBeCloseTo(4.0104, 3);
    expect(frameGap_ms(19200)).toBeCloseTo(1.8229, 3);
    expect(frameGap_ms(115200)).toBe(1.75);
  });
});

describe("RtuFramer, silence only", () => {
  const c = 10000 / 9600; // one character at 9600 8N1, ms

  it("cuts at a silence of 3.5 characters and not at a shorter one", () => {
    const fr = new RtuFramer(9600, CUT_SILENCE);
    const { frames, out } = collect();
    const t: number[] = [];
    for (let i = 0; i < 7; i++) t.push(10 + (i + 1) * c);
    // second frame starts 3.0 characters of silence after the first: same frame
    for (let i = 0; i < 7; i++) t.push(t[6] + 3 * c + (i + 1) * c);
    feedBytes(fr, A + B, t, out);
    expect(frames).toEqual([]);
    fr.poll(t[13] + 3.4 * c, out);
    expect(frames).toEqual([]);
    fr.poll(t[13] + 3.5 * c, out);
    expect(frames).toEqual([A + B]);
  });

  it("starts a new frame after a silence of at least 3.5 characters", () => {
    const fr = new RtuFramer(9600, CUT_SILENCE);
    const { frames, out } = collect();
    fr.push(A, 100, out); // 7 bytes, the last received at 100 ms
    fr.push(B, 100 + 3.5 * c + 7 * c, out); // first byte of B starts exactly 3.5 characters after A ended
    expect(frames).toEqual([A]);
    fr.poll(200, out);
    expect(frames).toEqual([A, B]);
  });

  it("joins a frame split over chunks that arrive back to back", () => {
    const fr = new RtuFramer(115200, CUT_SILENCE);
    const { frames, out } = collect();
    const ch = 10000 / 115200;
    fr.push(A.slice(0, 3), 5, out);
    fr.push(A.slice(3), 5 + 4 * ch + 1.0, out); // 1 ms pause: below the fixed 1.75 ms
    expect(fr.due(5 + 4 * ch + 1.0)).toBeCloseTo(1.75);
    fr.poll(5 + 4 * ch + 2.8, out);
    expect(frames).toEqual([A]);
  });

  it("cuts a pause of 2 ms at 115200 baud inside a chunk stream", () => {
    const fr = new RtuFramer(115200, CUT_SILENCE);
    const { frames, out } = collect();
    const ch = 10000 / 115200;
    fr.push(A, 1, out);
    fr.push(B, 1 + 2 + 7 * ch, out);
    expect(frames.map(binToHex)).toEqual([binToHex(A)]);
  });

  it("flushes more than 256 bytes without silence as one frame for the parser to reject", () => {
    const fr = new RtuFramer(115200, CUT_SILENCE);
    const { frames, out } = collect();
    for (let i = 0; i < 30; i++) fr.push("\x55".repeat(10), i * 0.87, out);
    expect(frames.length).toBe(1);
    expect(frames[0].length).toBe(260);
  });
});

describe("RtuFramer, cutting complete frames by length", () => {
  it("separates two responses (and an exception) that arrive in one chunk", () => {
    const fr = new RtuFramer(115200, CUT_RESPONSES);
    const { frames, out } = collect();
    fr.push(A + EXC + B, 3, out);
    expect(frames).toEqual([A, EXC, B]);
    expect(fr.b).toBe("");
  });

  it("waits for the rest of a split frame, then cuts it without waiting for silence", () => {
    const fr = new RtuFramer(115200, CUT_RESPONSES);
    const { frames, out } = collect();
    fr.push(A.slice(0, 2), 1, out);
    fr.push(A.slice(2, 5), 1.3, out);
    expect(frames).toEqual([]);
    fr.push(A.slice(5) + B.slice(0, 1), 1.5, out);
    expect(frames).toEqual([A]);
    expect(fr.b).toBe(B.slice(0, 1));
  });

  it("leaves garbage (no valid CRC at the predicted length) to the silence", () => {
    const fr = new RtuFramer(115200, CUT_RESPONSES);
    const { frames, out } = collect();
    const bad = A.slice(0, 6) + "\x00";
    fr.push(bad + B, 1, out);
    expect(frames).toEqual([]);
    fr.poll(10, out);
    expect(frames).toEqual([bad + B]);
  });

  it("cuts requests on the slave side, FC 10 included", () => {
    const fr = new RtuFramer(9600, CUT_REQUESTS);
    const { frames, out } = collect();
    const req1 = hexToBin("01 04 30 00 00 01 3e ca");
    const req2 = bytesToBin(writeMultipleRequest(1, 0x9013, [0x1a1e, 0x0202, 0x0f07])!);
    const req3 = hexToBin("01 2b 0e 01 00 70 77");
    fr.push(req1 + req2.slice(0, 5), 1, out);
    fr.push(req2.slice(5) + req3, 1 + 16 * (10000 / 9600), out); // back to back
    expect(frames).toEqual([req1, req2, req3]);
  });
});
