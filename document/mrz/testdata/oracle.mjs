// oracle.mjs runs the npm package mrz (the test oracle of oracle_test.go)
// over many MRZs in one process.
//
//   node oracle.mjs ORACLE_DIR < {"cases": [["line", ...], ...]}
//
// ORACLE_DIR is where scripts/mrz-oracle.sh installed the package. Writes
// {"version", "states", "results"} on stdout: the package version, the state
// codes it knows, and per case {valid, format, thrown, documentNumber,
// fields, invalid}. Autocorrection is off: the oracle judges the characters
// as given.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node oracle.mjs ORACLE_DIR\n');
  process.exit(2);
}
const require = createRequire(join(dir, 'package.json'));
const entry = require.resolve('mrz');
const { parse, states } = await import(pathToFileURL(entry).href);
const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { cases } = JSON.parse(input);

const results = cases.map((lines) => {
  try {
    const r = parse(lines, { autocorrect: false });
    const f = r.fields;
    return {
      valid: r.valid,
      format: r.format,
      thrown: false,
      documentNumber: r.documentNumber ?? '',
      fields: {
        documentCode: f.documentCode ?? '',
        issuingState: f.issuingState ?? '',
        nationality: f.nationality ?? '',
        lastName: f.lastName ?? '',
        firstName: f.firstName ?? '',
        sex: f.sex ?? '',
        birthDate: f.birthDate ?? '',
        expirationDate: f.expirationDate ?? '',
      },
      invalid: r.details.filter((d) => !d.valid).map((d) => d.label),
    };
  } catch {
    // parse throws on layouts it does not know: a refusal.
    return { valid: false, format: '', thrown: true };
  }
});
process.stdout.write(JSON.stringify({ version: pkg.version, states: Object.keys(states), results }));
