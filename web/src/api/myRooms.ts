/** Managing one's rooms: list, create, rename, access, roles and invitations (`/api/v1`). */
import { request } from './rooms';

export type Access = 'public' | 'trusted' | 'restricted';
export type Role = 'owner' | 'administrator' | 'member';

export const ACCESS_LEVELS: readonly Access[] = ['public', 'trusted', 'restricted'];
export const ROLES: readonly Role[] = ['owner', 'administrator', 'member'];

export interface MyRoom {
  slug: string;
  name: string | null;
  access: Access;
  created_at: string;
  my_role: Role;
  /** Whether the room keeps its meetings' chat for its members. */
  keep_chat?: boolean;
}

export interface RoomRole {
  user_id: number;
  role: Role;
  full_name: string;
  email: string | null;
  granted_at: string;
}

export interface GroupRole {
  group: string;
  role: Role;
  granted_at: string;
}

export interface InvitationInfo {
  id: number;
  label: string | null;
  created_at: string;
  expires_at: string;
  revoked: boolean;
}

export interface InvitationCreated extends InvitationInfo {
  url: string;
}

/** Someone removed from the room's meetings: they wait in the lobby if they come back. */
export interface RemovalInfo {
  id: string;
  name: string | null;
  removed_by: string | null;
  removed_at: string;
}

/** Whether this role may change the room's settings, roles and invitations. */
export function canManage(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'administrator';
}

const room = (slug: string) => `/api/v1/rooms/${encodeURIComponent(slug)}`;

function send<T>(csrf: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return request<T>(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
}

export async function listMyRooms(): Promise<MyRoom[]> {
  return (await request<{ rooms: MyRoom[] }>('/api/v1/me/rooms', { credentials: 'same-origin' })).rooms;
}

export function createNamedRoom(csrf: string, name: string, access: Access): Promise<{ slug: string; url: string }> {
  const trimmed = name.trim();
  return send(csrf, 'POST', '/api/v1/rooms', trimmed ? { name: trimmed, access } : { access });
}

export function updateRoom(
  csrf: string,
  slug: string,
  change: { name?: string; access?: Access; keep_chat?: boolean },
): Promise<unknown> {
  return send(csrf, 'PATCH', room(slug), change);
}

export function listRoles(slug: string): Promise<{ roles: RoomRole[]; group_roles: GroupRole[] }> {
  return request(`${room(slug)}/roles`, { credentials: 'same-origin' });
}

/** `who` is an e-mail, a user id, or `group:<name>`. */
export function grantRole(csrf: string, slug: string, who: string, role: Role): Promise<unknown> {
  return send(csrf, 'PUT', `${room(slug)}/roles/${encodeURIComponent(who)}`, { role });
}

export function revokeRole(csrf: string, slug: string, who: string): Promise<unknown> {
  return send(csrf, 'DELETE', `${room(slug)}/roles/${encodeURIComponent(who)}`);
}

export async function listInvitations(slug: string): Promise<InvitationInfo[]> {
  return (await request<{ invitations: InvitationInfo[] }>(`${room(slug)}/invitations`, { credentials: 'same-origin' }))
    .invitations;
}

export function createInvitation(csrf: string, slug: string, label: string): Promise<InvitationCreated> {
  const trimmed = label.trim();
  return send(csrf, 'POST', `${room(slug)}/invitations`, trimmed ? { label: trimmed } : {});
}

export function revokeInvitation(csrf: string, slug: string, id: number): Promise<unknown> {
  return send(csrf, 'DELETE', `${room(slug)}/invitations/${id}`);
}

export async function listRemovals(slug: string): Promise<RemovalInfo[]> {
  return (await request<{ removals: RemovalInfo[] }>(`${room(slug)}/removals`, { credentials: 'same-origin' })).removals;
}

/** Lets a removed person back into the room's meetings (owners only). */
export function undoRemoval(csrf: string, slug: string, id: string): Promise<unknown> {
  return send(csrf, 'DELETE', `${room(slug)}/removals/${encodeURIComponent(id)}`);
}
