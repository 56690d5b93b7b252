// Every JSON Schema in RELEASED_DIR must have a backward-compatible successor of the same name
// in CURRENT_DIR: a reader on the current schema reads whatever was written under the released
// one (jsoncompat's "deserializer" role, JSON Schema 2020-12, compiled to WebAssembly).
// Exit 1 otherwise. Usage: node check-compat.mjs RELEASED_DIR CURRENT_DIR
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { check_compat, initSync } from "jsoncompat";

const wasm = new URL("./node_modules/jsoncompat/jsoncompat_wasm_bg.wasm", import.meta.url);
initSync({ module: readFileSync(wasm) });

/** The schema as jsoncompat takes it: without `$id` (our URN: an identifier only). */
function read(dir, name) {
  const { $id, ...schema } = JSON.parse(readFileSync(join(dir, name), "utf8"));
  return JSON.stringify(schema);
}

const [released, current] = process.argv.slice(2);
const names = readdirSync(released).filter((n) => n.endsWith(".json")).sort();
let broken = 0;
for (const name of names) {
  let verdict = "removed";
  if (existsSync(join(current, name))) {
    const ok = check_compat(read(released, name), read(current, name), "deserializer");
    verdict = ok ? "compatible" : "INCOMPATIBLE";
  }
  if (verdict !== "compatible") broken += 1;
  console.log(`${verdict} ${name}`);
}
console.log(`${names.length - broken} compatible, ${broken} incompatible with ${released}`);
process.exit(broken === 0 && names.length > 0 ? 0 : 1);
