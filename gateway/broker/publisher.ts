// How gateway features send to nodes (cmd, cfg), whichever broker carries the messages.
export interface Publisher {
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void>;
}
