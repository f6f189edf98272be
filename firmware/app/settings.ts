import { Board } from "../boards/types";

/** The node's settings: from the board's JSON file on Linux, from Storage on a board. */
export interface NodeSettings {
  site: string;
  node: string;
  selfTest?: boolean;
  [key: string]: any;
}

export const settingsStorageName = "mg.settings";

export function loadSettings(board: Board): NodeSettings {
  let text: string | undefined;
  if (board.settingsFile) text = require("fs").readFileSync(board.settingsFile);
  else text = require("Storage").read(settingsStorageName);
  const parsed = text ? JSON.parse(text) : {};
  return {
    site: parsed.site || "site",
    node: parsed.node || "node",
    selfTest: !!parsed.selfTest,
    broker: parsed.broker,
  };
}
