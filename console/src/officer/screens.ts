/**
 * Which screens the phone app shows a user — pure, from the API's own rules: "my orders" needs an
 * officer id (`assignee=me` answers only officers), the report screen a role that POST
 * /api/reports takes (the centre names them in its settings).
 */
import type { Role, User } from '../api-types';

export type Screen = 'orders' | 'report';

export function screensFor(user: Pick<User, 'role' | 'officerId'>, reporterRoles: readonly Role[]): Screen[] {
  const screens: Screen[] = [];
  if (user.officerId) screens.push('orders');
  if (reporterRoles.includes(user.role)) screens.push('report');
  return screens;
}
