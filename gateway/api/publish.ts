// How alarms and commands reach MQTT: the gateway core passes a function that publishes through its broker
// (embedded aedes or the external broker's client). A promise, when returned, settles once the broker has the message.
export type Publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }) => void | Promise<void>;

/** Gateway-level topic of a site: mg/v1/<site>/_gw/<leaf> ("_gw" is not a valid node id, so no node can use it). */
export function gatewayTopic(site: string, leaf: string): string {
  return "mg/v1/" + site + "/_gw/" + leaf;
}
