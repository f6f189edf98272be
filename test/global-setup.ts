import { buildFirmware } from "../cli/commands/build";

// Every test that runs firmware runs the very files `minigrid build` writes: build them once, first.
export default async function setup(): Promise<void> {
  await buildFirmware([]);
}
