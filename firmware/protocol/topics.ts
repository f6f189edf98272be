// The MQTT topic contract, v1 (docs/design.md "The contract"). Prefix mg/v1/<site>/<node>/.
// Version rule: a change a v1 reader cannot ignore (a field's meaning, a unit, a channel id's meaning) needs a new
// prefix (mg/v2/...); adding optional fields or new channels with new ids stays v1. Channel ids are never reused.

export const protocolVersion = 1;
export const topicRoot = "mg/v1";

/** Every topic under a node's prefix, with who publishes it. */
export const nodeTopics = {
  birth: "birth", // node -> gw, qos 1, retained
  state: "state", // node -> gw, qos 1, retained; the node's will sets "offline"
  batch: "t", // node -> gw, qos 1
  event: "evt", // node -> gw, qos 1
  command: "cmd", // gw -> node, qos 1, never retained
  ack: "ack", // node -> gw, qos 1, never retained
  config: "cfg", // gw -> node, qos 1, retained desired configuration
};

export type NodeTopicKind = keyof typeof nodeTopics;

/** Site and node ids: lower-case letters, digits, '-' and '_', 1..32 characters (no MQTT wildcards or '/'). */
export function isValidId(id: string): boolean {
  return /^[a-z0-9_-]{1,32}$/.test(id);
}

export function nodePrefix(site: string, node: string): string {
  return topicRoot + "/" + site + "/" + node + "/";
}

export function nodeTopic(site: string, node: string, kind: NodeTopicKind): string {
  return nodePrefix(site, node) + nodeTopics[kind];
}

export interface ParsedTopic {
  site: string;
  node: string;
  kind: NodeTopicKind;
}

/** Parse mg/v1/<site>/<node>/<leaf>; undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split("/");
  if (parts.length !== 5 || parts[0] + "/" + parts[1] !== topicRoot) return undefined;
  if (!isValidId(parts[2]) || !isValidId(parts[3])) return undefined;
  const keys = Object.keys(nodeTopics) as NodeTopicKind[];
  for (let i = 0; i < keys.length; i++) {
    if (nodeTopics[keys[i]] === parts[4]) return { site: parts[2], node: parts[3], kind: keys[i] };
  }
  return undefined;
}
