// Parse an AsyncAPI document with the official parser, print every diagnostic, and validate
// each message example against its headers and payload schemas (the parser's v3 rules do not).
// Exit 1 on any error or invalid example. Usage: node check-asyncapi.mjs path/to/asyncapi.yaml
import { createRequire } from "node:module";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const { Parser, fromFile } = createRequire(import.meta.url)("@asyncapi/parser");
const ajv = new Ajv2020({ strict: false }); // the parser's x-parser-* annotations are no keywords
addFormats(ajv);
const valid = (schema, value) => ajv.validate(schema, value);
const SEVERITY = ["error", "warning", "information", "hint"];

function invalidExamples(document) {
  const problems = [];
  for (const message of document.allMessages()) {
    const headers = message.headers()?.json();
    const payload = message.payload()?.json();
    for (const [i, example] of message.examples().all().entries()) {
      const where = `message ${message.id()} example ${example.name() ?? i}`;
      if (headers && example.hasHeaders() && !valid(headers, example.headers())) {
        problems.push(`${where}: headers do not match the headers schema`);
      }
      if (payload && example.hasPayload() && !valid(payload, example.payload())) {
        problems.push(`${where}: payload does not match the payload schema`);
      }
    }
  }
  return problems;
}

const path = process.argv[2];
const { document, diagnostics } = await fromFile(new Parser(), path).parse();
const counts = { error: 0, warning: 0, information: 0, hint: 0 };
for (const d of diagnostics) {
  counts[SEVERITY[d.severity]] += 1;
  console.log(`${SEVERITY[d.severity]} ${d.code} at /${d.path.join("/")}: ${d.message}`);
}
const problems = document ? invalidExamples(document) : ["the document could not be parsed"];
problems.forEach((p) => console.log(`error ${p}`));
console.log(
  `${counts.error} errors, ${counts.warning} warnings, ${counts.information} information, ` +
    `${counts.hint} hints; ${problems.length} invalid examples`,
);
process.exit(counts.error === 0 && problems.length === 0 ? 0 : 1);
