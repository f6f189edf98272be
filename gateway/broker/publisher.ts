// How gateway features send to nodes (cmd, cfg) and to the site (alarms), whichever broker carries the messages:
// the embedded aedes or the external broker's client.
import { topicRoot } from "../../firmware/protocol/topics";

export interface Publisher {
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

/** The same as a function, as alarms and commands take it. A promise, when returned, settles once the broker has the message. */
export type Publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }) => void | Promise<void>;

/** Gateway-level topic of a site: mg/v1/<site>/_gw/<leaf> ("_gw" is not a valid node id, so no node can use it). */
export function gatewayTopic(site: string, leaf: string): string {
  return topicRoot + "/" + site + "/_gw/" + leaf;
}
