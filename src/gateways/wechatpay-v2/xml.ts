/**
 * WeChat Pay API v2 speaks one flat XML shape: `<xml><k><![CDATA[v]]></k>...</xml>`. A general XML
 * parser would bring DTDs, external entities and entity expansion (XXE, billion laughs) to a
 * document that needs none of them, so this reads exactly the flat shape and refuses the rest:
 * no `<!DOCTYPE`/`<!ENTITY`, no comments or processing instructions, no attributes, no nesting,
 * no entity but the five predefined ones, nothing larger than MAX_XML_CHARS.
 */

/** Field name -> text. A null-prototype object, so a field named `__proto__` is only a field. */
export type XmlFields = Record<string, string>;

export type XmlParse = { ok: true; fields: XmlFields } | { ok: false; reason: string };

/** A query answer is well under 2 KB; a document anywhere near this is not one. */
export const MAX_XML_CHARS = 64 * 1024;
/** An answer has about 25 fields (more with coupons); thousands would only be there to cost us. */
const MAX_FIELDS = 256;

const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ENTITY = /&([A-Za-z0-9#]+);/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_DECLARATION = /<\?xml[ \t\r\n][^<>?]*\?>/y;
const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';

/**
 * Reads one flat WeChat Pay v2 document. Never throws; a refusal says why.
 * @example parseFlatXml('<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>')
 *   // { ok: true, fields: { return_code: 'SUCCESS', total_fee: '1' } }
 */
export function parseFlatXml(text: string): XmlParse {
  if (typeof text !== 'string') return { ok: false, reason: 'not text' };
  if (text.length > MAX_XML_CHARS) return { ok: false, reason: `document of ${text.length} chars exceeds ${MAX_XML_CHARS}` };
  const fields: XmlFields = Object.create(null) as XmlFields;
  let count = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (reason: string): XmlParse => ({ ok: false, reason: `${reason} at offset ${i}` });
  const skipSpace = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };

  skipSpace();
  XML_DECLARATION.lastIndex = i;
  if (XML_DECLARATION.test(text)) i = XML_DECLARATION.lastIndex;
  skipSpace();
  if (text.startsWith('<!', i)) return fail('markup declaration (DOCTYPE, ENTITY or comment) refused');
  if (!text.startsWith('<xml>', i)) return fail('document does not start with <xml>');
  i += '<xml>'.length;

  for (;;) {
    skipSpace();
    if (text.startsWith('</xml>', i)) {
      i += '</xml>'.length;
      break;
    }
    if (i >= text.length) return fail('unterminated <xml>');
    if (text[i] !== '<') return fail('text outside a field');
    if (text.startsWith('<!', i)) return fail('markup declaration (DOCTYPE, ENTITY, comment or CDATA) outside a field refused');
    if (text.startsWith('<?', i)) return fail('processing instruction refused');
    if (text.startsWith('</', i)) return fail('closing tag without an opening one');
    NAME.lastIndex = i + 1;
    const name = NAME.exec(text)?.[0];
    if (!name) return fail('malformed tag');
    i = NAME.lastIndex;
    if (text[i] !== '>') return fail(`<${name}> has attributes or is self-closing`);
    i++;
    const value = readContent(name);
    if (typeof value !== 'string') return value;
    if (Object.hasOwn(fields, name)) return fail(`field <${name}> appears twice`);
    if (++count > MAX_FIELDS) return fail(`more than ${MAX_FIELDS} fields`);
    fields[name] = value;
  }
  skipSpace();
  if (i !== text.length) return fail('content after </xml>');
  return { ok: true, fields };

  /** Text, CDATA sections and predefined entities up to `</name>`; anything else is refused. */
  function readContent(name: string): string | XmlParse {
    let value = '';
    for (;;) {
      if (i >= text.length) return fail(`unterminated <${name}>`);
      if (text.startsWith(CDATA_OPEN, i)) {
        const end = text.indexOf(CDATA_CLOSE, i + CDATA_OPEN.length);
        if (end < 0) return fail('unterminated CDATA section');
        value += text.slice(i + CDATA_OPEN.length, end);
        i = end + CDATA_CLOSE.length;
      } else if (text.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!text.startsWith(close, i)) return fail(`<${name}> closed by another tag`);
        i += close.length;
        return value;
      } else if (text[i] === '<') {
        return fail(`markup inside <${name}> (nested element, DOCTYPE or comment) refused`);
      } else if (text[i] === '&') {
        ENTITY.lastIndex = i;
        const entity = ENTITY.exec(text)?.[1];
        const replacement = entity !== undefined && Object.hasOwn(PREDEFINED, entity) ? PREDEFINED[entity] : undefined;
        // Character references too: nothing WeChat sends needs them, and refusing keeps this small.
        if (replacement === undefined) {
          return fail(`reference &${entity ?? ''}; is not one of the five predefined entities`);
        }
        value += replacement;
        i = ENTITY.lastIndex;
      } else {
        let end = i;
        while (end < text.length && text[end] !== '<' && text[end] !== '&') end++;
        value += text.slice(i, end);
        i = end;
      }
    }
  }
}

/**
 * The flat document for a request, every value in CDATA (a `]]>` inside a value is split across
 * two sections, the standard escape).
 * @example toFlatXml({ appid: 'wx3ab10513b21f5950', body: 'a<b' })
 *   // '<xml><appid><![CDATA[wx3ab10513b21f5950]]></appid><body><![CDATA[a<b]]></body></xml>'
 */
export function toFlatXml(fields: Readonly<Record<string, string>>): string {
  let out = '<xml>';
  for (const [name, value] of Object.entries(fields)) {
    if (!FULL_NAME.test(name)) throw new Error(`not an XML element name: ${JSON.stringify(name)}`);
    out += `<${name}>${CDATA_OPEN}${value.replaceAll(CDATA_CLOSE, `]]${CDATA_CLOSE}${CDATA_OPEN}>`)}${CDATA_CLOSE}</${name}>`;
  }
  return `${out}</xml>`;
}
