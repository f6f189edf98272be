import { buildFirmware } from "../cli/commands/build";

/** Built size of the minified firmware per board, bytes (target: at most 20 KB). */
export async function bench(): Promise<Record<string, number>> {
  const built = await buildFirmware([]);
  const figures: Record<string, number> = {};
  for (const b of built) {
    figures[`firmware.bytes.${b.board}`] = b.bytes;
    figures[`firmware.debugBytes.${b.board}`] = b.debugBytes;
  }
  return figures;
}
