// What a reading can be. A value that passed its frame's check can still be false: VE.Direct's text checksum is a
// byte sum mod 256, which lets about one damaged block in 256 through (VE.Direct protocol, "Checksum"), and Modbus
// CRC-16 rarely lets one through (MOSL §2.5.1.2). Such a value (a state of charge of 14,932 %, charge state 39, a
// time-to-go of years) is not a reading: the sampler leaves it out and marks it failed (app/sampler.ts).
// Bounds are in the unit of each quantity key (channels.ts) and hold for every device the board reads that gives
// the quantity: Victron BMV-700 series and SmartShunt battery monitors and MPPT solar chargers over VE.Direct,
// EPEver Tracer A/B/AN/BN over Modbus (drivers/maps/epever-tracer.ts), Growatt SPF 3000-6000 ES PLUS
// (drivers/maps/growatt-spf.ts). Feeders (INA226) and CT clamps have none: their values are computed from
// registers and ADC counts that cannot leave the chip's range (drivers/ina226.ts, drivers/ct-clamp.ts).
// One string of "key low high" words: a table in the board's code, not objects in its variables.
// Figures are the makers' datasheets and manuals; the Growatt ones, like its register map, are not checked against
// a unit.

/**
 * Per quantity key, the lowest and highest value a reading can have, both included:
 *  battery_V 0..70 V: 12, 24 and 48 V banks; 70 V is the top of the BMV-700/SmartShunt supply and measuring range
 *    (6.5-70 V, datasheets), above a 48 V lead-acid bank's equalisation (64 V) and the SPF's 48 V battery input.
 *  battery_A -2000..2000 A: the largest shunt of a Victron monitor (SmartShunt 2000 A; BMV-700 series: 500 A).
 *  battery_W: battery_V x battery_A at their bounds.
 *  battery_soc_pct 0..100 %.
 *  battery_consumed_Ah -20000..0 Ah: CE counts down from 0 at full (VE.Direct "CE", mAh, 0 or negative); the
 *    largest capacity a monitor takes is 9,999 Ah (BMV-700 series and SmartShunt settings), twice that for a bank
 *    run below its rated capacity.
 *  battery_ttg_min -1..14400 min: -1 is infinite, not discharging (VE.Direct "TTG"); Victron monitors give a
 *    time-to-go of at most 240 h; a bank discharging more slowly is at rest for a mini-grid.
 *  battery_temp_C, -40..100 degC: beyond every battery temperature sensor's range (BMV-702/712 and EPEver
 *    remote sensors) and the temperatures a battery survives.
 *  pv_V 0..500 V: the highest PV open-circuit voltage of a supported input (Victron MPPT 250/xx: 250 V; EPEver
 *    Tracer: 150 V; Growatt SPF ES PLUS: up to 500 V).
 *  pv_A 0..100 A: the largest PV input current (Victron MPPT 250/100: 70 A short-circuit; EPEver Tracer 10415AN,
 *    100 A charger); VE.Direct's pv_A is PPV / VPV.
 *  pv_W 0..10000 W: above the largest PV power of a supported input (MPPT 250/100: 5,800 W at 48 V; SPF 6000 ES
 *    PLUS: 6,500 W), with room for an over-sized array the charger clips.
 *  charge_A -20..100 A: the largest charger (MPPT 250/100, EPEver 10415AN: 100 A); an MPPT with a load output
 *    reports the battery current, negative up to its load output's 20 A (MPPT 100/20).
 *  charge_state: one of CHARGE_STATES (below).
 *  load_V 0..70 V: a charger's load output is the battery's.
 *  load_A 0..60 A: the largest load output (EPEver Tracer 4215BN: 40 A; Victron MPPT 100/20: 20 A).
 *  load_W 0..20000 W: a DC load output at its bounds (70 V x 60 A), or the SPF's AC load up to its surge
 *    (SPF 6000 ES PLUS: 12,000 VA for 5 s, twice its rating).
 *  ac_out_V 0..300 V: the SPF's 230 V output, 0 while off, within its own protection limits.
 *  ac_out_W 0..20000 W: the SPF's AC output up to its surge (as load_W).
 */
export const PLAUSIBLE =
  " battery_V 0 70 battery_A -2000 2000 battery_W -14e4 14e4 battery_soc_pct 0 100 battery_consumed_Ah -2e4 0" +
  " battery_ttg_min -1 14400 battery_temp_C -40 100 pv_V 0 500 pv_A 0 100 pv_W 0 1e4 charge_A -20 100" +
  " load_V 0 70 load_A 0 60 load_W 0 2e4 ac_out_V 0 300 ac_out_W 0 2e4";

/**
 * The states a solar charger reports (VE.Direct "CS", which EPEver's 0x3201 is mapped to: drivers/modbus-reader.ts):
 * 0 off, 2 fault, 3 bulk, 4 absorption, 5 float, 7 equalize (manual), 245 starting-up, 247 auto-equalize /
 * recondition, 252 external control. The other CS codes (1, 6, 9, 11, 246, 248) are those of inverters and AC
 * chargers, which the board does not read. Ends in "." so that no needle can run past its end (vedirect-decode.ts
 * find: the interpreter's indexOf "finds" one there).
 */
export const CHARGE_STATES = " 0 2 3 4 5 7 245 247 252 .";

/** True when a reading `v` of quantity `key` cannot be true; a key without bounds takes any value. */
export function implausible(key: string, v: number): boolean {
  if (key === "charge_state") return CHARGE_STATES.indexOf(" " + v + " ") < 0;
  // (PLAUSIBLE ends in a digit and every needle is " key ": none runs past its end)
  let i = PLAUSIBLE.indexOf(" " + key + " ");
  if (i < 0) return false;
  // the two bounds after the key, read in place: parseFloat stops at the space after each
  i += key.length + 2;
  return !(v >= parseFloat(PLAUSIBLE.substr(i, 8)) && v <= parseFloat(PLAUSIBLE.substr(PLAUSIBLE.indexOf(" ", i) + 1, 8)));
}
