import { buildFirmware } from "../cli/commands/build";
import { findBoard } from "../firmware/boards/index";

/** Built size of the minified firmware per board, bytes, beside its budget (firmware/boards/types.ts). */
export async function bench(): Promise<Record<string, number>> {
  const built = await buildFirmware([]);
  const figures: Record<string, number> = {};
  for (const b of built) {
    figures[`firmware.bytes.${b.board}`] = b.bytes;
    figures[`firmware.debugBytes.${b.board}`] = b.debugBytes;
    // share of the board's Storage the program takes as .bootcde (the rest holds settings and the flash queue)
    figures[`firmware.storageShare.${b.board}`] = Math.round((b.bytes / findBoard(b.board)!.storageBytes) * 1000) / 1000;
    // the budget the build's tests hold the file to (firmware/boards/types.ts)
    figures[`firmware.bytesMax.${b.board}`] = findBoard(b.board)!.budget.programBytes;
  }
  return figures;
}
