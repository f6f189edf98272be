import { describe, expect, it } from "vitest";
import {
  adu, crc16, crcOk, deviceIdRequest, E_COUNT, E_CRC, E_ECHO, E_EXCEPTION, E_FUNC, E_SHORT, E_SLAVE, exceptionName,
  FC_DEVICE_ID, OK, parseRequest, parseResponse, readRequest, REJECT_NAMES, requestLength, responseLength, s16,
  word32, writeCoilRequest, writeMultipleRequest, writeSingleRequest,
} from "../../firmware/drivers/modbus-rtu";
import { bytesToBin, hexToBin, hexToBytes, loadPairs } from "./modbus-fixture";

const pairs = loadPairs();

/** Frame with a fresh CRC, for crafting bad-but-well-formed answers. */
function withCrc(bytes: number[]): string {
  return bytesToBin(adu(bytes));
}

describe("CRC-16/MODBUS", () => {
  it("gives 0x4B37 for the check string, from a string and from bytes", () => {
    expect(crc16("123456789")).toBe(0x4b37);
    expect(crc16(new Uint8Array(Buffer.from("123456789")))).toBe(0x4b37);
    expect(crc16("x123456789y", 1, 10)).toBe(0x4b37);
  });

  it("appends the CRC low byte first", () => {
    expect(Array.from(adu([0x01, 0x04, 0x30, 0x00, 0x00, 0x01]))).toEqual([1, 4, 0x30, 0, 0, 1, 0x3e, 0xca]);
  });
});

describe("EPEver Tracer capture: all 232 request/response pairs", () => {
  it("holds 232 pairs, every ADU with a good CRC", () => {
    expect(pairs.length).toBe(232);
    for (const p of pairs) {
      expect(crcOk(hexToBin(p.request)), p.request).toBe(true);
      expect(crcOk(hexToBin(p.response)), p.response).toBe(p.crc_ok);
    }
  });

  it("builds every request byte-identical from its parsed fields", () => {
    const byFc: Record<number, number> = {};
    for (const p of pairs) {
      const q = parseRequest(hexToBin(p.request));
      expect(q.e, p.request).toBe(OK);
      const built = q.f === FC_DEVICE_ID ? deviceIdRequest(q.s, q.a, q.q) : readRequest(q.s, q.f, q.a, q.q);
      expect(built && Array.from(built), p.request).toEqual(Array.from(hexToBytes(p.request)));
      byFc[q.f] = (byFc[q.f] || 0) + 1;
    }
    expect(byFc).toEqual({ 1: 5, 2: 5, 3: 111, 4: 110, 0x2b: 1 });
  });

  it("parses every response against its request: 117 answers, 115 exceptions 02", () => {
    let ok = 0;
    let exc = 0;
    for (const p of pairs) {
      const req = hexToBytes(p.request);
      const r = parseResponse(hexToBin(p.response), req);
      expect(r.s).toBe(1);
      if (r.e === E_EXCEPTION) {
        exc++;
        expect(r.x).toBe(2);
        expect(r.f).toBe(req[1] | 0x80);
        expect(exceptionName(r.x as number)).toBe("illegal data address");
      } else {
        expect(r.e, p.response).toBe(OK);
        ok++;
        const qty = (req[4] << 8) | req[5];
        if (req[1] === 3 || req[1] === 4) expect(r.v?.length).toBe(qty);
        if (req[1] === 1 || req[1] === 2) expect(r.b?.length).toBe(qty);
      }
      // The frame's own consistency is enough without the request too.
      expect(parseResponse(hexToBin(p.response)).e).toBe(r.e);
      expect(responseLength(hexToBin(p.response))).toBe(hexToBytes(p.response).length);
      expect(requestLength(hexToBin(p.request))).toBe(hexToBytes(p.request).length);
    }
    expect(ok).toBe(117);
    expect(exc).toBe(115);
  });

  it("recognises EPEver's refusal of FC 03 on live data and of FC 04 on settings", () => {
    const fc03on3 = pairs.filter((p) => p.request.startsWith("01 03 3"));
    const fc04on9 = pairs.filter((p) => p.request.startsWith("01 04 9"));
    expect(fc03on3.length).toBe(56);
    expect(fc04on9.length).toBe(54);
    for (const p of fc03on3) expect(p.response).toBe("01 83 02 c0 f1");
    for (const p of fc03on3.concat(fc04on9)) expect(parseResponse(hexToBin(p.response), hexToBytes(p.request)).x).toBe(2);
  });

  it("decodes the device identification objects", () => {
    const p = pairs.find((x) => x.request.startsWith("01 2b"))!;
    const r = parseResponse(hexToBin(p.response), hexToBytes(p.request));
    expect(r.e).toBe(OK);
    expect(r.o).toEqual({ 0: "EPsolar Tech co., Ltd", 1: "Tracer2215BN", 2: "V02.05+V07.12" });
  });

  it("decodes coils and discrete inputs: manual load control on, night", () => {
    const get = (req: string) => parseResponse(hexToBin(pairs.find((p) => p.request.startsWith(req))!.response), hexToBytes(pairs.find((p) => p.request.startsWith(req))!.request));
    expect(Array.from(get("01 01 00 02").b!)).toEqual([1]);
    expect(Array.from(get("01 01 00 05").b!)).toEqual([0]);
    expect(Array.from(get("01 02 20 0c").b!)).toEqual([1]); // 0x200C day/night: 1 = night
    expect(Array.from(get("01 02 20 00").b!)).toEqual([0]); // 0x2000 over temperature: no
  });
});

describe("rejections are clear and never thrown", () => {
  const req = readRequest(1, 4, 0x3104, 1)!;
  const good = hexToBin("01 04 02 05 10 bb ac");

  it("accepts the good answer", () => {
    expect(Array.from(parseResponse(good, req).v!)).toEqual([0x0510]);
  });

  it("names each rejection", () => {
    expect(parseResponse(good.slice(0, 6), req).e).toBe(E_SHORT);
    expect(parseResponse(good.slice(0, 2), req).e).toBe(E_SHORT);
    expect(parseResponse("", req).e).toBe(E_SHORT);
    expect(parseResponse(good.slice(0, 4) + "\x11" + good.slice(5), req).e).toBe(E_CRC);
    expect(parseResponse(withCrc([2, 4, 2, 5, 0x10]), req).e).toBe(E_SLAVE);
    expect(parseResponse(withCrc([1, 3, 2, 5, 0x10]), req).e).toBe(E_FUNC);
    expect(parseResponse(withCrc([1, 4, 4, 5, 0x10, 0, 0]), req).e).toBe(E_COUNT);
    expect(parseResponse(good + "\x00", req).e).toBe(E_COUNT); // a good frame with a stray byte after it
    expect(parseResponse(withCrc([1, 0x83, 2]), req).e).toBe(E_FUNC); // exception for another function
    expect(parseResponse(withCrc([1, 0x84, 2, 0]), req).e).toBe(E_COUNT); // exception frame too long
    expect(parseResponse(withCrc([1, 0x84, 6]), req).x).toBe(6);
    expect(REJECT_NAMES[E_CRC]).toBe("crc");
    expect(exceptionName(0x0b)).toBe("gateway target device failed to respond");
    expect(exceptionName(0x42)).toBe("unknown exception");
  });

  it("survives 20,000 random frames without throwing", () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const counts = new Array(REJECT_NAMES.length).fill(0);
    for (let i = 0; i < 20000; i++) {
      let f = "";
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) f += String.fromCharCode(Math.floor(rnd() * 256));
      if (i % 2) f = "\x01\x04" + f; // plausible header
      const r = parseResponse(f, req);
      counts[r.e]++;
      const q = parseRequest(f);
      expect(q.e).toBeGreaterThanOrEqual(0);
    }
    expect(counts[OK]).toBe(0);
    expect(counts[E_CRC] + counts[E_SHORT]).toBeGreaterThan(19000);
  });
});

describe("writes", () => {
  it("builds FC 06 and checks its echo", () => {
    const req = writeSingleRequest(1, 0x9001, 200)!;
    expect(Array.from(req.slice(0, 6))).toEqual([1, 6, 0x90, 0x01, 0x00, 0xc8]);
    expect(crcOk(bytesToBin(req))).toBe(true);
    const echo = bytesToBin(req);
    const r = parseResponse(echo, req);
    expect(r.e).toBe(OK);
    expect([r.a, r.q]).toEqual([0x9001, 200]);
    expect(parseResponse(withCrc([1, 6, 0x90, 0x01, 0x00, 0xc9]), req).e).toBe(E_ECHO);
  });

  it("builds FC 10 with byte count and checks the echoed address and quantity", () => {
    const req = writeMultipleRequest(1, 0x9013, [0x1a1e, 0x0202, 0x0f07])!;
    expect(Array.from(req.slice(0, 13))).toEqual([1, 0x10, 0x90, 0x13, 0, 3, 6, 0x1a, 0x1e, 2, 2, 0x0f, 7]);
    const parsed = parseRequest(bytesToBin(req));
    expect(parsed.e).toBe(OK);
    expect(Array.from(parsed.v!)).toEqual([0x1a1e, 0x0202, 0x0f07]);
    expect(parseResponse(withCrc([1, 0x10, 0x90, 0x13, 0, 3]), req).e).toBe(OK);
    expect(parseResponse(withCrc([1, 0x10, 0x90, 0x13, 0, 2]), req).e).toBe(E_ECHO);
  });

  it("builds FC 05 with 0xFF00 for on", () => {
    expect(Array.from(writeCoilRequest(1, 2, true)!.slice(0, 6))).toEqual([1, 5, 0, 2, 0xff, 0]);
  });

  it("refuses quantities outside the specification", () => {
    expect(readRequest(1, 3, 0, 0)).toBeNull();
    expect(readRequest(1, 3, 0, 126)).toBeNull();
    expect(readRequest(1, 4, 0, 125)).not.toBeNull();
    expect(readRequest(1, 4, 0xffff, 2)).toBeNull();
    expect(readRequest(1, 7, 0, 1)).toBeNull();
    expect(writeMultipleRequest(1, 0, new Array(124).fill(0))).toBeNull();
    expect(writeMultipleRequest(1, 0, new Array(123).fill(0))).not.toBeNull();
    expect(writeSingleRequest(1, 0, 0x10000)).toBeNull();
  });
});

describe("32-bit word order and signs", () => {
  it("reads EPEver low word first and Growatt/SunSpec high word first", () => {
    expect(word32([0x86a0, 0x0001], 0, true, false)).toBe(100000);
    expect(word32([0x0001, 0x86a0], 0, false, false)).toBe(100000);
    expect(word32([0xffff, 0xfffe], 0, false, true)).toBe(-2);
    expect(word32([0xfffe, 0xffff], 0, true, true)).toBe(-2);
    expect(word32([0xffff, 0xffff], 0, false, false)).toBe(0xffffffff);
    expect(s16(0xffff)).toBe(-1);
    expect(s16(0x7fff)).toBe(0x7fff);
  });
});
