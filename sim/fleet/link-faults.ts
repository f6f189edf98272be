// Link faults (sim/faults/script.ts) on one site: each changes the site's network (sim/vm/site-network.ts) and its
// end puts back what the site had. A fault for a kind of network the board lacks does nothing, except on a Wi-Fi
// board whose link the virtual Espruino does not model (the Pico's ESP8266 spoken to with AT commands, over a
// UART): there an access point off the air cuts its TCP, as wifi-down does.
import { FaultAction } from "../faults/script";
import { VirtualSite } from "../site/virtual-site";

type LinkFault = Extract<FaultAction, { what: "link" }>;

export function applyLinkFault(vs: VirtualSite, a: LinkFault): void {
  const nets = vs.esp.board.networks;
  const wifi = nets.includes("esp32-wifi") || nets.includes("esp8266-wifi");
  const eth = nets.includes("w5500-ethernet");
  const n = vs.network;
  const was = n.initial;
  switch (a.change) {
    case "ap":
      if (wifi) return n.set({ ap: a.on ? false : was.ap });
      if (nets.includes("esp8266-at")) return vs.esp.net.setLinkUp(!a.on);
      return;
    case "password":
      if (wifi) n.set({ pass: a.on ? was.pass + "-changed" : was.pass });
      return;
    case "dhcp-slow":
      if (wifi || eth) n.set({ dhcp_s: a.on ? a.delay_s! : was.dhcp_s });
      return;
    case "dhcp-none":
      if (wifi || eth) n.set({ lease: a.on ? false : was.lease });
      return;
    case "cable":
      if (eth) n.set({ cable: a.on ? false : was.cable });
      return;
  }
}
