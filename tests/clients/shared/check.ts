// Small helpers shared by the REST and GraphQL client checks: configuration from the
// environment, named steps that stop the program with a clear message, and assertions.

import { randomInt } from "node:crypto";

export const baseUrl: string = (process.env.DOSSIER_URL ?? "http://127.0.0.1:18080").replace(/\/+$/, "");

export const admin = { email: "admin@demo.dossier.test", password: "demo-admin-password" } as const;
export const support = { email: "support@demo.dossier.test", password: "demo-support-password" } as const;

/** Raised by `check` / `fail`; `step` turns it into a one-line failure and exit code 1. */
export class CheckFailed extends Error {
  override name = "CheckFailed";
}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

/** Asserts `condition`; the message says what was expected. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Something defined, or a failure naming it. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) fail(`${what} is missing`);
  return value;
}

/** Compact JSON for failure messages (bounded in length). */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

let stepNo = 0;
let program = "check";
let notes: string[] = [];

/** A detail line printed under the current step's result. */
export function note(message: string): void {
  notes.push(message);
}

function flushNotes(write: (line: string) => void): void {
  for (const line of notes) write(`[${program}]     ${line}`);
  notes = [];
}

export function begin(name: string): void {
  program = name;
  console.log(`[${program}] target ${baseUrl}`);
}

/** Runs one named step; on failure prints which step and why, and exits non-zero. */
export async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
  stepNo += 1;
  const label = `[${program}] step ${stepNo}: ${title}`;
  try {
    const value = await body();
    console.log(`${label} ... ok`);
    flushNotes((line) => console.log(line));
    return value;
  } catch (err) {
    const reason =
      err instanceof CheckFailed
        ? err.message
        : err instanceof Error
          ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ""}`
          : String(err);
    console.error(`${label} ... FAILED`);
    flushNotes((line) => console.error(line));
    console.error(`[${program}]   ${reason}`);
    console.error(`[${program}] ${stepNo - 1} passed, 1 failed`);
    process.exit(1);
  }
}

export function done(): void {
  console.log(`[${program}] ${stepNo} passed, 0 failed`);
}

/** Random digits, so that reruns create customers with fresh phones and e-mails. */
export function digits(n: number): string {
  let out = "";
  for (let i = 0; i < n; i += 1) out += String(randomInt(10));
  return out;
}

/**
 * A fresh Chinese mobile number in the notation a person types ("+86 138 1234 5678")
 * and the E.164 form the API is documented to store it in ("+8613812345678").
 */
export function freshPhone(): { typed: string; e164: string } {
  const a = digits(4);
  const b = digits(4);
  return { typed: `+86 138 ${a} ${b}`, e164: `+86138${a}${b}` };
}

/**
 * Signs in through REST with plain fetch (used by the GraphQL check, which needs a
 * bearer token but no REST client). The body is read as `unknown` and narrowed.
 */
export async function signInPlain(who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(who),
  });
  const body: unknown = await res.json().catch(() => null);
  check(res.status === 200, `POST /api/v1/auth/login as ${who.email}: expected 200, got ${res.status} ${show(body)}`);
  check(
    typeof body === "object" && body !== null && "access_token" in body && typeof body.access_token === "string",
    `POST /api/v1/auth/login as ${who.email}: no access_token in ${show(body)}`,
  );
  return body.access_token;
}
