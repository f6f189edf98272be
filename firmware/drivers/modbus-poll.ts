// Polls one register map (RegMap, any map including SunSpec models) on one slave with ModbusMaster, for the Node
// tools and tests; the board polls its map string with modbus-reader.ts under the same rules. The planned block
// reads in turn, then one decoded record with its quality. Values of a failed read are held from the last good poll while the slave is stale, and are null
// once it has failed (docs/design.md guarantee 5: zero never stands for missing).

import { decodeBlocks, planReads, RegMap, Values } from "./modbus-map";
import { ModbusMaster, Q_FAILED, Q_OK, Q_STALE } from "./modbus-master";
import { E_EXCEPTION, FC_READ_HOLDING, OK } from "./modbus-rtu";
import { SunSpecWalk } from "./modbus-sunspec";

export class ModbusPoller {
  m: ModbusMaster;
  s: number; // slave
  map: RegMap;
  p: Uint16Array; // plan: [fc, start, qty] triples
  last: Values | null = null; // last record that had every block
  busy = false;

  /** maxGap: unused registers a block may span to save a request (0 = only contiguous runs). */
  constructor(master: ModbusMaster, slave: number, map: RegMap, maxGap = 0) {
    this.m = master;
    this.s = slave;
    this.map = map;
    this.p = planReads(map, maxGap);
  }

  /**
   * Reads every block and calls back with (record, quality Q_*). A block answered with an exception has
   * null fields and does not make the slave stale. After a block that got no valid answer the remaining
   * blocks are skipped, so a dead slave costs one timeout series per poll. A poll started while one is
   * running is refused (cb not called, returns false).
   */
  poll(cb: (v: Values, q: number) => void): boolean {
    if (this.busy) return false;
    this.busy = true;
    const got: (Uint16Array | null)[] = [];
    let lost = false;
    const step = (j: number): void => {
      if (j * 3 >= this.p.length || lost) {
        this.busy = false;
        this.finish(got, lost, cb);
        return;
      }
      this.m.read(this.s, this.p[j * 3], this.p[j * 3 + 1], this.p[j * 3 + 2], (r) => {
        got[j] = r.e === OK && r.v ? r.v : null;
        if (r.e !== OK && r.e !== E_EXCEPTION) lost = true;
        step(j + 1);
      });
    };
    step(0);
    return true;
  }

  finish(got: (Uint16Array | null)[], lost: boolean, cb: (v: Values, q: number) => void): void {
    const v = decodeBlocks(this.map, this.p, got);
    let q = this.m.quality(this.s);
    if (!lost) this.last = v;
    else if (q === Q_STALE && this.last) {
      // Hold the last good value of every field this poll did not get.
      for (const k in v) if (v[k] === null) v[k] = this.last[k];
    } else if (q === Q_FAILED) {
      for (const k in v) v[k] = null;
    }
    if (lost && q === Q_OK) q = Q_STALE;
    cb(v, q);
  }
}

/**
 * Finds the models of a SunSpec device: reads 2 holding registers at a time where the walk asks (the "SunS"
 * marker at 40000, 0, 50000, then each model header) and calls back with the finished walk: st is
 * WALK_DONE, WALK_NONE or WALK_BROKEN; maps holds the maps of the models this firmware reads.
 */
export function scanSunSpec(master: ModbusMaster, slave: number, cb: (w: SunSpecWalk) => void): void {
  const w = new SunSpecWalk();
  const step = (): void => {
    const a = w.next();
    if (a < 0) {
      cb(w);
      return;
    }
    master.read(slave, FC_READ_HOLDING, a, 2, (r) => {
      w.feed(r.e === OK && r.v ? r.v : null);
      step();
    });
  };
  step();
}
