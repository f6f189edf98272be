// The configuration sections that the gateway's features check (for loadConfigFile / checkConfig), apart from the
// features themselves, so that checking a settings file loads no broker, database or HTTP server.
import { alarmsConfigSchema } from "../alarms/config";
import type { ConfigOptions } from "./load";

export const gatewayConfigSections: ConfigOptions = { sections: { alarms: alarmsConfigSchema } };
