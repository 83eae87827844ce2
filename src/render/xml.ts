// Characters XML 1.0 forbids anywhere (even as character references): C0 controls other than tab,
// LF and CR, U+FFFE/U+FFFF, and UTF-16 surrogates that are not part of a pair.
const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Replaces what XML cannot carry with a visible `\uXXXX`, so the text stays readable. */
function stripInvalid(text: string): string {
  return text.replace(INVALID_XML_CHARS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Text content: escapes markup characters. */
export function xmlText(text: string): string {
  return stripInvalid(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Attribute value in double quotes: also keeps quotes, tabs and line breaks through attribute normalisation. */
export function xmlAttribute(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}
