// jsoncompat (JSON Schema 2020-12 compatibility and validation, compiled to WebAssembly),
// loaded synchronously for Node, with the schema keywords it refuses stripped.
import { readFileSync } from "node:fs";
import { initSync, check_compat, validator_for } from "jsoncompat";

initSync({ module: readFileSync(new URL("./node_modules/jsoncompat/jsoncompat_wasm_bg.wasm", import.meta.url)) });

/** The schema as jsoncompat takes it: `$id` (our URN, an identifier only) removed. */
function prepared(schema) {
  const { $id, ...rest } = schema;
  return JSON.stringify(rest);
}

/** Does a reader on `newer` read everything written under `older`? (backward compatible) */
export function backwardCompatible(older, newer) {
  return check_compat(prepared(older), prepared(newer), "deserializer");
}

/** Is `value` valid against `schema`? */
export function valid(schema, value) {
  return validator_for(prepared(schema)).is_valid(JSON.stringify(value));
}
