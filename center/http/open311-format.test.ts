import { describe, expect, it } from 'vitest';
import { formatOfUrl, open311Errors, OPEN311_XML_ITEMS, xmlDocument, xmlElement } from './open311-format.js';

describe('Open311 XML', () => {
  it('writes lists under the spec element names, nulls as empty elements, absent fields not at all, text escaped', () => {
    const doc = xmlDocument('service_requests', [
      { service_request_id: 'WO1', status: 'open', lat: 32.06, address: null, description: 'Car <on> the "crossing" & kerb', media_url: undefined },
    ]);
    expect(doc).toBe(
      '<?xml version="1.0" encoding="utf-8"?><service_requests><request><service_request_id>WO1</service_request_id><status>open</status>'
        + '<lat>32.06</lat><address></address><description>Car &lt;on&gt; the &quot;crossing&quot; &amp; kerb</description></request></service_requests>',
    );
  });

  it('nests lists inside objects (discovery) and refuses a list it has no item name for', () => {
    expect(xmlElement('discovery', { endpoints: [{ formats: ['text/xml', 'application/json'] }] }, OPEN311_XML_ITEMS)).toBe(
      '<discovery><endpoints><endpoint><formats><format>text/xml</format><format>application/json</format></formats></endpoint></endpoints></discovery>',
    );
    expect(() => xmlElement('things', [1], OPEN311_XML_ITEMS)).toThrow('no element name for the items of things');
  });

  it('errors are a list of one { code, description }, in either format', () => {
    expect(open311Errors(403, 'api_key: not a key')).toEqual([{ code: 403, description: 'api_key: not a key' }]);
    expect(xmlDocument('errors', open311Errors(404, 'no service request X'))).toBe(
      '<?xml version="1.0" encoding="utf-8"?><errors><error><code>404</code><description>no service request X</description></error></errors>',
    );
  });

  it('answers XML for .xml routes only', () => {
    expect(formatOfUrl('/open311/v2/requests.xml')).toBe('xml');
    expect(formatOfUrl('/open311/v2/requests.xml?status=open')).toBe('xml');
    expect(formatOfUrl('/open311/v2/requests.json?x=.xml')).toBe('json');
    expect(formatOfUrl('/open311/v2/requests/WO1.json')).toBe('json');
  });
});
