// The `homeassistant` settings section: Home Assistant's MQTT discovery of every channel of every node. HA reads the
// discovery configs and states from the broker the nodes use: on the embedded broker it logs in with its own login
// (username, passwordHash: subscribe to the discovery prefix and the state topics only, publish only its status);
// on an external broker its login is that broker's business.
import type { JsonSchema } from "../config/schema";

export interface HomeAssistantConfig {
  /** Publish the discovery configs and states; switched off, what was published is removed. */
  enabled: boolean;
  /** HA's discovery prefix (HA's MQTT setting "discovery prefix", default homeassistant). */
  discoveryPrefix: string;
  /** Root of the state and availability topics: <stateTopic>/<site>/<node>/<key>/<agg>. */
  stateTopic: string;
  /** Embedded broker: HA's login (read only). */
  username?: string;
  passwordHash?: string;
}

export const defaultHomeAssistantConfig: HomeAssistantConfig = { enabled: false, discoveryPrefix: "homeassistant", stateTopic: "minigrid" };

const topicPath = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$";

export const homeAssistantSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  fix: "remove the key or check its spelling (enabled, discoveryPrefix, stateTopic, username, passwordHash)",
  properties: {
    enabled: { type: "boolean", default: false, fix: "set homeassistant.enabled to true (publish Home Assistant discovery) or false (remove it)" },
    discoveryPrefix: {
      type: "string",
      pattern: topicPath,
      default: "homeassistant",
      fix: 'set homeassistant.discoveryPrefix to Home Assistant\'s MQTT discovery prefix (default "homeassistant"): topic levels of letters, digits, "-" or "_", no wildcards',
    },
    stateTopic: {
      type: "string",
      pattern: topicPath,
      default: "minigrid",
      fix: 'set homeassistant.stateTopic to the root of the state topics, e.g. "minigrid": topic levels of letters, digits, "-" or "_", no wildcards',
    },
    username: { type: "string", minLength: 1, fix: "set homeassistant.username to the user name Home Assistant logs in to the gateway's broker with" },
    passwordHash: {
      type: "string",
      pattern: "^scrypt\\$\\d+\\$\\d+\\$\\d+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$",
      fix: "paste the output of `minigrid gateway hash-password` for Home Assistant's password (never the password itself)",
    },
  },
};

/** What the schema cannot say: a login on the embedded broker, topics apart from the nodes' and each other's. */
export function checkHomeAssistant(ha: HomeAssistantConfig, c: { broker: { mode: string }; demo: boolean; nodes: { username: string }[] }): string[] {
  const errors: string[] = [];
  if (!ha.enabled) return errors;
  if (c.broker.mode === "embedded" && !c.demo && (!ha.username || !ha.passwordHash))
    errors.push(
      `homeassistant.${ha.username ? "passwordHash" : "username"}: is required when homeassistant.enabled is true on the embedded broker (Home Assistant needs a login to read it); set homeassistant.username and homeassistant.passwordHash (from \`minigrid gateway hash-password\`)`,
    );
  if (ha.username && c.nodes.some((n) => n.username === ha.username))
    errors.push(`homeassistant.username: "${ha.username}" is a node's user name too; give Home Assistant its own`);
  for (const key of ["discoveryPrefix", "stateTopic"] as const)
    if (ha[key] === "mg" || ha[key].startsWith("mg/")) errors.push(`homeassistant.${key}: "${ha[key]}" is under the nodes' topics (mg/); set it to another root, e.g. "minigrid"`);
  const [a, b] = [ha.discoveryPrefix, ha.stateTopic];
  if (a === b || a.startsWith(b + "/") || b.startsWith(a + "/"))
    errors.push(`homeassistant.stateTopic: "${b}" overlaps the discovery prefix "${a}"; set it to a root of its own, e.g. "minigrid"`);
  return errors;
}
