// A CT clamp as a node's settings describe it: declared with the driver that reads it (ct-clamp-port.ts), and
// taken into the node's settings by app/node-settings.ts. The release build keeps these names as a settings file
// writes them (cli/build/property-names.ts lists this file); the settings schema (cli/settings/schema.ts) checks them.

/** One CT clamp, and its optional AC voltage reference. */
export interface CtSetting {
  /** The CT's ADC pin. */
  pin: string;
  /** Amperes in the conductor per volt at the pin: CT turns / burden ohms. SCT-013-000 (100 A : 50 mA = 2000 turns) with 33 ohm: 60.6. */
  ical: number;
  /** Nominal mains volts, for apparent power when no voltage reference is wired. */
  V: number;
  /** Mains frequency, 50 or 60 Hz (absent: 50): each measuring window is one period of it (ct-clamp-port.ts). */
  Hz?: number;
  /** The voltage reference's ADC pin (an AC-AC adapter and divider on a VCC/2 bias), when one is wired. */
  vpin?: string;
  /** Mains volts per volt at the voltage pin. */
  vcal?: number;
  /**
   * Voltage phase correction: the voltage used is vPrev + phase * (v - vPrev), a linear interpolation between
   * the previous and the current voltage sample. The pins are read one after the other, so the voltage sample
   * is late by the time of one read: with current and voltage reads of equal cost, 0.5 puts it back beside its
   * current sample. Absent (or 0): 1, no shift. A transformer's own phase error can be folded in here too.
   */
  phase?: number;
}
