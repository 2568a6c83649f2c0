// Dolos (@dodona/dolos-lib, default options) scores for (query, reference) pairs.
//
//   node dolos.mjs in.json out.json        (run with NODE_PATH-free resolution: see peers.py)
//
// in.json: {"language": "java"|"python"|"javascript"|"c"|"char",
//           "groups": [{"refs": [{"name", "text"}], "queries": [{"name", "text"}]}]}
// For each group one fingerprint index holds refs and queries (Dolos's defaults:
// k-gram 23, window 17); every (query, ref) pair sharing a fingerprint is scored.
// out.json: [[query, ref, similarity, queryCovered/queryTotal, refCovered/refTotal, longest], ...]
import { readFileSync, writeFileSync } from "node:fs";
import { File, FingerprintIndex, LanguagePicker, Options } from "@dodona/dolos-lib";

const [input, output] = process.argv.slice(2);
const job = JSON.parse(readFileSync(input, "utf8"));
const options = new Options({});
const language = await new LanguagePicker().findLanguage(job.language);
const tokenizer = await language.createTokenizer({ includeComments: options.includeComments });
const rows = [];

for (const group of job.groups) {
  const index = new FingerprintIndex(options.kgramLength, options.kgramsInWindow, false);
  const tok = (f) => tokenizer.tokenizeFile(new File(f.name, f.text));
  const refs = group.refs.map(tok);
  // Without "queries", every ref is scored against the others (all pairs, both orders).
  const queries = group.queries ? group.queries.map(tok) : refs;
  index.addFiles(group.queries ? [...refs, ...queries] : refs);
  const isRef = new Set(refs.map((r) => r.id));
  const entries = new Map(index.entries().map((e) => [e.file.id, e]));
  for (const q of queries) {
    const entry = entries.get(q.id);
    const partners = new Map();
    for (const shared of entry.shared) {
      for (const f of shared.files()) {
        if (isRef.has(f.id) && f.id !== q.id) partners.set(f.id, f);
      }
    }
    for (const ref of partners.values()) {
      const pair = index.getPair(q, ref);
      const left = pair.leftFile.id === q.id;
      const qCov = left ? pair.leftCovered / Math.max(pair.leftTotal, 1) : pair.rightCovered / Math.max(pair.rightTotal, 1);
      const rCov = left ? pair.rightCovered / Math.max(pair.rightTotal, 1) : pair.leftCovered / Math.max(pair.leftTotal, 1);
      rows.push([q.path, ref.path, pair.similarity, qCov, rCov, pair.longest]);
    }
  }
}
writeFileSync(output, JSON.stringify(rows));
