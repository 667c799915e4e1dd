// seal.mjs seals stdin's JSON {public_key, session_id, kind, index,
// plaintext} with the capture page's own sealing code (src/seal.js, the
// code the browser runs) and prints the sealed bytes as base64, for the Go
// test that opens them (producers/capturepage).
import { sealer } from "../src/seal.js";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const seal = await sealer({ session_id: req.session_id, encryption: { public_key: req.public_key } });
const out = await seal(req.kind, req.index, new TextEncoder().encode(req.plaintext));
process.stdout.write(JSON.stringify({ sealed: Buffer.from(out.bytes).toString("base64"), sha256: out.sha256 }));
