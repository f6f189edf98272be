import { Board } from "./types";
import { pico } from "./pico";
import { espruinoWifi } from "./espruino-wifi";
import { esp32 } from "./esp32";
import { linux } from "./linux";
import { picoEsp8266 } from "./pico-esp8266";

export const boards: Board[] = [espruinoWifi, pico, picoEsp8266, esp32, linux];

export function findBoard(id: string): Board | undefined {
  for (let i = 0; i < boards.length; i++) if (boards[i].id === id) return boards[i];
  return undefined;
}
