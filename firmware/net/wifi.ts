// Wi-Fi through the interpreter's own `Wifi` module: the ESP32 build, and the Espruino WiFi's build (which drives
// its on-board ESP8266 itself). Espruino's Wifi reference: connect(ssid, {password}, callback(err)) calls back
// when an address is obtained, with an error only for a wrong password (other failures retry inside the module,
// which is why the link keeper times a join out); setIP({ip, gw, netmask}) sets a static address; "disconnected"
// is emitted when the station loses its access point; getDetails(callback) gives {status, rssi, ssid}.
import { NetLink } from "../hal/types";
import { NetSetting } from "../app/node-settings";

export function wifiLink(net: NetSetting): NetLink {
  const wifi = require("Wifi");
  return {
    join: function (done) {
      const go = function () {
        wifi.connect(net.ssid, { password: net.pass }, function (err: any) {
          done(err ? "wifi " + err : undefined);
        });
      };
      // a static address is set before joining, so that DHCP is never asked
      if (net.ip) wifi.setIP({ ip: net.ip, gw: net.gw, netmask: net.mask }, go);
      else go();
    },
    watch: function (lost) {
      wifi.on("disconnected", function (d: any) {
        lost("wifi lost " + ((d && d.reason) || ""));
      });
    },
    rssi: function (done) {
      wifi.getDetails(function (d: any) {
        done(d && d.rssi);
      });
    },
  };
}
