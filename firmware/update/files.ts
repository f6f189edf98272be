// The files of an updatable node's Storage (docs/updates.md "On the node"). Two image slots, mg.fw0 and mg.fw1;
// which one runs is mg.cur ("0" or "1", "0" when absent); a staged image on trial is mg.try, 16 bytes written
// once each: [0] its slot, [1..14] one mark per boot of the trial, [15] "k" once the new image has proved itself;
// mg.why is the reason the last update was rolled back. Every state change is one write that a power cut either
// makes or leaves unmade (a byte into erased flash, a new file, an erase), never a file rewritten in place.
export const imageFile = "mg.fw";
export const currentFile = "mg.cur";
export const trialFile = "mg.try";
export const whyFile = "mg.why";
/** The update receiver (receiver.ts), loaded from Storage by the node only while an update runs. */
export const receiverFile = "mg.rx";
/** Boots a new image may take to prove itself, and the time it has on each, s. */
export const trialBootsMax = 3;
export const trialLimit_s = 300;
