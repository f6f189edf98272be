// The network a virtual site offers its board: an access point, a DHCP server, an Ethernet cable. It outlives the
// board's reboots and power cuts (the site's router does not reboot with the controller); fault scripts change it
// (sim/faults/script.ts). The board's link modules (wifi-module.ts, wiznet-module.ts) are made anew at every boot
// and follow it.
import { VirtualClock } from "./virtual-clock";
import { FirmwareCall } from "./peripherals";
import { NetBridge } from "./net-bridge";

export interface SiteNetworkState {
  /** The access point's name and password (WPA2-PSK). */
  ssid: string;
  pass: string;
  /** dBm the board hears the access point at. */
  rssi: number;
  /** The access point is on the air. */
  ap: boolean;
  /** The DHCP server hands out leases. */
  lease: boolean;
  /** Seconds the DHCP server takes to answer (slow DHCP: a busy router, a 3G modem's own DHCP). */
  dhcp_s: number;
  /** The Ethernet cable is in (the W5500's PHY sees a link partner). */
  cable: boolean;
}

export const defaultSiteNetwork: SiteNetworkState = { ssid: "site-ap", pass: "site-pass", rssi: -61, ap: true, lease: true, dhcp_s: 1, cable: true };

export class SiteNetwork {
  readonly state: SiteNetworkState;
  /** The network as the site was described, before any fault changed it. */
  readonly initial: Readonly<SiteNetworkState>;
  /** The current boot's link module, told of every change. */
  private follower: (() => void) | undefined;

  constructor(init: Partial<SiteNetworkState> = {}) {
    this.state = { ...defaultSiteNetwork, ...init };
    this.initial = { ...this.state };
  }

  /** Change the site's network; the board's link reacts at once (an access point gone drops the station). */
  set(change: Partial<SiteNetworkState>): void {
    Object.assign(this.state, change);
    this.follower?.();
  }

  /** The link module of the boot now running follows the network (the one before it is forgotten). */
  follow(f: (() => void) | undefined): void {
    this.follower = f;
  }
}

/** What a link module needs of its virtual Espruino. */
export interface LinkHost {
  clock: VirtualClock;
  /** Runs a firmware callback as the interpreter's event loop does. */
  call: FirmwareCall;
  /** TCP: joined while the link has an address (net-bridge.ts setJoined). */
  net: NetBridge;
  site: SiteNetwork;
  /** A Uint8Array of the firmware's realm. */
  bytes(a: number[]): Uint8Array;
}
