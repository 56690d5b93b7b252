// Every JSON Schema in RELEASED_DIR must have a backward-compatible successor of the same name
// in CURRENT_DIR: a consumer on the current schema reads whatever was written under the released
// one (jsoncompat's deserializer role). Exit 1 otherwise.
// Usage: node check-compat.mjs RELEASED_DIR CURRENT_DIR
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { backwardCompatible } from "./jsoncompat.mjs";

const [released, current] = process.argv.slice(2);
const read = (dir, name) => JSON.parse(readFileSync(join(dir, name), "utf8"));
let broken = 0;
const names = readdirSync(released).filter((n) => n.endsWith(".json")).sort();
for (const name of names) {
  let verdict;
  if (!existsSync(join(current, name))) verdict = "removed";
  else verdict = backwardCompatible(read(released, name), read(current, name)) ? "compatible" : "INCOMPATIBLE";
  if (verdict !== "compatible") broken += 1;
  console.log(`${verdict} ${name}`);
}
console.log(`${names.length - broken} compatible, ${broken} incompatible with ${released}`);
process.exit(broken === 0 && names.length > 0 ? 0 : 1);
