/**
 * The check of a recipient address, shared by the request schema and the mailer. It has no
 * dependency on zod, so the mailer's bundle, which never parses a request, leaves zod out.
 */
import { domainToASCII } from 'node:url';

/** RFC 5321 limits: 64 octets for the local part, 254 for a whole forward path address. */
const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

// RFC 5322 dot-atom characters; quoted local parts are not accepted.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** White space and C0 or C1 control characters, which no URL or address in a request may hold. */
export const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f-\u009f]/u;

/**
 * Returns why `value` is not one plain address (no display name, no list), or undefined. The
 * request schema rejects such an address, and the mailer checks it again where it leaves qrmail,
 * whatever stored it.
 */
export function emailProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return '"email" must be one address without line breaks.';
  if (CONTROL_OR_SPACE.test(value)) {
    return '"email" must be one address without spaces or control characters, such as someone@example.com.';
  }
  if (value.length > MAX_EMAIL_LENGTH) {
    return `"email" is ${value.length} characters long; an address has at most ${MAX_EMAIL_LENGTH}.`;
  }
  if (/[<>,;]/.test(value)) {
    return '"email" must be one plain address such as someone@example.com, without a display name or a list.';
  }

  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1)
    return '"email" must have the form local-part@domain, such as someone@example.com.';

  const localPart = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (localPart.length > MAX_LOCAL_PART_LENGTH) {
    return `The part of "email" before @ is ${localPart.length} characters long; at most ${MAX_LOCAL_PART_LENGTH} are allowed.`;
  }
  if (!LOCAL_PART.test(localPart)) {
    return '"email" has an invalid part before @: use letters, digits and . _ + - (no leading, trailing or double dots).';
  }

  // An internationalized domain is checked in its ASCII (punycode) form, which is what SMTP sends.
  const asciiDomain = domainToASCII(domain);
  const labels = asciiDomain.split('.');
  if (asciiDomain === '' || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) {
    return `"email" has an invalid domain ${JSON.stringify(domain)}: expected a name such as example.com.`;
  }
  return undefined;
}
