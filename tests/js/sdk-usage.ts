// The partner flow written against the generated TypeScript SDK (tests/test_sdk.py copies it
// next to the generated `client/` and type-checks both with `tsc --noEmit`): if an operation
// is renamed, or a request or answer changes shape, this stops compiling.
import { createClient } from './client/client';
import {
  acceptInvite,
  createAnswer,
  createCheckIn,
  createDelivery,
  createInvite,
  createMember,
  createMemberToken,
  getConnection,
  listPrompts,
} from './client';
import type { ConnectionPublic, Problem } from './client';

export async function partnerFlow(baseUrl: string, secretKey: string): Promise<ConnectionPublic> {
  const backend = createClient({ baseUrl, auth: secretKey });

  const alex = await createMember({
    client: backend,
    body: { external_id: 'user-1', display_name: 'Alex', timezone: 'Europe/Paris' },
    headers: { 'Idempotency-Key': 'signup-user-1' },
    throwOnError: true,
  });
  const blake = await createMember({
    client: backend,
    body: { external_id: 'user-2', display_name: 'Blake', timezone: 'America/Chicago' },
    throwOnError: true,
  });
  const alexToken = await createMemberToken({
    client: backend,
    path: { member_id: alex.data.id },
    body: { ttl_seconds: 3600 },
    throwOnError: true,
  });
  const blakeToken = await createMemberToken({
    client: backend,
    path: { member_id: blake.data.id },
    throwOnError: true,
  });
  const asAlex = createClient({ baseUrl, auth: alexToken.data.token });
  const asBlake = createClient({ baseUrl, auth: blakeToken.data.token });

  const invite = await createInvite({ client: asAlex, body: {}, throwOnError: true });
  const couple = await acceptInvite({
    client: asBlake,
    path: { code: invite.data.code },
    throwOnError: true,
  });
  const coupleId = couple.data.id;

  await createCheckIn({
    client: asAlex,
    path: { couple_id: coupleId },
    body: {
      ratings: { openness: 4, listening: 3, vulnerability: 4, support: 5, safety: 5 },
      closeness: 6,
      moments: ['felt_heard'],
      note: 'Long walk, good talk.',
      note_visibility: 'private',
    },
    throwOnError: true,
  });
  await createCheckIn({
    client: asBlake,
    path: { couple_id: coupleId },
    body: { ratings: { openness: 3, listening: 4, support: 4, quality_time: 2 } },
    throwOnError: true,
  });

  const prompts = await listPrompts({
    client: backend,
    query: { dimension: 'listening', kind: 'question', limit: 1 },
    throwOnError: true,
  });
  const next: string | null = prompts.data.next_cursor;
  const delivery = await createDelivery({
    client: backend,
    path: { couple_id: coupleId },
    body: { dimension: 'listening', kind: 'question' },
    throwOnError: true,
  });
  for (const partner of [asAlex, asBlake]) {
    await createAnswer({
      client: partner,
      path: { delivery_id: delivery.data.id },
      body: { text: `answered after ${next ?? 'the only page'}` },
      throwOnError: true,
    });
  }

  const connection = await getConnection({
    client: asAlex,
    path: { couple_id: coupleId },
    query: { window_days: 28 },
  });
  if (connection.error) {
    const problem: Problem = connection.error;
    throw new Error(`${problem.code}: ${problem.detail}`);
  }
  return connection.data;
}
