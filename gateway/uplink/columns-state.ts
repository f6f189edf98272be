// The gateway's side of the mgc/v2 state (docs/central.md "The mgc/v2 batch format"): per node, the last batch it
// published on the current connection, which the node's next message is written against. The rule:
//   - a connection starts with no state: a node's first message on it carries its channel table ("keyframe"), so a
//     reconnect, a gateway restart or a broker restart never leaves a message written against something the other
//     side may not have; so does every node's next message after a publish that failed on a live connection (its
//     batches go again, and nothing is written against them meanwhile);
//   - a message is written against the node's last published batch only when it follows the same channel table and
//     fewer than `keyframeBatches` batches went since the node's last keyframe (a reference lost on the way, e.g.
//     by a broker that crashed after its PUBACK, holds up at most that many batches at central);
//   - a reference need not be acknowledged yet: its entry stays in the outbox until it is, and goes again (as a
//     keyframe on the next connection) when the link drops, so central gets it; central keeps a message whose
//     reference it has not stored yet and writes it when the reference arrives.
import { encodeColumns, stateOf, type ChannelTable, type RefState } from "../../contracts/uplink-columns";
import type { BatchItem } from "../../contracts/uplink-wire";

interface NodeState {
  ref: RefState;
  sig: string;
  sinceKeyframe: number;
}

export class ColumnsEncoder {
  private nodes = new Map<string, NodeState>();
  keyframes = 0;
  deltas = 0;

  constructor(private readonly keyframeBatches = 60) {}

  /** A new connection: every node starts again with a keyframe. */
  reset(): void {
    this.nodes.clear();
  }

  encode(site: string, node: string, table: ChannelTable, items: BatchItem[]): Buffer {
    const key = `${site}/${node}`;
    const sig = JSON.stringify(table);
    const st = this.nodes.get(key);
    const useRef = st !== undefined && st.sig === sig && st.sinceKeyframe + items.length <= this.keyframeBatches;
    const payload = encodeColumns(table, items, { ref: useRef ? st.ref : undefined });
    if (useRef) this.deltas++;
    else this.keyframes++;
    this.nodes.set(key, { ref: stateOf(table, items[items.length - 1]), sig, sinceKeyframe: (useRef ? st.sinceKeyframe : 0) + items.length });
    return payload;
  }
}
