// `node --import ./test/helpers/import-log.mjs ...`: appends the URL of every module the process loads through
// the ES module loader (its own, tsx's .ts files, packages imported from them) to the file named by
// MINIGRID_IMPORT_LOG, one a line. Tests use it to see what a CLI command loads.
import { register } from "node:module";

register(new URL("./import-log-hooks.mjs", import.meta.url));
