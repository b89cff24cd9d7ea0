// The signed-in person: a bearer token kept in this browser tab's sessionStorage only (gone when
// the tab closes), and the role its claims name. The API checks the token on every call; the
// claims here only choose which pages to offer.

const STORAGE_KEY = "checkpoint-console-token";
const CONSOLE_ROLES = ["compliance", "auditor"];

export class SignInRefused extends Error {}

export function token() {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

// The caller a token names ({subject, role, expires}), or SignInRefused saying why not.
export function caller(text) {
  const claims = decodeClaims(text);
  if (!claims) throw new SignInRefused("This is not a token the console can read. Paste the whole token.");
  const role = roleOf(claims);
  if (role === "channel") {
    throw new SignInRefused("A channel token cannot sign in: the console is for compliance officers and auditors.");
  }
  if (!CONSOLE_ROLES.includes(role)) throw new SignInRefused("This token names no role that may use the console.");
  if (claims.exp && claims.exp * 1000 < Date.now()) throw new SignInRefused("This token has expired; get a new one.");
  return { subject: String(claims.sub ?? claims["cognito:username"] ?? "unknown"), role, expires: claims.exp ?? null };
}

export function keep(text) {
  sessionStorage.setItem(STORAGE_KEY, text);
}

export function withoutScheme(pasted) {
  return pasted.trim().replace(/^Bearer\s+/i, "");
}

// Local tokens are payload.signature; deployed ones are Cognito JWTs (header.payload.signature).
function decodeClaims(text) {
  const parts = text.split(".");
  const payload = parts.length === 2 ? parts[0] : parts.length === 3 ? parts[1] : null;
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

// The local stage's `role` claim, or the user's single Cognito group (as the API reads it).
function roleOf(claims) {
  if (typeof claims.role === "string") return claims.role;
  const groups = claims["cognito:groups"] ?? [];
  const known = (Array.isArray(groups) ? groups : String(groups).split(",")).filter((g) => ["channel", ...CONSOLE_ROLES].includes(g));
  return known.length === 1 ? known[0] : null;
}
