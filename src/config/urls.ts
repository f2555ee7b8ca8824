/**
 * The one parser for URL inputs that may hold credentials (`pushgateway-url`, `remote-write-url`,
 * `remote-write-query-url`, `health-urls`, `prometheus-url`). Never throws.
 *
 * - Credentials in the URL (`https://user:pass@host`) are moved out: fetch refuses such URLs with an
 *   error that prints the password (docs/platform.md, "Network and rendering"), so the caller sends
 *   them in an Authorization header.
 * - What may be secret is returned for masking before anything is printed: the password (decoded and
 *   as written), the Basic header's base64, and the values of query parameters whose name says
 *   secret (`?api_key=…`, `?token=…`). Even a URL that does not parse has its userinfo masked.
 * - A message about the URL only ever shows it redacted (`util/safe-text.ts` `redactUrl`).
 * - Percent-escapes that do not decode (`http://u:p%zz@host`) are kept as written, not thrown.
 */
import { quoteInput, redactUrl } from '../util/safe-text.js';

/**
 * Values shorter than this are not registered as masks: the runner would replace every occurrence
 * of, say, `ab` in the whole log. The action never prints them anyway (messages redact userinfo and
 * query strings). One rule for every input.
 */
export const MIN_MASK_LENGTH = 4;

/** Header or query parameter names whose value is a credential. */
export const SECRET_NAME = /auth|token|key|secret|passw|pwd|cookie|sig|credential|session/i;

export interface CredentialUrl {
  /** The URL without userinfo (query and fragment kept: the request needs them). */
  readonly url: URL;
  /** `user:password`, decoded, when the URL held credentials. */
  readonly credentials: string | undefined;
  /** How messages and summaries show it: origin and path, `?…` when there is a query string. */
  readonly display: string;
}

export type CredentialUrlResult =
  | { readonly ok: true; readonly value: CredentialUrl; readonly secrets: readonly string[] }
  | {
      readonly ok: false;
      /** What is wrong, quoting the redacted input: `"http://…@host:x" is not a URL`. */
      readonly problem: string;
      readonly secrets: readonly string[];
    };

/** decodeURIComponent that keeps the text as written when an escape does not decode. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Keeps the values long enough to mask, each once. */
export function maskable(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) if (v.length >= MIN_MASK_LENGTH && !out.includes(v)) out.push(v);
  return out;
}

/** The userinfo of something that looks like a URL but may not parse: between `//` and the last `@`. */
function rawUserinfo(raw: string): string | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
  const rest = raw.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  return at > 0 ? rest.slice(0, at) : undefined;
}

function passwordSecrets(user: string, password: string): string[] {
  const decodedUser = safeDecode(user);
  const decoded = safeDecode(password);
  const out = [decoded, password];
  if (user !== '' || password !== '') out.push(Buffer.from(`${decodedUser}:${decoded}`).toString('base64'));
  return out;
}

function querySecrets(url: URL): string[] {
  const out: string[] = [];
  for (const [name, value] of url.searchParams) {
    if (!SECRET_NAME.test(name)) continue;
    out.push(value, encodeURIComponent(value));
  }
  // The raw, still-encoded form as written in the URL.
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && SECRET_NAME.test(safeDecode(pair.slice(0, eq)))) out.push(pair.slice(eq + 1));
  }
  return out;
}

/** How a parsed URL is shown: origin and path (no lone `/`), redacted (`?…` for a query string). */
function displayUrl(url: URL): string {
  return redactUrl(`${url.origin}${url.pathname === '/' ? '' : url.pathname}${url.search}${url.hash}`);
}

/** What looks like a password in text that is not an http(s) URL: masked all the same. */
function looseSecrets(text: string): string[] {
  const userinfo = rawUserinfo(text);
  if (userinfo === undefined) return [];
  const colon = userinfo.indexOf(':');
  return colon >= 0
    ? passwordSecrets(userinfo.slice(0, colon), userinfo.slice(colon + 1))
    : [userinfo, safeDecode(userinfo)];
}

/** Parses an http(s) URL input; credentials moved out and returned as secrets. Never throws. */
export function parseCredentialUrl(raw: string): CredentialUrlResult {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a URL: still mask what looks like a password in it, and never quote it whole.
    return {
      ok: false,
      problem: `${quoteInput(redactUrl(text))} is not a URL`,
      secrets: maskable(looseSecrets(text)),
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      problem: `${quoteInput(redactUrl(text))} is not an http or https URL`,
      secrets: maskable([...looseSecrets(text), ...passwordSecrets(url.username, url.password)]),
    };
  }
  const secrets: string[] = [];
  let credentials: string | undefined;
  if (url.username || url.password) {
    secrets.push(...passwordSecrets(url.username, url.password));
    credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
    url.username = '';
    url.password = '';
  }
  secrets.push(...querySecrets(url));
  // `http://u:/pass@host` parses with host `u` and the password in the path: masked all the same.
  const beforeQuery = text.split(/[?#]/)[0] as string;
  if (!credentials && beforeQuery.includes('@')) secrets.push(...looseSecrets(beforeQuery));
  return { ok: true, value: { url, credentials, display: displayUrl(url) }, secrets: maskable(secrets) };
}
