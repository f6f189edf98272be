// require("WIZnet") of the virtual Espruino and the SPI bus of its W5500, on the site's network (site-network.ts).
// Espruino's WIZnet reference: connect(spi, cs) gives the interface; setIP(options) with {ip, subnet, gateway, dns}
// sets a static address, without options asks DHCP and returns false when no lease came; getIP() gives {ip, ...}.
// The interpreter waits inside setIP() for the DHCP exchange, so the board's time moves on by the site's dhcp_s
// (nothing else runs meanwhile); a server slower than DHCP_GIVE_UP_S counts as none (the model's figure).
// The bus answers the one frame the firmware sends of its own (firmware/net/w5500.ts): a read of the common
// register PHYCFGR. W5500 datasheet §2.2 (SPI frame: 16-bit offset address, control byte BSB[4:0] RWB OM[1:0],
// then data; BSB 00000 is the common register block, RWB 0 a read, OM 00 variable-length data) and §3.1 (PHYCFGR
// at 0x002E: RST bit 7, OPMD bit 6, OPMDC bits 5-3, DPX bit 2, SPD bit 1, LNK bit 0). Other frames read zeros.
import { LinkHost } from "./site-network";

const DHCP_GIVE_UP_S = 10;
/** The address the site's DHCP server leases. */
const LEASED_IP = "192.168.1.60";
/** PHYCFGR without LNK: not in reset, all capable auto-negotiation, 100 Mbps full duplex. */
const PHYCFGR_UP = 0b1111_1110;

export function wiznetModule(h: LinkHost) {
  const s = h.site.state;
  let ip: string | undefined;
  const follow = () => h.net.setJoined(ip !== undefined && s.cable);
  h.net.setJoined(false);
  h.site.follow(follow);
  const eth = {
    setIP(o?: { ip?: string }) {
      if (o && o.ip) {
        ip = o.ip;
      } else {
        const answers = s.cable && s.lease && s.dhcp_s <= DHCP_GIVE_UP_S;
        h.clock.nowMs += (answers ? s.dhcp_s : DHCP_GIVE_UP_S) * 1000;
        ip = answers ? LEASED_IP : undefined;
      }
      follow();
      return ip !== undefined;
    },
    getIP() {
      return { ip: ip ?? "0.0.0.0", subnet: "255.255.255.0", gateway: "192.168.1.1", dns: "192.168.1.1" };
    },
  };
  return { connect: () => eth };
}

/** The SPI bus the W5500 hangs on, as the firmware sees it (SPI2.setup, SPI2.send(data, cs)). */
export function w5500Bus(h: LinkHost) {
  return {
    setup() {},
    write() {},
    send(data: ArrayLike<number>) {
      const out = new Array<number>(data.length).fill(0);
      const phyRead = data.length >= 4 && data[0] === 0x00 && data[1] === 0x2e && (data[2] & 0b1111_1100) === 0;
      if (phyRead) out[3] = PHYCFGR_UP | (h.site.state.cable ? 1 : 0);
      return h.bytes(out);
    },
  };
}
