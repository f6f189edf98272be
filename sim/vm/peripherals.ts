// Serial ports, the I2C bus and pins of the virtual Espruino, with the device side that models attach to
// (sim/devices/types.ts). Data crosses as binary strings, one char per byte, as on the interpreter.
import { SerialLine, I2CDevice, AnalogSource } from "../devices/types";
import { VirtualClock } from "./virtual-clock";

/** Bytes of any form Espruino's write() accepts, as a binary string. */
export function toBinaryString(data: unknown): string {
  if (typeof data === "string") return data;
  if (typeof data === "number") return String.fromCharCode(data & 0xff);
  if (data && typeof (data as ArrayLike<number>).length === "number") {
    let s = "";
    const a = data as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) s += toBinaryString(a[i]);
    return s;
  }
  if (data instanceof ArrayBuffer) return toBinaryString(new Uint8Array(data));
  return String(data);
}

/** What runs a callback inside the firmware's world (catching and reporting its errors). */
export type FirmwareCall = (fn: (...args: unknown[]) => unknown, args: unknown[]) => void;

export class VirtualSerial {
  baud = 0;
  options: Record<string, unknown> = {};
  private listeners: ((data: string) => void)[] = [];
  private deviceListeners: ((data: string) => void)[] = [];
  bytesFromFirmware = 0;
  bytesToFirmware = 0;

  constructor(readonly name: string, private clock: VirtualClock, private call: FirmwareCall) {}

  /** The object the firmware sees as Serial1, Serial2, ... (or a software `new Serial()`). */
  firmwareApi(onSetup?: (opts: Record<string, unknown>) => void) {
    const self = this;
    return {
      setup(baud: number, opts?: Record<string, unknown>) {
        self.baud = baud;
        self.options = opts ?? {};
        onSetup?.(self.options);
      },
      write(...items: unknown[]) {
        self.fromFirmware(items.map(toBinaryString).join(""));
      },
      print(s: unknown) {
        self.fromFirmware(String(s));
      },
      println(s: unknown) {
        self.fromFirmware(String(s) + "\r\n");
      },
      on(event: string, cb: (data: string) => void) {
        if (event === "data") self.listeners.push(cb);
      },
      removeAllListeners() {
        self.listeners = [];
      },
      available() {
        return 0;
      },
      toString() {
        return self.name;
      },
    };
  }

  /** Drop the firmware's listeners: a reboot starts with none. */
  resetFirmwareSide(): void {
    this.listeners = [];
    this.baud = 0;
  }

  line(): SerialLine {
    return {
      sendToFirmware: (bytes) => {
        this.clock.schedule(0, () => {
          this.bytesToFirmware += bytes.length;
          for (const l of this.listeners) this.call(l as (...a: unknown[]) => unknown, [bytes]);
        }, "system");
      },
      onFirmwareWrite: (cb) => {
        this.deviceListeners.push(cb);
      },
      now: () => this.clock.nowMs / 1000,
      schedule: (delayMs, cb) => {
        this.clock.schedule(delayMs, cb, "device");
      },
    };
  }

  private fromFirmware(bytes: string): void {
    this.bytesFromFirmware += bytes.length;
    for (const d of this.deviceListeners) d(bytes);
  }
}

/** I2C master as the firmware sees it; devices answer by address. An absent device NACKs: readFrom/writeTo throw. */
export class VirtualI2C {
  private devices = new Map<number, I2CDevice & { absent?: boolean }>();
  transactions = 0;

  constructor(readonly name: string, private makeError: (msg: string) => Error, private makeBytes: (a: number[]) => Uint8Array) {}

  attach(device: I2CDevice & { absent?: boolean }): void {
    this.devices.set(device.address, device);
  }

  firmwareApi() {
    const self = this;
    const find = (address: number) => {
      self.transactions++;
      const d = self.devices.get(address);
      if (!d || d.absent) throw self.makeError(`I2C Error: no ACK from address 0x${address.toString(16)}`);
      return d;
    };
    return {
      setup(_opts?: unknown) {},
      writeTo(address: number | { address: number }, ...data: unknown[]) {
        const addr = typeof address === "number" ? address : address.address;
        const bytes = toBinaryString(data);
        const codes: number[] = [];
        for (let i = 0; i < bytes.length; i++) codes.push(bytes.charCodeAt(i));
        find(addr).write(codes);
      },
      readFrom(address: number | { address: number }, quantity: number) {
        const addr = typeof address === "number" ? address : address.address;
        return self.makeBytes(find(addr).read(quantity));
      },
      toString() {
        return self.name;
      },
    };
  }
}

/** A pin: digital level, mode, and an optional analog source (0..1 of the reference, as analogRead gives). */
export class VirtualPin {
  mode = "input";
  writes = 0;
  analog?: AnalogSource;
  private lvl = 0;
  private watchers: ((level: number) => void)[] = [];
  constructor(readonly name: string) {}

  get level(): number {
    return this.lvl;
  }

  /** Every write tells the watchers (a device on the pin: a module's enable input), even when the level stays. */
  set level(v: number) {
    this.lvl = v;
    for (const w of this.watchers) w(v);
  }

  /** Called with the level each time the firmware writes the pin. */
  watch(callback: (level: number) => void): void {
    this.watchers.push(callback);
  }
}

export class PinBank {
  readonly pins = new Map<string, VirtualPin>();

  constructor(private nowSeconds: () => number) {}

  pin(name: string): VirtualPin {
    let p = this.pins.get(name);
    if (!p) {
      p = new VirtualPin(name);
      this.pins.set(name, p);
    }
    return p;
  }

  setAnalog(name: string, source: AnalogSource): void {
    this.pin(name).analog = source;
  }

  read(name: string): number {
    return this.pin(name).level;
  }

  analogRead(name: string): number {
    const p = this.pin(name);
    return p.analog ? Math.min(1, Math.max(0, p.analog(this.nowSeconds()))) : 0;
  }
}

/** Names of the pins a board exposes to the firmware as globals. */
export function standardPinNames(): string[] {
  const names: string[] = [];
  for (const port of ["A", "B", "C"]) for (let i = 0; i < 16; i++) names.push(port + i);
  for (let i = 0; i < 40; i++) names.push("D" + i);
  names.push("LED1", "LED2", "LED3", "BTN", "BTN1");
  return names;
}
