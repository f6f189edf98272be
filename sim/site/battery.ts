// Battery chemistry as data: open-circuit voltage per cell against state of charge, internal resistance, charge
// set points. Figures are typical datasheet values (lead-acid: flooded/AGM at 25 degC, 2 V cells; LiFePO4: 3.2 V
// cells), enough for the shape of a day, not for sizing a bank.

export type Chemistry = "lead-acid" | "lifepo4";

export interface ChemistryData {
  cellNominal_V: number;
  /** (soc %, open-circuit volts per cell), ascending soc. */
  ocv: [number, number][];
  /** Internal resistance of one cell times its capacity (ohm x Ah): R_cell = r_OhmAh / capacity_Ah. */
  r_OhmAh: number;
  absorption_V: number;
  float_V: number;
  /** Absorption ends after this long, or when the charge current falls under tail_Crate x capacity. */
  absorption_h: number;
  tail_Crate: number;
  /** Low-voltage disconnect (loaded voltage, held lvdHold_s) and reconnect, volts per cell. */
  lvd_V: number;
  lvr_V: number;
  /** Coulombic efficiency while charging. */
  chargeEff: number;
  /** Largest charge current, C-rate. */
  maxCharge_Crate: number;
  /** Charging near full: the resistance grows by gain x ((soc - knee) / (100 - knee))^2 above knee % (gassing for
   *  lead-acid, the steep end of the LiFePO4 curve), so the voltage reaches absorption before the battery is full. */
  chargeKnee_pct: number;
  chargeGain: number;
}

export const chemistries: Record<Chemistry, ChemistryData> = {
  "lead-acid": {
    cellNominal_V: 2,
    ocv: [[0, 1.93], [20, 1.98], [50, 2.04], [80, 2.09], [100, 2.13]],
    r_OhmAh: 0.5,
    absorption_V: 2.4,
    float_V: 2.25,
    absorption_h: 2,
    tail_Crate: 0.02,
    lvd_V: 1.92,
    lvr_V: 2.1,
    chargeEff: 0.9,
    maxCharge_Crate: 0.2,
    chargeKnee_pct: 70,
    chargeGain: 30,
  },
  lifepo4: {
    cellNominal_V: 3.2,
    ocv: [[0, 2.8], [5, 3.0], [10, 3.18], [20, 3.24], [50, 3.28], [80, 3.31], [95, 3.34], [100, 3.4]],
    r_OhmAh: 0.2,
    absorption_V: 3.55,
    float_V: 3.4,
    absorption_h: 0.5,
    tail_Crate: 0.05,
    lvd_V: 3.0,
    lvr_V: 3.3,
    chargeEff: 0.98,
    maxCharge_Crate: 0.5,
    chargeKnee_pct: 90,
    chargeGain: 20,
  },
};

/** Open-circuit volts per cell at soc (%), linear between table points. */
export function ocvPerCell(c: ChemistryData, soc_pct: number): number {
  const t = c.ocv;
  if (soc_pct <= t[0][0]) return t[0][1];
  for (let i = 1; i < t.length; i++) {
    if (soc_pct <= t[i][0]) {
      const [s0, v0] = t[i - 1];
      const [s1, v1] = t[i];
      return v0 + ((v1 - v0) * (soc_pct - s0)) / (s1 - s0);
    }
  }
  return t[t.length - 1][1];
}

/** Resistance factor while charging at soc (%): 1 below the knee. */
export function chargeResistanceFactor(c: ChemistryData, soc_pct: number): number {
  const x = Math.max(0, (soc_pct - c.chargeKnee_pct) / (100 - c.chargeKnee_pct));
  return 1 + c.chargeGain * x * x;
}
