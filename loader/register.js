// @ts-check
/**
 * Pulumi.yaml `runtime.options.nodeargs: --require ./loader/register.js`: Pulumi's Node.js language host puts it on
 * node's command line before its run script, so `.ts` files are hooked before anything is loaded. See ts-hook.js.
 */
"use strict";

require("./ts-hook").register();
