// An authenticator app, as the browser tests need one: the RFC 6238 code of a base32
// secret (SHA-1, 6 digits, 30-second steps, as the cloud's enrolment says).
import { createHmac } from "node:crypto";

const STEP_SECONDS = 30;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Bytes(secret: string): Buffer {
  let bits = "";
  for (const char of secret.replace(/[\s=]/g, "").toUpperCase()) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/** The code for time step `step` (RFC 4226's HOTP of the step's counter). */
function codeAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Bytes(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, "0");
}

/** Seconds a code must have left in its step when it is made: the page is filled and
 * sent well within them. */
const MARGIN_SECONDS = 10;

/** The code `stepsAhead` steps from now (-1, 0 or 1: the cloud takes a neighbouring step
 * for clock drift). A code works once, so tests that need several take them a step
 * apart. Near a step's end it waits for the next, so the code is still good when the
 * cloud checks it (a step back, the one it names ends with the current one). */
export async function authenticatorCode(secret: string, stepsAhead: number): Promise<string> {
  const intoStep = (Date.now() / 1000) % STEP_SECONDS;
  if (intoStep > STEP_SECONDS - MARGIN_SECONDS) {
    await new Promise((done) => setTimeout(done, (STEP_SECONDS - intoStep + 0.2) * 1000));
  }
  return codeAt(secret, Math.floor(Date.now() / 1000 / STEP_SECONDS) + stepsAhead);
}
