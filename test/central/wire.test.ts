// The central contract: what the uplink encodes the ingest decodes; anything else is a counted rejection, never a throw.
import { deflateRawSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main";
import { decodeCentral, encodeCentral, isBatchItem, sharedSubscriptions } from "../../contracts/uplink-wire";

describe("central contract", () => {
  it("round-trips a batch message, compressed and not", () => {
    const msg = { site: "s1", node: "n1", kind: "t" as const, c: [1, 4], x: [3, 3], items: [{ b: 1, s: 2, t: 1_750_000_000, i: 60, r: [[12800, null]], q: ["of"] }] };
    for (const z of [true, false]) {
      const { topic, payload } = encodeCentral(msg, z);
      expect(topic).toBe(z ? "mgc/v1/s1/n1/tz" : "mgc/v1/s1/n1/t");
      const d = decodeCentral(topic, payload);
      expect(d).toEqual({ ok: true, msg });
      expect(isBatchItem(msg.items[0], 2)).toBe(true);
      expect(isBatchItem(msg.items[0], 3)).toBe(false);
    }
    expect(sharedSubscriptions("ingest")).toEqual(["$share/ingest/mgc/v1/#", "$share/ingest/mgc/v2/#"]);
  });

  it("rejects foreign topics, corrupt deflate, bad JSON and shapes with a reason", () => {
    const ok = Buffer.from('{"I":[]}');
    expect(decodeCentral("mg/v1/s1/n1/t", ok)).toMatchObject({ ok: false, reason: "topic" });
    expect(decodeCentral("mgc/v1/S1/n1/t", ok)).toMatchObject({ ok: false, reason: "topic" });
    expect(decodeCentral("mgc/v1/s1/n1/q", ok)).toMatchObject({ ok: false, reason: "topic" });
    expect(decodeCentral("mgc/v1/s1/n1/tx", ok)).toMatchObject({ ok: false, reason: "topic" });
    expect(decodeCentral("mgc/v1/s1/n1/sz", Buffer.from("not deflate"))).toMatchObject({ ok: false, reason: "inflate" });
    expect(decodeCentral("mgc/v1/s1/n1/s", Buffer.from("{"))).toMatchObject({ ok: false, reason: "json" });
    expect(decodeCentral("mgc/v1/s1/n1/s", Buffer.from("[]"))).toMatchObject({ ok: false, reason: "shape" });
    expect(decodeCentral("mgc/v1/s1/n1/t", ok)).toMatchObject({ ok: false, reason: "shape" });
    // a deflate bomb is cut off at the limit
    const bomb = deflateRawSync(Buffer.alloc(2_000_000, 32));
    expect(decodeCentral("mgc/v1/s1/n1/sz", bomb, 1_000_000)).toMatchObject({ ok: false, reason: "inflate" });
  });

  it("minigrid central asks for the broker and the database", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["central", "--database", "postgres://x/y"])).toBe(2);
    expect(err.mock.calls.join(" ")).toMatch(/--broker is required/);
    expect(await main(["central", "--broker", "mqtt://x", "--database", "postgres://x/y", "--session-expiry", "soon"])).toBe(2);
    err.mockRestore();
  });
});
