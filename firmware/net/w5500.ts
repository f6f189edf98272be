// Ethernet through a W5500 module on SPI and the interpreter's `WIZnet` module (the Espruino firmware build for
// the Pico with WIZnet support): connect(spi, cs) gives the interface; setIP() without options asks DHCP (and
// returns false without a lease), setIP({ip, subnet, gateway, dns}) sets a static address. Nothing reports a
// lost cable, so the PHY's link bit is read every WATCH_S: W5500 datasheet §3.1 and §2.2.2, common register
// PHYCFGR at 0x002E, bit 0 LNK (1: link up), read with a variable-length-data frame (address, then control byte
// 0x00: common register block, read).
import { NetLink } from "../hal/types";
import { NetSetting } from "../app/node-settings";
import { RuntimeBoard } from "../boards/types";

const WATCH_S = 10;

export function w5500Link(net: NetSetting, board: RuntimeBoard): NetLink {
  const w = board.w5500!;
  const spi = global[w.spi];
  spi.setup({ mosi: global[w.mosi], miso: global[w.miso], sck: global[w.sck] });
  const eth = require("WIZnet").connect(spi, global[w.cs]);
  return {
    join: function (done) {
      const ok = net.ip ? eth.setIP({ ip: net.ip, subnet: net.mask, gateway: net.gw, dns: net.dns }) : eth.setIP();
      done(ok === false ? "no DHCP lease" : undefined);
    },
    watch: function (lost) {
      setInterval(function () {
        if (!(spi.send([0, 0x2e, 0, 0], global[w.cs])[3] & 1)) lost("ethernet cable out");
      }, WATCH_S * 1000);
    },
  };
}
