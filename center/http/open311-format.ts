/**
 * Open311's two formats — pure: every route answers JSON (`.json`) or XML (`.xml`), and errors as
 * the spec's list of `{ code, description }` (https://wiki.open311.org/GeoReport_v2/#errors).
 */

export const OPEN311_FORMATS = ['json', 'xml'] as const;
export type Open311Format = (typeof OPEN311_FORMATS)[number];

export const XML_TYPE = 'text/xml; charset=utf-8';

export type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json };

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * `value` as the element `name`: an object's fields become child elements, an array's items
 * elements named `items[name]` (`service_requests` → `request`), null an empty element; absent fields
 * are left out.
 */
export function xmlElement(name: string, value: Json, items: Readonly<Record<string, string>>): string {
  if (value === undefined) return '';
  if (value === null) return `<${name}></${name}>`;
  if (Array.isArray(value)) {
    const item = items[name];
    if (!item) throw new Error(`no element name for the items of ${name}`);
    return `<${name}>${value.map((v) => xmlElement(item, v, items)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => xmlElement(k, v, items)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** The spec's element names: each list's wrapper and its items. */
export const OPEN311_XML_ITEMS: Readonly<Record<string, string>> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  endpoints: 'endpoint',
  formats: 'format',
};

/** A whole XML document. */
export const xmlDocument = (root: string, value: Json): string => `<?xml version="1.0" encoding="utf-8"?>${xmlElement(root, value, OPEN311_XML_ITEMS)}`;

export type Open311Error = { code: number; description: string };

/** An error answer in the spec's shape: a list of one `{ code, description }` (the HTTP status as code). */
export const open311Errors = (status: number, description: string): Open311Error[] => [{ code: status, description }];

/** `.xml` routes answer XML; the rest JSON. */
export const formatOfUrl = (url: string): Open311Format => (url.split('?')[0].endsWith('.xml') ? 'xml' : 'json');
