/**
 * The red count of unread things on a tab or a conversation. Screen readers hear it as part of
 * the control's name ("Direct messages (3 unread)"); the digits alone are drawn. The words start
 * with a space and carry no comma: browsers may add a space of their own around the badge.
 *
 * @module
 */

export function UnreadCount({ n, testId }: { n: number; testId?: string }) {
  if (n <= 0) return null;
  return (
    <span class="count" data-testid={testId}>
      <span class="visually-hidden">{` (${n} unread)`}</span>
      <span aria-hidden="true">{n}</span>
    </span>
  );
}
