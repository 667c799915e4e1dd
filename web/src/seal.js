// Sealing in the browser, as infra/vault does in Go: HPKE base mode with
// X-Wing (ML-KEM-768 + X25519, KEM 0x647a), HKDF-SHA256 and AES-256-GCM, to
// the session's public key, with the info string
// `idv/v2 capture <session-id> <attempt> <kind> <index>` (seal.CaptureInfo):
// the attempt the session is taking, so that a capture of one attempt
// cannot stand in for another's. A session that names no attempt (a server
// from before attempts) gets `idv/v1 capture <session-id> <kind> <index>`,
// which such a server opens. The sealed bytes are the sender's enc followed
// by the ciphertext: what Go's hpke.Open takes.
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { XWing } from "@hpke/hybridkem-x-wing";

export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

// sealer returns seal(kind, index, plain) → {bytes, sha256} for one
// session's current attempt (session.attempt, as GET /v1/app/session
// gives it).
export async function sealer(session) {
  const suite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const pk = await suite.kem.deserializePublicKey(fromBase64(session.encryption.public_key).buffer);
  const te = new TextEncoder();
  return async function seal(kind, index, plain) {
    const info = te.encode(
      session.attempt ? `idv/v2 capture ${session.session_id} ${session.attempt} ${kind} ${index}` : `idv/v1 capture ${session.session_id} ${kind} ${index}`,
    );
    const sender = await suite.createSenderContext({ recipientPublicKey: pk, info: info.buffer });
    const ct = new Uint8Array(await sender.seal(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength)));
    const enc = new Uint8Array(sender.enc);
    const bytes = new Uint8Array(enc.length + ct.length);
    bytes.set(enc, 0);
    bytes.set(ct, enc.length);
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    return { kind, index, bytes, sha256 };
  };
}
