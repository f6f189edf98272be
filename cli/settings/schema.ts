// A node's settings (firmware/app/node-settings.ts NodeSettings) as a JSON schema, host side only: the CLI checks a
// settings file against it before anything is sent to a board, and the gateway checks a desired configuration
// (`cfg`) against it before publishing. Each property says what it means (`description`, also the help of
// `minigrid settings init`) and what it must be (`must`, the second half of an error: "report_s: must be ...").
// Rules that depend on the board (pins, I2C addresses, networks) or on several fields are in board-rules.ts.

export type JsonSchema = { [k: string]: any };

/** Lower-case letters, digits, '-' and '_', 1..32: the MQTT topic's ids (firmware/protocol/topics.ts isValidId). */
export const idPattern = "^[a-z0-9_-]{1,32}$";
/** A dotted quad, each part 0..255. */
export const dottedQuad = "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";

const quad = (description: string): JsonSchema => ({ type: "string", pattern: dottedQuad, description, must: "a dotted quad such as 192.168.1.20" });
const seconds = (description: string, eg: number): JsonSchema => ({
  type: "integer", minimum: 1, maximum: 86400, description, must: `a whole number of seconds 1..86400, e.g. ${eg}`,
});

export const netSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  description: "How the controller reaches the site network. Absent on the Linux build, which uses the host's network.",
  must: 'an object such as {"kind": "wifi", "ssid": "...", "pass": "..."} or {"kind": "eth"}',
  properties: {
    kind: {
      type: "string", enum: ["wifi", "eth"],
      description: '"wifi": the board\'s own Wi-Fi (ESP32, Espruino WiFi) or the ESP8266 module of a pico-esp8266; "eth": the W5500 Ethernet module of a pico.',
      must: '"wifi" or "eth", whichever the board has',
    },
    ssid: { type: "string", description: "Wi-Fi network name, 1..32 bytes (Wi-Fi only).", must: "the Wi-Fi network's name, 1..32 bytes" },
    pass: {
      type: "string", pattern: "^([\\x20-\\x7e]{8,63})?$",
      description: "Wi-Fi password: 8..63 printable ASCII characters for WPA2, empty for an open network (Wi-Fi only). Never printed by the CLI.",
      must: "8..63 printable ASCII characters (WPA2), or empty for an open network",
    },
    ip: quad("Static address; leave out for DHCP. With ip, gw and mask are required."),
    gw: quad("The router's address (with a static ip)."),
    mask: quad("The netmask, e.g. 255.255.255.0 (with a static ip)."),
    dns: quad("A name server, needed only when broker.host is a name rather than an address."),
  },
};

export const brokerSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["host"],
  description: "The MQTT broker: the site gateway (minigrid gateway) or an external broker.",
  must: 'an object such as {"host": "192.168.1.10", "port": 1883, "user": "...", "pass": "..."}',
  properties: {
    host: {
      type: "string", pattern: "^[A-Za-z0-9.-]{1,253}$",
      description: "The broker's address (dotted quad) or host name (then net.dns or DHCP must provide a name server).",
      must: "the gateway's address or host name, e.g. 192.168.1.10",
    },
    port: { type: "integer", minimum: 1, maximum: 65535, description: "The broker's TCP port (1883 for MQTT without TLS).", must: "a port 1..65535, e.g. 1883" },
    user: { type: "string", maxLength: 64, description: "MQTT user name, as listed under nodes in the gateway's settings; empty: none.", must: "a user name of at most 64 characters" },
    pass: { type: "string", maxLength: 128, description: "MQTT password (the gateway keeps only its hash). Never printed by the CLI.", must: "a password of at most 128 characters" },
    tls: {
      type: "boolean",
      description: "MQTT over TLS (the gateway's TLS port, usually 8883), on boards whose interpreter has TLS (the ESP32). The traffic is encrypted; Espruino 2v29 does not check the broker's certificate (docs/security.md).",
      must: "true or false",
    },
    ca: {
      type: "string", minLength: 64, maxLength: 4096, pattern: "^-----BEGIN CERTIFICATE-----",
      description: "With tls: the broker's certificate (or its CA's), PEM text, handed to the interpreter's TLS.",
      must: "a PEM certificate beginning with -----BEGIN CERTIFICATE-----",
    },
  },
};

const vedirectItem: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  must: 'an object such as {"kind": "bmv"}',
  properties: {
    kind: { type: "string", enum: ["bmv", "mppt"], description: '"bmv": a battery monitor (BMV, SmartShunt); "mppt": a solar charger.', must: '"bmv" or "mppt"' },
    capture: { type: "string", minLength: 1, description: "Linux build only: a capture file replayed as this device's bytes.", must: "a file name" },
  },
};

export const modbusSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["map", "slave"],
  description: "The charge controller or inverter on RS-485 (Modbus RTU). Leave out (or null in a cfg) when there is none.",
  must: 'an object such as {"map": "epever", "slave": 1, "period_s": 10}',
  properties: {
    map: { type: "string", enum: ["epever", "growatt"], description: '"epever": an EPEver Tracer charge controller; "growatt": a Growatt SPF inverter-charger (its register map is mostly unverified: docs/protocols.md "Growatt SPF").', must: '"epever" or "growatt"' },
    slave: { type: "integer", minimum: 1, maximum: 247, description: "The device's Modbus address (1 unless changed on the device).", must: "a Modbus address 1..247" },
    period_s: {
      type: "integer", minimum: 1, maximum: 3600,
      description: "Seconds between Modbus polls as the device allows; the controller polls every sample_s today.",
      must: "a whole number of seconds 1..3600",
    },
  },
};

const feederItem: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["addr", "shunt_ohm", "max_A"],
  must: 'an object such as {"addr": 64, "shunt_ohm": 0.002, "max_A": 40}',
  properties: {
    addr: { type: "integer", minimum: 0x40, maximum: 0x4f, description: "The INA226's 7-bit I2C address (64..79, 0x40..0x4F, set by its A0/A1 pins).", must: "an I2C address 64..79 (0x40..0x4F)" },
    shunt_ohm: { type: "number", exclusiveMinimum: 0, maximum: 1, description: "The shunt's resistance in ohms, e.g. 0.002 for a 75 mV / 37.5 A shunt.", must: "the shunt's ohms, more than 0, e.g. 0.002" },
    max_A: { type: "number", exclusiveMinimum: 0, maximum: 10000, description: "The highest current expected in amperes (sets the INA226's resolution).", must: "amperes, more than 0, e.g. 40" },
  },
};

const ctItem: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["pin", "ical", "V"],
  must: 'an object such as {"pin": "A5", "ical": 60.6, "V": 230}',
  properties: {
    pin: { type: "string", minLength: 1, description: "The CT's ADC pin: one of the board's CT inputs.", must: "one of the board's CT pins" },
    ical: { type: "number", exclusiveMinimum: 0, description: "Amperes per volt at the pin: CT turns / burden ohms (SCT-013-000 with 33 ohm: 60.6).", must: "amperes per volt, more than 0, e.g. 60.6" },
    V: { type: "number", exclusiveMinimum: 0, maximum: 1000, description: "Nominal mains volts, for apparent power when no voltage reference is wired.", must: "mains volts, more than 0, e.g. 230" },
    Hz: { enum: [50, 60], description: "Mains frequency in Hz, 50 or 60 (absent: 50): the clamp measures whole cycles of it.", must: "50 or 60 (the site's mains frequency)" },
    vpin: { type: "string", minLength: 1, description: "The AC voltage reference's ADC pin, when one is wired: power becomes real power.", must: "an ADC pin name" },
    vcal: { type: "number", exclusiveMinimum: 0, description: "Mains volts per volt at vpin (with vpin).", must: "volts per volt, more than 0" },
    phase: { type: "number", minimum: 0, maximum: 1, description: "Voltage phase correction 0..1 (0.5 lines the voltage sample up with the current sample); absent: 1.", must: "a number 0..1" },
  },
};

/** Every setting but the node's identity: what a `cfg` from the gateway may change. */
export const remoteProperties: JsonSchema = {
  net: netSchema,
  broker: brokerSchema,
  report_s: seconds("Report interval: one row of mean/min/max/last per channel per interval.", 60),
  sample_s: seconds("Sample period of the polled sensors (Modbus, INA226, CT); at most report_s.", 5),
  rows: { type: "integer", minimum: 1, maximum: 86400, description: "Rows per batch: 1 sends every row at once; more saves messages on a costly link.", must: "a whole number 1..86400, e.g. 1" },
  vedirect: {
    type: "array", items: vedirectItem, maxItems: 4,
    description: "VE.Direct devices. A board has one VE.Direct port: at most one device, unless replaying captures on Linux.",
    must: "a list of VE.Direct devices",
  },
  modbus: { ...modbusSchema, type: ["object", "null"] },
  feeders: {
    type: "array", items: feederItem, maxItems: 8,
    description: "DC load feeders, one INA226 each on the board's I2C bus (at most 8).",
    must: "a list of at most 8 INA226 feeders",
  },
  ct: {
    type: "array", items: ctItem, maxItems: 4,
    description: "Mains feeders on CT clamps, one ADC pin each (at most 4).",
    must: "a list of at most 4 CT clamps",
  },
  off: {
    type: "array", items: { type: "integer", minimum: 1, must: "a channel id" }, uniqueItems: true,
    description: "Channel ids not to report (docs/design.md, channels: 1-9 battery, 20-32 PV and charger, 40-44 inverter, 50-81 feeders, 90-97 CT, 100-127 energy).",
    must: "a list of distinct channel ids",
  },
};

export const identityProperties: JsonSchema = {
  site: { type: "string", pattern: idPattern, description: "The site's id in the MQTT topics (mg/v1/<site>/<node>/...).", must: "1..32 lower-case letters, digits, '-' or '_' (no '/', '+', '#')" },
  node: { type: "string", pattern: idPattern, description: "This controller's id within the site.", must: "1..32 lower-case letters, digits, '-' or '_' (no '/', '+', '#')" },
};

/** A settings file: identity and broker required; `_help` (what `minigrid settings init` writes) is allowed and never sent. */
export const nodeSettingsSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["site", "node", "broker"],
  must: "a JSON object of settings",
  properties: {
    _help: { type: "object", description: "Explanations for people; the CLI drops it before sending.", must: "an object" },
    ...identityProperties,
    ...remoteProperties,
    selfTest: { type: "boolean", description: "Linux build only: run the self-test at start (not a remote setting).", must: "true or false" },
  },
};

/** A desired configuration (cfg): any non-identity setting, none required. */
export const nodeConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  must: "a JSON object of settings",
  properties: remoteProperties,
};
