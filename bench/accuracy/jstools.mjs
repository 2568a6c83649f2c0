// terser's name mangling (compression off) then prettier, over a batch of JavaScript snippets.
//
//   node jstools.mjs in.json out.json
// in: {"mode": "terser" | "prettier", "codes": ["code", ...]}   out: ["result" | null, ...]
// "prettier" alone reformats at a narrower width (60 columns) than the sources use.
import { readFileSync, writeFileSync } from "node:fs";
import { minify } from "terser";
import * as prettier from "prettier";

const [input, output] = process.argv.slice(2);
const { mode, codes } = JSON.parse(readFileSync(input, "utf8"));
const out = [];
for (const code of codes) {
  try {
    if (mode === "prettier") {
      out.push(await prettier.format(code, { parser: "babel", printWidth: 60 }));
      continue;
    }
    // A snippet is a script whose own declarations are top-level: mangle them too (toplevel), as a bundler would.
    const res = await minify(code, { compress: false, mangle: { toplevel: true }, module: true,
                                     format: { beautify: false, comments: false } });
    out.push(await prettier.format(res.code, { parser: "babel" }));
  } catch (err) {
    out.push(null);
  }
}
writeFileSync(output, JSON.stringify(out));
