// The Storage contract (test/contracts/storage-contract.ts) run against the virtual Storage on the flash of
// each board family the firmware targets.
import { VirtualFlash } from "../../sim/vm/flash";
import { createStorage } from "../../sim/vm/storage";
import { storageContract } from "../contracts/storage-contract";

const boards = [
  { name: "Espruino Pico (48 KB in 16 KB pages)", sizeBytes: 48 * 1024, pageBytes: 16 * 1024 },
  { name: "Espruino WiFi (one 64 KB page)", sizeBytes: 64 * 1024, pageBytes: 64 * 1024 },
  { name: "ESP32 (4 KB pages, 64 KB of them here)", sizeBytes: 64 * 1024, pageBytes: 4096 },
  { name: "small pages (8 KB in 256-byte pages)", sizeBytes: 8 * 1024, pageBytes: 256 },
];

for (const b of boards) {
  let flash: VirtualFlash;
  storageContract(
    `virtual, ${b.name}`,
    () => {
      flash = new VirtualFlash(b);
      return createStorage(flash);
    },
    { chunkBytes: Math.min(b.pageBytes, 4096) - 32, reboot: () => createStorage(flash) },
  );
}
