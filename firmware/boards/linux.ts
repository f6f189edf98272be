import { Board, PROGRAM_BYTES_MAX, VARIABLES_SHARE_MAX } from "./types";

// The interpreter's Linux build: no pins; settings from a JSON file in the working directory, sensor bytes
// replayed from capture files through require("fs"), the network through require("net").
export const linux: Board = {
  id: "linux",
  name: "Espruino for Linux",
  espruinoBoard: "LINUX",
  chip: "host",
  variables: 5100,
  budget: { programBytes: PROGRAM_BYTES_MAX, variables: Math.floor(5100 * VARIABLES_SHARE_MAX) },
  storageBytes: 48 * 1024,
  flashPageBytes: 4 * 1024,
  networks: ["host-tcp"],
  tls: true,
  ctPins: [],
  settingsFile: "minigrid.json",
};
