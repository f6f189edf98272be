// The gateway's mgc/v2 resync rule (gateway/uplink/columns-state.ts): a keyframe (the channel table, no reference)
// first on every connection, after a failed publish, when the table changes and every keyframe_batches batches;
// otherwise a reference to the node's last published batch.
import { describe, expect, it } from "vitest";
import { openColumns } from "../../contracts/uplink-columns";
import type { BatchItem } from "../../contracts/uplink-wire";
import { ColumnsEncoder } from "../../gateway/uplink/columns-state";

const table = { c: [1, 4], x: [3, 3] };
const batch = (s: number, n: number): BatchItem => ({ b: 2, s, t: 1_750_000_000 + s * 60, i: 60, r: [[12800 + s, -1500, 805].slice(0, n)] });

describe("mgc/v2 state on the gateway", () => {
  it("writes against the last batch on the connection, and starts again with a keyframe when it must", () => {
    const enc = new ColumnsEncoder(4);
    const head = (p: Buffer) => {
      const o = openColumns(p);
      return o.ref ? `ref ${o.ref.seq}` : "table";
    };
    const sent: string[] = [];
    const send = (s: number, t = table, node = "n1") => sent.push(head(enc.encode("s1", node, t, [batch(s, t.c.length)])));
    send(1);
    send(2);
    send(3);
    send(1, table, "n2"); // another node has its own state
    enc.reset(); // a new connection, or a failed publish
    send(4);
    send(5, { c: [1, 4, 6], x: [3, 3, 1] }); // another table
    send(6, { c: [1, 4, 6], x: [3, 3, 1] });
    send(7, { c: [1, 4, 6], x: [3, 3, 1] });
    send(8, { c: [1, 4, 6], x: [3, 3, 1] });
    send(9, { c: [1, 4, 6], x: [3, 3, 1] }); // keyframe_batches (4) since the last keyframe
    expect(sent).toEqual(["table", "ref 1", "ref 2", "table", "table", "table", "ref 5", "ref 6", "ref 7", "table"]);
    expect(enc.keyframes).toBe(5);
    expect(enc.deltas).toBe(5);
  });
});
