import { describe, expect, it } from 'vitest';
import { screensFor } from './screens';

const REPORTERS = ['inspector', 'operator', 'supervisor', 'admin'] as const;

describe('the phone app screens of a user', () => {
  it('follows the API: my orders for an officer id, the report screen for a reporting role', () => {
    expect(screensFor({ role: 'officer', officerId: 'o-north' }, REPORTERS)).toEqual(['orders']);
    expect(screensFor({ role: 'inspector' }, REPORTERS)).toEqual(['report']);
    expect(screensFor({ role: 'admin', officerId: 'o-north' }, REPORTERS)).toEqual(['orders', 'report']);
    expect(screensFor({ role: 'metrics' }, REPORTERS)).toEqual([]);
    // A centre that let officers report would show them both.
    expect(screensFor({ role: 'officer', officerId: 'o-north' }, [...REPORTERS, 'officer'])).toEqual(['orders', 'report']);
  });
});
