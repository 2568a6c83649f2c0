// terser's name mangling (compression off) then prettier, over a batch of JavaScript snippets.
//
//   node jstools.mjs in.json out.json
// in: {"mode": "terser" | "prettier", "codes": ["code", ...], "comments": false, "typescript": false,
//      "member": [false, ...]}   out: ["result" | null, ...]
// "prettier" alone reformats at a narrower width (60 columns) than the sources use.
// "typescript": each snippet is compiled by TypeScript's transpileModule first (types erased, comments kept).
// "member": the snippet is a class member; it is wrapped in a class for the tools and unwrapped after.
import { readFileSync, writeFileSync } from "node:fs";
import { minify } from "terser";
import * as prettier from "prettier";

const [input, output] = process.argv.slice(2);
const { mode, codes, comments = false, typescript = false, member = [] } = JSON.parse(readFileSync(input, "utf8"));
const ts = typescript ? (await import("typescript")).default : null;

function unwrap(code) {
  // prettier printed "class e {\n  ...\n}\n": drop the first and last lines and one level of indentation
  const lines = code.trimEnd().split("\n");
  if (lines.length < 3 || !/^class \S+ \{$/.test(lines[0]) || lines[lines.length - 1] !== "}") return null;
  return lines.slice(1, -1).map((l) => (l.startsWith("  ") ? l.slice(2) : l)).join("\n") + "\n";
}

const out = [];
for (const [i, raw] of codes.entries()) {
  try {
    if (mode === "prettier") {
      out.push(await prettier.format(raw, { parser: "babel", printWidth: 60 }));
      continue;
    }
    let code = member[i] ? `class __Wrap {\n${raw}\n}\n` : raw;
    if (ts) {
      const res = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: {
        target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: !comments,
        useDefineForClassFields: false } });
      if (res.diagnostics && res.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) {
        out.push(null);
        continue;
      }
      code = res.outputText.replace(/^export \{\};\s*$/m, "");
    }
    // A snippet is a script whose own declarations are top-level: mangle them too (toplevel), as a bundler would.
    const res = await minify(code, { compress: false, mangle: { toplevel: true }, module: true,
                                     format: { beautify: false, comments: comments ? "all" : false } });
    const pretty = await prettier.format(res.code, { parser: "babel" });
    out.push(member[i] ? unwrap(pretty) : pretty);
  } catch (err) {
    out.push(null);
  }
}
writeFileSync(output, JSON.stringify(out));
