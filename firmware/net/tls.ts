// MQTT over TLS on the boards whose interpreter has the tls module (the ESP32's build, the Linux build): the
// broker's connections through require("tls").connect instead of net's. Only the entries of those boards import it
// (cli/build/compile-firmware.ts), so the other boards' files do not carry it.
//
// Espruino's tls reference: connect(options, callback) as net's, with `ca` the DER of a certificate (a PEM's base64
// through atob). Espruino 2v29 sets mbedTLS's authentication mode to "none" (libs/network/network.c): the link is
// encrypted, but the broker's certificate is not checked against `ca` (docs/security.md).
import { NetConnectFn } from "../hal/types";
import { NodeSettings } from "../app/node-settings";

export function tlsConnect(broker: NodeSettings["broker"]): NetConnectFn {
  // the PEM's base64, between "-----BEGIN CERTIFICATE-----" and "-----END CERTIFICATE-----"
  const ca = broker.ca ? atob(broker.ca.split("-----")[2].replace(/\s/g, "")) : undefined;
  return function (to, onConnect) {
    return require("tls").connect({ host: to.host, port: to.port, ca: ca }, onConnect);
  };
}
