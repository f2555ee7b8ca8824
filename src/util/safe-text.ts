/**
 * Text that leaves the action through the runner: log lines, annotations, outputs, failure messages.
 *
 * The runner reads workflow commands from the action's stdout: a line that starts with `::`
 * (after leading white space: `::add-mask::`, `::notice title=…::`, `::stop-commands::`) and, in
 * its legacy form, `##[command]` anywhere in a line. Text from outside the action (step, job and
 * branch names, label values a step reported, a server's error body) therefore never reaches the
 * runner with a line break, a `::` at the start or a `##[` (actions/runner, `ActionCommand`).
 *
 * Every message that names a URL shows it without its userinfo and with its query string and
 * fragment cut to `?…` / `#…`: they are where credentials hide (`https://user:pass@host`,
 * `?api_key=…`).
 */

/** Line breaks and other control characters (tab excepted), turned into one space each run. */
// eslint-disable-next-line no-control-regex -- control characters are what is removed
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]+/g;

/**
 * One line that can never be a workflow command: control characters become spaces, a leading
 * `::` becomes `: :` and every `##[` becomes `# #[`. Idempotent.
 */
export function singleLine(text: string): string {
  return text
    .replace(CONTROL, ' ')
    .replace(/^(\s*):(?=:)/, '$1: ')
    .replace(/##\[/g, '# #[');
}

/**
 * `scheme://` followed by anything up to white space or a quote, not ending in punctuation that
 * ends the sentence around it: a URL as it appears in a message.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)((?:[^\s"'<>`]*[^\s"'<>`.,;:!?)\]])?)/gi;

/** Query and fragment cut to `?…` / `#…`. */
function withoutQuery(text: string): string {
  const q = text.search(/[?#]/);
  return q < 0 ? text : `${text.slice(0, q)}${text[q] === '?' ? '?…' : '#…'}`;
}

/**
 * A URL without its `scheme://`, userinfo, query and fragment redacted, whether it parses or not:
 * whatever comes before the last `@` goes (userinfo; or a password whose unencoded `/` made the URL
 * standard read it as a path: `http://u:/pass@host` parses with host `u`), and the query and
 * fragment become `?…` / `#…`. An `@` after a `?` or `#` may end a password that holds a `?` or
 * `#`, or sit in a query secret: then nothing but the scheme is shown.
 */
function redactRest(rest: string): string {
  const q = rest.search(/[?#]/);
  if (q >= 0 && rest.includes('@', q)) return '…';
  const at = rest.lastIndexOf('@');
  return at < 0 ? withoutQuery(rest) : `…@${withoutQuery(rest.slice(at + 1))}`;
}

/**
 * One URL input (parseable or not) as a message may show it: `https://…@host/path?…`. Without a
 * `scheme://`, the same rules as for a URL that does not parse.
 */
export function redactUrl(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0];
  if (scheme) return `${scheme}${redactRest(raw.slice(scheme.length))}`;
  return redactRest(raw);
}

/** Every URL in a message, redacted like {@link redactUrl}; the rest of the text is kept. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (_all, scheme: string, rest: string) => `${scheme}${redactRest(rest)}`);
}

/**
 * The one sanitiser for text the runner prints or records (log lines, annotation messages and
 * titles, failure messages): URLs redacted, then one line that cannot be a workflow command.
 */
export function safeLogText(text: string): string {
  return singleLine(redactUrls(text));
}

/** A value quoted in a message about an input: one line, URLs redacted, at most `max` characters. */
export function quoteInput(value: string, max = 80): string {
  const safe = safeLogText(value);
  return `"${safe.length > max ? `${safe.slice(0, max - 1)}…` : safe}"`;
}
